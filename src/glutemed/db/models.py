"""The clinic's tables as SQLAlchemy 2 ORM models: columns and relations only, no domain rules.

Every timestamp is stored as UTC and read back timezone-aware (:class:`UTCDateTime`), the same on SQLite and
PostgreSQL. JSON documents (intakes, results, programs) are stored as JSON (JSONB on PostgreSQL). Rows that
record history (intakes, test results, assessments, load reports) are only ever added, never overwritten.
The schema itself is created by the Alembic migrations in ``glutemed/db/migrations``; a test keeps the two equal.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ROLES = ("admin", "clinician", "runner")
UPLOAD_KINDS = ("video", "keypoints", "c3d", "activities")
JOB_KINDS = ("analyze", "load", "assess")
JOB_STATES = ("queued", "running", "done", "failed")
PROGRAM_STATES = ("draft", "published")
TRAINING_KINDS = ("session", "run")
ACTIONS = ("progress", "hold", "regress")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A UTC instant: stored naive in UTC (SQLite keeps no zone), returned aware in UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:  # noqa: ARG002
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware UTC time")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:  # noqa: ARG002
        return None if value is None else value.replace(tzinfo=dt.UTC)


Json = JSON().with_variant(JSONB(), "postgresql")
Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements only INTEGER PRIMARY KEY


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: Json, dt.datetime: UTCDateTime()}  # noqa: RUF012


class Clinic(Base):
    __tablename__ = "clinics"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Runner(Base):
    __tablename__ = "runners"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="role"),
        CheckConstraint("role != 'runner' OR runner_id IS NOT NULL", name="runner_has_record"),
        CheckConstraint("role != 'clinician' OR clinic_id IS NOT NULL", name="clinician_has_clinic"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-cased
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300))  # Argon2id, PHC string
    role: Mapped[str] = mapped_column(String(16))
    clinic_id: Mapped[int | None] = mapped_column(ForeignKey("clinics.id", ondelete="RESTRICT"), index=True)
    runner_id: Mapped[int | None] = mapped_column(ForeignKey("runners.id", ondelete="RESTRICT"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)  # sessions older are void


class Invitation(Base):
    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the one-time token
    runner_id: Mapped[int] = mapped_column(ForeignKey("runners.id", ondelete="CASCADE"), index=True)
    email: Mapped[str | None] = mapped_column(String(320))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    used_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class LoginAttempt(Base):
    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_email_at", "email", "at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    email: Mapped[str] = mapped_column(String(320))  # lower-cased, as typed (may match no user)
    ip: Mapped[str | None] = mapped_column(String(64))
    success: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Intake(Base):
    __tablename__ = "intakes"
    __table_args__ = (Index("ix_intakes_runner_created", "runner_id", "created_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    runner_id: Mapped[int] = mapped_column(ForeignKey("runners.id", ondelete="CASCADE"))
    data: Mapped[dict[str, Any]]  # the intake contract's dict (services/intake_schema.IntakeIn)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class TestResult(Base):
    __tablename__ = "test_results"
    __table_args__ = (Index("ix_test_results_runner_created", "runner_id", "created_at"),)
    __test__ = False  # not a pytest test class

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    runner_id: Mapped[int] = mapped_column(ForeignKey("runners.id", ondelete="CASCADE"))
    data: Mapped[dict[str, Any]]  # the tests contract's dict (services/intake_schema.TestsIn)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Upload(Base):
    __tablename__ = "uploads"
    __table_args__ = (
        CheckConstraint(_in("kind", UPLOAD_KINDS), name="kind"),
        Index("ix_uploads_runner_created", "runner_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    runner_id: Mapped[int] = mapped_column(ForeignKey("runners.id", ondelete="CASCADE"))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    storage_path: Mapped[str] = mapped_column(String(300))  # relative to the data folder, by content hash
    view: Mapped[str | None] = mapped_column(String(16))  # rear|front|side when the uploader said so
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(_in("kind", JOB_KINDS), name="kind"),
        CheckConstraint(_in("state", JOB_STATES), name="state"),
        Index("ix_jobs_state_created", "state", "created_at"),
        Index("ix_jobs_runner_created", "runner_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    runner_id: Mapped[int] = mapped_column(ForeignKey("runners.id", ondelete="CASCADE"))
    payload: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(16), default="queued")
    lease_until: Mapped[dt.datetime | None]
    worker_id: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # claims so far; also the fencing token
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    progress: Mapped[dict[str, Any] | None]  # {stage, frames_done, frames_total, fps}
    error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None]  # ids of the rows the job wrote, e.g. {"assessment_id": 3}
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]


class LoadReport(Base):
    __tablename__ = "load_reports"
    __table_args__ = (Index("ix_load_reports_runner_created", "runner_id", "created_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    runner_id: Mapped[int] = mapped_column(ForeignKey("runners.id", ondelete="CASCADE"))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    upload_id: Mapped[int | None] = mapped_column(ForeignKey("uploads.id", ondelete="SET NULL"))
    data: Mapped[dict[str, Any]]  # glutemed.load/v1
    files: Mapped[dict[str, Any]] = mapped_column(default=dict)  # name -> path relative to the data folder
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # read off ``data`` once when the row is added (db/summaries.py), for pages that list many runners
    summary_last_spike: Mapped[dt.date | None] = mapped_column(Date)  # newest session-spike day


class Assessment(Base):
    __tablename__ = "assessments"
    __table_args__ = (Index("ix_assessments_runner_created", "runner_id", "created_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    runner_id: Mapped[int] = mapped_column(ForeignKey("runners.id", ondelete="CASCADE"))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"), index=True)
    intake_id: Mapped[int | None] = mapped_column(ForeignKey("intakes.id", ondelete="SET NULL"))
    test_result_id: Mapped[int | None] = mapped_column(ForeignKey("test_results.id", ondelete="SET NULL"))
    load_report_id: Mapped[int | None] = mapped_column(ForeignKey("load_reports.id", ondelete="SET NULL"))
    gait_result: Mapped[dict[str, Any] | None]  # glutemed.gait/v1
    load_result: Mapped[dict[str, Any] | None]  # glutemed.load/v1 used
    assessment: Mapped[dict[str, Any] | None]  # assessment_to_json; None: gait analysed, no intake yet
    files: Mapped[dict[str, Any]] = mapped_column(default=dict)  # name -> path relative to the data folder
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # read off gait_result and assessment once when the row is added (db/summaries.py); the gait ones are NULL
    # without a gait result, the others without an assessment document
    summary_verdicts: Mapped[list[Any] | None] = mapped_column(Json)  # flagged and borderline faults per leg
    summary_flagged: Mapped[int | None] = mapped_column(Integer)
    summary_borderline: Mapped[int | None] = mapped_column(Integer)
    summary_not_judged: Mapped[int | None] = mapped_column(Integer)
    summary_stopped: Mapped[bool | None] = mapped_column(Boolean)
    summary_red_flags: Mapped[list[Any] | None] = mapped_column(Json)


class ProgramRecord(Base):
    __tablename__ = "programs"
    __table_args__ = (
        CheckConstraint(_in("state", PROGRAM_STATES), name="state"),
        Index("ix_programs_runner_created", "runner_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    runner_id: Mapped[int] = mapped_column(ForeignKey("runners.id", ondelete="CASCADE"))
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id", ondelete="SET NULL"))
    data: Mapped[dict[str, Any]]  # services.program.program_to_json, or referral_to_json when stopped
    state: Mapped[str] = mapped_column(String(16), default="draft")
    edits: Mapped[list[Any]] = mapped_column(Json, default=list)  # clinician's edits, in order
    files: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    published_at: Mapped[dt.datetime | None]
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class TrainingLog(Base):
    """One exercise session or one run the runner logged (the portal's logbook), with next-morning pain.

    ``data`` holds the session-log contract's dict (``services/intake_schema.SessionIn``) for a session, or the
    run log's dict for a run. ``client_key`` is made by the form when it is first shown: a form sent twice (a
    phone that lost its connection and retried) or from two devices stores one row per key, never a copy.
    """

    __tablename__ = "training_logs"
    __table_args__ = (
        CheckConstraint(_in("kind", TRAINING_KINDS), name="kind"),
        UniqueConstraint("runner_id", "client_key", name="uq_training_logs_runner_key"),
        Index("ix_training_logs_runner_day", "runner_id", "day"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    runner_id: Mapped[int] = mapped_column(ForeignKey("runners.id", ondelete="CASCADE"))
    program_id: Mapped[int | None] = mapped_column(ForeignKey("programs.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16))
    day: Mapped[dt.date] = mapped_column(Date)
    data: Mapped[dict[str, Any]]
    client_key: Mapped[str] = mapped_column(String(64))
    morning_pain_0_10: Mapped[float | None] = mapped_column(Float)
    morning_stiffness_0_10: Mapped[float | None] = mapped_column(Float)
    morning_logged_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ProgressDecision(Base):
    """The progression rules' decision for one exercise after one logged session, and a clinician's override."""

    __tablename__ = "progress_decisions"
    __table_args__ = (
        CheckConstraint(_in("action", ACTIONS), name="action"),
        CheckConstraint(
            "override_action IS NULL OR " + _in("override_action", ACTIONS), name="override_action"
        ),
        Index("ix_progress_decisions_runner_created", "runner_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    runner_id: Mapped[int] = mapped_column(ForeignKey("runners.id", ondelete="CASCADE"))
    training_log_id: Mapped[int] = mapped_column(
        ForeignKey("training_logs.id", ondelete="CASCADE"), index=True
    )
    program_id: Mapped[int | None] = mapped_column(ForeignKey("programs.id", ondelete="SET NULL"))
    exercise_id: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    next_step: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)  # refs, next dose, pain trend behind it
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    override_action: Mapped[str | None] = mapped_column(String(16))
    override_note: Mapped[str | None] = mapped_column(Text)
    overridden_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    overridden_at: Mapped[dt.datetime | None]


class CalendarFeed(Base):
    """A runner's private calendar feed: the URL carries a secret token, stored here only as its sha256."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    runner_id: Mapped[int] = mapped_column(ForeignKey("runners.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[dt.datetime | None]
