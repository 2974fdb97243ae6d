"""Assessment pages (findings, the gait report and overlay video in the page) and load reports, with the
files the jobs wrote (report HTML and PDF, result JSON, stance CSV, TRC, overlay video) for download."""

from __future__ import annotations

import json
import mimetypes
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from glutemed.db.models import Assessment, LoadReport
from glutemed.db.storage import FileStore
from glutemed.web import authz, views
from glutemed.web.deps import CurrentUser, Db, Settings
from glutemed.web.templating import page

router = APIRouter(tags=["assessments"])

INLINE = {".html", ".mp4", ".webm", ".svg", ".png", ".jpg"}
# a stored report is our own escaped HTML; it still runs nothing and loads nothing from elsewhere
REPORT_CSP = "default-src 'none'; img-src data: 'self'; style-src 'unsafe-inline'; media-src 'self'; frame-ancestors 'self'"
EXTRA_TYPES = {
    ".webm": "video/webm",
    ".trc": "text/plain",
    ".csv": "text/csv",
    ".ics": "text/calendar",
    ".json": "application/json",
}


def stored_file(settings: Settings, files: dict[str, Any], name: str, what: str) -> Response:
    """One of a record's files by its name in ``files`` (never a path from the request)."""
    relative = files.get(name)
    if not isinstance(relative, str):
        raise authz.not_found("file")
    try:
        path = FileStore(settings.data_dir).resolve(relative)
    except ValueError:
        raise authz.not_found("file") from None
    if not path.is_file():
        raise authz.not_found("file")
    suffix = path.suffix.lower()
    media = EXTRA_TYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    download = f"{what}-{path.name}" if not name.endswith(path.suffix) else f"{what}-{name}"
    response = FileResponse(
        path,
        media_type=media,
        filename=download,
        content_disposition_type="inline" if suffix in INLINE else "attachment",
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    if suffix == ".html":
        response.headers["Content-Security-Policy"] = REPORT_CSP
    return response


@router.get("/assessments/{assessment_id}", include_in_schema=False)
def assessment_page(request: Request, assessment_id: int, user: CurrentUser, db: Db) -> Response:
    with db.session() as s:
        row = authz.visible_row(s, user, Assessment, assessment_id, "assessment")
        data = views.assessment_read(s, row, user)
        runner = authz.visible_runner(s, user, row.runner_id)
        name = runner.name
    return page(
        request,
        "assessment.html.j2",
        a=data,
        runner_name=name,
        audience="runner" if user.role == "runner" else "clinician",
    )


@router.get("/assessments/{assessment_id}/files/{name:path}", include_in_schema=False)
def assessment_file(assessment_id: int, name: str, user: CurrentUser, db: Db, settings: Settings) -> Response:
    with db.session() as s:
        row = authz.visible_row(s, user, Assessment, assessment_id, "assessment")
        files = dict(row.files)
    if user.role == "runner" and name == "report.html" and "runner-summary.html" in files:
        name = "runner-summary.html"  # the runner reads the plain-words summary
    return stored_file(settings, files, name, f"assessment-{assessment_id}")


@router.get("/assessments/{assessment_id}/assessment.json", include_in_schema=False)
def assessment_json(assessment_id: int, user: CurrentUser, db: Db) -> Response:
    with db.session() as s:
        row = authz.visible_row(s, user, Assessment, assessment_id, "assessment")
        body = json.dumps(row.assessment, indent=2) + "\n"
    return Response(
        body,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="assessment-{assessment_id}.json"'},
    )


@router.get("/load-reports/{report_id}", include_in_schema=False)
def load_page(request: Request, report_id: int, user: CurrentUser, db: Db) -> Response:
    with db.session() as s:
        row = authz.visible_row(s, user, LoadReport, report_id, "load report")
        data = views.load_read(row)
        runner = authz.visible_runner(s, user, row.runner_id)
        name = runner.name
    return page(request, "load.html.j2", report=data, runner_name=name)


@router.get("/load-reports/{report_id}/files/{name:path}", include_in_schema=False)
def load_file(report_id: int, name: str, user: CurrentUser, db: Db, settings: Settings) -> Response:
    with db.session() as s:
        row = authz.visible_row(s, user, LoadReport, report_id, "load report")
        files = dict(row.files)
    return stored_file(settings, files, name, f"load-{report_id}")
