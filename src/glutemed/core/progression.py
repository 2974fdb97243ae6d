"""Progress, hold or regress each exercise from the runner's own set logs and pain (rules passed in).

The pain rules follow the pain-monitoring model (silbernagel2007): pain during exercise is tolerated up to a
limit, and pain must settle back to its baseline by the next morning. Numbers come in as
:class:`ProgressionRules`; the services read them from ``knowledge/data/rules/progression.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Action = Literal["progress", "hold", "regress"]
UNSUPPORTED = frozenset({"none", "unsupported"})


@dataclass(frozen=True)
class SetLog:
    reps: int | None = None
    load_kg: float = 0.0
    hold_s: float | None = None
    support: str = "none"  # "none"/"unsupported", or what was held: "hand", "rail", "wall", "supported"
    rpe: float | None = None
    pain_during_0_10: float = 0.0

    @property
    def supported(self) -> bool:
        return self.support not in UNSUPPORTED


@dataclass(frozen=True)
class ExerciseLog:
    exercise_id: str
    sets: tuple[SetLog, ...]
    pain_next_morning_0_10: float | None = None
    baseline_pain_0_10: float = 0.0

    @property
    def max_pain_0_10(self) -> float:
        return max((s.pain_during_0_10 for s in self.sets), default=0.0)

    @property
    def settled(self) -> bool | None:
        if self.pain_next_morning_0_10 is None:
            return None
        return self.pain_next_morning_0_10 <= self.baseline_pain_0_10


@dataclass(frozen=True)
class SessionLog:
    date: str  # ISO date
    exercises: tuple[ExerciseLog, ...]


@dataclass(frozen=True)
class LadderStep:
    supported: bool
    added_load_kg: float
    label: str


@dataclass(frozen=True)
class ProgressionRules:
    progress_max_pain_0_10: float
    regress_above_pain_0_10: float
    load_increase_pct: tuple[float, float]
    pain_refs: tuple[str, ...]
    load_refs: tuple[str, ...]
    ladders: dict[str, tuple[LadderStep, ...]] = field(default_factory=dict)
    ladder_refs: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Target:
    """The rep or hold range the exercise is dosed in, with its easier and harder variants."""

    reps_range: tuple[int, int] | None = None
    hold_s_range: tuple[int, int] | None = None
    regressions: tuple[str, ...] = ()
    progressions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    exercise_id: str
    action: Action
    reason: str
    next_step: str
    refs: tuple[str, ...]


def at_top(log: ExerciseLog, target: Target) -> bool:
    """Every set reached the top of the rep range (or of the hold range)."""
    if not log.sets:
        return False
    if target.reps_range is not None:
        return all((s.reps or 0) >= target.reps_range[1] for s in log.sets)
    if target.hold_s_range is not None:
        return all((s.hold_s or 0) >= target.hold_s_range[1] for s in log.sets)
    return False


def ladder_rung(log: ExerciseLog, ladder: tuple[LadderStep, ...]) -> int:
    """Index of the rung the logged sets were done on (the hardest rung that matches the last set)."""
    last = log.sets[-1]
    best = 0
    for index, step in enumerate(ladder):
        if step.supported == last.supported and last.load_kg >= step.added_load_kg:
            best = index
    return best


def _ladder_step(
    action: Action, log: ExerciseLog, ladder: tuple[LadderStep, ...], refs: tuple[str, ...]
) -> tuple[str, tuple[str, ...]] | None:
    rung = ladder_rung(log, ladder)
    if action == "progress":
        if rung + 1 < len(ladder):
            return f"next rung: {ladder[rung + 1].label}", refs
        return None  # top rung reached: fall back to the general load rule
    if action == "regress" and rung > 0:
        return f"back one rung: {ladder[rung - 1].label}", refs
    return f"stay on: {ladder[rung].label}", refs


def _next_step(
    action: Action, log: ExerciseLog, target: Target, rules: ProgressionRules
) -> tuple[str, tuple[str, ...]]:
    ladder = rules.ladders.get(log.exercise_id)
    if ladder and log.sets:
        step = _ladder_step(action, log, ladder, rules.ladder_refs.get(log.exercise_id, ()))
        if step is not None:
            return step
    low, high = rules.load_increase_pct
    if action == "progress":
        harder = f"move on to {', '.join(target.progressions)} or " if target.progressions else ""
        return f"{harder}add {low:g}-{high:g}% load and restart at the bottom of the range", rules.load_refs
    if action == "regress":
        easier = f"step back to {', '.join(target.regressions)}, or " if target.regressions else ""
        return f"{easier}drop to the bottom of the range and remove any added load", rules.pain_refs
    return "repeat the same dose next session", ()


def decide(log: ExerciseLog, target: Target, rules: ProgressionRules) -> Decision:
    pain = log.max_pain_0_10
    settled = log.settled
    top = at_top(log, target)
    if pain > rules.regress_above_pain_0_10 or settled is False:
        parts = []
        if pain > rules.regress_above_pain_0_10:
            parts.append(f"pain {pain:g}/10 during sets is above {rules.regress_above_pain_0_10:g}/10")
        if settled is False:
            parts.append(
                f"next-morning pain {log.pain_next_morning_0_10:g}/10 had not settled "
                f"to the baseline {log.baseline_pain_0_10:g}/10"
            )
        action: Action = "regress"
        reason = "; ".join(parts)
    elif top and pain <= rules.progress_max_pain_0_10 and settled is True:
        action = "progress"
        reason = (
            f"every set at the top of the range, pain {pain:g}/10 (limit {rules.progress_max_pain_0_10:g}/10) "
            "and settled by the next morning"
        )
    else:
        action = "hold"
        missing = []
        if not top:
            missing.append("not every set reached the top of the range")
        if pain > rules.progress_max_pain_0_10:
            missing.append(f"pain {pain:g}/10 is above {rules.progress_max_pain_0_10:g}/10")
        if settled is None:
            missing.append("next-morning pain not logged yet")
        reason = "; ".join(missing)
    step, step_refs = _next_step(action, log, target, rules)
    refs = tuple(dict.fromkeys((*rules.pain_refs, *step_refs)))
    return Decision(log.exercise_id, action, reason, step, refs)


def decide_session(
    session: SessionLog, targets: dict[str, Target], rules: ProgressionRules
) -> list[Decision]:
    return [decide(log, targets.get(log.exercise_id, Target()), rules) for log in session.exercises]


def phase_ready(decisions: list[Decision], phase_exercises: tuple[str, ...]) -> tuple[bool, str]:
    """A phase is done when every one of its exercises earned 'progress'; then re-test before moving on."""
    by_id = {d.exercise_id: d.action for d in decisions}
    waiting = [ex for ex in phase_exercises if by_id.get(ex) != "progress"]
    if waiting:
        return False, f"stay in this phase: {', '.join(waiting)} not yet progressing"
    return (
        True,
        "every exercise of the phase is progressing: re-test the clinical tests before the next phase",
    )
