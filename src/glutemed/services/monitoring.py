"""Progress monitoring for the clinician: a runner's series over time, for the charts.

Reading only: every function takes an open session and returns typed, frozen results; nothing is written.

- Pain: each logged session or run's highest pain during (0-10) and the next-morning pain and stiffness, and
  their means per week (weeks start on Monday).
- Adherence: sessions done against sessions planned, per week from the day a program was published, the plan
  being the published program's weekly calendar (``data["calendar"]``).
- Dose: each exercise's dose after each decision (``dose_after`` in the decision's data), in the order decided.
- Load: kilometres per week from the newest training-load report (``glutemed.load/v1``, read through its
  contract), with the runs the load command judged a spike and the weeks it judged a caution; and, apart, the
  runs logged in the portal, judged by the portal (``services/portal.judge_run``) the same way.
- Re-tests and gait: read by ``services/measurement_series``.

The list of runners needing attention, and its reasons, is ``services/attention``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from glutemed.contracts.gait_result import ContractError
from glutemed.contracts.load_result import LoadResult, read_load_result
from glutemed.db import records
from glutemed.db.models import ProgramRecord, ProgressDecision, Runner, TrainingLog, User
from glutemed.knowledge.loader import KnowledgeBase, knowledge_base
from glutemed.knowledge.rules import bundled_rules
from glutemed.services.measurement_series import (
    GaitSeries,
    RetestSeries,
    gait_series,
    retest_series,
)
from glutemed.services.portal import PortalInputError, judge_run, validate_run

# ------------------------------------------------------------------------------------------------ results


@dataclass(frozen=True)
class PainPoint:
    day: dt.date
    kind: str  # "session" or "run"
    during: float | None  # the highest pain during, 0-10
    morning_pain: float | None
    morning_stiffness: float | None


@dataclass(frozen=True)
class PainWeek:
    week_start: dt.date  # a Monday
    mean_during: float | None
    mean_morning_pain: float | None
    mean_morning_stiffness: float | None


@dataclass(frozen=True)
class AdherenceWeek:
    first_day: dt.date
    last_day: dt.date  # inclusive; a week cut short by today or by the next program ends early
    planned: int
    done: int

    @property
    def fraction(self) -> float | None:
        return self.done / self.planned if self.planned else None


@dataclass(frozen=True)
class DosePoint:
    day: dt.date
    action: str  # the effective action: the clinician's override, else the rule's
    text: str
    value: float | None


@dataclass(frozen=True)
class DoseSeries:
    exercise_id: str
    name: str
    unit: str  # what ``value`` counts: "kg added", "reps" or "seconds held"
    points: tuple[DosePoint, ...]


@dataclass(frozen=True)
class LoadWeek:
    week_start: dt.date  # a Monday (ISO weeks, as the load command counts them)
    distance_km: float
    runs: int
    spikes: int  # runs that week the load command judged a spike
    caution: bool  # the load command's weekly caution


@dataclass(frozen=True)
class DecisionRow:
    id: int
    day: dt.date
    exercise_id: str
    exercise: str
    action: str
    reason: str
    plain_reason: str  # the runner's wording of the reason (from the decision's data), or ""
    next_step: str
    override_action: str | None
    override_note: str | None
    overridden_by: str | None
    overridden_at: dt.datetime | None

    @property
    def effective_action(self) -> str:
        return self.override_action or self.action


@dataclass(frozen=True)
class RunnerProgress:
    runner_id: int
    runner_name: str
    pain: tuple[PainPoint, ...]
    pain_weeks: tuple[PainWeek, ...]
    pain_limit: float
    pain_limit_refs: tuple[str, ...]
    adherence: tuple[AdherenceWeek, ...]
    doses: tuple[DoseSeries, ...]
    load_weeks: tuple[LoadWeek, ...]  # from the newest load report (``glutemed load``)
    portal_run_weeks: tuple[LoadWeek, ...]  # from the runs logged in the portal
    retests: tuple[RetestSeries, ...]
    retest_note: str
    gait: tuple[GaitSeries, ...]
    decisions: tuple[DecisionRow, ...]


# ------------------------------------------------------------------------------------------------ pain


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def pain_during(log: TrainingLog) -> float | None:
    """The highest pain during a logged session (over every set) or run."""
    data = log.data or {}
    values = [_number(data.get("pain_during_0_10"))]
    for exercise in data.get("exercises") or []:
        values += [_number(s.get("pain_during_0_10")) for s in exercise.get("sets") or []]
    found = [v for v in values if v is not None]
    return max(found) if found else None


def morning_pain(log: TrainingLog) -> float | None:
    """Next-morning pain: the log's own column, else the highest per-exercise answer in the session data."""
    if log.morning_pain_0_10 is not None:
        return float(log.morning_pain_0_10)
    data = log.data or {}
    found = [
        v
        for v in (_number(e.get("pain_next_morning_0_10")) for e in data.get("exercises") or [])
        if v is not None
    ]
    return max(found) if found else None


def _logs(s: Session, runner_id: int) -> list[TrainingLog]:
    rows = s.scalars(
        select(TrainingLog)
        .where(TrainingLog.runner_id == runner_id)
        .order_by(TrainingLog.day, TrainingLog.created_at, TrainingLog.id)
    )
    return list(rows)


def pain_series(logs: Iterable[TrainingLog]) -> tuple[PainPoint, ...]:
    return tuple(
        PainPoint(
            day=log.day,
            kind=log.kind,
            during=pain_during(log),
            morning_pain=morning_pain(log),
            morning_stiffness=(
                float(log.morning_stiffness_0_10) if log.morning_stiffness_0_10 is not None else None
            ),
        )
        for log in logs
    )


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _mean(values: Sequence[float | None]) -> float | None:
    found = [v for v in values if v is not None]
    return sum(found) / len(found) if found else None


def pain_weeks(points: Sequence[PainPoint]) -> tuple[PainWeek, ...]:
    weeks: dict[dt.date, list[PainPoint]] = defaultdict(list)
    for p in points:
        weeks[week_start(p.day)].append(p)
    return tuple(
        PainWeek(
            week_start=start,
            mean_during=_mean([p.during for p in items]),
            mean_morning_pain=_mean([p.morning_pain for p in items]),
            mean_morning_stiffness=_mean([p.morning_stiffness for p in items]),
        )
        for start, items in sorted(weeks.items())
    )


# ------------------------------------------------------------------------------------------------ adherence


def session_days(program_data: dict[str, Any]) -> set[int]:
    """Weekdays (0 = Monday) on which the program's weekly calendar plans an exercise session."""
    days = set()
    for number, entry in enumerate(program_data.get("calendar") or []):
        if any(_is_session(item) for item in entry.get("do") or []):
            days.add(number)
    return days


def _is_session(item: str) -> bool:
    text = item.strip().lower()
    return text != "rest" and not text.startswith("if running today")


def _published(s: Session, runner_id: int) -> list[ProgramRecord]:
    rows = records.list_programs(s, runner_id, published_only=True)
    return sorted((p for p in rows if p.published_at is not None), key=lambda p: (p.published_at, p.id))


def adherence_weeks(
    programs: Sequence[ProgramRecord], session_log_days: Iterable[dt.date], today: dt.date
) -> tuple[AdherenceWeek, ...]:
    """Seven-day weeks from each program's publication up to the next publication or ``today``.

    Planned: the days in the week on which the program's calendar has a session. Done: the days in the week
    with a logged session (two logs on one day count once), at most the planned number.
    """
    done_days = set(session_log_days)
    out: list[AdherenceWeek] = []
    for i, program in enumerate(programs):
        assert program.published_at is not None
        start = program.published_at.date()
        end = today
        if i + 1 < len(programs) and programs[i + 1].published_at is not None:
            end = min(end, programs[i + 1].published_at.date() - dt.timedelta(days=1))  # type: ignore[union-attr]
        weekdays = session_days(program.data)
        first = start
        while first <= end:
            last = min(first + dt.timedelta(days=6), end)
            days = [first + dt.timedelta(days=k) for k in range((last - first).days + 1)]
            planned = sum(1 for d in days if d.weekday() in weekdays)
            done = sum(1 for d in days if d in done_days)
            out.append(AdherenceWeek(first, last, planned, min(done, planned)))
            first += dt.timedelta(days=7)
    return tuple(out)


# ------------------------------------------------------------------------------------------------ decisions, dose


def _exercise_name(kb: KnowledgeBase, exercise_id: str) -> str:
    exercise = kb.exercises.get(exercise_id)
    return exercise.name if exercise is not None else exercise_id.replace("-", " ")


def _decisions(s: Session, runner_id: int, kb: KnowledgeBase) -> list[tuple[ProgressDecision, DecisionRow]]:
    rows = s.execute(
        select(ProgressDecision, TrainingLog.day, User.display_name)
        .join(TrainingLog, TrainingLog.id == ProgressDecision.training_log_id)
        .outerjoin(User, User.id == ProgressDecision.overridden_by)
        .where(ProgressDecision.runner_id == runner_id)
        .order_by(TrainingLog.day, ProgressDecision.created_at, ProgressDecision.id)
    ).all()
    return [
        (
            d,
            DecisionRow(
                id=d.id,
                day=day,
                exercise_id=d.exercise_id,
                exercise=_exercise_name(kb, d.exercise_id),
                action=d.action,
                reason=d.reason,
                plain_reason=str((d.data or {}).get("plain_reason") or ""),
                next_step=d.next_step,
                override_action=d.override_action,
                override_note=d.override_note,
                overridden_by=by,
                overridden_at=d.overridden_at,
            ),
        )
        for d, day, by in rows
    ]


DOSE_UNITS = (("load_kg", "kg added"), ("reps", "reps"), ("hold_s", "seconds held"))


def _dose_fields(dose: Any) -> tuple[str, dict[str, float]]:
    """A stored dose (``progress_log``'s dose dict, or its text) as its words and its numbers."""
    if isinstance(dose, str):
        return dose, {}
    if not isinstance(dose, dict):
        return "", {}
    numbers: dict[str, float] = {}
    for key, _unit in DOSE_UNITS:
        for name in (key, f"{key}_range"):
            value = dose.get(name)
            if isinstance(value, list | tuple) and value:
                value = value[0]  # the low end of a range is the target (progress_log.Dose)
            number = _number(value)
            if number is not None:
                numbers[key] = number
                break
    text = dose.get("text")
    return (text if isinstance(text, str) else ""), numbers


def dose_series(decisions: Sequence[tuple[ProgressDecision, DecisionRow]]) -> tuple[DoseSeries, ...]:
    """Each exercise's dose after each decision. The plotted number is the added load when any dose of the
    exercise carries load, else the reps, else the hold time (the number the ladder moves)."""
    by_exercise: dict[str, list[tuple[DecisionRow, str, dict[str, float]]]] = defaultdict(list)
    for decision, row in decisions:
        text, numbers = _dose_fields((decision.data or {}).get("dose_after"))
        if text or numbers:
            by_exercise[row.exercise_id].append((row, text, numbers))
    out = []
    for exercise_id, items in by_exercise.items():
        key, unit = next(
            ((k, u) for k, u in DOSE_UNITS if any(n.get(k, 0) > 0 for _, _, n in items)),
            DOSE_UNITS[1],
        )
        points = tuple(
            DosePoint(row.day, row.effective_action, text or row.next_step, numbers.get(key))
            for row, text, numbers in items
        )
        out.append(DoseSeries(exercise_id, items[0][0].exercise, unit, points))
    return tuple(sorted(out, key=lambda d: d.name))


# ------------------------------------------------------------------------------------------------ load


def _load_result(s: Session, runner_id: int) -> LoadResult | None:
    report = records.latest_load_report(s, runner_id)
    if report is None:
        return None
    try:
        return read_load_result(report.data, f"load report of {report.created_at:%Y-%m-%d}")
    except ContractError:
        return None


def _weeks(
    runs: Sequence[tuple[dt.date, float]], spike_days: Iterable[dt.date], caution_weeks: Iterable[dt.date]
) -> tuple[LoadWeek, ...]:
    """Kilometres and runs per ISO week, from the first to the last week with a run (empty weeks included)."""
    if not runs:
        return ()
    km: dict[dt.date, float] = defaultdict(float)
    count: dict[dt.date, int] = defaultdict(int)
    for day, distance_km in runs:
        km[week_start(day)] += distance_km
        count[week_start(day)] += 1
    spikes: dict[dt.date, int] = defaultdict(int)
    for day in spike_days:
        spikes[week_start(day)] += 1
    cautions = {week_start(d) for d in caution_weeks}
    first, last = min(km), max(km)
    out = []
    while first <= last:
        out.append(
            LoadWeek(first, km.get(first, 0.0), count.get(first, 0), spikes.get(first, 0), first in cautions)
        )
        first += dt.timedelta(days=7)
    return tuple(out)


def load_weeks(result: LoadResult | None) -> tuple[LoadWeek, ...]:
    """The load report's runs per ISO week, with the load command's spikes and weekly cautions."""
    if result is None:
        return ()
    return _weeks(
        [(run.start_utc.date(), run.distance_m / 1000) for run in result.runs],
        [spike.date for spike in result.judgement.session_spikes],
        [c.week_start for c in result.judgement.weekly_cautions],
    )


@dataclass(frozen=True)
class PortalRun:
    day: dt.date
    distance_km: float
    spike: bool
    weekly_caution: bool


def portal_runs(s: Session, logs: Sequence[TrainingLog]) -> list[PortalRun]:
    """The runs logged in the portal, each judged by the portal as ``glutemed load`` judges an import."""
    out = []
    for log in logs:
        if log.kind != "run":
            continue
        try:
            run = validate_run({k: v for k, v in log.data.items() if k != "judgement"})  # as it was sent
        except PortalInputError:
            continue  # not a run the portal would have stored; nothing to judge
        judged = judge_run(s, log.runner_id, log)
        out.append(PortalRun(log.day, run.distance_km, judged.spike, judged.weekly_caution))
    return out


def portal_run_weeks(runs: Sequence[PortalRun]) -> tuple[LoadWeek, ...]:
    return _weeks(
        [(r.day, r.distance_km) for r in runs],
        [r.day for r in runs if r.spike],
        [r.day for r in runs if r.weekly_caution],
    )


# ------------------------------------------------------------------------------------------------ together


def runner_progress(s: Session, runner: Runner, today: dt.date) -> RunnerProgress:
    kb = knowledge_base()
    rules = bundled_rules().progression_rules()
    logs = _logs(s, runner.id)
    pain = pain_series(logs)
    decisions = _decisions(s, runner.id, kb)
    retests, retest_note = retest_series(s, runner.id, kb)
    return RunnerProgress(
        runner_id=runner.id,
        runner_name=runner.name,
        pain=pain,
        pain_weeks=pain_weeks(pain),
        pain_limit=rules.regress_above_pain_0_10,
        pain_limit_refs=rules.pain_refs,
        adherence=adherence_weeks(
            _published(s, runner.id), (log.day for log in logs if log.kind == "session"), today
        ),
        doses=dose_series(decisions),
        load_weeks=load_weeks(_load_result(s, runner.id)),
        portal_run_weeks=portal_run_weeks(portal_runs(s, logs)),
        retests=retests,
        retest_note=retest_note,
        gait=gait_series(s, runner.id, kb),
        decisions=tuple(row for _, row in decisions),
    )
