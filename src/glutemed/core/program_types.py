"""The plain data the program builder works on and returns: views of the knowledge base, rules, request, program.

The services layer converts the pydantic models of the knowledge base into these views; core never reads files.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from glutemed.core.findings import GaitFault, GaitGap
from glutemed.core.gait_answers import CueConflict, CueRule, GaitAnswer, RunningCue
from glutemed.core.pre_run import PreRunStage, RoutineItemView

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
    regressions: tuple[str, ...] = ()
    progressions: tuple[str, ...] = ()

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
    # Findings whose avoid rules and isometric start also apply while they are undetermined (not ruled out).
    not_ruled_out: tuple[str, ...] = ()
    not_ruled_out_note: str = ""
    not_ruled_out_refs: tuple[str, ...] = ()
    cue_conflicts: tuple[CueConflict, ...] = ()


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
    undetermined: tuple[str, ...] = ()  # ids of findings that are undetermined (not ruled out)
    gait_gaps: tuple[GaitGap, ...] = ()  # faults the recording could not judge


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
    conditions: tuple[str, ...] = ()  # condition ids the exercise is marked 'avoid' for
    load_tags: tuple[str, ...] = ()  # the load tags that clash with the runner's avoid list
    rule_reasons: tuple[str, ...] = ()  # the avoid rules' own reasons, in words


@dataclass(frozen=True)
class Program:
    phases: tuple[Phase, ...]
    pre_run: tuple[RoutineItemView, ...]
    running_cues: tuple[RunningCue, ...]
    avoided: tuple[Avoided, ...]
    avoid_tags: tuple[str, ...]
    calendar: tuple[tuple[str, ...], ...]  # Monday..Sunday, what to do that day
    notes: tuple[str, ...] = field(default=())
    pre_run_by_phase: tuple[PreRunStage, ...] = ()  # the routine that applies while each phase is current
    gait_answers: tuple[GaitAnswer, ...] = ()  # what the program does about each flagged/borderline fault
    gait_gaps: tuple[GaitGap, ...] = ()  # faults not judged: gaps with filming advice, never "no fault"
    precautions: tuple[str, ...] = ()  # safety choices made while a condition is not ruled out
    precaution_refs: tuple[str, ...] = ()  # the references behind them
