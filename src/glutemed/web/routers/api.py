"""The JSON API under ``/api/v1``: the data of every page, with the same access rules.

Signed in with the same session cookie as the pages; every POST/PATCH needs the session's CSRF token in the
``X-CSRF-Token`` header (``GET /api/v1/me`` returns it). Uploads are
``POST /api/v1/runners/{id}/uploads/{gait|load}`` (see the uploads router).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from glutemed.db import accounts, queue, records
from glutemed.db.models import Assessment, Job, LoadReport
from glutemed.services.intake_schema import IntakeIn, TestsIn
from glutemed.web import authz, views
from glutemed.web import schemas as sc
from glutemed.web.deps import Csrf, CurrentUser, Db, Settings
from glutemed.web.program_edit import EditError
from glutemed.web.routers.programs import update_program, visible_program
from glutemed.web.routers.runners import create_runner_with_invitation

router = APIRouter(tags=["api"])


class MeWithToken(sc.MeRead):
    csrf_token: str


@router.get("/me")
def me(request: Request, user: CurrentUser) -> MeWithToken:
    return MeWithToken(**user.__dict__, csrf_token=request.state.session.csrf_token)


@router.get("/dashboard")
def dashboard(user: CurrentUser, db: Db) -> sc.DashboardRead:
    authz.require_staff(user)
    with db.session() as s:
        return views.dashboard(s, user)


@router.get("/runners")
def list_runners(user: CurrentUser, db: Db) -> list[sc.RunnerRead]:
    with db.session() as s:
        if user.role == "runner":
            runner = authz.visible_runner(s, user, user.runner_id or 0)
            return [sc.RunnerRead.model_validate(runner)]
        rows = records.list_runners(s, clinic_id=None if user.is_admin else user.clinic_id)
        return [sc.RunnerRead.model_validate(r) for r in rows]


@router.post("/runners", status_code=201, dependencies=[Csrf])
def create_runner(
    request: Request, body: sc.RunnerCreate, user: CurrentUser, db: Db, settings: Settings
) -> sc.RunnerCreated:
    try:
        runner_id, link = create_runner_with_invitation(
            db,
            settings,
            user,
            name=body.name,
            email=body.email,
            clinic_id=body.clinic_id,
            base_url=str(request.base_url),
        )
    except accounts.AccountError as exc:
        raise HTTPException(422, str(exc)) from None
    with db.session() as s:
        runner = authz.visible_runner(s, user, runner_id)
        invitation = accounts.list_invitations(s, runner_id)[-1]
        return sc.RunnerCreated(
            runner=sc.RunnerRead.model_validate(runner),
            invitation=sc.InvitationRead(runner_id=runner_id, link=link, expires_at=invitation.expires_at),
        )


@router.get("/runners/{runner_id}")
def runner_detail(runner_id: int, user: CurrentUser, db: Db) -> sc.RunnerDetail:
    with db.session() as s:
        runner = authz.visible_runner(s, user, runner_id)
        return views.runner_detail(s, runner, user, can_change=authz.can_change_runner(user, runner))


def _store(db: Db, user: Any, runner_id: int, model: BaseModel, kind: str) -> Any:
    with db.write() as s:
        authz.changeable_runner(s, user, runner_id)
        data = model.model_dump(mode="json", exclude_none=True)
        read: Any
        if kind == "intake":
            read = views.intake_read(records.add_intake(s, runner_id, data, created_by=user.id))
        else:
            row = records.add_test_result(s, runner_id, data, created_by=user.id)
            read = sc.TestResultRead.model_validate(row)
        if records.latest_intake(s, runner_id) is not None:  # as the pages do: assess again with it
            queue.enqueue(s, kind="assess", runner_id=runner_id, created_by=user.id)
        return read


@router.post("/runners/{runner_id}/intakes", status_code=201, dependencies=[Csrf])
def add_intake(runner_id: int, body: IntakeIn, user: CurrentUser, db: Db) -> sc.IntakeRead:
    """An intake (the same contract as the YAML file), kept beside the earlier ones; queues an assessment."""
    result: sc.IntakeRead = _store(db, user, runner_id, body, "intake")
    return result


@router.post("/runners/{runner_id}/tests", status_code=201, dependencies=[Csrf])
def add_tests(runner_id: int, body: TestsIn, user: CurrentUser, db: Db) -> sc.TestResultRead:
    result: sc.TestResultRead = _store(db, user, runner_id, body, "tests")
    return result


@router.get("/jobs/{job_id}")
def job(job_id: int, user: CurrentUser, db: Db) -> sc.JobRead:
    with db.session() as s:
        return views.job_read(authz.visible_row(s, user, Job, job_id, "job"))


@router.post("/jobs/{job_id}/retry", dependencies=[Csrf])
def retry(job_id: int, user: CurrentUser, db: Db) -> sc.JobRead:
    with db.write() as s:
        authz.changeable_row(s, user, Job, job_id, "job")
        if not queue.retry(s, job_id):
            raise authz.forbidden("Only a failed job can be retried.")
    with db.session() as s:
        return views.job_read(authz.visible_row(s, user, Job, job_id, "job"))


@router.get("/assessments/{assessment_id}")
def assessment(assessment_id: int, user: CurrentUser, db: Db) -> sc.AssessmentRead:
    with db.session() as s:
        row = authz.visible_row(s, user, Assessment, assessment_id, "assessment")
        return views.assessment_read(s, row, user)


@router.get("/programs/{program_id}")
def program(program_id: int, user: CurrentUser, db: Db) -> sc.ProgramRead:
    with db.session() as s:
        return views.program_read(visible_program(s, user, program_id))


@router.patch("/programs/{program_id}", dependencies=[Csrf])
async def review_program(
    program_id: int, body: sc.ProgramUpdate, user: CurrentUser, db: Db
) -> sc.ProgramRead:
    """Remove or swap an exercise of a draft, or publish it."""
    try:
        await run_in_threadpool(update_program, db, user, program_id, body)
    except EditError as exc:
        raise HTTPException(422, str(exc)) from None
    with db.session() as s:
        return views.program_read(visible_program(s, user, program_id))


@router.get("/load-reports/{report_id}")
def load_report(report_id: int, user: CurrentUser, db: Db) -> sc.LoadReportRead:
    with db.session() as s:
        return views.load_read(authz.visible_row(s, user, LoadReport, report_id, "load report"))
