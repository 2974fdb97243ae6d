"""The runner's record: runners, intakes and clinical tests (history kept), uploads, load reports,
assessments and programs.

Functions take a :class:`sqlalchemy.orm.Session` inside a transaction the caller owns and never commit. They
store what they are given: validating an intake or a test against its contract is the caller's job (the
services layer), so this adapter holds no domain rules. ``list_*`` functions return newest first.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from glutemed.db.models import (
    UPLOAD_KINDS,
    Assessment,
    Intake,
    LoadReport,
    ProgramRecord,
    Runner,
    TestResult,
    Upload,
    utcnow,
)
from glutemed.db.summaries import assessment_summary, last_spike_day


class RecordError(ValueError):
    """A change to a record that cannot be made (unknown id, wrong state); the message says why."""


# --- runners -------------------------------------------------------------------------------------------


def create_runner(s: Session, *, clinic_id: int, name: str) -> Runner:
    runner = Runner(clinic_id=clinic_id, name=name.strip())
    s.add(runner)
    s.flush()
    return runner


def get_runner(s: Session, runner_id: int, *, clinic_id: int | None = None) -> Runner | None:
    """The runner, or None; with ``clinic_id`` only when the runner belongs to that clinic."""
    runner = s.get(Runner, runner_id)
    if runner is None or (clinic_id is not None and runner.clinic_id != clinic_id):
        return None
    return runner


def list_runners(s: Session, *, clinic_id: int | None = None) -> list[Runner]:
    query = select(Runner).order_by(Runner.name, Runner.id)
    if clinic_id is not None:
        query = query.where(Runner.clinic_id == clinic_id)
    return list(s.scalars(query))


# --- intakes and clinical tests (history: added, never overwritten) --------------------------------------


def add_intake(s: Session, runner_id: int, data: dict[str, Any], *, created_by: int | None = None) -> Intake:
    row = Intake(runner_id=runner_id, data=data, created_by=created_by)
    s.add(row)
    s.flush()
    return row


def latest_intake(s: Session, runner_id: int) -> Intake | None:
    query = select(Intake).where(Intake.runner_id == runner_id)
    return s.scalar(query.order_by(Intake.created_at.desc(), Intake.id.desc()).limit(1))


def list_intakes(s: Session, runner_id: int) -> list[Intake]:
    query = select(Intake).where(Intake.runner_id == runner_id)
    return list(s.scalars(query.order_by(Intake.created_at.desc(), Intake.id.desc())))


def add_test_result(
    s: Session, runner_id: int, data: dict[str, Any], *, created_by: int | None = None
) -> TestResult:
    row = TestResult(runner_id=runner_id, data=data, created_by=created_by)
    s.add(row)
    s.flush()
    return row


def latest_test_result(s: Session, runner_id: int) -> TestResult | None:
    query = select(TestResult).where(TestResult.runner_id == runner_id)
    return s.scalar(query.order_by(TestResult.created_at.desc(), TestResult.id.desc()).limit(1))


def list_test_results(s: Session, runner_id: int) -> list[TestResult]:
    query = select(TestResult).where(TestResult.runner_id == runner_id)
    return list(s.scalars(query.order_by(TestResult.created_at.desc(), TestResult.id.desc())))


# --- uploads -------------------------------------------------------------------------------------------


def add_upload(
    s: Session,
    *,
    runner_id: int,
    sha256: str,
    original_name: str,
    kind: str,
    size_bytes: int,
    storage_path: str,
    view: str | None = None,
    created_by: int | None = None,
) -> Upload:
    """Record a file already stored (see :class:`glutemed.db.storage.FileStore`)."""
    if kind not in UPLOAD_KINDS:
        raise RecordError(f"upload kind must be one of {', '.join(UPLOAD_KINDS)} (got {kind!r})")
    row = Upload(
        runner_id=runner_id,
        sha256=sha256,
        original_name=original_name[:255],
        kind=kind,
        size_bytes=size_bytes,
        storage_path=storage_path,
        view=view,
        created_by=created_by,
    )
    s.add(row)
    s.flush()
    return row


def get_upload(s: Session, upload_id: int, *, runner_id: int | None = None) -> Upload | None:
    row = s.get(Upload, upload_id)
    if row is None or (runner_id is not None and row.runner_id != runner_id):
        return None
    return row


def list_uploads(s: Session, runner_id: int, *, kind: str | None = None) -> list[Upload]:
    query = select(Upload).where(Upload.runner_id == runner_id)
    if kind is not None:
        query = query.where(Upload.kind == kind)
    return list(s.scalars(query.order_by(Upload.created_at.desc(), Upload.id.desc())))


# --- load reports --------------------------------------------------------------------------------------


def add_load_report(
    s: Session,
    *,
    runner_id: int,
    data: dict[str, Any],
    job_id: int | None = None,
    upload_id: int | None = None,
    files: dict[str, str] | None = None,
) -> LoadReport:
    row = LoadReport(
        runner_id=runner_id,
        data=data,
        job_id=job_id,
        upload_id=upload_id,
        files=files or {},
        summary_last_spike=last_spike_day(data),
    )
    s.add(row)
    s.flush()
    return row


def get_load_report(s: Session, report_id: int, *, runner_id: int | None = None) -> LoadReport | None:
    row = s.get(LoadReport, report_id)
    if row is None or (runner_id is not None and row.runner_id != runner_id):
        return None
    return row


def latest_load_report(s: Session, runner_id: int) -> LoadReport | None:
    query = select(LoadReport).where(LoadReport.runner_id == runner_id)
    return s.scalar(query.order_by(LoadReport.created_at.desc(), LoadReport.id.desc()).limit(1))


def list_load_reports(s: Session, runner_id: int) -> list[LoadReport]:
    query = select(LoadReport).where(LoadReport.runner_id == runner_id)
    return list(s.scalars(query.order_by(LoadReport.created_at.desc(), LoadReport.id.desc())))


# --- assessments ---------------------------------------------------------------------------------------


def add_assessment(
    s: Session,
    *,
    runner_id: int,
    assessment: dict[str, Any] | None,
    gait_result: dict[str, Any] | None = None,
    load_result: dict[str, Any] | None = None,
    job_id: int | None = None,
    intake_id: int | None = None,
    test_result_id: int | None = None,
    load_report_id: int | None = None,
    files: dict[str, str] | None = None,
) -> Assessment:
    row = Assessment(
        runner_id=runner_id,
        assessment=assessment,
        gait_result=gait_result,
        load_result=load_result,
        job_id=job_id,
        intake_id=intake_id,
        test_result_id=test_result_id,
        load_report_id=load_report_id,
        files=files or {},
        **assessment_summary(gait_result, assessment).columns(),
    )
    s.add(row)
    s.flush()
    return row


def get_assessment(s: Session, assessment_id: int, *, runner_id: int | None = None) -> Assessment | None:
    row = s.get(Assessment, assessment_id)
    if row is None or (runner_id is not None and row.runner_id != runner_id):
        return None
    return row


def latest_assessment(s: Session, runner_id: int) -> Assessment | None:
    query = select(Assessment).where(Assessment.runner_id == runner_id)
    return s.scalar(query.order_by(Assessment.created_at.desc(), Assessment.id.desc()).limit(1))


def latest_gait_result(s: Session, runner_id: int) -> Assessment | None:
    """The newest assessment that carries a gait result (an assess-only job has none)."""
    query = select(Assessment).where(Assessment.runner_id == runner_id, Assessment.gait_result.is_not(None))
    return s.scalar(query.order_by(Assessment.created_at.desc(), Assessment.id.desc()).limit(1))


def list_assessments(s: Session, runner_id: int) -> list[Assessment]:
    query = select(Assessment).where(Assessment.runner_id == runner_id)
    return list(s.scalars(query.order_by(Assessment.created_at.desc(), Assessment.id.desc())))


# --- programs ------------------------------------------------------------------------------------------


def add_program(
    s: Session,
    *,
    runner_id: int,
    data: dict[str, Any],
    assessment_id: int | None = None,
    files: dict[str, str] | None = None,
) -> ProgramRecord:
    """A new draft program (the generated one, before the clinician's review)."""
    row = ProgramRecord(runner_id=runner_id, data=data, assessment_id=assessment_id, files=files or {})
    s.add(row)
    s.flush()
    return row


def get_program(s: Session, program_id: int, *, runner_id: int | None = None) -> ProgramRecord | None:
    row = s.get(ProgramRecord, program_id)
    if row is None or (runner_id is not None and row.runner_id != runner_id):
        return None
    return row


def list_programs(s: Session, runner_id: int, *, published_only: bool = False) -> list[ProgramRecord]:
    """A runner's programs, newest first; ``published_only`` for what the runner may see."""
    query = select(ProgramRecord).where(ProgramRecord.runner_id == runner_id)
    if published_only:
        query = query.where(ProgramRecord.state == "published")
    return list(s.scalars(query.order_by(ProgramRecord.created_at.desc(), ProgramRecord.id.desc())))


def latest_published_program(s: Session, runner_id: int) -> ProgramRecord | None:
    query = select(ProgramRecord).where(
        ProgramRecord.runner_id == runner_id, ProgramRecord.state == "published"
    )
    order = (ProgramRecord.published_at.desc(), ProgramRecord.id.desc())
    return s.scalar(query.order_by(*order).limit(1))


def edit_program(s: Session, program: ProgramRecord, *, data: dict[str, Any], edit: dict[str, Any]) -> None:
    """Replace a draft's data after a clinician's edit (remove or swap an exercise) and log the edit.

    The caller (services/web) decides whether the edit is allowed; a published program is not edited.
    """
    if program.state != "draft":
        raise RecordError("a published program is not edited; make a new draft")
    program.data = data
    program.edits = [*program.edits, {**edit, "at": utcnow().isoformat(timespec="seconds")}]
    s.flush()


def publish_program(s: Session, program: ProgramRecord, *, by: int | None) -> None:
    if program.state == "published":
        return
    program.state = "published"
    program.published_at = utcnow()
    program.published_by = by
    s.flush()
