"""The clinician's attention list: the runners who need looking at now, and why, in plain words.

Reading only, like ``services/monitoring`` (whose series it reads): a runner needs attention for next-morning
pain rising week on week, low adherence over the last full weeks, a recent regression, a load spike this week
(in the load report or the portal's runs) or a red flag in the newest intake.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from glutemed.contracts.load_result import LoadResult
from glutemed.core.pain_trend import MorningAnswer, PainTrend, pain_trend
from glutemed.db.models import Clinic, ProgressDecision, Runner, TrainingLog
from glutemed.knowledge.loader import KnowledgeBase, knowledge_base
from glutemed.knowledge.rules import bundled_rules
from glutemed.services.measurement_series import _intake
from glutemed.services.monitoring import (
    AdherenceWeek,
    _exercise_name,
    _load_result,
    _logs,
    _number,
    _published,
    adherence_weeks,
    morning_pain,
    portal_runs,
)

# glutemed's own default, not from a source: adherence is low when fewer than two thirds of the sessions
# planned in the last two full weeks were logged.
ADHERENCE_LOW_BELOW = 2 / 3
ADHERENCE_WEEKS = 2
REGRESSION_DAYS = 7
SPIKE_DAYS = 7  # the dashboard's rule (web/views.spike_this_week): a spike dated within the last 7 days


@dataclass(frozen=True)
class AttentionItem:
    runner_id: int
    runner_name: str
    clinic: str
    reasons: tuple[str, ...]


def recent_adherence(weeks: Sequence[AdherenceWeek], today: dt.date) -> tuple[int, int]:
    """(done, planned) over the last ``ADHERENCE_WEEKS`` full seven-day weeks before ``today``."""
    full = [w for w in weeks if (w.last_day - w.first_day).days == 6 and w.last_day < today]
    recent = full[-ADHERENCE_WEEKS:]
    return sum(w.done for w in recent), sum(w.planned for w in recent)


def spike_this_week(result: LoadResult | None, today: dt.date) -> list[dt.date]:
    """The days of the load report's spikes within the last ``SPIKE_DAYS`` days (the dashboard's rule)."""
    if result is None:
        return []
    since = today - dt.timedelta(days=SPIKE_DAYS)
    return [spike.date for spike in result.judgement.session_spikes if spike.date >= since]


def _recent_regressions(s: Session, runner_id: int, since: dt.date) -> list[tuple[dt.date, str, str]]:
    """(day, exercise id, the rule's reason) of each effective regress decided for a session since ``since``."""
    effective = func.coalesce(ProgressDecision.override_action, ProgressDecision.action)
    rows = s.execute(
        select(TrainingLog.day, ProgressDecision.exercise_id, ProgressDecision.reason)
        .join(TrainingLog, TrainingLog.id == ProgressDecision.training_log_id)
        .where(ProgressDecision.runner_id == runner_id, TrainingLog.day >= since, effective == "regress")
        .order_by(TrainingLog.day, ProgressDecision.id)
    )
    return [(day, exercise_id, reason) for day, exercise_id, reason in rows]


def _red_flag_names(s: Session, runner_id: int, kb: KnowledgeBase) -> list[str]:
    intake = _intake(s, runner_id)
    if intake is None:
        return []
    present = intake.to_core().red_flags.present
    return [kb.red_flags[f].name if f in kb.red_flags else f.replace("-", " ") for f in present]


def attention_reasons(s: Session, runner: Runner, today: dt.date) -> tuple[str, ...]:
    """Why a clinician should look at this runner now, in plain words (empty when nothing calls for it)."""
    kb = knowledge_base()
    reasons: list[str] = []
    logs = _logs(s, runner.id)
    reasons += pain_trend_reasons(logs)
    weeks = adherence_weeks(_published(s, runner.id), (g.day for g in logs if g.kind == "session"), today)
    done, planned = recent_adherence(weeks, today)
    if planned and done / planned < ADHERENCE_LOW_BELOW:
        reasons.append(
            f"Adherence low: {done} of {planned} planned sessions logged in the last {ADHERENCE_WEEKS} full "
            f"weeks (below {ADHERENCE_LOW_BELOW:.0%}, glutemed's own threshold)."
        )
    for day, exercise_id, reason in _recent_regressions(
        s, runner.id, today - dt.timedelta(days=REGRESSION_DAYS)
    ):
        reasons.append(f"Regression on {day:%d %b}: {_exercise_name(kb, exercise_id)} ({reason}).")
    spikes = spike_this_week(_load_result(s, runner.id), today)
    since_spike = today - dt.timedelta(days=SPIKE_DAYS)
    recent_runs = [log for log in logs if log.kind == "run" and log.day >= since_spike]
    spikes += [r.day for r in portal_runs(s, recent_runs) if r.spike]
    if spikes:
        days = ", ".join(f"{d:%d %b}" for d in sorted(set(spikes)))
        reasons.append(f"Load spike this week: a run longer than the recent longest on {days}.")
    flags = _red_flag_names(s, runner.id, kb)
    if flags:
        reasons.append(f"Red flag in the latest intake: {'; '.join(flags)}.")
    return tuple(reasons)


def morning_trend(logs: Sequence[TrainingLog]) -> PainTrend:
    """The progression rules' week-on-week trend of next-morning pain and stiffness, over the exercise sessions
    as ``services/progress_log`` reads them (the morning columns, else the highest per-exercise answer)."""
    answers = [
        MorningAnswer(log.day, morning_pain(log), _number(log.morning_stiffness_0_10))
        for log in logs
        if log.kind == "session"
    ]
    return pain_trend(answers, bundled_rules().pain_trend_rules())


def pain_trend_reasons(logs: Sequence[TrainingLog]) -> list[str]:
    """Next-morning pain rising week on week, as the progression rules judge it (core/pain_trend)."""
    trend = morning_trend(logs)
    return [f"Next-morning pain rising: {trend.text}."] if trend.rising else []


def attention_list(s: Session, clinic_id: int | None, today: dt.date) -> list[AttentionItem]:
    """Runners of a clinic (every clinic when ``clinic_id`` is None) who need attention, with the reasons."""
    query = select(Runner, Clinic.name).join(Clinic, Clinic.id == Runner.clinic_id).order_by(Runner.name)
    if clinic_id is not None:
        query = query.where(Runner.clinic_id == clinic_id)
    out = []
    for runner, clinic in s.execute(query).all():
        reasons = attention_reasons(s, runner, today)
        if reasons:
            out.append(AttentionItem(runner.id, runner.name, clinic, reasons))
    return out
