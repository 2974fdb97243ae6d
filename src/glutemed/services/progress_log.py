"""Progress, hold or regress every exercise from a runner's whole log history (the runner portal's engine).

Each logged day is decided with :func:`glutemed.core.progression.decide` (the single-session pain-monitoring
rules), then capped by the week-on-week next-morning pain trend (:mod:`glutemed.core.pain_trend`), then set by
a clinician's override when there is one, and finally turned into the next dose. Doses never leave the
exercise catalogue's ranges (sets, reps or hold seconds) and follow progression.yaml's ladders and load steps.
Replaying every logged day in order gives the dose of the next session (:func:`current_doses`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, cast, get_args

from pydantic import ValidationError

from glutemed.core.clinical_scoring import TestScore, score_all
from glutemed.core.pain_trend import MorningAnswer, PainTrend, pain_trend
from glutemed.core.progression import (
    Action,
    Decision,
    ExerciseLog,
    ProgressionRules,
    Target,
    at_top,
    decide,
    phase_ready,
)
from glutemed.knowledge.loader import KnowledgeBase
from glutemed.knowledge.models import RedFlag
from glutemed.services.assessment import norm_equation
from glutemed.services.doses import (
    Dose,
    ProgramContext,
    catalogue_exercise,
    clamp,
    default_dose,
    dose_json,
    next_dose,
    program_context,
)
from glutemed.services.intake_schema import RedFlagsIn, RunnerIn, SessionIn, TestsIn
from glutemed.services.program import (
    STRENGTH_PHASE,
    URGENCY_WORDS,
    resolve_red_flags,
    strength_criterion,
)

__all__ = [
    "Dose",
    "Evaluation",
    "ExerciseDecision",
    "LoggedDay",
    "PainTrend",
    "current_doses",
    "evaluate",
    "evaluation_to_json",
]

ACTIONS: tuple[str, ...] = get_args(Action)
_ORDER = {"regress": 0, "hold": 1, "progress": 2}


@dataclass(frozen=True)
class LoggedDay:
    """One logged exercise session with its next-morning answers."""

    day: dt.date
    session: SessionIn
    morning_pain_0_10: float | None = None
    morning_stiffness_0_10: float | None = None


@dataclass(frozen=True)
class ExerciseDecision:
    exercise_id: str
    name: str  # the catalogue's plain name
    action: Action
    reason: str  # clinical wording with numbers (for the clinician)
    plain_reason: str  # plain words for the runner
    next_step: str
    dose_before: Dose
    dose_after: Dose
    refs: tuple[str, ...]


@dataclass(frozen=True)
class Evaluation:
    day: dt.date
    decisions: tuple[ExerciseDecision, ...]
    pain_trend: PainTrend
    phase_text: str
    stopped: str | None


# ----------------------------------------------------------------------------------------- decisions


def _answers(history: Sequence[LoggedDay]) -> list[MorningAnswer]:
    out = []
    for day in history:
        pain = day.morning_pain_0_10
        if pain is None:
            logged = [
                e.pain_next_morning_0_10
                for e in day.session.exercises
                if e.pain_next_morning_0_10 is not None
            ]
            pain = max(logged) if logged else None
        out.append(MorningAnswer(day.day, pain, day.morning_stiffness_0_10))
    return out


def _plain(action: Action, log: ExerciseLog, target: Target, rules: ProgressionRules) -> str:
    pain = log.max_pain_0_10
    if action == "regress":
        if pain > rules.regress_above_pain_0_10:
            return (
                f"Your pain during the exercise reached {pain:g} out of 10, above the limit of "
                f"{rules.regress_above_pain_0_10:g}, so we make it easier."
            )
        return "Your pain the next morning was higher than before the session, so we make it easier."
    if action == "progress":
        return (
            "You did every set at the top of the range and your pain stayed low, so we make it a bit harder."
        )
    holds = (
        (
            pain > rules.progress_max_pain_0_10,
            f"Your pain during the exercise reached {pain:g} out of 10, a little high to make it harder, so we "
            "keep the same dose.",
        ),
        (
            log.settled is None,
            "Tell us how you feel the next morning, then we can decide whether to make it harder.",
        ),
        (not at_top(log, target), "Keep this dose until you can do every set at the top of the range."),
    )
    return next((text for hit, text in holds if hit), "We keep the same dose for now.")


_CLINICIAN_WORDS = {
    "progress": "Your clinician decided to make this exercise a bit harder.",
    "hold": "Your clinician decided to keep the same dose.",
    "regress": "Your clinician decided to make this exercise easier.",
}


@dataclass
class _Replay:
    doses: dict[str, Dose]
    trend_regressed_week: dict[str, dt.date] = field(default_factory=dict)
    noted: set[str] = field(default_factory=set)  # exercises whose clamped program dose was already explained


@dataclass
class _Verdict:
    """One exercise's action with its wording, as each step (rules, trend, clinician) leaves it."""

    action: Action
    reason: str
    plain: str
    refs: list[str]

    def add_reason(self, text: str) -> None:
        self.reason = f"{self.reason}; {text}" if self.reason else text


def _apply_trend(v: _Verdict, trend: PainTrend, state: _Replay, ex_id: str, monday: dt.date) -> None:
    """Cap the action by the weekly trend: at most hold; regress once a week when it rose weeks in a row."""
    if trend.cap is None:
        return
    v.refs.extend(trend.refs)
    if trend.cap == "regress" and state.trend_regressed_week.get(ex_id) != monday:
        state.trend_regressed_week[ex_id] = monday
        if v.action != "regress":
            v.add_reason(trend.text)
            v.plain, v.action = trend.plain_text, "regress"
        return
    if v.action == "progress":
        v.add_reason(trend.text)
        v.plain, v.action = trend.plain_text, "hold"
    if trend.cap == "regress" and v.action == "hold":
        v.add_reason("already stepped back once this week for the rising trend")
        v.plain = (
            "Your pain the next morning is still going up. The exercise was already made easier this week, so we "
            "keep that dose."
        )


def _check_overrides(overrides: Mapping[str, str], day: LoggedDay) -> None:
    logged_ids = {e.exercise for e in day.session.exercises}
    for ex_id, wanted in overrides.items():
        if wanted not in ACTIONS:
            raise ValueError(f"override for '{ex_id}': '{wanted}' is not one of {', '.join(ACTIONS)}")
        if ex_id not in logged_ids:
            raise ValueError(f"override for '{ex_id}': that exercise is not in the session of {day.day}")


def _decide_day(
    day: LoggedDay,
    upto: Sequence[LoggedDay],
    state: _Replay,
    ctx: ProgramContext,
    overrides: Mapping[str, str],
) -> tuple[tuple[ExerciseDecision, ...], PainTrend]:
    """Decide every exercise of ``day`` (the last of ``upto``) and move ``state``'s doses on."""
    _check_overrides(overrides, day)
    trend = pain_trend(_answers(upto), ctx.rules.pain_trend_rules())
    monday = day.day - dt.timedelta(days=day.day.weekday())
    decisions = []
    for logged in day.session.to_core().exercises:
        ex = catalogue_exercise(ctx, logged.exercise_id)
        log = logged
        if log.pain_next_morning_0_10 is None and day.morning_pain_0_10 is not None:
            log = replace(log, pain_next_morning_0_10=day.morning_pain_0_10)
        target = ctx.targets.get(ex.id, Target())
        core = decide(log, target, ctx.progression)
        v = _Verdict(
            core.action, core.reason, _plain(core.action, log, target, ctx.progression), list(core.refs)
        )
        _apply_trend(v, trend, state, ex.id, monday)
        if ex.id in overrides:
            chosen = cast(Action, overrides[ex.id])
            v.reason = f"clinician set {chosen} (the rules gave {v.action}: {v.reason})"
            v.plain, v.action = _CLINICIAN_WORDS[chosen], chosen
        before = state.doses.get(ex.id) or default_dose(ex, ctx)
        after, change, step_refs = next_dose(before, v.action, ex, ctx)
        after, notes = clamp(after, ex, ctx.progression.ladders.get(ex.id))
        if ex.id in ctx.program_notes and ex.id not in state.noted:
            state.noted.add(ex.id)
            moved = ", ".join(ctx.program_notes[ex.id])
            notes.insert(0, f"the program's dose was moved into the exercise's ranges: {moved}")
        if notes:
            change += f" ({'; '.join(notes)})"
        state.doses[ex.id] = after
        decisions.append(
            ExerciseDecision(
                exercise_id=ex.id,
                name=ex.name,
                action=v.action,
                reason=v.reason,
                plain_reason=v.plain,
                next_step=f"{change}. Next session: {after.text()}.",
                dose_before=before,
                dose_after=after,
                refs=tuple(dict.fromkeys([*v.refs, *step_refs])),
            )
        )
    return tuple(decisions), trend


def _check_history(history: Sequence[LoggedDay]) -> list[LoggedDay]:
    days = list(history)
    for index, day in enumerate(days):
        if not isinstance(day, LoggedDay):
            raise ValueError(f"history[{index}]: expected a LoggedDay")
        if day.session.date != day.day.isoformat():
            raise ValueError(
                f"history[{index}]: the session's date {day.session.date} is not the day {day.day}"
            )
        for name in ("morning_pain_0_10", "morning_stiffness_0_10"):
            value = getattr(day, name)
            if value is not None and not 0 <= value <= 10:
                raise ValueError(
                    f"history[{index}] ({day.day}): {name} must be between 0 and 10 (got {value})"
                )
    return sorted(days, key=lambda d: d.day)


def _replay(
    ctx: ProgramContext,
    days: list[LoggedDay],
    overrides_by_day: Mapping[dt.date, Mapping[str, str]],
) -> tuple[_Replay, tuple[ExerciseDecision, ...], PainTrend | None]:
    state = _Replay(doses=dict(ctx.program_doses))
    decisions: tuple[ExerciseDecision, ...] = ()
    trend = None
    for index, day in enumerate(days):
        decisions, trend = _decide_day(day, days[: index + 1], state, ctx, overrides_by_day.get(day.day, {}))
    return state, decisions, trend


# --------------------------------------------------------------------------------------- red flags


def _resolve_flags(names: Sequence[str], kb: KnowledgeBase) -> list[RedFlag]:
    """Red-flag ids, or intake red-flag answers resolved as the program resolves them; an unknown name is refused."""
    answers = set(RedFlagsIn.model_fields)
    for name in names:
        if name not in kb.red_flags and name not in answers:
            raise ValueError(
                f"unknown red flag '{name}': give a red-flag id or a red-flag answer of the intake"
            )
    return resolve_red_flags(names, kb)


def stop_message(names: Sequence[str], kb: KnowledgeBase) -> str:
    flags = _resolve_flags(names, kb)
    parts = [f"{flag.name}: {flag.why_refer} {URGENCY_WORDS[flag.urgency]}" for flag in flags]
    lead = "Stop the exercise program: a red flag needs a clinician's opinion before you train again."
    return " ".join([lead, *parts]) if parts else f"{lead} See a doctor or physiotherapist."


# --------------------------------------------------------------------------------------------- phase


def _scores(tests: Mapping[str, Any] | None, ctx: ProgramContext) -> tuple[tuple[TestScore, ...], str | None]:
    """Scored re-tests. A ``runner`` entry (age_years, sex, mass_kg, height_cm) lets dynamometry be normed."""
    if tests is None:
        return (), None
    data = dict(tests)
    runner_data = data.pop("runner", None)
    try:
        parsed = TestsIn.model_validate(data)
        runner = RunnerIn.model_validate(runner_data) if runner_data is not None else None
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
        raise ValueError(f"tests: {problems}") from None
    if runner is None:  # the strength criterion needs the dynamometry norm, and the norm needs the runner
        missing = "the strength re-test needs the runner's age, sex and body mass to compare with the norm"
        return (), missing if parsed.dynamometry is not None else None
    age, male, mass = runner.age_years, runner.sex == "male", runner.mass_kg
    scores = score_all(
        parsed.to_core(),
        age_years=age,
        male=male,
        mass_kg=mass,
        thresholds=ctx.rules.thresholds(),
        norm=norm_equation(ctx.kb),
    )
    return tuple(scores), None


def _phase_text(
    ctx: ProgramContext,
    decisions: tuple[ExerciseDecision, ...],
    scored: tuple[tuple[TestScore, ...], str | None],
) -> str:
    logged = {d.exercise_id for d in decisions}
    for phase_id, name, ids in ctx.phases:
        if not logged & set(ids):
            continue
        core = [Decision(d.exercise_id, d.action, d.reason, d.next_step, d.refs) for d in decisions]
        ready, text = phase_ready(core, ids)
        if ready and phase_id == STRENGTH_PHASE:
            scores, missing = scored
            if missing:
                return f"{name}: {text}; {missing}"
            strong, why = strength_criterion(scores)
            text = f"{text}; {why}"
            if strong is not True:
                return f"{name}: not yet: {text}"
        return f"{name}: {text}"
    return "none of the logged exercises belongs to a phase of this program"


# ---------------------------------------------------------------------------------------------- API


def evaluate(
    program: dict[str, Any],
    history: Sequence[LoggedDay],
    *,
    overrides: Mapping[str, str] | None = None,
    tests: dict[str, Any] | None = None,
    red_flags: Sequence[str] = (),
    overrides_by_day: Mapping[dt.date, Mapping[str, str]] | None = None,
) -> Evaluation:
    """Decisions for the LAST day of ``history``, using all of it (doses replayed, weekly pain trend).

    ``overrides`` are the clinician's actions for the latest session. ``overrides_by_day`` (optional, the same
    mapping :func:`current_doses` takes) replays the clinician's earlier overrides too, so that the dose
    before the latest session is the one the runner was given; without it earlier days replay on the rules.
    """
    days = _check_history(history)
    if not days:
        raise ValueError("history: no logged sessions yet")
    ctx = program_context(program)
    scored = _scores(tests, ctx)  # checked first: a malformed re-test is refused whatever the phase
    last = days[-1]
    if red_flags or program.get("stopped") is True:
        message = (
            stop_message(red_flags, ctx.kb)
            if red_flags
            else str(program.get("message") or stop_message((), ctx.kb))
        )
        trend = pain_trend(_answers(days), ctx.rules.pain_trend_rules())
        return Evaluation(last.day, (), trend, "program stopped: no phase changes", message)
    earlier = overrides_by_day or {}
    state, _, _ = _replay(ctx, days[:-1], earlier)
    latest = overrides if overrides is not None else earlier.get(last.day, {})
    decisions, trend = _decide_day(last, days, state, ctx, latest)
    return Evaluation(last.day, decisions, trend, _phase_text(ctx, decisions, scored), None)


def current_doses(
    program: dict[str, Any],
    history: Sequence[LoggedDay],
    overrides_by_day: Mapping[dt.date, Mapping[str, str]] | None = None,
) -> dict[str, Dose]:
    """The dose of every program exercise for the next session, replaying every logged day's decisions in order."""
    days = _check_history(history)
    ctx = program_context(program)
    state, _, _ = _replay(ctx, days, overrides_by_day or {})
    return dict(state.doses)


def trend_to_json(trend: PainTrend) -> dict[str, Any]:
    return {
        "status": trend.status,
        "rising": trend.rising,
        "rising_weeks": trend.rising_weeks,
        "cap": trend.cap,
        "text": trend.text,
        "plain_text": trend.plain_text,
        "refs": list(trend.refs),
        "weeks": [
            {
                "monday": w.monday.isoformat(),
                "iso_year": w.iso_year,
                "iso_week": w.iso_week,
                "pain_days": w.pain_days,
                "pain_mean": w.pain_mean,
                "stiffness_days": w.stiffness_days,
                "stiffness_mean": w.stiffness_mean,
            }
            for w in trend.weeks
        ],
    }


def evaluation_to_json(e: Evaluation) -> dict[str, Any]:
    """JSON-safe: dates as ISO text, doses with their plain text."""
    return {
        "day": e.day.isoformat(),
        "stopped": e.stopped,
        "phase_text": e.phase_text,
        "pain_trend": trend_to_json(e.pain_trend),
        "decisions": [
            {
                "exercise_id": d.exercise_id,
                "name": d.name,
                "action": d.action,
                "reason": d.reason,
                "plain_reason": d.plain_reason,
                "next_step": d.next_step,
                "dose_before": dose_json(d.dose_before),
                "dose_after": dose_json(d.dose_after),
                "refs": list(d.refs),
            }
            for d in e.decisions
        ],
    }
