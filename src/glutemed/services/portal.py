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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, ValidationError
from sqlalchemy.orm import Session

from glutemed.core.clinical_scoring import TestScore, score_all
from glutemed.core.load import Session as LoadSession
from glutemed.core.load_models import build_report
from glutemed.core.progression import Decision, phase_ready
from glutemed.db import portal as repo
from glutemed.db import records
from glutemed.db.models import ProgressDecision, TrainingLog
from glutemed.knowledge.loader import KnowledgeBase, knowledge_base
from glutemed.knowledge.rules import bundled_rules
from glutemed.services import progress_log
from glutemed.services.assessment import norm_equation
from glutemed.services.intake_schema import IntakeIn, RunnerIn, SessionIn, TestsIn, _Strict, validate
from glutemed.services.load import load_params
from glutemed.services.program import STRENGTH_PHASE, URGENCY_WORDS, strength_criterion

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MORNING_WINDOW_DAYS = 2  # the next-morning question stays open for two days (glutemed default)
DayKind = Literal["session", "pre-run", "rest", "no-program", "stopped"]


class PortalInputError(ValueError):
    """Input that cannot be stored; ``fields`` maps a form field to its message (shown next to it)."""

    def __init__(self, message: str, fields: dict[str, str] | None = None, status: int = 422) -> None:
        super().__init__(message)
        self.fields = dict(fields or {})
        self.status = status


class RunIn(_Strict):
    """One run as the runner logs it on the phone."""

    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    distance_km: float = Field(gt=0, le=300)
    duration_min: float = Field(gt=0, le=3000)
    pain_during_0_10: float = Field(ge=0, le=10)
    pain_next_morning_0_10: float | None = Field(default=None, ge=0, le=10)


# ------------------------------------------------------------------------------------------- views


@dataclass(frozen=True)
class ExerciseCard:
    exercise_id: str
    name: str
    dose: str
    sets: int
    reps: int | None
    hold_s: int | None
    load_kg: float
    steps: tuple[str, ...]
    cues: tuple[str, ...]
    figure_url: str | None


@dataclass(frozen=True)
class PreRunItem:
    exercise_id: str
    name: str
    dose: str
    figure_url: str | None


@dataclass(frozen=True)
class LogView:
    id: int
    kind: str
    day: dt.date
    data: dict[str, Any]
    client_key: str
    morning_pain_0_10: float | None
    morning_stiffness_0_10: float | None

    @property
    def summary(self) -> str:
        if self.kind == "run":
            return (
                f"run of {self.data.get('distance_km', 0):g} km in {self.data.get('duration_min', 0):g} min"
            )
        n = len(self.data.get("exercises", []))
        return f"exercise session ({n} exercise{'s' if n != 1 else ''})"


@dataclass(frozen=True)
class DecisionView:
    exercise_id: str
    name: str
    action: str  # what applies: the clinician's override when there is one
    rule_action: str
    overridden: bool
    override_note: str | None
    plain_reason: str
    reason: str
    next_step: str
    dose_before: str
    dose_after: str
    refs: tuple[str, ...]


@dataclass(frozen=True)
class RunJudgement:
    """A logged run against the runner's logged runs, the way ``glutemed load`` judges an import."""

    spike: bool
    distance_km: float
    longest_prev_30d_km: float | None
    pct_of_longest_prev_30d: float | None
    category: str
    weekly_caution: bool
    week_km: float
    previous_week_km: float | None
    plain: str
    refs: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "spike": self.spike,
            "distance_km": self.distance_km,
            "longest_prev_30d_km": self.longest_prev_30d_km,
            "pct_of_longest_prev_30d": self.pct_of_longest_prev_30d,
            "category": self.category,
            "weekly_caution": self.weekly_caution,
            "week_km": self.week_km,
            "previous_week_km": self.previous_week_km,
            "plain": self.plain,
            "refs": list(self.refs),
        }


@dataclass(frozen=True)
class LogResult:
    log: LogView
    created: bool
    decisions: tuple[DecisionView, ...] = ()
    stopped: str | None = None
    pain_trend: str = ""
    phase_text: str = ""
    run: RunJudgement | None = None


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


# ------------------------------------------------------------------------------------------- helpers


def log_view(row: TrainingLog) -> LogView:
    return LogView(
        id=row.id,
        kind=row.kind,
        day=row.day,
        data=dict(row.data),
        client_key=row.client_key,
        morning_pain_0_10=row.morning_pain_0_10,
        morning_stiffness_0_10=row.morning_stiffness_0_10,
    )


def _dose_words(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return str(value.get("text") or "")
    return ""


def decision_view(row: ProgressDecision, kb: KnowledgeBase | None = None) -> DecisionView:
    data = row.data or {}
    kb = kb or knowledge_base()
    exercise = kb.exercises.get(row.exercise_id)
    return DecisionView(
        exercise_id=row.exercise_id,
        name=str(data.get("name") or (exercise.name if exercise else row.exercise_id)),
        action=repo.effective_action(row),
        rule_action=row.action,
        overridden=row.override_action is not None,
        override_note=row.override_note,
        plain_reason=str(data.get("plain_reason") or ""),
        reason=row.reason,
        next_step=row.next_step,
        dose_before=_dose_words(data.get("dose_before")),
        dose_after=_dose_words(data.get("dose_after")),
        refs=tuple(data.get("refs") or ()),
    )


def figure_url(exercise_id: str, kb: KnowledgeBase) -> str | None:
    return f"/portal/figures/{exercise_id}.svg" if exercise_id in kb.figures else None


def red_flags(s: Session, runner_id: int) -> tuple[str, ...]:
    """The red flags the runner's latest intake raises (ids from red_flags.yaml), none without an intake."""
    row = records.latest_intake(s, runner_id)
    if row is None:
        return ()
    intake = validate(IntakeIn, row.data, f"intake {row.id}").to_core()
    return tuple(intake.red_flags.raised or ())


def referral_lines(flags: Sequence[str], kb: KnowledgeBase) -> tuple[str, ...]:
    """Each red flag in the knowledge base's words: what it is, why see a doctor, how soon."""
    out = []
    for ident in flags:
        flag = kb.red_flags.get(ident)
        if flag is not None:
            out.append(f"{flag.name}: {flag.why_refer} {URGENCY_WORDS[flag.urgency]}")
    return tuple(out)


def _stopped_message(program: dict[str, Any], flags: Sequence[str], kb: KnowledgeBase) -> tuple[str, ...]:
    if program.get("stopped"):
        lines = [
            f"{r.get('name')}: {r.get('why_refer')} {r.get('urgency_words')}"
            for r in program.get("referral", [])
        ]
        return tuple(lines) or (str(program.get("message") or "See a doctor before training again."),)
    return referral_lines(flags, kb)


def logged_day(row: TrainingLog) -> progress_log.LoggedDay:
    return progress_log.LoggedDay(
        day=row.day,
        session=SessionIn.model_validate(row.data),
        morning_pain_0_10=row.morning_pain_0_10,
        morning_stiffness_0_10=row.morning_stiffness_0_10,
    )


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


def _tests(s: Session, runner_id: int) -> dict[str, Any] | None:
    """The latest re-test (else the intake's tests), with the intake's runner data so that dynamometry is
    compared with the norm for age, sex and body mass."""
    row = records.latest_test_result(s, runner_id)
    intake = records.latest_intake(s, runner_id)
    tests = dict(row.data) if row is not None else (intake.data.get("tests") if intake is not None else None)
    if not isinstance(tests, dict):
        return None
    if intake is not None and isinstance(intake.data.get("runner"), dict):
        tests = {**tests, "runner": intake.data["runner"]}
    return tests


def decisions_of(s: Session, runner_id: int, log_id: int) -> tuple[DecisionView, ...]:
    kb = knowledge_base()
    return tuple(decision_view(r, kb) for r in repo.list_decisions(s, runner_id, training_log_id=log_id))


# ------------------------------------------------------------------------------------------- today


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


def validate_run(data: dict[str, Any]) -> RunIn:
    """A run from a form or JSON; PortalInputError with a message per field."""
    try:
        run = RunIn.model_validate(data)
        dt.date.fromisoformat(run.date)
    except ValidationError as exc:
        fields = {".".join(str(p) for p in e["loc"]): e["msg"] for e in exc.errors()}
        raise PortalInputError("The run was not stored: " + "; ".join(fields.values()), fields) from None
    except ValueError:
        raise PortalInputError(
            "The run was not stored: not a real date.", {"date": "not a real date"}
        ) from None
    return run


# ------------------------------------------------------------------------------------------- runs


def _load_sessions(runs: Sequence[TrainingLog]) -> list[LoadSession]:
    """Logged runs as the load models' sessions: noon UTC of their day, a minute apart within a day."""
    out: list[LoadSession] = []
    per_day: dict[dt.date, int] = {}
    for row in runs:
        n = per_day.get(row.day, 0)
        per_day[row.day] = n + 1
        start = dt.datetime.combine(row.day, dt.time(12, 0), tzinfo=dt.UTC) + dt.timedelta(minutes=n)
        out.append(
            LoadSession(
                start_utc=start,
                sport="running",
                distance_m=float(row.data.get("distance_km", 0)) * 1000.0,
                moving_time_s=float(row.data.get("duration_min", 0)) * 60.0,
                sources=(f"portal log {row.id}",),
            )
        )
    return out


def judge_run(s: Session, runner_id: int, run: TrainingLog) -> RunJudgement:
    """The run's spike category and its week's change, by the load models and thresholds of ``glutemed load``."""
    runs = repo.list_logs(s, runner_id, kind="run")
    sessions = _load_sessions(runs)
    index = next(i for i, r in enumerate(runs) if r.id == run.id)
    mine = sessions[index]
    params = load_params()
    report = build_report(sessions, [], params=params)
    spike_row = next(
        r for r in report.model("session_spikes").rows if r["start_utc"] == mine.start_utc.isoformat()
    )
    week = mine.start_utc.date() - dt.timedelta(days=mine.start_utc.weekday())
    week_row = next((r for r in report.model("week_change").rows if r["week_start"] == week.isoformat()), {})
    caution = bool(week_row.get("caution"))
    spike = bool(spike_row.get("spike"))
    pct = spike_row.get("pct_of_longest_prev_30d")
    longest = spike_row.get("longest_prev_30d_km")
    km = round(mine.distance_m / 1000, 2)
    if spike and pct is not None and longest is not None:
        plain = (
            f"This run was {pct - 100:.0f}% longer than your longest run of the 30 days before it "
            f"({longest:g} km). Runs that much longer than usual came with more injuries in a large study "
            "of runners: build up your long run in smaller steps."
        )
    elif longest is None:
        plain = "This is your first logged run in 30 days, so there is nothing to compare it with yet."
    elif pct is None:
        plain = "Your runs of the last 30 days are still short, so this run is not compared with them."
    else:
        plain = f"This run was within the usual range: your longest run of the 30 days before it was {longest:g} km."
    if caution:
        plain += (
            f" Your running this week ({week_row.get('distance_km')} km) is more than "
            f"{params.weekly_caution_above_pct:g}% above last week's ({week_row.get('previous_km')} km): "
            "take it as a caution."
        )
    refs = ("frandsen2025",) + (("nielsen2014a",) if caution else ())
    return RunJudgement(
        spike=spike,
        distance_km=km,
        longest_prev_30d_km=longest,
        pct_of_longest_prev_30d=pct,
        category=str(spike_row.get("category", "")),
        weekly_caution=caution,
        week_km=float(week_row.get("distance_km") or km),
        previous_week_km=week_row.get("previous_km"),
        plain=plain,
        refs=refs,
    )


__all__ = [
    "DecisionView",
    "ExerciseCard",
    "LogResult",
    "LogView",
    "PortalInputError",
    "PreRunItem",
    "RunIn",
    "RunJudgement",
    "TodayPlan",
    "judge_run",
    "log_morning",
    "log_run",
    "log_session",
    "session_exercises",
    "today",
    "validate_run",
]
