"""Build a staged gluteus medius program from findings, equipment and time. Every choice says why.

Works on plain views of the knowledge base (:class:`ExerciseView`, :class:`ConditionView`); the services
layer converts the pydantic models. Order of the phases follows the staged approach of the functional-anatomy
guide (kingofthegym2023): release and stretch the inhibitors, activate, strengthen in isolation, stabilise in
compound single-leg work, then motor control and running, then maintenance.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

from glutemed.core.dosing import clamp, estimate_minutes, prescribe
from glutemed.core.gait_answers import (
    CueConflict,
    CueRule,
    GaitAnswer,
    RunningCue,
    answering_ids,
    fault_ids,
    gait_answers,
    gap_notes,
    running_cues,
)
from glutemed.core.pre_run import CatalogueEntry, PreRunStage, RoutineItemView, routine_by_phase
from glutemed.core.program_types import (
    ALWAYS_AT_HAND,
    Avoided,
    AvoidRule,
    ConditionView,
    DoseView,
    ExerciseView,
    Phase,
    Prescription,
    Program,
    ProgrammingRules,
    ProgramRequest,
)

# Re-exported: callers build programs from this module alone.
__all__ = [
    "AvoidRule",
    "Avoided",
    "ConditionView",
    "CueConflict",
    "CueRule",
    "DoseView",
    "ExerciseView",
    "GaitAnswer",
    "Phase",
    "PreRunStage",
    "Prescription",
    "Program",
    "ProgramRequest",
    "ProgrammingRules",
    "RoutineItemView",
    "RunningCue",
    "build_program",
    "clamp",
    "estimate_minutes",
    "prescribe",
]

PHASES: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("release-stretch", "Release and stretch", ("release", "stretch"), "quieten the muscles that inhibit it"),
    ("activation", "Activation", ("activation",), "switch the gluteus medius on with light, many-rep work"),
    ("isolated-strength", "Isolated strength", ("isolated-strength",), "build strength as a prime mover"),
    (
        "compound-stabiliser",
        "Compound stabiliser",
        ("compound-stabiliser",),
        "hold the pelvis level on one leg",
    ),
    (
        "motor-control",
        "Motor control and running integration",
        ("motor-control", "running-integration"),
        "carry the control into squats, hops and running",
    ),
)
WEEK_PATTERNS: dict[int, tuple[int, ...]] = {
    1: (0,),
    2: (0, 3),
    3: (0, 2, 4),
    4: (0, 1, 3, 4),
    5: (0, 1, 2, 4, 5),
    6: (0, 1, 2, 3, 4, 5),
    7: (0, 1, 2, 3, 4, 5, 6),
}


# --------------------------------------------------------------------------------------- exclusion


def avoid_tags_for(
    request: ProgramRequest, conditions: dict[str, ConditionView], rules: ProgrammingRules
) -> set[str]:
    tags: set[str] = set()
    for cond_id in request.conditions:
        if cond_id in conditions:
            tags.update(conditions[cond_id].avoid_load_tags)
    for rule in rules.avoid:
        if rule.finding in request.findings:
            tags.update(rule.load_tags)
    return tags


def exclusion_reason(
    ex: ExerciseView, request: ProgramRequest, avoid_tags: set[str], rules: ProgrammingRules
) -> Avoided | None:
    """Why an exercise is unsafe for this runner, or None when it is safe."""
    named = [cond for cond in ex.avoid_for if cond in request.conditions]
    if named:
        return Avoided(ex.id, f"marked 'avoid' for {', '.join(named)}", ex.sources, conditions=tuple(named))
    clash = sorted(set(ex.load_tags) & avoid_tags)
    if not clash:
        return None
    refs: list[str] = []
    reasons: list[str] = []
    for rule in rules.avoid:
        if rule.finding in request.findings and set(rule.load_tags) & set(clash):
            reasons.append(rule.reason)
            refs.extend(rule.refs)
    why = f"loads {', '.join(clash)}" + (f": {' '.join(reasons)}" if reasons else "")
    return Avoided(
        ex.id,
        why,
        tuple(dict.fromkeys(refs)),
        load_tags=tuple(clash),
        rule_reasons=tuple(dict.fromkeys(reasons)),
    )


def has_equipment(ex: ExerciseView, equipment: tuple[str, ...]) -> bool:
    return all(item in ALWAYS_AT_HAND or item in equipment for item in ex.equipment)


def rank_key(ex: ExerciseView) -> tuple[float, float, str]:
    """Highest measured gluteus medius EMG first, then the gluteal-to-TFL index; unmeasured last."""
    emg = ex.gmed_emg_pct if ex.gmed_emg_pct is not None else -1.0
    tfl = ex.tfl_index if ex.tfl_index is not None else -1.0
    return (-emg, -tfl, ex.id)


# ------------------------------------------------------------------------------------------- build


def _fill_phase(
    candidates: list[ExerciseView], phase_id: str, request: ProgramRequest, rules: ProgrammingRules
) -> list[Prescription]:
    chosen: list[Prescription] = []
    used = 0.0
    for ex in candidates:
        if len(chosen) >= rules.max_exercises_per_phase:
            break
        item = prescribe(ex, phase_id, request, rules)
        if chosen and used + item.minutes > request.minutes_per_session:
            continue
        chosen.append(item)
        used += item.minutes
    return chosen


def _phase_candidates(
    stages: tuple[str, ...], safe: list[ExerciseView], isometric_only: bool, first: tuple[str, ...] = ()
) -> list[ExerciseView]:
    """Safe exercises of these stages, best first; ids in ``first`` (they answer a gait fault) lead."""
    order = {ident: index for index, ident in enumerate(first)}
    pool = sorted(
        (ex for ex in safe if ex.stage in stages),
        key=lambda ex: (order.get(ex.id, len(order)), *rank_key(ex)),
    )
    if isometric_only:
        holds = [ex for ex in pool if ex.isometric]
        return holds or pool
    return pool


def weekly_calendar(sessions_per_week: int, first_phase: str, has_runs: bool) -> tuple[tuple[str, ...], ...]:
    days: list[list[str]] = [[] for _ in range(7)]
    for day in WEEK_PATTERNS[clamp(sessions_per_week, (1, 7))]:
        days[day].append(f"gluteus medius session: {first_phase}")
    for entries in days:
        if has_runs:
            entries.append("if running today: pre-run activation routine first")
        if not entries:
            entries.append("rest")
    return tuple(tuple(entries) for entries in days)


# ------------------------------------------------------------------------------------------- build


def not_ruled_out(request: ProgramRequest, rules: ProgrammingRules) -> tuple[str, ...]:
    """Undetermined findings whose precautions apply anyway (e.g. gluteal tendinopathy not ruled out)."""
    return tuple(f for f in request.undetermined if f in rules.not_ruled_out and f not in request.findings)


def _split_safe(
    exercises: list[ExerciseView], request: ProgramRequest, avoid_tags: set[str], rules: ProgrammingRules
) -> tuple[list[ExerciseView], list[Avoided]]:
    safe: list[ExerciseView] = []
    avoided: list[Avoided] = []
    for ex in exercises:
        reason = exclusion_reason(ex, request, avoid_tags, rules)
        if reason is not None:
            avoided.append(reason)
        elif has_equipment(ex, request.equipment):
            safe.append(ex)
    return safe, sorted(avoided, key=lambda a: a.exercise_id)


def _phases(
    safe: list[ExerciseView], request: ProgramRequest, rules: ProgrammingRules, notes: list[str]
) -> list[Phase]:
    isometric_first = any(f in request.findings for f in rules.isometric_first_findings)
    first = answering_ids(fault_ids(request.gait_faults, request.gait), rules.cues)
    phases: list[Phase] = []
    for phase_id, name, stages, goal in PHASES:
        if isometric_first and phase_id == "release-stretch":
            notes.append(f"No release/stretch phase: {rules.isometric_first_reason}")
            continue
        holds_only = isometric_first and phase_id == "activation"
        items = _fill_phase(_phase_candidates(stages, safe, holds_only, first), phase_id, request, rules)
        if not items:
            notes.append(f"Phase '{name}': no safe exercise fits the equipment at hand.")
            continue
        why = f"Stage {len(phases) + 1} of the staged order: {goal}."
        refs = rules.stage_order_refs
        if holds_only:
            why += f" Isometric holds first: {rules.isometric_first_reason}"
            refs = (*refs, *rules.isometric_first_refs)
        answering = [p.name for p in items if p.exercise_id in first]
        if answering:
            why += f" Chosen first because they answer a gait fault: {', '.join(answering)}."
        phases.append(Phase(phase_id, name, stages, tuple(items), why, refs))
    by_id = {ex.id: ex for ex in safe}
    maintenance = [
        prescribe(by_id[item.exercise_id], "maintenance", request, rules)
        for phase in phases
        if phase.id in {"isolated-strength", "compound-stabiliser"}
        for item in phase.exercises[:1]
    ]
    if maintenance:
        why = "Keep the strength once running is pain-free: the best-ranked exercise of each strength phase."
        phases.append(
            Phase("maintenance", "Maintenance", (), tuple(maintenance), why, rules.stage_order_refs)
        )
    return phases


def _catalogue_entry(ex: ExerciseView) -> CatalogueEntry:
    d = ex.dose
    amount = f"{d.reps} repetitions" if d.reps is not None else f"{d.hold_s} s hold"
    dose = f"{d.sets} x {amount}" + (" on each side" if d.per_side else "")
    return CatalogueEntry(ex.id, ex.name, ex.stage, dose, ex.regressions, ex.progressions)


def _pre_run(
    routine: tuple[RoutineItemView, ...],
    phases: list[Phase],
    exercises: list[ExerciseView],
    safe: list[ExerciseView],
    avoided: list[Avoided],
) -> tuple[PreRunStage, ...]:
    catalogue = {ex.id: _catalogue_entry(ex) for ex in exercises}
    ranked = tuple(ex.id for ex in sorted(safe, key=rank_key))
    steps = tuple((p.id, p.name, p.stages) for p in phases) or (("none", "No phase", ("activation",)),)
    return routine_by_phase(
        routine,
        steps,
        catalogue=catalogue,
        safe={ex.id for ex in safe},
        avoided={a.exercise_id: a.reason for a in avoided},
        ranked=ranked,
    )


def _routine_notes(stages: tuple[PreRunStage, ...]) -> list[str]:
    if not stages:
        return []
    first = stages[0]
    notes = [f"Pre-run routine now: {change.exercise_id} {change.reason}." for change in first.changes]
    grows = [s for prev, s in itertools.pairwise(stages) if s.items != prev.items]
    if grows:
        notes.append(
            "The pre-run routine grows as phases close: "
            + "; ".join(f"from {s.phase_name}: {', '.join(i.exercise_id for i in s.items)}" for s in grows)
            + "."
        )
    return notes


def _precautions(request: ProgramRequest, rules: ProgrammingRules) -> tuple[str, ...]:
    open_ = not_ruled_out(request, rules)
    if not open_:
        return ()
    return (
        f"{', '.join(open_)} not ruled out: {rules.not_ruled_out_note} "
        f"(refs: {', '.join(rules.not_ruled_out_refs)})",
    )


def build_program(
    exercises: list[ExerciseView],
    conditions: dict[str, ConditionView],
    routine: tuple[RoutineItemView, ...],
    request: ProgramRequest,
    rules: ProgrammingRules,
) -> Program:
    """Phases in the staged order with safe, ranked exercises; the pre-run routine; cues, gait answers, calendar.

    A finding listed in ``rules.not_ruled_out`` counts as present for the avoid rules and the isometric start
    while it is undetermined: what is withheld once it is present is withheld until it is ruled out.
    """
    precautions = _precautions(request, rules)
    request = replace(request, findings=(*request.findings, *not_ruled_out(request, rules)))
    avoid_tags = avoid_tags_for(request, conditions, rules)
    safe, avoided = _split_safe(exercises, request, avoid_tags, rules)
    notes: list[str] = list(precautions)
    phases = _phases(safe, request, rules, notes)
    by_phase = _pre_run(routine, phases, exercises, safe, avoided)
    notes.extend(_routine_notes(by_phase))
    faults = fault_ids(request.gait_faults, request.gait)
    cues, cue_notes = running_cues(faults, request.cadence_spm, rules.cues, rules.cue_conflicts)
    notes.extend(cue_notes)
    notes.extend(gap_notes(request.gait_gaps))
    where: dict[str, str] = {}
    for phase in phases:
        for item in phase.exercises:
            where.setdefault(item.exercise_id, f"{item.name} ({phase.name} phase)")
    pre_run = by_phase[0].items if by_phase else ()
    first = phases[0].name if phases else "none"
    return Program(
        phases=tuple(phases),
        pre_run=pre_run,
        running_cues=cues,
        avoided=tuple(avoided),
        avoid_tags=tuple(sorted(avoid_tags)),
        calendar=weekly_calendar(request.sessions_per_week, first, bool(pre_run)),
        notes=tuple(notes),
        pre_run_by_phase=by_phase,
        gait_answers=gait_answers(request.gait, cues, rules.cues, where),
        gait_gaps=request.gait_gaps,
        precautions=precautions,
        precaution_refs=rules.not_ruled_out_refs if precautions else (),
    )
