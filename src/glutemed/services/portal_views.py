"""The runner portal's shared pieces: the input error, the views of logs and decisions, and the lookups that today's
plan and the logging both use (red flags, referral lines, the latest tests, stored decisions). See
:mod:`glutemed.services.portal`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from glutemed.db import portal as repo
from glutemed.db import records
from glutemed.db.models import ProgressDecision, TrainingLog
from glutemed.knowledge.loader import KnowledgeBase, knowledge_base
from glutemed.services import progress_log
from glutemed.services.intake_schema import IntakeIn, SessionIn, validate
from glutemed.services.program import URGENCY_WORDS


class PortalInputError(ValueError):
    """Input that cannot be stored; ``fields`` maps a form field to its message (shown next to it)."""

    def __init__(self, message: str, fields: dict[str, str] | None = None, status: int = 422) -> None:
        super().__init__(message)
        self.fields = dict(fields or {})
        self.status = status


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
