"""The dose of one exercise and the steps between doses (the progress log's dose model).

The program JSON is read into a :class:`ProgramContext` (catalogue, rules, targets, phases and each program
item's starting dose). A dose is clamped into the exercise catalogue's ranges (sets,
reps or hold seconds); :func:`next_dose` moves it one step up or down following progression.yaml's ladders
and load steps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from glutemed.core.progression import Action, LadderStep, ProgressionRules, Target
from glutemed.knowledge.loader import KnowledgeBase, knowledge_base
from glutemed.knowledge.models import Exercise
from glutemed.knowledge.rules import Rules, bundled_rules
from glutemed.services.program import targets

__all__ = [
    "Dose",
    "ProgramContext",
    "Step",
    "catalogue_exercise",
    "clamp",
    "default_dose",
    "dose_from_item",
    "dose_json",
    "next_dose",
    "program_context",
]


@dataclass(frozen=True)
class Dose:
    """What the runner does next session. Exactly one of ``reps_range`` and ``hold_s_range`` is set.

    ``reps_range`` is the range to work in: the low end is the target, the high end the exercise's top (every
    set at the top earns a progression). ``step_label`` is the ladder rung (progression.yaml) or "".
    """

    sets: int
    reps_range: tuple[int, int] | None = None
    hold_s_range: tuple[int, int] | None = None
    load_kg: float = 0.0
    step_label: str = ""
    per_side: bool = False  # the catalogue's dose is for each side (single-leg work)

    def text(self) -> str:
        sets = f"{self.sets} set{'s' if self.sets != 1 else ''}"
        if self.reps_range is not None:
            low, high = self.reps_range
            what = f"{sets} of {low} reps" if low == high else f"{sets} of {low} to {high} reps"
            what += " each side" if self.per_side else ""
        elif self.hold_s_range is not None:
            low, high = self.hold_s_range
            span = f"{low} seconds" if low == high else f"{low} to {high} seconds"
            what = f"{sets}, holding {span} each" + (" side" if self.per_side else "")
        else:
            what = sets
        weight = f"{self.load_kg:g} kg added weight" if self.load_kg > 0 else "no added weight"
        out = f"{what}, {weight}"
        return f"{out} ({self.step_label})" if self.step_label else out


@dataclass(frozen=True)
class ProgramContext:
    """The program JSON read against the catalogue and the rules: targets, phases and starting doses."""

    kb: KnowledgeBase
    rules: Rules
    progression: ProgressionRules
    targets: dict[str, Target]
    program_doses: dict[str, Dose] = field(default_factory=dict)
    program_notes: dict[str, list[str]] = field(
        default_factory=dict
    )  # what clamping moved in the program's dose
    phases: tuple[tuple[str, str, tuple[str, ...]], ...] = ()  # (id, name, exercise ids)


def program_context(program: Mapping[str, Any]) -> ProgramContext:
    kb = knowledge_base()
    rules = bundled_rules()
    if not isinstance(program, Mapping):
        raise ValueError("program: expected the program JSON (a mapping with 'phases')")
    phases_in = program.get("phases", [])
    if program.get("stopped") is not True and not isinstance(phases_in, list):
        raise ValueError("program: 'phases' must be a list of phases")
    ctx = ProgramContext(kb, rules, rules.progression_rules(), targets(kb))
    phases: list[tuple[str, str, tuple[str, ...]]] = []
    for p_index, phase in enumerate(phases_in or []):
        items = phase.get("exercises") if isinstance(phase, Mapping) else None
        if not isinstance(items, list):
            raise ValueError(f"program: phases[{p_index}] has no 'exercises' list")
        ids = []
        for i_index, item in enumerate(items):
            where = f"program: phases[{p_index}].exercises[{i_index}]"
            if not isinstance(item, Mapping) or not isinstance(item.get("exercise_id"), str):
                raise ValueError(f"{where}: needs an 'exercise_id'")
            ex_id = item["exercise_id"]
            ids.append(ex_id)
            if ex_id not in ctx.program_doses:
                dose, notes = dose_from_item(item, catalogue_exercise(ctx, ex_id), ctx, where)
                ctx.program_doses[ex_id] = dose
                if notes:
                    ctx.program_notes[ex_id] = notes
        phases.append((str(phase.get("id", "")), str(phase.get("name", phase.get("id", ""))), tuple(ids)))
    return replace(ctx, phases=tuple(phases))


def catalogue_exercise(ctx: ProgramContext, ex_id: str) -> Exercise:
    ex = ctx.kb.exercises.get(ex_id)
    if ex is None:
        raise ValueError(f"unknown exercise '{ex_id}': it is not in the exercise catalogue")
    return ex


def _int_or(value: Any, default: int | None, where: str, name: str) -> int | None:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise ValueError(f"{where}: '{name}' must be a whole number (got {value!r})")
    return int(value)


def dose_from_item(
    item: Mapping[str, Any], ex: Exercise, ctx: ProgramContext, where: str
) -> tuple[Dose, list[str]]:
    """The starting dose of a program item (its sets and rep or hold target) inside the catalogue's ranges, and
    what had to be moved to get it there."""
    cat = ex.dose
    sets = _int_or(item.get("sets"), cat.sets, where, "sets")
    reps = _int_or(item.get("reps"), cat.reps, where, "reps")
    hold = _int_or(item.get("hold_s"), cat.hold_s, where, "hold_s")
    ladder = ctx.progression.ladders.get(ex.id)
    dose = Dose(
        sets=sets or cat.sets,
        reps_range=(reps, cat.reps_range[1]) if cat.reps_range and reps is not None else None,
        hold_s_range=(hold, cat.hold_s_range[1]) if cat.hold_s_range and hold is not None else None,
        load_kg=0.0,
        step_label=ladder[0].label if ladder else "",
    )
    return clamp(dose, ex, ladder)


def default_dose(ex: Exercise, ctx: ProgramContext) -> Dose:
    return dose_from_item({}, ex, ctx, f"exercise catalogue: {ex.id}")[0]


def _fit(value: int, bounds: tuple[int, int]) -> int:
    return max(bounds[0], min(bounds[1], value))


def clamp(dose: Dose, ex: Exercise, ladder: tuple[LadderStep, ...] | None) -> tuple[Dose, list[str]]:
    """The dose inside the catalogue's ranges; the notes say what had to be moved."""
    cat = ex.dose
    notes: list[str] = []
    sets = _fit(dose.sets, cat.sets_range)
    if sets != dose.sets:
        notes.append(f"sets kept within {cat.sets_range[0]}-{cat.sets_range[1]}")
    reps = hold = None
    if cat.reps_range is not None:
        low = _fit(dose.reps_range[0] if dose.reps_range else cat.reps_range[0], cat.reps_range)
        reps = (low, cat.reps_range[1])
        if dose.reps_range != reps:
            notes.append(f"reps kept within {cat.reps_range[0]}-{cat.reps_range[1]}")
    if cat.hold_s_range is not None:
        low = _fit(dose.hold_s_range[0] if dose.hold_s_range else cat.hold_s_range[0], cat.hold_s_range)
        hold = (low, cat.hold_s_range[1])
        if dose.hold_s_range != hold:
            notes.append(f"hold kept within {cat.hold_s_range[0]}-{cat.hold_s_range[1]} seconds")
    load = max(0.0, dose.load_kg)
    label = dose.step_label
    if ladder:
        if label not in {s.label for s in ladder}:
            label = ladder[0].label
            notes.append("ladder step reset to the first rung")
    elif label:
        label = ""
    return Dose(sets, reps, hold, load, label, per_side=cat.per_side), notes


def _rung(dose: Dose, ladder: tuple[LadderStep, ...]) -> int:
    for index, step in enumerate(ladder):
        if step.label == dose.step_label:
            return index
    return 0


def _with_low(dose: Dose, low: int) -> Dose:
    if dose.reps_range is not None:
        return replace(dose, reps_range=(low, dose.reps_range[1]))
    if dose.hold_s_range is not None:
        return replace(dose, hold_s_range=(low, dose.hold_s_range[1]))
    return dose


def _range(ex: Exercise) -> tuple[int, int] | None:
    return ex.dose.reps_range or ex.dose.hold_s_range


def _low(dose: Dose) -> int | None:
    span = dose.reps_range or dose.hold_s_range
    return span[0] if span else None


def _load_up(load: float, pct: tuple[float, float]) -> float:
    """The load after one step: the top of the load_increase_pct band, kept to 0.05 kg and inside the band."""
    low_pct, high_pct = pct
    new = int(load * (1 + high_pct / 100) * 20) / 20
    if (new - load) / load * 100 < low_pct:
        new = round(load * (1 + low_pct / 100), 3)
    return new


Step = tuple[Dose, str, tuple[str, ...]]


def _bottom(dose: Dose, ex: Exercise) -> Dose:
    span = _range(ex)
    return _with_low(dose, span[0]) if span else dose


def _rung_up(dose: Dose, ex: Exercise, ctx: ProgramContext) -> Step | None:
    ladder = ctx.progression.ladders.get(ex.id)
    if not ladder or _rung(dose, ladder) + 1 >= len(ladder):
        return None
    step = ladder[_rung(dose, ladder) + 1]
    after = _bottom(replace(dose, step_label=step.label, load_kg=max(dose.load_kg, step.added_load_kg)), ex)
    return (
        after,
        f"up one rung: {step.label}, back to the bottom of the range",
        ctx.progression.ladder_refs[ex.id],
    )


def _more_load(dose: Dose, ex: Exercise, ctx: ProgramContext) -> Step | None:
    if dose.load_kg <= 0:
        return None
    new = _load_up(dose.load_kg, ctx.progression.load_increase_pct)
    pct = (new - dose.load_kg) / dose.load_kg * 100
    return (
        _bottom(replace(dose, load_kg=new), ex),
        f"add {pct:.0f}% weight ({dose.load_kg:g} kg to {new:g} kg), back to the bottom of the range",
        ctx.progression.load_refs,
    )


def _target_up(dose: Dose, ex: Exercise, _ctx: ProgramContext) -> Step | None:
    span, low = _range(ex), _low(dose)
    if span is None or low is None or low >= span[1]:
        return None
    return _with_low(dose, span[1]), "target moved up to the top of the range", ()


def _set_up(dose: Dose, ex: Exercise, _ctx: ProgramContext) -> Step | None:
    if dose.sets >= ex.dose.sets_range[1]:
        return None
    return replace(dose, sets=dose.sets + 1), "one more set", ()


def _rung_down(dose: Dose, ex: Exercise, ctx: ProgramContext) -> Step | None:
    ladder = ctx.progression.ladders.get(ex.id)
    if not ladder or _rung(dose, ladder) == 0:
        return None
    step = ladder[_rung(dose, ladder) - 1]
    after = _bottom(replace(dose, step_label=step.label, load_kg=min(dose.load_kg, step.added_load_kg)), ex)
    return after, f"back one rung: {step.label}, bottom of the range", ctx.progression.ladder_refs[ex.id]


def _no_load(dose: Dose, ex: Exercise, ctx: ProgramContext) -> Step | None:
    if dose.load_kg <= 0:
        return None
    after = _bottom(replace(dose, load_kg=0.0), ex)
    return after, "added weight removed, bottom of the range", ctx.progression.pain_refs


def _target_down(dose: Dose, ex: Exercise, ctx: ProgramContext) -> Step | None:
    span, low = _range(ex), _low(dose)
    if span is None or low is None or low <= span[0]:
        return None
    return _with_low(dose, span[0]), "back to the bottom of the range", ctx.progression.pain_refs


def _set_down(dose: Dose, ex: Exercise, ctx: ProgramContext) -> Step | None:
    if dose.sets <= ex.dose.sets_range[0]:
        return None
    return replace(dose, sets=dose.sets - 1), "one set fewer", ctx.progression.pain_refs


# Tried in order; the first that applies is the step. Progress: ladder, load, rep target, sets. Regress the
# reverse way: ladder, load, rep target, sets.
_PROGRESS_STEPS = (_rung_up, _more_load, _target_up, _set_up)
_REGRESS_STEPS = (_rung_down, _no_load, _target_down, _set_down)


def _names(ids: Sequence[str], ctx: ProgramContext) -> str:
    """Catalogue names, lower-cased for a sentence, joined with "or"."""
    names = [ctx.kb.exercises[i].name.lower() if i in ctx.kb.exercises else i for i in ids]
    return " or ".join(names)


def next_dose(dose: Dose, action: Action, ex: Exercise, ctx: ProgramContext) -> Step:
    """The dose after ``action``, what changed in words, and the sources of that step."""
    if action == "hold":
        return dose, "same dose next session", ()
    steps = _PROGRESS_STEPS if action == "progress" else _REGRESS_STEPS
    for step in steps:
        result = step(dose, ex, ctx)
        if result is not None:
            return result
    if action == "progress":
        other = _names(ex.progressions, ctx)
        tail = f"; a harder version is {other} (ask your clinician)" if other else ""
        return dose, f"already at the top of this exercise's ranges, so the dose stays{tail}", ()
    other = _names(ex.regressions, ctx)
    tail = f"; an easier version is {other} (ask your clinician)" if other else ""
    return dose, f"already the easiest dose in this exercise's ranges{tail}", ctx.progression.pain_refs


def dose_json(dose: Dose) -> dict[str, Any]:
    return {
        "sets": dose.sets,
        "reps_range": list(dose.reps_range) if dose.reps_range else None,
        "hold_s_range": list(dose.hold_s_range) if dose.hold_s_range else None,
        "load_kg": dose.load_kg,
        "step_label": dose.step_label,
        "text": dose.text(),
    }
