"""Rich renderings of knowledge-base entries for the terminal."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from glutemed.cli.common import join
from glutemed.knowledge.gait_fault_models import GaitFault
from glutemed.knowledge.loader import KnowledgeBase
from glutemed.knowledge.models import ClinicalTest, Dose, Exercise, Muscle, Reference, Verification
from glutemed.knowledge.validate import citations


def verification_mark(verification: Verification) -> str:
    if verification is Verification.VERIFIED:
        return ""
    if verification is Verification.SECONDARY:
        return " (secondary source)"
    return " [yellow](unverified)[/]"


def dose_text(dose: Dose) -> str:
    amount = f"{dose.reps} reps" if dose.reps is not None else f"{dose.hold_s} s hold"
    side = " each side" if dose.per_side else ""
    tempo = f", tempo {dose.tempo}" if dose.tempo else ""
    extra = f" ({dose.distance})" if dose.distance else ""
    return f"{dose.sets} x {amount}{side}{extra}{tempo}, rest {dose.rest_s} s, {dose.sessions_per_week}x/week"


def exercise_table(exercises: Iterable[Exercise], *, title: str) -> Table:
    table = Table(title=title, show_lines=False)
    for column in ("id", "stage", "family", "position", "GMed %MVIC", "GMed/TFL", "dose"):
        table.add_column(column, overflow="fold")
    for ex in exercises:
        emg = ex.best_gmed_emg
        index = ex.best_tfl_index
        table.add_row(
            ex.id,
            ex.stage.value,
            ex.family.value,
            ex.position.value,
            f"{emg.pct_mvic:g} ({emg.ref})" if emg else "—",
            f"{index.value:g}" if index else "—",
            dose_text(ex.dose),
        )
    return table


def _bullets(items: Iterable[str]) -> str:
    return "\n".join(f"• {item}" for item in items) or "—"


def exercise_detail(console: Console, kb: KnowledgeBase, ex: Exercise) -> None:
    head = (
        f"[bold]{ex.name}[/]  ({ex.id})\n"
        f"aliases: {join(ex.aliases)}\n"
        f"stage: {ex.stage.value}   family: {ex.family.value}   position: {ex.position.value}\n"
        f"equipment: {join(e.value for e in ex.equipment)}\n"
        f"primary: {join(ex.primary_muscles)}   secondary: {join(ex.secondary_muscles)}\n"
        f"dose: {dose_text(ex.dose)}"
    )
    if ex.dose.basis:
        head += f"  [dim](dose from {ex.dose.basis.ref}{verification_mark(ex.dose.basis.verification)})[/]"
    if ex.tool:
        head += f"\ntool: {ex.tool.value}   trigger-point regions: {join(ex.trigger_point_regions)}"
    console.print(Panel(head, title="exercise", expand=False), highlight=False)
    console.print("[bold]Steps[/]")
    for number, step in enumerate(ex.instructions, start=1):
        console.print(f"  {number}. {step}", highlight=False)
    console.print("[bold]Cues[/]\n" + _bullets(ex.cues), highlight=False)
    if ex.tfl_cues:
        console.print("[bold]Keep the TFL out[/]\n" + _bullets(ex.tfl_cues), highlight=False)
    console.print("[bold]Common errors[/]\n" + _bullets(ex.common_errors), highlight=False)
    evidence = [
        f"gluteus medius {e.pct_mvic:g}%{f' ± {e.sd:g}' if e.sd is not None else ''} MVIC"
        f"{f' — {e.variant}' if e.variant else ''} ({e.ref}{verification_mark(e.verification)})"
        for e in ex.emg
    ] + [
        f"gluteal-to-TFL index {t.value:g} ({t.ref}{verification_mark(t.verification)})" for t in ex.tfl_index
    ]
    console.print(
        "[bold]Measured activation[/]\n" + (_bullets(evidence) if evidence else "no study measured it")
    )
    console.print(f"[bold]Easier[/]: {join(ex.regressions)}   [bold]Harder[/]: {join(ex.progressions)}")
    cautions = [
        f"{c.level.value} in {c.condition}: {c.reason}" + (f" ({c.ref})" if c.ref else "")
        for c in ex.cautions
    ]
    unsafe = [cid for cid in kb.conditions if not kb.safe_for(ex, cid)]
    if cautions or unsafe:
        console.print("[bold]Cautions[/]\n" + _bullets(cautions), highlight=False)
        console.print(f"[dim]Left out of programs for: {join(unsafe)}[/]")
    console.print(f"[dim]Sources: {join(ex.sources)}[/]")


def muscle_detail(console: Console, kb: KnowledgeBase, m: Muscle) -> None:
    actions = [
        a.action + (f" ({a.fibres})" if a.fibres else "") + (f", {a.condition}" if a.condition else "")
        for a in m.actions
    ]
    body = (
        f"[bold]{m.name}[/] ({m.id})\naliases: {join(m.aliases)}\n"
        f"origin: {m.origin}\ninsertion: {m.insertion}\n"
        f"nerve: {m.nerve.name} ({'-'.join(m.nerve.roots)})"
    )
    console.print(Panel(body, title="muscle", expand=False), highlight=False)
    for part in m.parts:
        console.print(f"[bold]{part.name}[/]: {part.description}", highlight=False)
    console.print("[bold]Actions[/]\n" + _bullets(actions), highlight=False)
    console.print(
        "[bold]Relation to the gluteus medius[/]\n"
        + _bullets(f"{r.kind.value}: {r.explanation}" for r in m.relations),
        highlight=False,
    )
    if m.notes:
        console.print("[bold]Notes[/]\n" + _bullets(m.notes), highlight=False)
    trained_by = [ex.id for ex in kb.exercises.values() if m.id in ex.primary_muscles]
    console.print(f"[dim]Primary mover in {len(trained_by)} exercises. Sources: {join(m.refs)}[/]")


def clinical_test_detail(console: Console, t: ClinicalTest) -> None:
    console.print(Panel(f"[bold]{t.name}[/] ({t.id})\n{t.purpose}", title="clinical test", expand=False))
    for number, step in enumerate(t.procedure, start=1):
        console.print(f"  {number}. {step}", highlight=False)
    console.print(f"[bold]Scoring[/]: {t.scoring}\n[bold]Positive if[/]: {t.positive_if}", highlight=False)
    if t.norm_equation:
        eq = t.norm_equation
        console.print(
            f"[bold]Norm[/]: {eq.intercept:g} + {eq.age_coef:g}·age + {eq.male_coef:g}·male ± {eq.sd:g} {eq.unit}"
            f" — {eq.population} ({eq.ref}{verification_mark(eq.verification)})",
            highlight=False,
        )
    norms = [
        f"{n.population}: {n.mean:g}{f' ± {n.sd:g}' if n.sd is not None else ''} {n.unit} ({n.ref}"
        f"{verification_mark(n.verification)})"
        for n in t.norms
    ]
    if norms:
        console.print("[bold]Normal values[/]\n" + _bullets(norms), highlight=False)
    rel = [
        f"{r.statistic} {r.low:g}–{r.high:g}{f' {r.unit}' if r.unit else ''}: {r.context} ({r.ref}"
        f"{verification_mark(r.verification)})"
        for r in t.reliability
    ]
    if rel:
        console.print("[bold]Reliability[/]\n" + _bullets(rel), highlight=False)
    acc = [
        f"{a.target}: sensitivity {a.sensitivity_pct}%, specificity {a.specificity_pct}% ({a.ref}"
        f"{verification_mark(a.verification)})"
        for a in t.accuracy
    ]
    if acc:
        console.print("[bold]Diagnostic accuracy[/]\n" + _bullets(acc), highlight=False)
    console.print(f"[dim]Sources: {join(t.refs)}[/]")


def fault_detail(console: Console, f: GaitFault) -> None:
    th = f.threshold
    console.print(Panel(f"[bold]{f.name}[/] ({f.id})\n{f.definition}", title="gait fault", expand=False))
    console.print(
        f"views: {join(v.value for v in f.views)}   landmarks: {join(f.landmarks)}", highlight=False
    )
    sign = ">" if th.direction == "above" else "<"
    console.print(
        f"[bold]Threshold[/] on {f.metric}: borderline {sign} {th.borderline:g}, flagged {sign} {th.flagged:g} "
        f"{th.unit} ({th.relative_to}; {th.ref}{verification_mark(th.verification)})\n  {th.derivation}",
        highlight=False,
    )
    if f.sdd:
        console.print(
            f"[bold]Smallest detectable difference[/]: {f.sdd.value:g} {f.sdd.unit} — {f.sdd.context} "
            f"({f.sdd.ref}{verification_mark(f.sdd.verification)})",
            highlight=False,
        )
    console.print(f"[bold]Evidence[/]: {f.evidence}", highlight=False)
    if f.cues:
        console.print("[bold]Running cues[/]\n" + _bullets(f.cues), highlight=False)
    console.print(f"[dim]Linked conditions: {join(f.linked_conditions)}. Sources: {join(f.refs)}[/]")


def conditions_overview(console: Console, kb: KnowledgeBase) -> None:
    table = Table(title="Conditions linked to the gluteus medius")
    for column in ("id", "name", "pain regions", "linked gait faults"):
        table.add_column(column, overflow="fold")
    for c in kb.conditions.values():
        table.add_row(c.id, c.name, join(r.value for r in c.regions), join(c.linked_faults))
    console.print(table)
    risks = Table(title="Risk factors and how strong the evidence is")
    for column in ("id", "evidence", "summary"):
        risks.add_column(column, overflow="fold")
    for r in kb.risk_factors.values():
        risks.add_row(r.id, r.evidence_strength.value, r.evidence_summary)
    console.print(risks)
    console.print("[bold red]Red flags — refer to a clinician, do not train[/]")
    console.print(_bullets(f"{r.name}: {r.why_refer}" for r in kb.red_flags.values()), highlight=False)


def reference_detail(console: Console, kb: KnowledgeBase, ref: Reference) -> None:
    console.print(Panel(ref.citation(), title=ref.key, expand=False), highlight=False)
    if ref.url:
        console.print(f"url: {ref.url}")
    if ref.note:
        console.print(f"[dim]{ref.note}[/]", highlight=False)
    used = citations(kb).get(ref.key, [])
    console.print(f"[bold]Cited by {len(used)} entries[/]\n" + _bullets(sorted(set(used))), highlight=False)
