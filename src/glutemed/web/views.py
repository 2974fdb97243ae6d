"""Rows -> the ``Read`` schemas pages and the API share. Reading only; every caller has checked access."""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from glutemed.db import records
from glutemed.db.models import Assessment, Intake, Job, LoadReport, ProgramRecord, Runner
from glutemed.db.summaries import fault_verdicts
from glutemed.services.intake_schema import IntakeIn
from glutemed.web import schemas as sc
from glutemed.web.deps import Principal

OPEN_STATES = ("queued", "running")


def verdicts(gait_result: dict[str, Any] | None, *, all_verdicts: bool = False) -> list[sc.LegVerdict]:
    """The analyzer's own verdicts per fault and leg (flagged and borderline unless ``all_verdicts``)."""
    return [sc.LegVerdict(**v) for v in fault_verdicts(gait_result, all_verdicts=all_verdicts)]


def intake_red_flags(data: dict[str, Any]) -> list[str]:
    """The red flags the knowledge base's rules raise for a stored intake."""
    try:
        intake = IntakeIn.model_validate(data).to_core()
    except ValidationError:
        return []
    return list(intake.red_flags.present)


IntakeKey = tuple[str, int, dt.datetime]  # database URL, intake id, created_at: one stored intake


class _IntakeFlags:
    """Red flags per stored intake, kept in this process: an intake row is never changed once added (a new
    intake is a new row), so the rules run once per intake instead of once per dashboard line and request.
    The key names the database too (a process may serve or test several) and the row's creation time."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._known: OrderedDict[IntakeKey, list[str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, s: Session, intakes: list[tuple[int, dt.datetime]]) -> dict[int, list[str]]:
        """The red flags of each ``(id, created_at)`` intake, by id."""
        where = s.get_bind().engine.url.render_as_string(hide_password=True)
        with self._lock:
            found = {i: self._known[(where, i, at)] for i, at in intakes if (where, i, at) in self._known}
        missing = {i: at for i, at in intakes if i not in found}
        if missing:
            for intake_id, data in s.execute(select(Intake.id, Intake.data).where(Intake.id.in_(missing))):
                found[intake_id] = intake_red_flags(data)
            with self._lock:
                for intake_id, at in missing.items():
                    if intake_id in found:
                        self._known[(where, intake_id, at)] = found[intake_id]
                while len(self._known) > self._size:
                    self._known.popitem(last=False)
        return found


INTAKE_FLAGS = _IntakeFlags()


def intake_read(row: Any, red_flags: list[str] | None = None) -> sc.IntakeRead:
    """An intake with the red flags its rules raise (``red_flags`` when the caller already has them)."""
    return sc.IntakeRead(
        id=row.id,
        runner_id=row.runner_id,
        data=row.data,
        created_at=row.created_at,
        red_flags=intake_red_flags(row.data) if red_flags is None else red_flags,
    )


def job_read(row: Job) -> sc.JobRead:
    progress = sc.JobProgress.model_validate(row.progress) if row.progress else None
    return sc.JobRead.model_validate(row, from_attributes=True).model_copy(update={"progress": progress})


def program_ids(s: Session, assessment_id: int, user: Principal) -> list[int]:
    query = select(ProgramRecord.id).where(ProgramRecord.assessment_id == assessment_id)
    if user.role == "runner":
        query = query.where(ProgramRecord.state == "published")
    return list(s.scalars(query.order_by(ProgramRecord.id)))


def assessment_read(
    s: Session, row: Assessment, user: Principal, programs: list[int] | None = None
) -> sc.AssessmentRead:
    """An assessment with all the analyzer's verdicts and its programs (``programs`` when the caller has them)."""
    return sc.AssessmentRead(
        id=row.id,
        runner_id=row.runner_id,
        job_id=row.job_id,
        created_at=row.created_at,
        assessment=row.assessment,
        gait_result=row.gait_result,
        verdicts=verdicts(row.gait_result, all_verdicts=True),
        files=sorted(row.files),
        program_ids=program_ids(s, row.id, user) if programs is None else programs,
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
    """The runner's whole record, in a fixed number of queries (the assessments' programs in one, the intakes'
    red flags from the per-intake cache)."""
    runner_only = user.role == "runner"
    intakes = records.list_intakes(s, runner.id)
    flags = INTAKE_FLAGS.get(s, [(r.id, r.created_at) for r in intakes])
    assessments = list(
        s.scalars(
            select(Assessment)
            .options(defer(Assessment.load_result))  # not part of the page or its JSON
            .where(Assessment.runner_id == runner.id)
            .order_by(Assessment.created_at.desc(), Assessment.id.desc())
        )
    )
    programs_of: dict[int, list[int]] = {a.id: [] for a in assessments}
    query = select(ProgramRecord.assessment_id, ProgramRecord.id).where(ProgramRecord.runner_id == runner.id)
    if runner_only:
        query = query.where(ProgramRecord.state == "published")
    for assessment_id, program_id in s.execute(query.order_by(ProgramRecord.id)):
        if assessment_id in programs_of:
            programs_of[assessment_id].append(program_id)
    return sc.RunnerDetail(
        runner=sc.RunnerRead.model_validate(runner),
        can_change=can_change,
        intakes=[intake_read(r, flags.get(r.id)) for r in intakes],
        tests=[sc.TestResultRead.model_validate(r) for r in records.list_test_results(s, runner.id)],
        uploads=[sc.UploadRead.model_validate(r) for r in records.list_uploads(s, runner.id)],
        jobs=[job_read(j) for j in runner_jobs(s, runner.id)],
        assessments=[assessment_read(s, a, user, programs_of[a.id]) for a in assessments],
        programs=[program_read(p) for p in records.list_programs(s, runner.id, published_only=runner_only)],
        load_reports=[load_read(r) for r in records.list_load_reports(s, runner.id)],
    )


def spike_this_week(last_spike: dt.date | None, today: dt.date) -> bool:
    """A session spike (the load report's own) in the seven days up to ``today``."""
    return last_spike is not None and last_spike >= today - dt.timedelta(days=7)


def _newest(model: Any, *where: Any) -> Any:
    """The id of each runner's newest row of ``model`` (the order of ``records.latest_*``), as a subquery."""
    rank = (
        func.row_number()
        .over(partition_by=model.runner_id, order_by=(model.created_at.desc(), model.id.desc()))
        .label("rank")
    )
    ranked = select(model.id, rank).where(*where).subquery()
    return select(ranked.c.id).where(ranked.c.rank == 1)


def runner_summaries(
    s: Session, runners: list[Runner], today: dt.date, *, scope: Any = None
) -> list[sc.RunnerSummary]:
    """Each runner's dashboard line from the rows' stored summaries (``db/summaries.py``): five small queries
    for the whole page (each runner's newest row by a window function), and no gait result, assessment or load document decoded.

    ``scope`` is a select of the same runners' ids (the page's own query), else their ids are listed."""
    if not runners:
        return []
    if scope is None:
        scope = [r.id for r in runners]
    gait: dict[int, list[Any]] = dict(
        s.execute(
            select(Assessment.runner_id, Assessment.summary_verdicts).where(
                Assessment.id.in_(
                    _newest(
                        Assessment, Assessment.runner_id.in_(scope), Assessment.summary_flagged.is_not(None)
                    )
                )
            )
        ).all()
    )
    latest = {
        runner_id: (assessment_id, bool(stopped), red_flags or [])
        for runner_id, assessment_id, stopped, red_flags in s.execute(
            select(
                Assessment.runner_id, Assessment.id, Assessment.summary_stopped, Assessment.summary_red_flags
            ).where(Assessment.id.in_(_newest(Assessment, Assessment.runner_id.in_(scope))))
        ).all()
    }
    newest_intake = {
        runner_id: (intake_id, created_at)
        for runner_id, intake_id, created_at in s.execute(
            select(Intake.runner_id, Intake.id, Intake.created_at).where(
                Intake.id.in_(_newest(Intake, Intake.runner_id.in_(scope)))
            )
        )
    }
    flags_of = INTAKE_FLAGS.get(s, sorted(newest_intake.values()))
    spikes = dict(
        s.execute(
            select(LoadReport.runner_id, LoadReport.summary_last_spike).where(
                LoadReport.id.in_(_newest(LoadReport, LoadReport.runner_id.in_(scope)))
            )
        ).all()
    )
    open_jobs = dict(
        s.execute(
            select(Job.runner_id, func.count())
            .where(Job.runner_id.in_(scope), Job.state.in_(OPEN_STATES))
            .group_by(Job.runner_id)
        ).all()
    )
    out: list[sc.RunnerSummary] = []
    for runner in runners:
        intake = newest_intake.get(runner.id)
        flags = list(flags_of.get(intake[0], [])) if intake is not None else []
        assessment_id, stopped, stop_flags = latest.get(runner.id, (None, False, []))
        if stopped:
            flags = list(dict.fromkeys([*flags, *stop_flags]))
        out.append(
            sc.RunnerSummary(
                runner=sc.RunnerRead.model_validate(runner),
                latest_assessment_id=assessment_id,
                verdicts=[sc.LegVerdict(**v) for v in gait.get(runner.id) or []],
                red_flags=flags,
                open_jobs=int(open_jobs.get(runner.id) or 0),
                load_spike_this_week=spike_this_week(spikes.get(runner.id), today),
            )
        )
    return out


@dataclass(frozen=True)
class PageOf:
    """Which slice of a long list a page shows (numbers from 1)."""

    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first(self) -> int:
        return min(self.total, (self.page - 1) * self.per_page + 1)

    @property
    def last(self) -> int:
        return min(self.total, self.page * self.per_page)


DASHBOARD_PER_PAGE = 50


def dashboard(
    s: Session,
    user: Principal,
    today: dt.date | None = None,
    *,
    page: int | None = None,
    per_page: int = DASHBOARD_PER_PAGE,
    name: str = "",
) -> sc.DashboardRead:
    """The clinic's runners (an admin's: every clinic's) by name, with their dashboard lines; ``page`` (from 1)
    shows ``per_page`` of them, None all; ``name`` keeps runners whose name contains it (any case)."""
    clinic_id = None if user.is_admin else user.clinic_id
    query = _runners_query(clinic_id, name)
    if page is not None:
        query = query.limit(per_page).offset((max(1, page) - 1) * per_page)
    runners = list(s.scalars(query))
    scope = query.with_only_columns(Runner.id) if page is not None else None
    today = today or dt.datetime.now(dt.UTC).date()
    if clinic_id is not None:
        clinic_ids = [clinic_id]
    else:
        clinic_ids = sorted(s.scalars(select(Runner.clinic_id).distinct()))
    return sc.DashboardRead(clinic_ids=clinic_ids, runners=runner_summaries(s, runners, today, scope=scope))


def _runners_query(clinic_id: int | None, name: str) -> Any:
    query = select(Runner).order_by(Runner.name, Runner.id)
    if clinic_id is not None:
        query = query.where(Runner.clinic_id == clinic_id)
    if name.strip():
        query = query.where(Runner.name.ilike(f"%{_like_escape(name.strip())}%", escape="\\"))
    return query


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def dashboard_page_of(
    s: Session, user: Principal, page: int, *, per_page: int = DASHBOARD_PER_PAGE, name: str = ""
) -> PageOf:
    """How many runners the dashboard lists in all, and which of its pages ``page`` is (clamped)."""
    clinic_id = None if user.is_admin else user.clinic_id
    counted = _runners_query(clinic_id, name).order_by(None).with_only_columns(func.count(Runner.id))
    total = int(s.scalar(counted) or 0)
    pages = max(1, -(-total // per_page))
    return PageOf(page=min(max(1, page), pages), per_page=per_page, total=total)
