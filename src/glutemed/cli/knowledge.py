"""Commands that browse the knowledge base: exercises, muscles, clinical tests, gait faults, references."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.markup import escape
from rich.table import Table

from glutemed.cli import render
from glutemed.cli.common import console, fail, join, load_kb, lookup, print_json
from glutemed.knowledge.gait_fault_models import GaitFault
from glutemed.knowledge.models import Equipment, Exercise, Family, Stage

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON to stdout instead of a table.")]

exercises_app = typer.Typer(
    help="The exercise catalogue: activation, strength, stabiliser, motor control, running."
)
muscles_app = typer.Typer(help="Muscles around the hip and how each relates to the gluteus medius.")
tests_app = typer.Typer(help="Clinical tests: procedure, scoring, norms, reliability.")
faults_app = typer.Typer(help="Running gait faults linked to gluteus medius weakness, with thresholds.")
refs_app = typer.Typer(help="The bibliography every number cites.")
conditions_app = typer.Typer(help="Injuries linked to the gluteus medius, risk factors and red flags.")


def exercise_json(ex: Exercise) -> dict[str, Any]:
    data = ex.model_dump(mode="json")
    data["is_bodyweight"] = ex.is_bodyweight
    best = ex.best_gmed_emg
    data["best_gmed_emg_pct_mvic"] = best.pct_mvic if best else None
    best_index = ex.best_tfl_index
    data["best_tfl_index"] = best_index.value if best_index else None
    return data


def _list_or_json(
    items: Iterable[BaseModel],
    json_out: bool,
    *,
    title: str,
    columns: tuple[str, ...],
    row: Callable[[Any], Sequence[str]],
) -> None:
    """Print a list of knowledge-base entries as JSON or as a table."""
    entries = list(items)
    if json_out:
        print_json([entry.model_dump(mode="json") for entry in entries])
        return
    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    for entry in entries:
        table.add_row(*row(entry))
    console.print(table)


def _fault_row(f: GaitFault) -> tuple[str, ...]:
    th = f.threshold
    sign = ">" if th.direction == "above" else "<"
    flagged = f"{sign} {th.flagged:g} {th.unit}{render.verification_mark(th.verification)}"
    return (f.id, f.name, join(v.value for v in f.views), f.metric, flagged, th.ref)


def _matches(ex: Exercise, equipment: str | None, muscle: str | None) -> bool:
    if equipment and equipment != ex.family.value and equipment not in {e.value for e in ex.equipment}:
        return False
    return not (muscle and muscle not in ex.primary_muscles and muscle not in ex.secondary_muscles)


@exercises_app.command("list")
def exercises_list(
    stage: Annotated[Stage | None, typer.Option(help="Only this training stage.")] = None,
    equipment: Annotated[
        str | None,
        typer.Option(help="An equipment family (dumbbell, cable, ...) or one item (mini-band, wall, ...)."),
    ] = None,
    muscle: Annotated[
        str | None, typer.Option(help="A muscle id worked as primary or secondary mover.")
    ] = None,
    safe_for: Annotated[
        str | None,
        typer.Option("--safe-for", help="Leave out what a condition must avoid, e.g. gluteal-tendinopathy."),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """List exercises, ordered by stage and then by measured gluteus medius activation."""
    kb = load_kb()
    known_equipment = {f.value for f in Family} | {e.value for e in Equipment}
    if equipment and equipment not in known_equipment:
        fail(f"unknown equipment '{equipment}'. Choose from: {join(sorted(known_equipment))}.")
    if muscle:
        lookup(kb.muscles, muscle, "muscle", "muscles list")
    if safe_for:
        lookup(kb.conditions, safe_for, "condition", "conditions list")
    chosen = [
        ex
        for ex in kb.exercises.values()
        if (stage is None or ex.stage is stage)
        and _matches(ex, equipment, muscle)
        and (safe_for is None or kb.safe_for(ex, safe_for))
    ]
    order = list(Stage)
    chosen.sort(
        key=lambda ex: (order.index(ex.stage), -(ex.best_gmed_emg.pct_mvic if ex.best_gmed_emg else -1))
    )
    if json_out:
        print_json([exercise_json(ex) for ex in chosen])
        return
    console.print(render.exercise_table(chosen, title=f"{len(chosen)} exercises"))
    if safe_for:
        console.print(f"[dim]Left out: exercises that load what {escape(safe_for)} must avoid.[/]")


@exercises_app.command("show")
def exercises_show(
    exercise_id: Annotated[str, typer.Argument(help="Exercise id.")], json_out: JsonOpt = False
) -> None:
    """Everything about one exercise: dose, steps, cues, evidence, cautions."""
    kb = load_kb()
    ex = lookup(kb.exercises, exercise_id, "exercise", "exercises list")
    if json_out:
        print_json(exercise_json(ex))
        return
    render.exercise_detail(console, kb, ex)


@muscles_app.command("list")
def muscles_list(json_out: JsonOpt = False) -> None:
    """List the muscles and their relation to the gluteus medius."""
    _list_or_json(
        load_kb().muscles.values(),
        json_out,
        title="Muscles",
        columns=("id", "name", "relation to gluteus medius"),
        row=lambda m: (m.id, m.name, join(r.kind.value for r in m.relations)),
    )


@muscles_app.command("show")
def muscles_show(
    muscle_id: Annotated[str, typer.Argument(help="Muscle id.")], json_out: JsonOpt = False
) -> None:
    """Anatomy of one muscle: origin, insertion, actions, nerve, relations."""
    kb = load_kb()
    muscle = lookup(kb.muscles, muscle_id, "muscle", "muscles list")
    if json_out:
        print_json(muscle.model_dump(mode="json"))
        return
    render.muscle_detail(console, kb, muscle)


@tests_app.command("list")
def clinical_tests_list(json_out: JsonOpt = False) -> None:
    """List the clinical tests."""
    _list_or_json(
        load_kb().clinical_tests.values(),
        json_out,
        title="Clinical tests",
        columns=("id", "name", "positive if"),
        row=lambda t: (t.id, t.name, t.positive_if),
    )


@tests_app.command("show")
def clinical_tests_show(
    test_id: Annotated[str, typer.Argument(help="Test id.")], json_out: JsonOpt = False
) -> None:
    """Procedure, scoring, norms, reliability and accuracy of one clinical test."""
    kb = load_kb()
    test = lookup(kb.clinical_tests, test_id, "clinical test", "tests list")
    if json_out:
        print_json(test.model_dump(mode="json"))
        return
    render.clinical_test_detail(console, test)


@faults_app.command("list")
def faults_list(json_out: JsonOpt = False) -> None:
    """List the gait faults with their metric and threshold."""
    _list_or_json(
        load_kb().gait_faults.values(),
        json_out,
        title="Gait faults",
        columns=("id", "name", "views", "metric", "flagged when", "source"),
        row=_fault_row,
    )


@faults_app.command("show")
def faults_show(
    fault_id: Annotated[str, typer.Argument(help="Gait fault id.")], json_out: JsonOpt = False
) -> None:
    """Definition, landmarks, threshold, measurement error and evidence of one gait fault."""
    kb = load_kb()
    fault = lookup(kb.gait_faults, fault_id, "gait fault", "faults list")
    if json_out:
        print_json(fault.model_dump(mode="json"))
        return
    render.fault_detail(console, fault)


@conditions_app.command("list")
def conditions_list(json_out: JsonOpt = False) -> None:
    """List injuries, risk factors (with evidence strength) and red flags."""
    kb = load_kb()
    if json_out:
        print_json(
            {
                "conditions": [c.model_dump(mode="json") for c in kb.conditions.values()],
                "risk_factors": [r.model_dump(mode="json") for r in kb.risk_factors.values()],
                "red_flags": [r.model_dump(mode="json") for r in kb.red_flags.values()],
            }
        )
        return
    render.conditions_overview(console, kb)


@refs_app.command("list")
def refs_list(json_out: JsonOpt = False) -> None:
    """List every reference."""
    kb = load_kb()
    if json_out:
        print_json([r.model_dump(mode="json") for r in kb.references.values()])
        return
    for ref in sorted(kb.references.values(), key=lambda r: r.key):
        console.print(f"[bold]{ref.key}[/]  {ref.citation()}", highlight=False)


@refs_app.command("show")
def refs_show(
    key: Annotated[str, typer.Argument(help="Reference key, e.g. bramah2018.")], json_out: JsonOpt = False
) -> None:
    """One reference in full, and what in the knowledge base cites it."""
    kb = load_kb()
    ref = lookup(kb.references, key, "reference", "refs list")
    if json_out:
        print_json(ref.model_dump(mode="json"))
        return
    render.reference_detail(console, kb, ref)


def register(app: typer.Typer) -> None:
    app.add_typer(exercises_app, name="exercises")
    app.add_typer(muscles_app, name="muscles")
    app.add_typer(tests_app, name="tests")
    app.add_typer(faults_app, name="faults")
    app.add_typer(conditions_app, name="conditions")
    app.add_typer(refs_app, name="refs")
