"""Rows -> the ``Read`` schemas pages and the API share. Reading only; every caller has checked access."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from glutemed.db import records
from glutemed.db.models import Assessment, Intake, Job, LoadReport, ProgramRecord, Runner
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


def _newest(model: Any, *where: Any) -> Any:
    """The id of each runner's newest row of ``model`` (the order of ``records.latest_*``), as a subquery."""
    rank = (
        func.row_number()
        .over(partition_by=model.runner_id, order_by=(model.created_at.desc(), model.id.desc()))
        .label("rank")
    )
    ranked = select(model.id, rank).where(*where).subquery()
    return select(ranked.c.id).where(ranked.c.rank == 1)


def runner_summaries(s: Session, runners: list[Runner], today: dt.date) -> list[sc.RunnerSummary]:
    """Each runner's dashboard line, in a fixed number of queries (one per table, not five per runner)."""
    if not runners:
        return []
    clinics = sorted({r.clinic_id for r in runners})
    mine = select(Runner.id).where(Runner.clinic_id.in_(clinics))
    # only the JSON parts the dashboard shows, extracted by the database (not whole results decoded in Python)
    faults = Assessment.gait_result["faults"]
    gait = {
        runner_id: {"faults": found or []}
        for runner_id, found in s.execute(
            select(Assessment.runner_id, faults).where(
                Assessment.id.in_(
                    _newest(Assessment, Assessment.runner_id.in_(mine), Assessment.gait_result.is_not(None))
                )
            )
        ).all()
    }
    latest = {
        runner_id: (assessment_id, {"stopped": stopped, "red_flags": red_flags or []})
        for runner_id, assessment_id, stopped, red_flags in s.execute(
            select(
                Assessment.runner_id,
                Assessment.id,
                Assessment.assessment["stopped"],
                Assessment.assessment["red_flags"],
            ).where(Assessment.id.in_(_newest(Assessment, Assessment.runner_id.in_(mine))))
        ).all()
    }
    intakes: dict[int, dict[str, Any]] = dict(
        s.execute(
            select(Intake.runner_id, Intake.data).where(
                Intake.id.in_(_newest(Intake, Intake.runner_id.in_(mine)))
            )
        ).all()
    )
    loads = {
        report.runner_id: report
        for report in s.scalars(
            select(LoadReport).where(LoadReport.id.in_(_newest(LoadReport, LoadReport.runner_id.in_(mine))))
        )
    }
    open_jobs = dict(
        s.execute(
            select(Job.runner_id, func.count())
            .where(Job.runner_id.in_(mine), Job.state.in_(OPEN_STATES))
            .group_by(Job.runner_id)
        ).all()
    )
    out: list[sc.RunnerSummary] = []
    for runner in runners:
        intake = intakes.get(runner.id)
        flags = intake_red_flags(intake) if intake else []
        assessment_id, assessed = latest.get(runner.id, (None, None))
        assessed = assessed or {}
        if assessed.get("stopped"):
            flags = list(dict.fromkeys([*flags, *assessed.get("red_flags", [])]))
        out.append(
            sc.RunnerSummary(
                runner=sc.RunnerRead.model_validate(runner),
                latest_assessment_id=assessment_id,
                verdicts=verdicts(gait.get(runner.id)),
                red_flags=flags,
                open_jobs=int(open_jobs.get(runner.id) or 0),
                load_spike_this_week=spike_this_week(loads.get(runner.id), today),
            )
        )
    return out


def dashboard(s: Session, user: Principal, today: dt.date | None = None) -> sc.DashboardRead:
    clinic_id = None if user.is_admin else user.clinic_id
    runners = records.list_runners(s, clinic_id=clinic_id)
    today = today or dt.datetime.now(dt.UTC).date()
    return sc.DashboardRead(
        clinic_ids=[clinic_id] if clinic_id is not None else sorted({r.clinic_id for r in runners}),
        runners=runner_summaries(s, runners, today),
    )
