"""A job's page: live progress (HTMX polls the fragment every second while the job is open), the result
when it is done, the reason when it failed, and a retry button for a failed job."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from glutemed.db import queue
from glutemed.db.models import Assessment, Job, LoadReport
from glutemed.web import authz, views
from glutemed.web.deps import Csrf, CurrentUser, Db, Principal
from glutemed.web.schemas import JobRead
from glutemed.web.templating import page

router = APIRouter(tags=["jobs"])


def job_context(db: Db, user: Principal, job_id: int) -> dict[str, Any]:
    with db.session() as s:
        job = authz.visible_row(s, user, Job, job_id, "job")
        read: JobRead = views.job_read(job)
        runner = authz.visible_runner(s, user, job.runner_id)
        result = read.result or {}
        assessment = s.get(Assessment, result["assessment_id"]) if result.get("assessment_id") else None
        load = s.get(LoadReport, result["load_report_id"]) if result.get("load_report_id") else None
        return {
            "job": read,
            "runner_name": runner.name,
            "can_change": authz.can_change_runner(user, runner),
            "assessment": views.assessment_read(s, assessment, user) if assessment else None,
            "load": views.load_read(load) if load else None,
        }


@router.get("/jobs/{job_id}", include_in_schema=False)
def job_page(request: Request, job_id: int, user: CurrentUser, db: Db) -> Response:
    return page(request, "job.html.j2", **job_context(db, user, job_id))


@router.get("/jobs/{job_id}/progress", include_in_schema=False)
def job_progress(request: Request, job_id: int, user: CurrentUser, db: Db) -> Response:
    """The progress fragment HTMX swaps in; it stops polling once the job is done or failed."""
    return page(request, "job_progress.html.j2", **job_context(db, user, job_id))


@router.post("/jobs/{job_id}/retry", include_in_schema=False, dependencies=[Csrf])
def retry_job(job_id: int, user: CurrentUser, db: Db) -> Response:
    with db.write() as s:
        authz.changeable_row(s, user, Job, job_id, "job")
        if not queue.retry(s, job_id):
            raise authz.forbidden("Only a failed job can be retried.")
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)
