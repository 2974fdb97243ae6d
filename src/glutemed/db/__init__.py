"""The database adapter: SQLAlchemy 2 models, engine and sessions, repositories, migrations, file store.

Arrows point inwards: ``web``, ``cli`` and ``services`` import this package; it imports nothing from them and
``core`` never imports it. Nothing happens at import time.

Connecting::

    from glutemed import db

    database = db.open_database(url_or_None, data_folder=None)  # SQLite in the data folder by default
    db.upgrade(database.engine)                                 # Alembic migrations to head
    with database.session() as s:                               # commit on success, rollback on error
        runner = db.create_runner(s, clinic_id=1, name="Ana")
    with database.write() as s:                                 # read-then-write (BEGIN IMMEDIATE on SQLite)
        ...

Repository functions take a ``Session`` inside a transaction the caller owns; they flush, never commit.

- accounts (:mod:`glutemed.db.accounts`): ``create_clinic``, ``get_clinic``, ``list_clinics``;
  ``create_user(s, email=, display_name=, password=, role=, clinic_id=, runner_id=)``, ``get_user``,
  ``get_user_by_email``, ``list_users``, ``authenticate(s, email, password) -> User | None``,
  ``set_password``, ``set_active``, ``hash_password``, ``verify_password``;
  ``create_invitation(s, runner_id=, created_by=, email=None) -> (Invitation, token)``, ``find_invitation``,
  ``accept_invitation(s, token, email=, display_name=, password=) -> User``, ``list_invitations``;
  ``record_login_attempt(s, email, success=, ip=)``, ``recent_failures(s, email, window=)``,
  ``prune_login_attempts``. Errors: :class:`AccountError` (message fit to show).
- records (:mod:`glutemed.db.records`): ``create_runner``, ``get_runner(s, id, clinic_id=None)``,
  ``list_runners``; ``add_intake``/``latest_intake``/``list_intakes`` and the same for test results (history
  kept); ``add_upload``/``get_upload``/``list_uploads``; ``add_load_report``/``get_load_report``/
  ``latest_load_report``/``list_load_reports``; ``add_assessment``/``get_assessment``/``latest_assessment``/
  ``latest_gait_result``/``list_assessments``; ``add_program``/``get_program``/``list_programs(published_only=)``/
  ``latest_published_program``/``edit_program``/``publish_program``. Errors: :class:`RecordError`.
  ``get_*`` functions take an optional owner id (``runner_id=`` / ``clinic_id=``) and return None for a row
  of another owner, so a guessed id reads nothing.
- files (:mod:`glutemed.db.storage`): ``FileStore(data_folder)`` with ``save_stream(chunks, suffix=,
  max_bytes=) -> StoredFile(sha256, size_bytes, relative_path)``, ``save_file``, ``resolve(relative_path)``.
- job queue (:mod:`glutemed.db.queue`, use as ``from glutemed.db import queue``):
  ``enqueue(s, kind=, runner_id=, payload=, created_by=) -> Job``, ``get_job(s, id, runner_id=None)``,
  ``list_jobs(s, runner_id=, clinic_id=, states=)``, ``count_by_state``, ``retry(s, id) -> bool`` (failed ->
  queued); for workers ``claim(database, worker_id, lease=) -> Claim | None``, ``heartbeat``, ``finish(s,
  claim, result)`` (inside the transaction that writes the job's rows), ``fail``. ``OPEN_STATES`` =
  queued, running. A job's ``progress`` is ``{stage, frames_done, frames_total, fps}``.
- a throw-away PostgreSQL for tests and benchmarks (:mod:`glutemed.db.devcluster`):
  ``with TempCluster.start() as c: url = c.create_database("bench")`` (Debian's postgresql, as ``postgres``).
- migrations (:mod:`glutemed.db.migrate`): ``upgrade(engine)``, ``current_revision``, ``head_revision``,
  ``is_current``.

Tables and job states are described in docs/web.md.
"""

from __future__ import annotations

from glutemed.db.accounts import (
    AccountError,
    accept_invitation,
    authenticate,
    create_clinic,
    create_invitation,
    create_user,
    find_invitation,
    get_clinic,
    get_user,
    get_user_by_email,
    hash_password,
    list_clinics,
    list_invitations,
    list_users,
    normalise_email,
    prune_login_attempts,
    recent_failures,
    record_login_attempt,
    set_active,
    set_password,
    verify_password,
)
from glutemed.db.engine import Database, data_dir, database_url, make_engine, open_database
from glutemed.db.migrate import current_revision, head_revision, is_current, upgrade
from glutemed.db.models import (
    JOB_KINDS,
    JOB_STATES,
    PROGRAM_STATES,
    ROLES,
    UPLOAD_KINDS,
    Assessment,
    Base,
    Clinic,
    Intake,
    Invitation,
    Job,
    LoadReport,
    LoginAttempt,
    ProgramRecord,
    Runner,
    TestResult,
    Upload,
    User,
)
from glutemed.db.records import (
    RecordError,
    add_assessment,
    add_intake,
    add_load_report,
    add_program,
    add_test_result,
    add_upload,
    create_runner,
    edit_program,
    get_assessment,
    get_load_report,
    get_program,
    get_runner,
    get_upload,
    latest_assessment,
    latest_gait_result,
    latest_intake,
    latest_load_report,
    latest_published_program,
    latest_test_result,
    list_assessments,
    list_intakes,
    list_load_reports,
    list_programs,
    list_runners,
    list_test_results,
    list_uploads,
    publish_program,
)
from glutemed.db.storage import FileStore, StoredFile, UploadTooLargeError

__all__ = [
    "JOB_KINDS",
    "JOB_STATES",
    "PROGRAM_STATES",
    "ROLES",
    "UPLOAD_KINDS",
    "AccountError",
    "Assessment",
    "Base",
    "Clinic",
    "Database",
    "FileStore",
    "Intake",
    "Invitation",
    "Job",
    "LoadReport",
    "LoginAttempt",
    "ProgramRecord",
    "RecordError",
    "Runner",
    "StoredFile",
    "TestResult",
    "Upload",
    "UploadTooLargeError",
    "User",
    "accept_invitation",
    "add_assessment",
    "add_intake",
    "add_load_report",
    "add_program",
    "add_test_result",
    "add_upload",
    "authenticate",
    "create_clinic",
    "create_invitation",
    "create_runner",
    "create_user",
    "current_revision",
    "data_dir",
    "database_url",
    "edit_program",
    "find_invitation",
    "get_assessment",
    "get_clinic",
    "get_load_report",
    "get_program",
    "get_runner",
    "get_upload",
    "get_user",
    "get_user_by_email",
    "hash_password",
    "head_revision",
    "is_current",
    "latest_assessment",
    "latest_gait_result",
    "latest_intake",
    "latest_load_report",
    "latest_published_program",
    "latest_test_result",
    "list_assessments",
    "list_clinics",
    "list_intakes",
    "list_invitations",
    "list_load_reports",
    "list_programs",
    "list_runners",
    "list_test_results",
    "list_uploads",
    "list_users",
    "make_engine",
    "normalise_email",
    "open_database",
    "prune_login_attempts",
    "publish_program",
    "recent_failures",
    "record_login_attempt",
    "set_active",
    "set_password",
    "upgrade",
    "verify_password",
]
