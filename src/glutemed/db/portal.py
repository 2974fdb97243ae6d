"""The runner portal's logbook: training logs (sessions and runs, with next-morning pain) and the progression
decisions stored per logged session.

Functions take a :class:`sqlalchemy.orm.Session` inside a transaction the caller owns and never commit; they
store what they are given (the services layer validates the session-log contract and makes the decisions).

- :func:`add_log` is idempotent by ``(runner_id, client_key)``: the form makes the key when it is first shown,
  so a form sent twice, or the same entry sent from two devices, stores one row and returns it both times. The
  insert is ``INSERT ... ON CONFLICT (runner_id, client_key) DO NOTHING`` on both SQLite and PostgreSQL, then
  the row is read back by its key, so two transactions racing with the same key never fail and never make two
  rows, and two different keys never lose either entry.
- :func:`lock_runner` serialises the portal's writes for one runner (``SELECT ... FOR UPDATE`` on the runner's
  row on PostgreSQL; on SQLite ``Database.write()`` already holds the write lock from ``BEGIN IMMEDIATE``), so
  decisions computed over the runner's whole history always see every entry committed before them.
- :func:`store_decisions` replaces the decisions of one log, exercise by exercise: a row for the same exercise
  is updated in place (a clinician's override on it is kept), rows for exercises no longer decided are removed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from glutemed.db.models import ACTIONS, TRAINING_KINDS, ProgressDecision, Runner, TrainingLog, utcnow


class PortalError(ValueError):
    """A logbook change that cannot be made (unknown log, wrong kind); the message says why."""


@dataclass(frozen=True)
class AddedLog:
    """The stored log and whether this call made it (False: the key was already stored, nothing changed)."""

    log: TrainingLog
    created: bool


@dataclass(frozen=True)
class NewDecision:
    """One exercise's decision for a logged session, as the services layer made it."""

    exercise_id: str
    action: str
    reason: str
    next_step: str
    data: dict[str, Any]


def lock_runner(s: Session, runner_id: int) -> Runner:
    """The runner's row, locked until the transaction ends (PostgreSQL); PortalError for an unknown runner."""
    query = select(Runner).where(Runner.id == runner_id)
    if s.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    runner = s.scalar(query)
    if runner is None:
        raise PortalError(f"no runner {runner_id}")
    return runner


def add_log(
    s: Session,
    *,
    runner_id: int,
    kind: str,
    day: dt.date,
    data: dict[str, Any],
    client_key: str,
    program_id: int | None = None,
    created_by: int | None = None,
    morning_pain_0_10: float | None = None,
    morning_stiffness_0_10: float | None = None,
) -> AddedLog:
    """Store one session or run once per ``(runner_id, client_key)``; a repeat returns the stored row."""
    if kind not in TRAINING_KINDS:
        raise PortalError(f"kind must be one of {', '.join(TRAINING_KINDS)}")
    if not client_key or len(client_key) > 64:
        raise PortalError("client_key must be 1 to 64 characters")
    now = utcnow()
    values: dict[str, Any] = {
        "runner_id": runner_id,
        "program_id": program_id,
        "kind": kind,
        "day": day,
        "data": data,
        "client_key": client_key,
        "morning_pain_0_10": morning_pain_0_10,
        "morning_stiffness_0_10": morning_stiffness_0_10,
        "morning_logged_at": now if morning_pain_0_10 is not None else None,
        "created_at": now,
        "created_by": created_by,
        "updated_at": now,
    }
    dialect = s.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(TrainingLog)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["runner_id", "client_key"])
        .returning(TrainingLog.id)
    )
    new_id = s.execute(statement).scalar()
    row = get_log_by_key(s, runner_id, client_key)
    if row is None:  # pragma: no cover - the row exists after the insert or the conflict
        raise PortalError("the log could not be stored")
    return AddedLog(row, created=new_id is not None)


def get_log_by_key(s: Session, runner_id: int, client_key: str) -> TrainingLog | None:
    query = select(TrainingLog).where(
        TrainingLog.runner_id == runner_id, TrainingLog.client_key == client_key
    )
    return s.scalar(query.execution_options(populate_existing=True))


def get_log(s: Session, log_id: int, *, runner_id: int | None = None) -> TrainingLog | None:
    row = s.get(TrainingLog, log_id)
    if row is None or (runner_id is not None and row.runner_id != runner_id):
        return None
    return row


def set_morning(
    s: Session, log: TrainingLog, *, pain_0_10: float, stiffness_0_10: float | None
) -> TrainingLog:
    """The next-morning pain and stiffness of a logged session or run (a second answer replaces the first)."""
    log.morning_pain_0_10 = pain_0_10
    log.morning_stiffness_0_10 = stiffness_0_10
    log.morning_logged_at = utcnow()
    log.updated_at = log.morning_logged_at
    s.flush()
    return log


def list_logs(
    s: Session,
    runner_id: int,
    *,
    kind: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> list[TrainingLog]:
    """A runner's logs in the order they happened: by day, then in the order they were stored."""
    query = select(TrainingLog).where(TrainingLog.runner_id == runner_id)
    if kind is not None:
        query = query.where(TrainingLog.kind == kind)
    if since is not None:
        query = query.where(TrainingLog.day >= since)
    if until is not None:
        query = query.where(TrainingLog.day <= until)
    return list(s.scalars(query.order_by(TrainingLog.day, TrainingLog.id)))


def logs_by_day(s: Session, runner_id: int, *, kind: str | None = None) -> dict[dt.date, list[TrainingLog]]:
    out: dict[dt.date, list[TrainingLog]] = {}
    for row in list_logs(s, runner_id, kind=kind):
        out.setdefault(row.day, []).append(row)
    return out


def store_decisions(s: Session, log: TrainingLog, decisions: Sequence[NewDecision]) -> list[ProgressDecision]:
    """Make ``decisions`` the decisions of ``log``: same exercise updated in place (override kept), others
    added, exercises no longer decided removed. Returns them in the order given."""
    for d in decisions:
        if d.action not in ACTIONS:
            raise PortalError(f"action must be one of {', '.join(ACTIONS)}, got {d.action!r}")
    existing = {row.exercise_id: row for row in list_decisions(s, log.runner_id, training_log_id=log.id)}
    wanted = {d.exercise_id for d in decisions}
    gone = [row.id for ident, row in existing.items() if ident not in wanted]
    if gone:
        s.execute(delete(ProgressDecision).where(ProgressDecision.id.in_(gone)))
    now = utcnow()
    out: list[ProgressDecision] = []
    for d in decisions:
        row = existing.get(d.exercise_id)
        if row is None:
            row = ProgressDecision(
                runner_id=log.runner_id,
                training_log_id=log.id,
                program_id=log.program_id,
                exercise_id=d.exercise_id,
                created_at=now,
            )
            s.add(row)
        row.action = d.action
        row.reason = d.reason
        row.next_step = d.next_step
        row.data = d.data
        out.append(row)
    s.flush()
    return out


def list_decisions(
    s: Session, runner_id: int, *, training_log_id: int | None = None
) -> list[ProgressDecision]:
    """A runner's decisions, oldest first (by the day of their log, then as stored)."""
    query = (
        select(ProgressDecision)
        .join(TrainingLog, TrainingLog.id == ProgressDecision.training_log_id)
        .where(ProgressDecision.runner_id == runner_id)
    )
    if training_log_id is not None:
        query = query.where(ProgressDecision.training_log_id == training_log_id)
    order = (TrainingLog.day, TrainingLog.id, ProgressDecision.id)
    return list(s.scalars(query.order_by(*order)))


def effective_action(decision: ProgressDecision) -> str:
    """What applies: the clinician's override when there is one, else the rules' action."""
    return decision.override_action or decision.action


def overrides_by_day(s: Session, runner_id: int) -> dict[dt.date, dict[str, str]]:
    """The clinician's overrides, per day of the logged session: exercise id -> action."""
    query = (
        select(TrainingLog.day, ProgressDecision.exercise_id, ProgressDecision.override_action)
        .join(TrainingLog, TrainingLog.id == ProgressDecision.training_log_id)
        .where(ProgressDecision.runner_id == runner_id, ProgressDecision.override_action.is_not(None))
        .order_by(TrainingLog.day, TrainingLog.id, ProgressDecision.id)
    )
    out: dict[dt.date, dict[str, str]] = {}
    for day, exercise_id, action in s.execute(query):
        if action is not None:
            out.setdefault(day, {})[exercise_id] = action
    return out
