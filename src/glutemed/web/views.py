"""Rows -> the ``Read`` schemas pages and the API share. Reading only; every caller has checked access."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from glutemed.db import records
from glutemed.db.models import Assessment, Job, LoadReport, ProgramRecord, Runner
from glutemed.services.intake_schema import IntakeIn
from glutemed.web import schemas as sc
from glutemed.web.deps import Principal

OPEN_STATES = ("queued", "running")
SHOWN_VERDICTS = ("flagged", "borderline")


def verdicts(gait_result: dict[str, Any] | None, *, all_verdicts: bool = False) -> list[sc.LegVerdict]:
    """The analyzer's own verdicts per fault and leg (flagged and borderline unless ``all_verdicts``)."""
    if not gait_result:
        return []
    out = []
    for fault in gait_result.get("faults", []):
        if all_verdicts or fault.get("verdict") in SHOWN_VERDICTS:
            out.append(
                sc.LegVerdict(
                    fault_id=str(fault.get("fault_id", "")),
                    name=str(fault.get("name") or fault.get("fault_id", "")),
                    side=str(fault.get("side", "")),
                    verdict=str(fault.get("verdict", "")),
                )
            )
    return out


def intake_red_flags(data: dict[str, Any]) -> list[str]:
    """The red flags the knowledge base's rules raise for a stored intake."""
    try:
        intake = IntakeIn.model_validate(data).to_core()
    except ValidationError:
        return []
    return list(intake.red_flags.present)


def intake_read(row: Any) -> sc.IntakeRead:
    return sc.IntakeRead(
        id=row.id,
        runner_id=row.runner_id,
        data=row.data,
        created_at=row.created_at,
        red_flags=intake_red_flags(row.data),
    )


def job_read(row: Job) -> sc.JobRead:
    progress = sc.JobProgress.model_validate(row.progress) if row.progress else None
    return sc.JobRead.model_validate(row, from_attributes=True).model_copy(update={"progress": progress})


def program_ids(s: Session, assessment_id: int, user: Principal) -> list[int]:
    query = select(ProgramRecord.id).where(ProgramRecord.assessment_id == assessment_id)
    if user.role == "runner":
        query = query.where(ProgramRecord.state == "published")
    return list(s.scalars(query.order_by(ProgramRecord.id)))


def assessment_read(s: Session, row: Assessment, user: Principal) -> sc.AssessmentRead:
    return sc.AssessmentRead(
        id=row.id,
        runner_id=row.runner_id,
        job_id=row.job_id,
        created_at=row.created_at,
        assessment=row.assessment,
        gait_result=row.gait_result,
        verdicts=verdicts(row.gait_result, all_verdicts=True),
        files=sorted(row.files),
        program_ids=program_ids(s, row.id, user),
    )


def program_read(row: ProgramRecord) -> sc.ProgramRead:
    return sc.ProgramRead(
        id=row.id,
        runner_id=row.runner_id,
        assessment_id=row.assessment_id,
        state=row.state,
        data=row.data,
        edits=list(row.edits),
        files=sorted(row.files),
        created_at=row.created_at,
        published_at=row.published_at,
    )


def load_read(row: LoadReport) -> sc.LoadReportRead:
    judgement = row.data.get("judgement") or {}
    return sc.LoadReportRead(
        id=row.id,
        runner_id=row.runner_id,
        job_id=row.job_id,
        created_at=row.created_at,
        data=row.data,
        spikes=list(judgement.get("session_spikes", [])),
        cautions=list(judgement.get("weekly_cautions", [])),
        files=sorted(row.files),
    )


def runner_jobs(s: Session, runner_id: int, limit: int = 20) -> list[Job]:
    query = select(Job).where(Job.runner_id == runner_id).order_by(Job.created_at.desc(), Job.id.desc())
    return list(s.scalars(query.limit(limit)))


def runner_detail(s: Session, runner: Runner, user: Principal, *, can_change: bool) -> sc.RunnerDetail:
    runner_only = user.role == "runner"
    return sc.RunnerDetail(
        runner=sc.RunnerRead.model_validate(runner),
        can_change=can_change,
        intakes=[intake_read(r) for r in records.list_intakes(s, runner.id)],
        tests=[sc.TestResultRead.model_validate(r) for r in records.list_test_results(s, runner.id)],
        uploads=[sc.UploadRead.model_validate(r) for r in records.list_uploads(s, runner.id)],
        jobs=[job_read(j) for j in runner_jobs(s, runner.id)],
        assessments=[assessment_read(s, a, user) for a in records.list_assessments(s, runner.id)],
        programs=[program_read(p) for p in records.list_programs(s, runner.id, published_only=runner_only)],
        load_reports=[load_read(r) for r in records.list_load_reports(s, runner.id)],
    )


def spike_this_week(report: LoadReport | None, today: dt.date) -> bool:
    if report is None:
        return False
    week_ago = (today - dt.timedelta(days=7)).isoformat()
    spikes = (report.data.get("judgement") or {}).get("session_spikes", [])
    return any(str(spike.get("date", "")) >= week_ago for spike in spikes)


def runner_summary(s: Session, runner: Runner, today: dt.date) -> sc.RunnerSummary:
    gait = records.latest_gait_result(s, runner.id)
    latest = records.latest_assessment(s, runner.id)
    intake = records.latest_intake(s, runner.id)
    flags = intake_red_flags(intake.data) if intake else []
    assessed = (latest.assessment if latest else None) or {}
    if assessed.get("stopped"):
        flags = list(dict.fromkeys([*flags, *assessed.get("red_flags", [])]))
    open_jobs = s.scalar(select(func.count()).where(Job.runner_id == runner.id, Job.state.in_(OPEN_STATES)))
    return sc.RunnerSummary(
        runner=sc.RunnerRead.model_validate(runner),
        latest_assessment_id=latest.id if latest else None,
        verdicts=verdicts(gait.gait_result if gait else None),
        red_flags=flags,
        open_jobs=int(open_jobs or 0),
        load_spike_this_week=spike_this_week(records.latest_load_report(s, runner.id), today),
    )


def dashboard(s: Session, user: Principal, today: dt.date | None = None) -> sc.DashboardRead:
    clinic_id = None if user.is_admin else user.clinic_id
    runners = records.list_runners(s, clinic_id=clinic_id)
    today = today or dt.datetime.now(dt.UTC).date()
    return sc.DashboardRead(
        clinic_ids=[clinic_id] if clinic_id is not None else sorted({r.clinic_id for r in runners}),
        runners=[runner_summary(s, r, today) for r in runners],
    )
