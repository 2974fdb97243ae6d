"""The week-by-week plan: how long each phase should take, on which days, what to do each day, when to move on.

Pure: it works on the built :class:`~glutemed.core.program_types.Program`, each exercise's dose ranges, the
progression rules (:class:`~glutemed.core.progression.ProgressionRules`) and the runner's week.

How long a phase is expected to take. The progression rules (``knowledge/data/rules/progression.yaml``) move an
exercise on once every set reaches the top of its range with pain within the limit and settled by the next
morning. The rules do not say how fast a runner climbs inside the range, so the plan assumes a step per session
(:class:`PlanDefaults`, glutemed defaults, not evidence): one more repetition per set, or 5 s more per hold (a
sixth of the climb, rounded up to 5 s, for long holds and drills such as 2 to 5 minutes of cued running). An
exercise that starts at ``start`` then needs ``ceil((top - start) / step) + 1`` sessions: the climbing sessions
and the session at the top that earns 'progress'. A phase lasts as long as its slowest exercise at that
exercise's sessions a week, and never less than ``min_weeks_per_phase`` (another glutemed default). These are
expectations, not deadlines: the runner moves on when the rule says so, earlier or later.

Days. Gluteus medius sessions fall on the programme's weekly pattern for the phase's sessions a week
(``programming.WEEK_PATTERNS``: three sessions are Monday, Wednesday and Friday); an exercise done fewer times a
week takes an even spread of those days. Running days come from the runner's own days when given, otherwise from
:data:`RUN_PATTERNS` for their runs a week (a glutemed default the runner is asked to change). On a running day
the pre-run routine of the current phase comes first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from glutemed.core.dosing import clamp
from glutemed.core.pre_run import RoutineItemView
from glutemed.core.program_types import DoseView, Phase, Prescription, Program
from glutemed.core.programming import WEEK_PATTERNS
from glutemed.core.progression import ProgressionRules

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SESSION_PATTERNS = WEEK_PATTERNS  # the same session days as the program's weekly calendar
# glutemed default running days when the runner gave none: spread out, the longest gap before the weekend run.
RUN_PATTERNS: dict[int, tuple[int, ...]] = {
    0: (),
    1: (5,),
    2: (2, 5),
    3: (1, 3, 5),
    4: (1, 3, 5, 6),
    5: (0, 1, 3, 5, 6),
    6: (0, 1, 2, 3, 5, 6),
    7: (0, 1, 2, 3, 4, 5, 6),
}
ONGOING = frozenset({"maintenance"})

Unit = Literal["reps", "s"]


@dataclass(frozen=True)
class PlanDefaults:
    """glutemed's own planning assumptions (no source prescribes them); every plan states them."""

    reps_step: int = 1  # one more repetition per set each session while the pain rules allow
    hold_step_s: int = 5  # five seconds more per hold each session ...
    hold_climb_sessions: int = 6  # ... or a sixth of the climb (rounded up to 5 s) when that is more
    min_weeks_per_phase: int = 2  # no phase shorter than this, however fast the numbers climb
    ongoing_weeks: int = 4  # weeks of an ongoing phase (maintenance) written into the plan before a review


@dataclass(frozen=True)
class PhaseExitView:
    """A phase's exit rule from progression.yaml, with the re-tests named for people."""

    criteria: tuple[str, ...] = ()
    retest: tuple[str, ...] = ()  # names of the clinical tests to repeat before moving on


@dataclass(frozen=True)
class Climb:
    """One exercise's expected climb from its starting dose to the top of its range."""

    exercise_id: str
    name: str
    unit: Unit
    sets: int
    per_side: bool
    start: int
    top: int
    step: int
    sessions: int  # sessions to reach the top and earn 'progress'
    sessions_per_week: int
    weeks: int

    def at_session(self, number: int) -> int:
        """The expected reps (or seconds) at session ``number`` (1-based), never above the top."""
        return min(self.top, self.start + max(number - 1, 0) * self.step)

    def at_week_end(self, week: int) -> int:
        return self.at_session(week * self.sessions_per_week)


@dataclass(frozen=True)
class PlanDay:
    weekday: int  # 0 = Monday
    exercises: tuple[Prescription, ...]  # the gluteus medius session; empty on other days
    run: bool
    pre_run: tuple[RoutineItemView, ...]  # before the run, on running days

    @property
    def name(self) -> str:
        return WEEKDAYS[self.weekday]

    @property
    def rest(self) -> bool:
        return not self.exercises and not self.run


@dataclass(frozen=True)
class PhasePlan:
    phase_id: str
    name: str
    number: int  # 1-based position in the plan
    first_week: int  # 1-based week of the whole plan
    weeks: int
    ongoing: bool  # maintenance: keeps going after the weeks written here
    climbs: tuple[Climb, ...]
    days: tuple[PlanDay, ...]  # Monday..Sunday
    move_on: tuple[str, ...]  # the rule to move on, in plain words
    step_back: str
    retest: tuple[str, ...] = ()
    criteria: tuple[str, ...] = ()

    @property
    def last_week(self) -> int:
        return self.first_week + self.weeks - 1

    @property
    def session_days(self) -> tuple[PlanDay, ...]:
        return tuple(day for day in self.days if day.exercises)

    @property
    def run_days(self) -> tuple[PlanDay, ...]:
        return tuple(day for day in self.days if day.run)


@dataclass(frozen=True)
class PlanWeek:
    number: int
    phase: PhasePlan
    week_in_phase: int
    aims: tuple[tuple[Climb, int], ...]  # each exercise with the reps (or seconds) to reach by the week's end


@dataclass(frozen=True)
class Plan:
    phases: tuple[PhasePlan, ...]
    sessions_per_week: int
    run_days: tuple[int, ...]
    run_days_given: bool  # False: the running days are the glutemed default pattern
    assumptions: tuple[str, ...] = field(default=())

    @property
    def total_weeks(self) -> int:
        return sum(p.weeks for p in self.phases)

    def weeks(self) -> tuple[PlanWeek, ...]:
        out: list[PlanWeek] = []
        for phase in self.phases:
            for offset in range(phase.weeks):
                aims = tuple((c, c.at_week_end(offset + 1)) for c in phase.climbs)
                out.append(PlanWeek(phase.first_week + offset, phase, offset + 1, aims))
        return tuple(out)


# ------------------------------------------------------------------------------------------- climbing


def climb(p: Prescription, dose: DoseView | None, defaults: PlanDefaults) -> Climb:
    """The expected climb of one prescription through its exercise's range (see the module docstring)."""
    if dose is None:  # an exercise without a known range stays at its dose
        dose = DoseView(p.sets, (p.sets, p.sets), p.per_side, p.rest_s, p.sessions_per_week, (1, 7))
    if p.reps is not None and dose.reps_range is not None:
        unit: Unit = "reps"
        start, top, step = p.reps, dose.reps_range[1], defaults.reps_step
    elif p.hold_s is not None and dose.hold_s_range is not None:
        unit = "s"
        start, top = p.hold_s, dose.hold_s_range[1]
        share = math.ceil(max(top - start, 0) / defaults.hold_climb_sessions / 5) * 5
        step = max(defaults.hold_step_s, share)
    else:  # a dose without a range cannot climb: one session at it earns 'progress'
        unit = "reps" if p.reps is not None else "s"
        start = top = p.reps if p.reps is not None else (p.hold_s or 0)
        step = 1
    sessions = math.ceil(max(top - start, 0) / step) + 1
    per_week = max(p.sessions_per_week, 1)
    return Climb(
        exercise_id=p.exercise_id,
        name=p.name,
        unit=unit,
        sets=p.sets,
        per_side=p.per_side,
        start=start,
        top=top,
        step=step,
        sessions=sessions,
        sessions_per_week=per_week,
        weeks=math.ceil(sessions / per_week),
    )


def spread(days: tuple[int, ...], count: int) -> tuple[int, ...]:
    """``count`` of ``days``, evenly spread from the first to the last (Mon/Wed/Fri, twice: Mon and Fri)."""
    if count >= len(days):
        return days
    if count <= 1:
        return days[:count]
    last = len(days) - 1
    return tuple(days[round(i * last / (count - 1))] for i in range(count))


def run_days_for(runs_per_week: int, given: tuple[int, ...] = ()) -> tuple[int, ...]:
    if given:
        return tuple(sorted(set(given)))
    return RUN_PATTERNS[clamp(runs_per_week, (0, 7))]


def _days(
    phase: Phase, run_days: tuple[int, ...], pre_run: tuple[RoutineItemView, ...]
) -> tuple[PlanDay, ...]:
    most = max((p.sessions_per_week for p in phase.exercises), default=0)
    pattern = SESSION_PATTERNS.get(clamp(most, (1, 7)), ()) if most else ()
    on: dict[int, list[Prescription]] = {day: [] for day in range(7)}
    for p in phase.exercises:
        for day in spread(pattern, max(p.sessions_per_week, 1)):
            on[day].append(p)
    return tuple(
        PlanDay(day, tuple(on[day]), day in run_days, pre_run if day in run_days else ()) for day in range(7)
    )


# ------------------------------------------------------------------------------------------- words


def amount(value: int, unit: Unit) -> str:
    return f"{value} reps" if unit == "reps" else f"{value} s"


def dose_words(p: Prescription) -> str:
    """'3 x 12 reps on each side, rest 45 s' — a prescription as the runner reads it."""
    work = f"{p.reps} reps" if p.reps is not None else f"{p.hold_s} s hold"
    side = " on each side" if p.per_side else ""
    tempo = f", {p.tempo} s up-pause-down" if p.tempo else ""
    rest = f", rest {p.rest_s} s" if p.rest_s else ""
    return f"{p.sets} x {work}{side}{tempo}{rest}"


def climb_words(c: Climb) -> str:
    """'10 to 15 reps, one more each session' — how the dose climbs in the phase."""
    if c.start >= c.top:
        return f"stay at {amount(c.top, c.unit)}"
    each = f"{c.step} more rep" if c.unit == "reps" else f"{c.step} s longer"
    return f"from {amount(c.start, c.unit)} up to {amount(c.top, c.unit)}, {each} each session"


def target_words(c: Climb) -> str:
    """'3 x 15 reps on each side' — the top of the range the runner climbs to."""
    side = " on each side" if c.per_side else ""
    return f"{c.sets} x {amount(c.top, c.unit)}{side}"


def pain_words(rules: ProgressionRules) -> str:
    return (
        f"pain during the sets stays at {rules.progress_max_pain_0_10:g}/10 or less and is back to your usual "
        "level by the next morning"
    )


def step_back_words(rules: ProgressionRules) -> str:
    return (
        f"Step back (fewer repetitions, no added weight, or the easier version) when pain goes above "
        f"{rules.regress_above_pain_0_10:g}/10 or has not settled by the next morning."
    )


def move_on_words(
    climbs: tuple[Climb, ...], rules: ProgressionRules, exit_rule: PhaseExitView, *, ongoing: bool
) -> tuple[str, ...]:
    """The rule to move on in plain words: each exercise's target, the pain rule, the re-test."""
    low, high = rules.load_increase_pct
    if ongoing:
        return (
            "Keep going for as long as you run. When a dose gets easy, add "
            f"{low:g}-{high:g}% weight and start again at the bottom of the range.",
        )
    targets = "; ".join(f"{c.name} {target_words(c)}" for c in climbs)
    lines = [
        f"Move on when, in one session, you reach {targets}, and {pain_words(rules)}.",
        "An exercise that gets there first stays at the top (or, with no pain, add "
        f"{low:g}-{high:g}% weight and start again at the bottom of its range) while the others catch up.",
    ]
    if exit_rule.retest:
        lines.append(f"Then repeat these tests before the next phase: {', '.join(exit_rule.retest)}.")
    return tuple(lines)


def _ordinal(n: int) -> str:
    return {2: "half", 3: "third", 4: "quarter", 5: "fifth", 6: "sixth"}.get(n, f"1/{n}")


def assumptions(defaults: PlanDefaults, *, run_days_given: bool) -> tuple[str, ...]:
    out = [
        f"Expected, not fixed: each exercise starts at its dose and gains {defaults.reps_step} repetition per "
        f"set (or {defaults.hold_step_s} s per hold; a {_ordinal(defaults.hold_climb_sessions)} of the climb "
        "for long holds) each session while the pain rule allows; the session at the top of the range is the "
        "one that counts (glutemed's planning default).",
        f"No phase is planned shorter than {defaults.min_weeks_per_phase} weeks (glutemed default).",
        f"Maintenance is written in for {defaults.ongoing_weeks} weeks, then continues (glutemed default).",
    ]
    if not run_days_given:
        out.append(
            "Running days are glutemed's default spread for your runs a week: move them to your own days."
        )
    return tuple(out)


# ------------------------------------------------------------------------------------------- build


def _phase_weeks(climbs: tuple[Climb, ...], ongoing: bool, defaults: PlanDefaults) -> int:
    if ongoing:
        return defaults.ongoing_weeks
    return max([defaults.min_weeks_per_phase, *(c.weeks for c in climbs)])


def build_plan(
    program: Program,
    doses: Mapping[str, DoseView],
    rules: ProgressionRules,
    *,
    sessions_per_week: int,
    runs_per_week: int,
    run_days: tuple[int, ...] = (),
    exits: Mapping[str, PhaseExitView] | None = None,
    defaults: PlanDefaults | None = None,
) -> Plan:
    """The week-by-week plan of ``program`` (see the module docstring for how lengths and days are chosen)."""
    defaults = defaults or PlanDefaults()
    exits = exits or {}
    runs = run_days_for(runs_per_week, run_days)
    pre_run = {stage.phase_id: stage.items for stage in program.pre_run_by_phase}
    phases: list[PhasePlan] = []
    week = 1
    for number, phase in enumerate(program.phases, start=1):
        ongoing = phase.id in ONGOING
        climbs = tuple(climb(p, doses.get(p.exercise_id), defaults) for p in phase.exercises)
        weeks = _phase_weeks(climbs, ongoing, defaults)
        exit_rule = exits.get(phase.id, PhaseExitView())
        phases.append(
            PhasePlan(
                phase_id=phase.id,
                name=phase.name,
                number=number,
                first_week=week,
                weeks=weeks,
                ongoing=ongoing,
                climbs=climbs,
                days=_days(phase, runs, pre_run.get(phase.id, program.pre_run)),
                move_on=move_on_words(climbs, rules, exit_rule, ongoing=ongoing),
                step_back=step_back_words(rules),
                retest=exit_rule.retest,
                criteria=exit_rule.criteria,
            )
        )
        week += weeks
    return Plan(
        phases=tuple(phases),
        sessions_per_week=sessions_per_week,
        run_days=runs,
        run_days_given=bool(run_days),
        assumptions=assumptions(defaults, run_days_given=bool(run_days)),
    )
