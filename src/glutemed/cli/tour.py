"""`glutemed tour`: a guided walk through the knowledge base (the demo until the video pipeline lands)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.rule import Rule
from rich.table import Table

from glutemed.cli.common import console, load_kb, print_json
from glutemed.cli.render import dose_text, verification_mark
from glutemed.knowledge.loader import KnowledgeBase
from glutemed.knowledge.models import SOFT_TISSUE_STAGES, EvidenceStrength, Stage
from glutemed.knowledge.validate import GLUTEUS_MEDIUS

TOP_PER_STAGE = 3
STRENGTH_WORDS = {
    EvidenceStrength.STRONG: "strong evidence",
    EvidenceStrength.MODERATE: "moderate evidence",
    EvidenceStrength.LIMITED: "limited evidence",
    EvidenceStrength.CONFLICTING: "conflicting evidence",
    EvidenceStrength.WEAK: "weak evidence",
    EvidenceStrength.NONE: "studied, not supported",
}


def stage_leaders(kb: KnowledgeBase, stage: Stage, n: int = TOP_PER_STAGE) -> list[str]:
    """Exercise ids of a stage, highest measured gluteus medius activation first, unmeasured last."""
    members = [ex for ex in kb.exercises.values() if ex.stage is stage]
    members.sort(key=lambda ex: (-(ex.best_gmed_emg.pct_mvic if ex.best_gmed_emg else -1.0), ex.id))
    return [ex.id for ex in members[:n]]


def tour_data(kb: KnowledgeBase) -> dict[str, Any]:
    training = [ex for ex in kb.exercises.values() if ex.stage not in SOFT_TISSUE_STAGES]
    return {
        "counts": {
            "references": len(kb.references),
            "muscles": len(kb.muscles),
            "training_exercises": len(training),
            "stretches_and_release": len(kb.exercises) - len(training),
            "clinical_tests": len(kb.clinical_tests),
            "gait_faults": len(kb.gait_faults),
            "conditions": len(kb.conditions),
            "risk_factors": len(kb.risk_factors),
            "red_flags": len(kb.red_flags),
        },
        "stages": {stage.value: stage_leaders(kb, stage) for stage in Stage},
        "routines": {r.id: [item.exercise for item in r.items] for r in kb.routines.values()},
    }


def _anatomy(kb: KnowledgeBase) -> None:
    gmed = kb.muscles[GLUTEUS_MEDIUS]
    console.print(Rule("[bold]1. The muscle[/]"))
    console.print(f"[bold]{gmed.name}[/]", highlight=False)
    console.print(f"  Origin: {gmed.origin}", highlight=False)
    console.print(f"  Insertion: {gmed.insertion}", highlight=False)
    for action in gmed.actions:
        extra = "".join(f" ({x})" for x in (action.fibres, action.condition) if x)
        console.print(f"  • {action.action}{extra}", highlight=False)
    console.print(f"  Nerve: {gmed.nerve.name} ({'-'.join(gmed.nerve.roots)}).", highlight=False)
    inhibitors = [m.name for m in kb.muscles.values() if any(r.kind == "inhibitor" for r in m.relations)]
    console.print(f"  Overactive muscles that inhibit it: {', '.join(inhibitors)}.", highlight=False)


def _stages(kb: KnowledgeBase) -> None:
    console.print(Rule("[bold]2. Training, stage by stage[/]"))
    table = Table(show_header=True)
    for column in ("stage", "leading exercises (by measured GMed activation)", "default dose of the first"):
        table.add_column(column, overflow="fold")
    for stage in Stage:
        ids = stage_leaders(kb, stage)
        first = kb.exercises[ids[0]] if ids else None
        table.add_row(stage.value, ", ".join(ids), dose_text(first.dose) if first else "—")
    console.print(table)
    for routine in kb.routines.values():
        console.print(f"[bold]{routine.name}[/] — {routine.purpose}", highlight=False)
        for number, item in enumerate(routine.items, start=1):
            console.print(f"  {number}. {kb.exercises[item.exercise].name}: {item.dose}", highlight=False)


def _faults(kb: KnowledgeBase) -> None:
    console.print(Rule("[bold]3. What we look for when you run[/]"))
    for fault in kb.gait_faults.values():
        th = fault.threshold
        sign = ">" if th.direction == "above" else "<"
        console.print(
            f"  • [bold]{fault.name}[/] ({'/'.join(v.value for v in fault.views)} view): flagged {sign} "
            f"{th.flagged:g} {th.unit} — {th.ref}{verification_mark(th.verification)}",
            highlight=False,
        )


def _risks(kb: KnowledgeBase) -> None:
    console.print(Rule("[bold]4. Risk factors, weighed honestly[/]"))
    order = list(STRENGTH_WORDS)
    for risk in sorted(kb.risk_factors.values(), key=lambda r: order.index(r.evidence_strength)):
        console.print(
            f"  • {risk.name}: [italic]{STRENGTH_WORDS[risk.evidence_strength]}[/]", highlight=False
        )
    console.print(f"  Red flags that stop training and mean 'see a clinician': {len(kb.red_flags)}.")


def register(app: typer.Typer) -> None:
    @app.command("tour")
    def tour(
        json_out: Annotated[bool, typer.Option("--json", help="Print the tour as JSON.")] = False,
    ) -> None:
        """A guided tour of the knowledge base: anatomy, staged training, gait faults, risk factors."""
        kb = load_kb()
        if json_out:
            print_json(tour_data(kb))
            return
        counts = tour_data(kb)["counts"]
        console.print(
            "[bold]glutemed knowledge base[/]: "
            + ", ".join(f"{value} {key.replace('_', ' ')}" for key, value in counts.items()),
            highlight=False,
        )
        _anatomy(kb)
        _stages(kb)
        _faults(kb)
        _risks(kb)
        console.print(
            "\nNext: `glutemed exercises list --safe-for gluteal-tendinopathy`, `glutemed faults show "
            "contralateral-pelvic-drop`, `glutemed refs show bramah2018`."
        )
