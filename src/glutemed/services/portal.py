"""Use case: the runner portal. Today's plan from the published program, and logging sessions, runs and the
next-morning answers, each followed by the progression decisions over the runner's whole history.

- :func:`today` reads the latest *published* program: the current phase's session on its session days (each
  exercise with its name, steps, cues, current dose and figure), the pre-run routine on running days, a rest
  day otherwise; "no program yet" before a program is published; "stopped" with the referral when the program
  was stopped or the latest intake raises a red flag.
- :func:`log_session` / :func:`log_morning` store the entry (idempotent by the form's client key, see
  :mod:`glutemed.db.portal`) and run :func:`glutemed.services.progress_log.evaluate` over every logged session up
  to it; one :class:`~glutemed.db.models.ProgressDecision` per exercise is stored with the evaluation's JSON.
  The rules live in progress_log and core; nothing here decides progress.
- :func:`log_run` stores a run and judges it with the training-load models of ``glutemed load``
  (:func:`glutemed.core.load_models.build_report` with the bundled thresholds): a run longer than the spike
  threshold of the longest run of the previous 30 days is a spike (frandsen2025).

The current phase is the phase whose exercises the latest logged session holds most of (the first phase before
any session is logged); it moves on when every exercise of it earned "progress" in the latest session and the
clinician recorded a re-test after it (for the isolated-strength phase, one that meets the strength criterion):
see :func:`current_phase`.

Every function takes a session inside a transaction the caller owns; callers that write use
``Database.write()`` (the runner's row is locked, so two devices logging at once are applied one after the
other and each sees the other's entry).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from glutemed.db import portal as repo
from glutemed.db import records
from glutemed.db.models import TrainingLog
from glutemed.knowledge.loader import knowledge_base
from glutemed.services import progress_log
from glutemed.services.intake_schema import SessionIn
from glutemed.services.portal_runs import RunIn, RunJudgement, judge_run, validate_run
from glutemed.services.portal_today import (
    MORNING_WINDOW_DAYS,
    WEEKDAYS,
    DayKind,
    TodayPlan,
    current_phase,
    session_exercises,
    today,
)
from glutemed.services.portal_views import (
    DecisionView,
    ExerciseCard,
    LogView,
    PortalInputError,
    PreRunItem,
    _stopped_message,
    _tests,
    decision_view,
    decisions_of,
    figure_url,
    log_view,
    logged_day,
    red_flags,
    referral_lines,
)


@dataclass(frozen=True)
class LogResult:
    log: LogView
    created: bool
    decisions: tuple[DecisionView, ...] = ()
    stopped: str | None = None
    pain_trend: str = ""
    phase_text: str = ""
    run: RunJudgement | None = None


# ------------------------------------------------------------------------------------------- logging


def _program_or_refuse(s: Session, runner_id: int) -> Any:
    row = records.latest_published_program(s, runner_id)
    if row is None:
        raise PortalInputError(
            "There is no published program to log against yet; your clinician publishes it first.",
            status=409,
        )
    return row


def _check_exercises(program: dict[str, Any], session: SessionIn) -> None:
    known = {e["exercise_id"] for ph in program.get("phases", []) for e in ph.get("exercises", [])}
    problems = {
        f"exercises.{n}.exercise": f"'{e.exercise}' is not an exercise of your program"
        for n, e in enumerate(session.exercises)
        if e.exercise not in known
    }
    if problems:
        raise PortalInputError("Some exercises are not in your program.", problems)


def _reevaluate(s: Session, runner_id: int, program: dict[str, Any], first: TrainingLog) -> None:
    """Decide again for ``first`` and every session logged after it (their history now holds ``first``)."""
    sessions = repo.list_logs(s, runner_id, kind="session")
    flags = red_flags(s, runner_id)
    tests = _tests(s, runner_id)
    by_day = repo.overrides_by_day(s, runner_id)
    history: list[progress_log.LoggedDay] = []
    for row in sessions:
        history.append(logged_day(row))
        if (row.day, row.id) < (first.day, first.id):
            continue
        overrides = {
            d.exercise_id: d.override_action
            for d in repo.list_decisions(s, runner_id, training_log_id=row.id)
            if d.override_action is not None
        }
        try:
            evaluation = progress_log.evaluate(
                program,
                history,
                overrides=overrides,
                tests=tests,
                red_flags=flags,
                overrides_by_day=by_day,
            )
        except ValueError as exc:  # stored program or re-test the rules cannot read: say so, store nothing
            raise PortalInputError(
                f"Not saved: this log could not be checked against your program ({exc}). "
                "Please ask your clinician to look at the program and the latest re-test.",
                status=409,
            ) from exc
        whole = progress_log.evaluation_to_json(evaluation)
        shared = {k: v for k, v in whole.items() if k != "decisions"}
        by_id = {d.get("exercise_id"): d for d in whole.get("decisions", [])}
        repo.store_decisions(
            s,
            row,
            [
                repo.NewDecision(
                    exercise_id=d.exercise_id,
                    action=d.action,
                    reason=d.reason,
                    next_step=d.next_step,
                    data={**by_id.get(d.exercise_id, {}), "evaluation": shared},
                )
                for d in evaluation.decisions
            ],
        )


def _result(s: Session, runner_id: int, row: TrainingLog, created: bool, **extra: Any) -> LogResult:
    decisions = decisions_of(s, runner_id, row.id) if row.kind == "session" else ()
    shared: dict[str, Any] = {}
    stored = repo.list_decisions(s, runner_id, training_log_id=row.id)
    if stored:
        shared = dict(stored[0].data.get("evaluation") or {})
    trend = shared.get("pain_trend")
    trend_text = str(trend.get("plain_text", "")) if isinstance(trend, dict) else ""
    stopped = extra.pop("stopped", None)
    if stopped is None and row.kind == "session":
        program = records.latest_published_program(s, runner_id)
        lines = _stopped_message(program.data, red_flags(s, runner_id), knowledge_base()) if program else ()
        stopped = " ".join(lines) or None
    return LogResult(
        log=log_view(row),
        created=created,
        decisions=decisions,
        stopped=stopped,
        pain_trend=trend_text,
        phase_text=str(shared.get("phase_text") or ""),
        **extra,
    )


def log_session(
    s: Session,
    runner_id: int,
    session: SessionIn,
    *,
    client_key: str,
    created_by: int | None = None,
    morning_pain_0_10: float | None = None,
    morning_stiffness_0_10: float | None = None,
) -> LogResult:
    """Store one exercise session (once per client key) and decide each exercise's next dose.

    A resend with a stored key changes nothing and returns what the first send stored.
    """
    repo.lock_runner(s, runner_id)
    program = _program_or_refuse(s, runner_id)
    _check_exercises(program.data, session)
    _check_morning(morning_pain_0_10, morning_stiffness_0_10)
    added = repo.add_log(
        s,
        runner_id=runner_id,
        kind="session",
        day=dt.date.fromisoformat(session.date),
        data=session.model_dump(mode="json"),
        client_key=client_key,
        program_id=program.id,
        created_by=created_by,
        morning_pain_0_10=morning_pain_0_10,
        morning_stiffness_0_10=morning_stiffness_0_10,
    )
    if added.created:
        _reevaluate(s, runner_id, program.data, added.log)
    return _result(s, runner_id, added.log, added.created)


def _check_morning(pain: float | None, stiffness: float | None) -> None:
    problems = {
        name: "give a number from 0 to 10"
        for name, value in (("pain_0_10", pain), ("stiffness_0_10", stiffness))
        if value is not None and not 0 <= value <= 10
    }
    if problems:
        raise PortalInputError("The morning answers must be from 0 to 10.", problems)
    if stiffness is not None and pain is None:
        raise PortalInputError("Give the morning pain too.", {"pain_0_10": "give a number from 0 to 10"})


def log_morning(
    s: Session,
    runner_id: int,
    log_id: int,
    *,
    pain_0_10: float,
    stiffness_0_10: float | None = None,
    by: int | None = None,
) -> LogResult:
    """The next-morning pain and stiffness for a logged session (or run); a session's decisions are made again."""
    del by  # the log keeps who created it; the morning answer is the runner's own
    _check_morning(pain_0_10, stiffness_0_10)
    repo.lock_runner(s, runner_id)
    row = repo.get_log(s, log_id, runner_id=runner_id)
    if row is None:
        raise PortalInputError("No such entry in your logbook.", status=404)
    repo.set_morning(s, row, pain_0_10=pain_0_10, stiffness_0_10=stiffness_0_10)
    if row.kind == "session":
        program = _program_or_refuse(s, runner_id)
        _reevaluate(s, runner_id, program.data, row)
        return _result(s, runner_id, row, True)
    return _result(s, runner_id, row, True, run=judge_run(s, runner_id, row))


def log_run(
    s: Session, runner_id: int, run: RunIn, *, client_key: str, created_by: int | None = None
) -> LogResult:
    """Store one run (once per client key) and judge it for a spike against the runner's logged runs."""
    repo.lock_runner(s, runner_id)
    try:
        day = dt.date.fromisoformat(run.date)
    except ValueError:
        raise PortalInputError("Not a real date.", {"date": "use a real calendar date"}) from None
    program = records.latest_published_program(s, runner_id)
    added = repo.add_log(
        s,
        runner_id=runner_id,
        kind="run",
        day=day,
        data=run.model_dump(mode="json", exclude={"pain_next_morning_0_10"}),
        client_key=client_key,
        program_id=program.id if program else None,
        created_by=created_by,
        morning_pain_0_10=run.pain_next_morning_0_10,
    )
    judgement = judge_run(s, runner_id, added.log)
    if added.created:
        added.log.data = {**added.log.data, "judgement": judgement.to_dict()}
        s.flush()
    return _result(s, runner_id, added.log, added.created, run=judgement)


__all__ = [
    "MORNING_WINDOW_DAYS",
    "WEEKDAYS",
    "DayKind",
    "DecisionView",
    "ExerciseCard",
    "LogResult",
    "LogView",
    "PortalInputError",
    "PreRunItem",
    "RunIn",
    "RunJudgement",
    "TodayPlan",
    "current_phase",
    "decision_view",
    "decisions_of",
    "figure_url",
    "judge_run",
    "log_morning",
    "log_run",
    "log_session",
    "log_view",
    "logged_day",
    "red_flags",
    "referral_lines",
    "session_exercises",
    "today",
    "validate_run",
]
