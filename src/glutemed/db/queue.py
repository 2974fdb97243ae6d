"""A durable job queue in the ``jobs`` table: enqueue, atomic claim with a lease, heartbeat, finish, retry.

States: ``queued`` -> ``running`` (a worker holds a lease until ``lease_until``) -> ``done`` | ``failed``.

- **Claim** takes the oldest queued job, or a running job whose lease has expired (its worker died), in one
  statement ``UPDATE jobs SET state='running', ... WHERE id = (SELECT id ... LIMIT 1 FOR UPDATE SKIP LOCKED)
  RETURNING ...``. On PostgreSQL the row lock with SKIP LOCKED lets concurrent workers take different jobs
  without waiting; on SQLite the statement runs inside ``BEGIN IMMEDIATE``, which serialises writers. Either
  way one claim wins a job.
- **Fencing**: every claim adds one to ``attempts``; heartbeats, progress, the final write and failure are
  conditional on ``(id, state='running', worker_id, attempts)``. A worker whose lease expired and whose job
  another worker has since claimed changes nothing: its calls return False or raise :class:`LeaseLostError`,
  and its result transaction rolls back. So a job is never run to completion twice, and never by two at once.
- **Lost workers**: a job whose lease expired ``max_attempts`` times (a job that kills its worker) is marked
  failed with that reason instead of being claimed again.
- **Results**: :func:`finish` runs inside the caller's transaction, so the result rows and ``state='done'``
  commit together or not at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, or_, select, update
from sqlalchemy.orm import Session

from glutemed.db.engine import Database
from glutemed.db.models import JOB_KINDS, Job, Runner, UTCDateTime, utcnow

DEFAULT_LEASE = dt.timedelta(seconds=60)
DEFAULT_MAX_ATTEMPTS = 3
OPEN_STATES = ("queued", "running")
LOST_WORKER = (
    "the worker running this job stopped at every attempt (its lease expired); not retried automatically"
)


class LeaseLostError(BaseException):
    """This worker no longer holds the job (its lease expired and another worker claimed it).

    A cancellation, like ``asyncio.CancelledError``: derived from BaseException so that code which turns
    ordinary errors into data (a reader that skips a bad file on ``RuntimeError``) cannot swallow it.
    """


@dataclass(frozen=True)
class Claim:
    """A job held by one worker; ``attempt`` is the fencing token."""

    job_id: int
    attempt: int
    worker_id: str
    kind: str
    runner_id: int
    payload: dict[str, Any]


def _at(value: dt.datetime) -> Any:
    return literal(value, UTCDateTime())


def _clock(database: Database, now: dt.datetime | None) -> tuple[Any, Callable[[dt.timedelta], Any]]:
    """(now, now + lease) as SQL: PostgreSQL's own clock (UTC), so workers on several machines agree on
    when a lease ends; on SQLite (one machine) or with an explicit ``now`` (tests), this process's clock."""
    if now is None and database.engine.dialect.name == "postgresql":
        server_now = func.timezone("UTC", func.now())
        return server_now, lambda lease: server_now + lease
    at = now or utcnow()
    return _at(at), lambda lease: _at(at + lease)


def enqueue(
    s: Session,
    *,
    kind: str,
    runner_id: int,
    payload: dict[str, Any] | None = None,
    created_by: int | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> Job:
    """Add a queued job; it runs when a worker claims it (the caller's transaction must commit first)."""
    if kind not in JOB_KINDS:
        raise ValueError(f"job kind must be one of {', '.join(JOB_KINDS)} (got {kind!r})")
    job = Job(
        kind=kind,
        runner_id=runner_id,
        payload=payload or {},
        created_by=created_by,
        max_attempts=max_attempts,
        state="queued",
        attempts=0,
        progress={"stage": "queued"},
    )
    s.add(job)
    s.flush()
    return job


def get_job(s: Session, job_id: int, *, runner_id: int | None = None) -> Job | None:
    job = s.get(Job, job_id)
    if job is None or (runner_id is not None and job.runner_id != runner_id):
        return None
    return job


def list_jobs(
    s: Session,
    *,
    runner_id: int | None = None,
    clinic_id: int | None = None,
    states: Iterable[str] | None = None,
    limit: int = 100,
) -> list[Job]:
    """Jobs newest first, filtered by runner, clinic (through the runner) and state."""
    query = select(Job)
    if runner_id is not None:
        query = query.where(Job.runner_id == runner_id)
    if clinic_id is not None:
        query = query.join(Runner, Runner.id == Job.runner_id).where(Runner.clinic_id == clinic_id)
    if states is not None:
        query = query.where(Job.state.in_(tuple(states)))
    return list(s.scalars(query.order_by(Job.created_at.desc(), Job.id.desc()).limit(limit)))


def _fence(claim: Claim) -> ColumnElement[bool]:
    return and_(
        Job.id == claim.job_id,
        Job.state == "running",
        Job.worker_id == claim.worker_id,
        Job.attempts == claim.attempt,
    )


def claim(
    database: Database,
    worker_id: str,
    *,
    lease: dt.timedelta = DEFAULT_LEASE,
    kinds: Iterable[str] | None = None,
    now: dt.datetime | None = None,
) -> Claim | None:
    """Take the oldest claimable job for ``worker_id``, or None when there is none."""
    at, until = _clock(database, now)
    expired = and_(Job.state == "running", Job.lease_until < at)
    with database.write() as s:
        worn_out = (
            select(Job.id).where(expired, Job.attempts >= Job.max_attempts).with_for_update(skip_locked=True)
        )
        s.execute(
            update(Job)
            .where(Job.id.in_(worn_out))
            .values(
                state="failed",
                error=LOST_WORKER,
                finished_at=at,
                lease_until=None,
            )
            .execution_options(synchronize_session=False)
        )
        pick = select(Job.id).where(or_(Job.state == "queued", expired))
        if kinds is not None:
            pick = pick.where(Job.kind.in_(tuple(kinds)))
        pick = pick.order_by(Job.created_at, Job.id).limit(1).with_for_update(skip_locked=True)
        row = s.execute(
            update(Job)
            .where(Job.id == pick.scalar_subquery())
            .values(
                state="running",
                worker_id=worker_id,
                lease_until=until(lease),
                attempts=Job.attempts + 1,
                started_at=func.coalesce(Job.started_at, at),
                progress={"stage": "starting"},
                error=None,
            )
            .returning(Job.id, Job.attempts, Job.kind, Job.runner_id, Job.payload)
            .execution_options(synchronize_session=False)
        ).first()
    if row is None:
        return None
    return Claim(row[0], row[1], worker_id, row[2], row[3], dict(row[4] or {}))


def heartbeat(
    database: Database,
    held: Claim,
    *,
    lease: dt.timedelta = DEFAULT_LEASE,
    progress: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> bool:
    """Extend the lease (and store progress); False when the job is no longer this worker's."""
    values: dict[str, Any] = {"lease_until": _clock(database, now)[1](lease)}
    if progress is not None:
        values["progress"] = progress
    with database.session() as s:
        result = s.execute(
            update(Job).where(_fence(held)).values(**values).execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def finish(
    s: Session, held: Claim, result: dict[str, Any], *, progress: dict[str, Any] | None = None
) -> None:
    """Mark the job done with ``result`` inside the caller's transaction (with the rows the job wrote).

    Raises :class:`LeaseLostError` when the job is no longer this worker's; the caller's transaction then
    rolls back, so nothing the lost attempt made is kept.
    """
    done = s.execute(
        update(Job)
        .where(_fence(held))
        .values(
            state="done",
            result=result,
            finished_at=_at(utcnow()),
            lease_until=None,
            progress=progress or {"stage": "done"},
        )
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise LeaseLostError(f"job {held.job_id}: lease lost before its result was stored")


def fail(database: Database, held: Claim, error: str) -> bool:
    """Mark the job failed with a reason a person can read; False when it is no longer this worker's."""
    with database.session() as s:
        result = s.execute(
            update(Job)
            .where(_fence(held))
            .values(state="failed", error=error[:4000], finished_at=_at(utcnow()), lease_until=None)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def retry(s: Session, job_id: int) -> bool:
    """Queue a failed job again (its attempts so far are kept; it gets the default attempts on top).

    False when the job is not failed (a queued, running or done job is left alone).
    """
    result = s.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == "failed")
        .values(
            state="queued",
            error=None,
            result=None,
            progress={"stage": "queued"},
            worker_id=None,
            lease_until=None,
            finished_at=None,
            max_attempts=Job.attempts + DEFAULT_MAX_ATTEMPTS,
        )
        .execution_options(synchronize_session=False)
    )
    s.expire_all()
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def count_by_state(s: Session, *, clinic_id: int | None = None) -> dict[str, int]:
    query = select(Job.state, func.count()).group_by(Job.state)
    if clinic_id is not None:
        query = query.join(Runner, Runner.id == Job.runner_id).where(Runner.clinic_id == clinic_id)
    return {state: int(n) for state, n in s.execute(query).all()}
