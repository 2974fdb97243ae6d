"""Build a staged gluteus medius program from findings, equipment and time. Every choice says why.

Works on plain views of the knowledge base (:class:`ExerciseView`, :class:`ConditionView`); the services
layer converts the pydantic models. Order of the phases follows the staged approach of the functional-anatomy
guide (kingofthegym2023): release and stretch the inhibitors, activate, strengthen in isolation, stabilise in
compound single-leg work, then motor control and running, then maintenance.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from glutemed.core.findings import GaitFault

ALWAYS_AT_HAND = frozenset({"none", "mat", "wall", "chair"})


@dataclass(frozen=True)
class DoseView:
    sets: int
    sets_range: tuple[int, int]
    per_side: bool
    rest_s: int
    sessions_per_week: int
    sessions_per_week_range: tuple[int, int]
    reps: int | None = None
    reps_range: tuple[int, int] | None = None
    hold_s: int | None = None
    hold_s_range: tuple[int, int] | None = None
    tempo: str | None = None


@dataclass(frozen=True)
class ExerciseView:
    id: str
    name: str
    stage: str
    equipment: tuple[str, ...]
    dose: DoseView
    load_tags: tuple[str, ...] = ()
    avoid_for: tuple[str, ...] = ()  # condition ids with a caution at level "avoid"
    gmed_emg_pct: float | None = None
    gmed_emg_ref: str | None = None
    tfl_index: float | None = None
    tfl_ref: str | None = None
    sources: tuple[str, ...] = ()

    @property
    def isometric(self) -> bool:
        return self.dose.hold_s is not None


@dataclass(frozen=True)
class ConditionView:
    id: str
    avoid_load_tags: tuple[str, ...]


@dataclass(frozen=True)
class AvoidRule:
    finding: str
    load_tags: tuple[str, ...]
    reason: str
    refs: tuple[str, ...]


@dataclass(frozen=True)
class CueRule:
    id: str
    faults: tuple[str, ...]
    cue: str
    refs: tuple[str, ...]
    cadence_increase_pct: tuple[float, float] | None = None


@dataclass(frozen=True)
class ProgrammingRules:
    avoid: tuple[AvoidRule, ...]
    cues: tuple[CueRule, ...]
    isometric_first_findings: tuple[str, ...]
    isometric_first_reason: str
    isometric_first_refs: tuple[str, ...]
    strength_reps: tuple[int, int]
    strength_sessions_per_week: tuple[int, int]
    strength_refs: tuple[str, ...]
    activation_refs: tuple[str, ...]
    stage_order_refs: tuple[str, ...]
    max_exercises_per_phase: int
    seconds_per_rep: float  # planning estimate for fitting minutes, not evidence


@dataclass(frozen=True)
class RoutineItemView:
    exercise_id: str
    dose: str
    why: str


@dataclass(frozen=True)
class ProgramRequest:
    conditions: tuple[str, ...]  # suspected or diagnosed condition ids
    findings: tuple[str, ...]  # ids of findings that are present
    gait_faults: tuple[str, ...]
    equipment: tuple[str, ...]
    sessions_per_week: int
    minutes_per_session: float
    cadence_spm: float | None = None
    gait: tuple[GaitFault, ...] = ()  # the analyzer's flagged and borderline faults, per leg


@dataclass(frozen=True)
class Prescription:
    exercise_id: str
    name: str
    sets: int
    per_side: bool
    rest_s: int
    sessions_per_week: int
    minutes: float
    why: str
    refs: tuple[str, ...]
    reps: int | None = None
    hold_s: int | None = None
    tempo: str | None = None


@dataclass(frozen=True)
class Phase:
    id: str
    name: str
    stages: tuple[str, ...]
    exercises: tuple[Prescription, ...]
    why: str
    refs: tuple[str, ...]


@dataclass(frozen=True)
class Avoided:
    exercise_id: str
    reason: str
    refs: tuple[str, ...]


@dataclass(frozen=True)
class RunningCue:
    id: str
    faults: tuple[str, ...]
    cue: str
    why: str
    refs: tuple[str, ...]
    target_cadence_spm: tuple[float, float] | None = None


@dataclass(frozen=True)
class Program:
    phases: tuple[Phase, ...]
    pre_run: tuple[RoutineItemView, ...]
    running_cues: tuple[RunningCue, ...]
    avoided: tuple[Avoided, ...]
    avoid_tags: tuple[str, ...]
    calendar: tuple[tuple[str, ...], ...]  # Monday..Sunday, what to do that day
    notes: tuple[str, ...] = field(default=())


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


def clamp(value: int, bounds: tuple[int, int]) -> int:
    return max(bounds[0], min(bounds[1], value))


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
        return Avoided(ex.id, f"marked 'avoid' for {', '.join(named)}", ex.sources)
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
    return Avoided(ex.id, why, tuple(dict.fromkeys(refs)))


def has_equipment(ex: ExerciseView, equipment: tuple[str, ...]) -> bool:
    return all(item in ALWAYS_AT_HAND or item in equipment for item in ex.equipment)


def rank_key(ex: ExerciseView) -> tuple[float, float, str]:
    """Highest measured gluteus medius EMG first, then the gluteal-to-TFL index; unmeasured last."""
    emg = ex.gmed_emg_pct if ex.gmed_emg_pct is not None else -1.0
    tfl = ex.tfl_index if ex.tfl_index is not None else -1.0
    return (-emg, -tfl, ex.id)


# ------------------------------------------------------------------------------------------- doses


def _seconds_per_rep(dose: DoseView, fallback: float) -> float:
    if dose.tempo:
        return float(sum(int(part) for part in dose.tempo.split("-"))) or fallback
    return fallback


def estimate_minutes(
    dose: DoseView, *, sets: int, reps: int | None, hold_s: int | None, sec_per_rep: float
) -> float:
    sides = 2 if dose.per_side else 1
    work_s = hold_s if hold_s is not None else (reps or 0) * _seconds_per_rep(dose, sec_per_rep)
    bouts = sets * sides
    return (bouts * work_s + max(bouts - 1, 0) * dose.rest_s) / 60.0


def prescribe(
    ex: ExerciseView, phase_id: str, request: ProgramRequest, rules: ProgrammingRules
) -> Prescription:
    """A dose for this phase, always inside the exercise's own ranges."""
    dose = ex.dose
    sets = dose.sets
    reps = dose.reps
    hold_s = dose.hold_s
    sessions = clamp(min(request.sessions_per_week, dose.sessions_per_week), dose.sessions_per_week_range)
    refs = list(ex.sources)
    if phase_id == "activation" and reps is not None and dose.reps_range is not None:
        reps = dose.reps_range[1]
        why_dose = "activation dose: light resistance, the top of the rep range"
        refs += rules.activation_refs
    elif phase_id in {"isolated-strength", "compound-stabiliser", "maintenance"} and reps is not None:
        assert dose.reps_range is not None
        reps = clamp(rules.strength_reps[0], dose.reps_range)
        low, high = rules.strength_sessions_per_week
        sessions = clamp(clamp(request.sessions_per_week, (low, high)), dose.sessions_per_week_range)
        why_dose = (
            f"strength dose: {rules.strength_reps[0]}-{rules.strength_reps[1]} reps taken near fatigue, "
            f"{low}-{high} sessions a week"
        )
        refs += rules.strength_refs
    else:
        why_dose = "the catalogue's default dose"
    if phase_id == "maintenance":
        sessions = dose.sessions_per_week_range[0]
        why_dose += "; maintenance keeps the lowest frequency of the exercise's range"
    emg = (
        f"{ex.gmed_emg_pct:g}% MVIC ({ex.gmed_emg_ref})"
        if ex.gmed_emg_pct is not None
        else "no measured value, so ranked after measured exercises"
    )
    tfl = f"gluteal-to-TFL index {ex.tfl_index:g} ({ex.tfl_ref})" if ex.tfl_index is not None else ""
    measured = ", ".join(part for part in (emg, tfl) if part)
    refs += [r for r in (ex.gmed_emg_ref, ex.tfl_ref) if r]
    minutes = estimate_minutes(dose, sets=sets, reps=reps, hold_s=hold_s, sec_per_rep=rules.seconds_per_rep)
    return Prescription(
        exercise_id=ex.id,
        name=ex.name,
        sets=sets,
        reps=reps,
        hold_s=hold_s,
        per_side=dose.per_side,
        rest_s=dose.rest_s,
        sessions_per_week=sessions,
        tempo=dose.tempo,
        minutes=round(minutes, 1),
        why=f"Ranked by gluteus medius activation: {measured}. {why_dose[0].upper()}{why_dose[1:]}.",
        refs=tuple(dict.fromkeys(refs)),
    )


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
    stages: tuple[str, ...], safe: list[ExerciseView], isometric_only: bool
) -> list[ExerciseView]:
    pool = sorted((ex for ex in safe if ex.stage in stages), key=rank_key)
    if isometric_only:
        holds = [ex for ex in pool if ex.isometric]
        return holds or pool
    return pool


def running_cues(request: ProgramRequest, rules: ProgrammingRules) -> tuple[RunningCue, ...]:
    cues: list[RunningCue] = []
    for rule in rules.cues:
        hit = [fault for fault in rule.faults if fault in request.gait_faults]
        if not hit:
            continue
        target = None
        if rule.cadence_increase_pct is not None and request.cadence_spm is not None:
            low, high = rule.cadence_increase_pct
            target = (
                round(request.cadence_spm * (1 + low / 100)),
                round(request.cadence_spm * (1 + high / 100)),
            )
        cue = rule.cue
        if target is not None:
            cue += f" Target: {target[0]:g}-{target[1]:g} steps/min from {request.cadence_spm:g}."
        why = f"The gait shows {', '.join(hit)}."
        cues.append(RunningCue(rule.id, tuple(hit), cue, why, rule.refs, target))
    return tuple(cues)


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


def build_program(
    exercises: list[ExerciseView],
    conditions: dict[str, ConditionView],
    routine: tuple[RoutineItemView, ...],
    request: ProgramRequest,
    rules: ProgrammingRules,
) -> Program:
    """Phases in the staged order with safe, ranked exercises; the pre-run routine; cues and calendar."""
    avoid_tags = avoid_tags_for(request, conditions, rules)
    safe: list[ExerciseView] = []
    avoided: list[Avoided] = []
    for ex in exercises:
        reason = exclusion_reason(ex, request, avoid_tags, rules)
        if reason is not None:
            avoided.append(reason)
        elif has_equipment(ex, request.equipment):
            safe.append(ex)
    isometric_first = any(f in request.findings for f in rules.isometric_first_findings)
    notes: list[str] = []
    phases: list[Phase] = []
    for phase_id, name, stages, goal in PHASES:
        if isometric_first and phase_id == "release-stretch":
            notes.append(f"No release/stretch phase: {rules.isometric_first_reason}")
            continue
        holds_only = isometric_first and phase_id == "activation"
        items = _fill_phase(_phase_candidates(stages, safe, holds_only), phase_id, request, rules)
        if not items:
            notes.append(f"Phase '{name}': no safe exercise fits the equipment at hand.")
            continue
        why = f"Stage {len(phases) + 1} of the staged order: {goal}."
        refs = rules.stage_order_refs
        if holds_only:
            why += f" Isometric holds first: {rules.isometric_first_reason}"
            refs = (*refs, *rules.isometric_first_refs)
        phases.append(Phase(phase_id, name, stages, tuple(items), why, refs))
    maintenance = [
        prescribe(next(ex for ex in safe if ex.id == item.exercise_id), "maintenance", request, rules)
        for phase in phases
        if phase.id in {"isolated-strength", "compound-stabiliser"}
        for item in phase.exercises[:1]
    ]
    if maintenance:
        why = "Keep the strength once running is pain-free: the best-ranked exercise of each strength phase."
        phases.append(
            Phase("maintenance", "Maintenance", (), tuple(maintenance), why, rules.stage_order_refs)
        )
    safe_ids = {ex.id for ex in safe}
    pre_run = tuple(item for item in routine if item.exercise_id in safe_ids)
    left_out = [item.exercise_id for item in routine if item.exercise_id not in safe_ids]
    if left_out:
        notes.append(
            f"Pre-run routine without {', '.join(left_out)} (unsafe for this runner or no equipment)."
        )
    first = phases[0].name if phases else "none"
    return Program(
        phases=tuple(phases),
        pre_run=pre_run,
        running_cues=running_cues(request, rules),
        avoided=tuple(sorted(avoided, key=lambda a: a.exercise_id)),
        avoid_tags=tuple(sorted(avoid_tags)),
        calendar=weekly_calendar(request.sessions_per_week, first, bool(pre_run)),
        notes=tuple(notes),
    )
