"""The runner portal's plan for a day: the current phase's session on its session days, the pre-run routine on
running days, a rest day otherwise, "no program yet" or "stopped" with the referral. See
:mod:`glutemed.services.portal`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.orm import Session

from glutemed.core.clinical_scoring import TestScore, score_all
from glutemed.core.progression import Decision, phase_ready
from glutemed.db import portal as repo
from glutemed.db import records
from glutemed.db.models import TrainingLog
from glutemed.knowledge.loader import KnowledgeBase, knowledge_base
from glutemed.knowledge.rules import bundled_rules
from glutemed.services import progress_log
from glutemed.services.assessment import norm_equation
from glutemed.services.intake_schema import RunnerIn, TestsIn, validate
from glutemed.services.portal_views import (
    DecisionView,
    ExerciseCard,
    LogView,
    PreRunItem,
    _stopped_message,
    decisions_of,
    figure_url,
    log_view,
    logged_day,
    red_flags,
)
from glutemed.services.program import STRENGTH_PHASE, strength_criterion

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MORNING_WINDOW_DAYS = 2  # the next-morning question stays open for two days (glutemed default)
DayKind = Literal["session", "pre-run", "rest", "no-program", "stopped"]


@dataclass(frozen=True)
class TodayPlan:
    day: dt.date
    kind: DayKind
    headline: str
    message: str
    program_id: int | None = None
    phase_id: str = ""
    phase_name: str = ""
    run_day: bool = False
    exercises: tuple[ExerciseCard, ...] = ()
    pre_run: tuple[PreRunItem, ...] = ()
    referral: tuple[str, ...] = ()
    pending_morning: LogView | None = None
    logged_today: tuple[LogView, ...] = ()
    last_decisions: tuple[DecisionView, ...] = ()
    last_log_id: int | None = None
    phase_note: str = ""


def _phase_of(program: dict[str, Any], logged: set[str]) -> dict[str, Any] | None:
    phases: list[dict[str, Any]] = program.get("phases", [])
    if not phases:
        return None
    best, best_n = phases[0], 0
    for phase in phases:
        n = len(logged & {e["exercise_id"] for e in phase.get("exercises", [])})
        if n > best_n:
            best, best_n = phase, n
    return best


def _retest_scores(s: Session, runner_id: int, after: dt.datetime) -> tuple[TestScore, ...] | None:
    """The clinical re-test recorded after ``after``, scored as the assessment scores it; None without one."""
    row = records.latest_test_result(s, runner_id)
    if row is None or row.created_at < after:
        return None
    intake = records.latest_intake(s, runner_id)
    if intake is None or not isinstance(intake.data.get("runner"), dict):
        return ()
    runner = RunnerIn.model_validate(intake.data["runner"])
    kb = knowledge_base()
    scores = score_all(
        validate(TestsIn, row.data, f"tests {row.id}").to_core(),
        age_years=runner.age_years,
        male=runner.sex == "male",
        mass_kg=runner.mass_kg,
        thresholds=bundled_rules().thresholds(),
        norm=norm_equation(kb),
    )
    return tuple(scores)


def current_phase(
    s: Session, runner_id: int, program: dict[str, Any], session_logs: Sequence[TrainingLog]
) -> tuple[dict[str, Any] | None, str]:
    """The phase the runner is in, and a note for the runner when the phase is done but waits for a re-test.

    The phase of the latest logged session (most of its exercises; the first phase before any log). It moves
    on to the next phase when every exercise of that phase earned "progress" in the latest session (core's
    ``phase_ready``, with the clinician's overrides) and the clinician recorded a re-test after it; the
    isolated-strength phase also needs that re-test to meet the strength criterion (``strength_criterion``).
    """
    logged: set[str] = set()
    if session_logs:
        logged = {e.get("exercise", "") for e in session_logs[-1].data.get("exercises", [])}
    phase = _phase_of(program, logged)
    if phase is None or not session_logs:
        return phase, ""
    last = session_logs[-1]
    stored = repo.list_decisions(s, runner_id, training_log_id=last.id)
    decided = [Decision(d.exercise_id, repo.effective_action(d), d.reason, d.next_step, ()) for d in stored]  # type: ignore[arg-type]
    ready, _text = phase_ready(decided, tuple(e["exercise_id"] for e in phase.get("exercises", [])))
    phases: list[dict[str, Any]] = program.get("phases", [])
    index = next(i for i, p in enumerate(phases) if p is phase)
    if not ready or index + 1 >= len(phases):
        return phase, ""
    waiting = "You reached the top of every exercise of this phase. Your clinician re-tests you before the next phase."
    scores = _retest_scores(s, runner_id, last.created_at)
    if scores is None:
        return phase, waiting
    if phase["id"] == STRENGTH_PHASE and strength_criterion(scores)[0] is not True:
        return phase, (
            "You reached the top of every exercise of this phase; the strength re-test is not yet where it "
            "needs to be, so you stay in this phase for now."
        )
    return phases[index + 1], ""


def _plan_day(program: dict[str, Any], phase_id: str, day: dt.date) -> tuple[bool, bool, list[str]]:
    """(session day, planned run day, pre-run exercise ids) from the plan, else from the weekly calendar."""
    name = WEEKDAYS[day.weekday()]
    for phase in program.get("plan", {}).get("phases", []):
        if phase.get("id") == phase_id:
            for entry in phase.get("days", []):
                if entry.get("day") == name:
                    return (
                        bool(entry.get("exercises")),
                        bool(entry.get("run")),
                        list(entry.get("pre_run", [])),
                    )
    calendar = program.get("calendar", [])
    todo = calendar[day.weekday()]["do"] if len(calendar) == 7 else []
    session = any("session" in item for item in todo)
    return session, False, []


def _pre_run_items(program: dict[str, Any], phase_id: str, kb: KnowledgeBase) -> tuple[PreRunItem, ...]:
    stages = program.get("pre_run_by_phase", [])
    items = next((st["items"] for st in stages if st.get("phase_id") == phase_id), program.get("pre_run", []))
    out = []
    for item in items:
        ident = item["exercise_id"]
        exercise = kb.exercises.get(ident)
        name = exercise.name if exercise else ident.replace("-", " ").capitalize()
        out.append(PreRunItem(ident, name, str(item.get("dose", "")), figure_url(ident, kb)))
    return tuple(out)


def _cards(
    phase: dict[str, Any], doses: dict[str, progress_log.Dose], kb: KnowledgeBase
) -> tuple[ExerciseCard, ...]:
    out = []
    for item in phase.get("exercises", []):
        ident = item["exercise_id"]
        exercise = kb.exercises.get(ident)
        dose = doses.get(ident)
        reps, hold = item.get("reps"), item.get("hold_s")
        sets, load = int(item.get("sets") or 1), 0.0
        if dose is not None:
            sets = dose.sets
            load = dose.load_kg
            if dose.reps_range is not None:
                reps = dose.reps_range[0]
            if dose.hold_s_range is not None:
                hold = dose.hold_s_range[0]
        out.append(
            ExerciseCard(
                exercise_id=ident,
                name=exercise.name if exercise else str(item.get("name", ident)),
                dose=dose.text() if dose is not None else f"{sets} sets",
                sets=sets,
                reps=reps,
                hold_s=hold,
                load_kg=load,
                steps=tuple(exercise.instructions) if exercise else (),
                cues=tuple(exercise.cues) if exercise else (),
                figure_url=figure_url(ident, kb),
            )
        )
    return tuple(out)


def today(s: Session, runner_id: int, day: dt.date) -> TodayPlan:
    """What the runner does on ``day``, from the latest published program and their logbook."""
    kb = knowledge_base()
    row = records.latest_published_program(s, runner_id)
    logs = repo.list_logs(s, runner_id)
    logged_today = tuple(log_view(x) for x in logs if x.day == day)
    pending = next(
        (
            log_view(x)
            for x in reversed(logs)
            if x.kind == "session"
            and x.morning_pain_0_10 is None
            and dt.timedelta(days=1) <= day - x.day <= dt.timedelta(days=MORNING_WINDOW_DAYS)
        ),
        None,
    )
    common: dict[str, Any] = {"pending_morning": pending, "logged_today": logged_today}
    if row is None:
        return TodayPlan(
            day,
            "no-program",
            "No program yet",
            "Your clinician has not published your program yet. It will show here once they have.",
            **common,
        )
    program = row.data
    flags = red_flags(s, runner_id)
    if program.get("stopped") or flags:
        return TodayPlan(
            day,
            "stopped",
            "Your program is stopped",
            "An answer in your check-in needs a doctor's look before you train again. "
            "Please do not do the exercises until then.",
            program_id=row.id,
            referral=_stopped_message(program, flags, kb),
            **common,
        )
    sessions = [x for x in logs if x.kind == "session" and x.day <= day]
    phase, phase_note = current_phase(s, runner_id, program, sessions)
    if phase is None:
        return TodayPlan(day, "no-program", "No program yet", "Your program has no exercises yet.", **common)
    history = [logged_day(x) for x in sessions]
    doses = progress_log.current_doses(program, history, repo.overrides_by_day(s, runner_id))
    session_day, run_day, _pre_ids = _plan_day(program, phase["id"], day)
    last = sessions[-1] if sessions else None
    extra = {
        "program_id": row.id,
        "phase_id": phase["id"],
        "phase_name": phase.get("name", phase["id"]),
        "run_day": run_day,
        "pre_run": _pre_run_items(program, phase["id"], kb),
        "last_log_id": last.id if last else None,
        "last_decisions": decisions_of(s, runner_id, last.id) if last else (),
        "phase_note": phase_note,
        **common,
    }
    if session_day:
        return TodayPlan(
            day,
            "session",
            "Today: your exercise session",
            "Do each exercise at the dose shown, then log what you did."
            + (" If you run today, do the pre-run routine before the run." if run_day else ""),
            exercises=_cards(phase, doses, kb),
            **extra,
        )
    if run_day:
        return TodayPlan(
            day,
            "pre-run",
            "Running day: pre-run routine first",
            "Before your run, do the short routine below. Then log the run.",
            **extra,
        )
    return TodayPlan(
        day,
        "rest",
        "Rest day",
        "No exercise session today. If you do run, do the pre-run routine first.",
        **extra,
    )


def session_exercises(s: Session, runner_id: int, day: dt.date) -> tuple[ExerciseCard, ...]:
    """The exercises the session form asks about: the current phase's, with today's dose (any day)."""
    plan = today(s, runner_id, day)
    if plan.exercises or plan.kind in ("no-program", "stopped"):
        return plan.exercises
    row = records.latest_published_program(s, runner_id)
    if row is None:
        return ()
    sessions = [x for x in repo.list_logs(s, runner_id, kind="session") if x.day <= day]
    phase, _note = current_phase(s, runner_id, row.data, sessions)
    if phase is None:
        return ()
    history = [logged_day(x) for x in sessions]
    doses = progress_log.current_doses(row.data, history, repo.overrides_by_day(s, runner_id))
    return _cards(phase, doses, knowledge_base())


# ------------------------------------------------------------------------------------------- logging
