"""Use case: a runner's record in and out. Import a ``glutemed log`` logbook, export the whole record as one JSON
document, and erase the record (the runner's right to erasure).

- **Import** (:func:`read_logbook`, :func:`import_logbook`): the file is read with the bounded readers of
  :mod:`glutemed.io.safe_read` (size cap of the ``logbook`` kind, UTF-8, duplicate keys, huge integers and deep
  nesting refused; YAML without anchors or aliases) and checked against the logbook contract
  (:class:`~glutemed.services.intake_schema.LogbookIn`). Each session is stored through the portal
  (:func:`glutemed.services.portal.log_session`, which decides its progression) with a client key made from the
  session itself (SHA-256 of its canonical JSON), so importing the same logbook twice stores nothing new. All
  sessions go in one transaction: a session the portal refuses stores none of them.
- **Export** (:func:`export_chunks`): every row of the runner's record as JSON, section by section, produced as
  it is read (a download streams it). Password hashes, token hashes and internal file paths are left out.
- **Erasure** (:func:`erase_runner`): every row of the runner (logs, decisions, feeds, invitations, programs,
  assessments, load reports, jobs, uploads, intakes, tests, their user accounts and sign-in attempts) and every
  stored file only they use, in one transaction. Files are first moved aside into the store's ``tmp`` folder;
  if anything fails they are moved back and the transaction rolls back, so nothing is half deleted. An upload's
  bytes are stored once per content hash and may be another runner's upload too: that file stays.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from glutemed import __version__
from glutemed.db import portal as portal_repo
from glutemed.db.engine import Database
from glutemed.db.models import (
    Assessment,
    Base,
    CalendarFeed,
    Clinic,
    Intake,
    Invitation,
    Job,
    LoadReport,
    LoginAttempt,
    ProgramRecord,
    ProgressDecision,
    Runner,
    TestResult,
    TrainingLog,
    Upload,
    User,
)
from glutemed.db.storage import FileStore
from glutemed.io.errors import InputFileError as FileInputError
from glutemed.io.safe_read import decode_text, limit_bytes, parse_json, parse_yaml
from glutemed.services import portal
from glutemed.services.intake_schema import InputFileError, LogbookIn, SessionIn, validate

SCHEMA = "glutemed.record/v1"
# Never exported: secrets (password and token hashes), server-side file paths, and caches derived from documents
# that are exported whole.
HIDDEN = {"password_hash", "token_hash", "storage_path", "worker_id"}
HIDDEN_PREFIX = "summary_"


# -------------------------------------------------------------------------------------------- import


def read_logbook(name: str, data: bytes) -> LogbookIn:
    """A logbook file's bytes, read as carefully as a file on disk; InputFileError names the file and field."""
    cap = limit_bytes("logbook")
    if len(data) > cap:
        raise InputFileError(
            f"{name}: {len(data) / 2**20:.1f} MB is over the {cap / 2**20:.1f} MB limit for a logbook"
        )
    try:
        text = decode_text(name, data, "logbook")
        if text.lstrip().startswith(("{", "[")):
            parsed = parse_json(name, text, "logbook")
        else:
            parsed = parse_yaml(name, text, "logbook")
    except FileInputError as exc:
        raise InputFileError(str(exc)) from None
    book = validate(LogbookIn, parsed, name)
    if not book.sessions:
        raise InputFileError(f"{name}: sessions: the logbook has no sessions to import")
    return book


def client_key(session: SessionIn) -> str:
    """The session's own fingerprint: SHA-256 of its canonical JSON (64 hex digits)."""
    canonical = json.dumps(session.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ImportResult:
    sessions: int  # in the file
    stored: int  # new in the record
    already: int  # found stored from an earlier import (same session, same key)


def import_logbook(
    s: Session, runner_id: int, book: LogbookIn, *, source: str, created_by: int | None
) -> ImportResult:
    """Store every session of ``book`` for the runner (the caller's transaction: all or none).

    PortalInputError (from the portal) names the session and field, e.g. ``sessions.2.exercises.0.exercise``.
    """
    stored = 0
    for index, session in enumerate(book.sessions):
        try:
            result = portal.log_session(
                s, runner_id, session, client_key=client_key(session), created_by=created_by
            )
        except portal.PortalInputError as exc:
            fields = {f"sessions.{index}.{k}": v for k, v in exc.fields.items()}
            where = "; ".join(f"{k}: {v}" for k, v in fields.items())
            message = f"{source}: session {index + 1} ({session.date}): {where or exc}; nothing was imported"
            raise portal.PortalInputError(message, fields, exc.status) from None
        stored += int(result.created)
    return ImportResult(len(book.sessions), stored, len(book.sessions) - stored)


# -------------------------------------------------------------------------------------------- export


def _value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def row_dict(row: Base) -> dict[str, Any]:
    """A row's columns as JSON values, without the hidden ones."""
    table = row.__table__
    return {
        c.name: _value(getattr(row, c.key))
        for c in table.columns
        if c.name not in HIDDEN and not c.name.startswith(HIDDEN_PREFIX)
    }


def _sections(runner_id: int) -> list[tuple[str, Any]]:
    """(section name, SELECT of its rows), in the order a reader would want them."""
    users = select(User.id).where(User.runner_id == runner_id)
    emails = select(User.email).where(User.runner_id == runner_id)
    by_runner = [
        ("intakes", Intake),
        ("test_results", TestResult),
        ("uploads", Upload),
        ("jobs", Job),
        ("load_reports", LoadReport),
        ("assessments", Assessment),
        ("programs", ProgramRecord),
        ("training_logs", TrainingLog),
        ("progress_decisions", ProgressDecision),
        ("calendar_feeds", CalendarFeed),
        ("invitations", Invitation),
    ]
    out: list[tuple[str, Any]] = [("accounts", select(User).where(User.id.in_(users)).order_by(User.id))]
    for name, model in by_runner:
        column: Any = model.runner_id  # type: ignore[attr-defined]
        out.append((name, select(model).where(column == runner_id).order_by(model.id)))  # type: ignore[attr-defined]
    out.append(
        (
            "sign_in_attempts",
            select(LoginAttempt).where(LoginAttempt.email.in_(emails)).order_by(LoginAttempt.id),
        )
    )
    return out


def export_chunks(database: Database, runner_id: int) -> Iterator[bytes]:
    """The runner's whole record as one JSON document, yielded row by row (for a streamed download)."""
    encode = json.JSONEncoder(ensure_ascii=False, default=_value).encode
    with database.session() as s:
        runner = s.get(Runner, runner_id)
        if runner is None:
            raise LookupError(f"no runner {runner_id}")
        clinic = s.get(Clinic, runner.clinic_id)
        head = {
            "schema": SCHEMA,
            "glutemed_version": __version__,
            "exported_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            "runner": {**row_dict(runner), "clinic": clinic.name if clinic else None},
        }
        yield (encode(head)[:-1]).encode("utf-8")  # the head without its closing brace
        for name, query in _sections(runner_id):
            yield f', "{name}": ['.encode()
            for index, row in enumerate(s.scalars(query.execution_options(yield_per=200))):
                yield ((", " if index else "") + encode(row_dict(row))).encode("utf-8")
            yield b"]"
        yield b"}\n"


def export_record(database: Database, runner_id: int) -> dict[str, Any]:
    """The exported document, parsed (for callers that want it whole)."""
    data: dict[str, Any] = json.loads(b"".join(export_chunks(database, runner_id)))
    return data


# -------------------------------------------------------------------------------------------- erasure


class ErasureError(ValueError):
    """The record cannot be erased now; the message says why (nothing was deleted)."""


@dataclass
class ErasureReport:
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows deleted
    files: int = 0  # files and folders removed from the store
    kept_shared: int = 0  # upload files kept because another runner's upload has the same bytes


def _move(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    source.replace(target)


def _runner_paths(s: Session, store: FileStore, runner_id: int) -> tuple[set[str], set[str]]:
    """(upload blob paths, job folders and other stored files) of the runner, relative to the store."""
    blobs = set(s.scalars(select(Upload.storage_path).where(Upload.runner_id == runner_id)))
    jobs = s.scalars(select(Job.id).where(Job.runner_id == runner_id))
    other = {store.job_dir(job_id, 0).rsplit("/", 1)[0] for job_id in jobs}  # jobs/<id>: every attempt
    if store.resolve(request_path(runner_id)).exists():
        other.add(request_path(runner_id))
    for model in (Assessment, LoadReport, ProgramRecord):
        for files in s.scalars(select(model.files).where(model.runner_id == runner_id)):
            for path in (files or {}).values():
                if isinstance(path, str) and not any(path.startswith(d + "/") for d in other):
                    other.add(path)
    return blobs, other


DELETE_ORDER = (
    ProgressDecision,
    TrainingLog,
    CalendarFeed,
    Invitation,
    ProgramRecord,
    Assessment,
    LoadReport,
    Job,
    Upload,
    Intake,
    TestResult,
)


def erase_runner(database: Database, store: FileStore, runner_id: int) -> ErasureReport:
    """Delete the runner's rows and files, all or nothing. ErasureError when a job of theirs is running."""
    report = ErasureReport()
    trash = store.root / "tmp" / f"erase-{runner_id}-{uuid.uuid4().hex}"
    moved: list[tuple[Path, Path]] = []
    blob_moves: list[tuple[str, Path, Path]] = []
    try:
        with database.write() as s:
            portal_repo.lock_runner(s, runner_id)
            running = s.scalar(select(func.count()).where(Job.runner_id == runner_id, Job.state == "running"))
            if running:
                raise ErasureError(
                    "a job for this runner is running now; erase the record when it has finished"
                )
            blobs, other = _runner_paths(s, store, runner_id)
            user_ids = list(s.scalars(select(User.id).where(User.runner_id == runner_id)))
            emails = list(s.scalars(select(User.email).where(User.runner_id == runner_id)))
            for model in DELETE_ORDER:
                column: Any = model.runner_id
                result = s.execute(delete(model).where(column == runner_id))
                report.rows[model.__tablename__] = int(getattr(result, "rowcount", 0) or 0)
            attempts = s.execute(delete(LoginAttempt).where(LoginAttempt.email.in_(emails)))
            report.rows["login_attempts"] = int(getattr(attempts, "rowcount", 0) or 0)
            users = s.execute(delete(User).where(User.id.in_(user_ids)))
            report.rows["users"] = int(getattr(users, "rowcount", 0) or 0)
            report.rows["runners"] = int(
                getattr(s.execute(delete(Runner).where(Runner.id == runner_id)), "rowcount", 0) or 0
            )
            shared = set(s.scalars(select(Upload.storage_path).where(Upload.storage_path.in_(blobs))))
            report.kept_shared = len(shared)
            for index, relative in enumerate(sorted((blobs - shared) | other)):
                source = store.resolve(relative)
                if source.exists():
                    target = trash / str(index)
                    _move(source, target)
                    moved.append((source, target))
                    if relative in blobs:
                        blob_moves.append((relative, source, target))
    except BaseException:
        for source, target in reversed(moved):
            source.parent.mkdir(parents=True, exist_ok=True)
            target.replace(source)
        shutil.rmtree(trash, ignore_errors=True)
        raise
    # An upload of the same bytes for another runner may have been stored while this transaction ran (the file
    # is written before its row): a blob that a row references now goes back.
    with database.session() as s:
        paths = [relative for relative, _, _ in blob_moves]
        wanted = set(s.scalars(select(Upload.storage_path).where(Upload.storage_path.in_(paths))))
    for relative, source, target in blob_moves:
        if relative in wanted and not source.exists():
            source.parent.mkdir(parents=True, exist_ok=True)
            target.replace(source)
            report.kept_shared += 1
    report.files = len(moved) - len([r for r, _, _ in blob_moves if r in wanted])
    shutil.rmtree(trash, ignore_errors=True)
    return report


# ------------------------------------------------------------------------------------ erasure requests


def request_path(runner_id: int) -> str:
    """Where a runner's pending request for erasure is kept, relative to the store (a small JSON file)."""
    return f"requests/erasure-{runner_id}.json"


def request_erasure(store: FileStore, runner_id: int, *, by: int) -> dict[str, Any]:
    """Record that the runner asked for their record to be erased (a clinician then confirms it)."""
    from glutemed.io.atomic import atomic_write_text

    request = {
        "runner_id": runner_id,
        "requested_by": by,
        "requested_at": dt.datetime.now(dt.UTC).isoformat(),
    }
    path = store.resolve(request_path(runner_id))
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(request) + "\n")
    return request


def erasure_request(store: FileStore, runner_id: int) -> dict[str, Any] | None:
    """The runner's pending request for erasure, if they made one."""
    path = store.resolve(request_path(runner_id))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
