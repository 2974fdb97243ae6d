"""A runner's record in and out: import a ``glutemed log`` logbook, export the whole record as JSON, and erase it.

- Import and export: the runner themself, a clinician of their clinic, or an admin. A logbook that breaks the
  contract answers 422 naming the file and the field, and nothing is stored.
- Erasure: the runner asks for it (a request the clinician sees); a clinician of the runner's clinic (or an admin)
  erases the record by typing the runner's name exactly. A runner cannot erase on their own.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from glutemed.db.storage import FileStore
from glutemed.io.safe_read import limit_bytes
from glutemed.services import record_export as rx
from glutemed.services.intake_schema import InputFileError, LogbookIn
from glutemed.services.portal import PortalInputError
from glutemed.web import authz
from glutemed.web.deps import Csrf, CurrentUser, Db, Principal, Settings
from glutemed.web.templating import page

router = APIRouter(tags=["records"])
FORM_SLACK = 64 * 1024  # the multipart headers and the CSRF field around the logbook file


def _logbook_cap() -> int:
    return limit_bytes("logbook")


async def limit_body(request: Request) -> None:
    """Refuse a body over the logbook cap before any of it is parsed (it must say its length)."""
    length = request.headers.get("content-length")
    if length is None or not length.isdigit():
        raise HTTPException(411, "Send the logbook with its length (Content-Length).")
    if int(length) > _logbook_cap() + FORM_SLACK:
        raise HTTPException(413, f"The logbook is over the {_logbook_cap() / 2**20:.0f} MB limit.")


LimitBody = Depends(limit_body)


# --- shared steps ---------------------------------------------------------------------------------------


def do_import(db: Db, user: Principal, runner_id: int, name: str, data: bytes) -> rx.ImportResult:
    """Check access, read and validate the file, store every session in one transaction (or none)."""
    with db.session() as s:
        authz.visible_runner(s, user, runner_id)
    try:
        book: LogbookIn = rx.read_logbook(name, data)
        with db.write() as s:
            authz.visible_runner(s, user, runner_id)
            return rx.import_logbook(s, runner_id, book, source=name, created_by=user.id)
    except InputFileError as exc:
        raise HTTPException(422, str(exc)) from None
    except PortalInputError as exc:
        raise HTTPException(exc.status, str(exc)) from None


def export_response(db: Db, user: Principal, runner_id: int) -> StreamingResponse:
    with db.session() as s:
        runner = authz.visible_runner(s, user, runner_id)
        name = f"glutemed-record-{runner.id}.json"
    return StreamingResponse(
        rx.export_chunks(db, runner_id),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def do_request(db: Db, settings: Settings, user: Principal, runner_id: int) -> dict[str, Any]:
    with db.session() as s:
        authz.visible_runner(s, user, runner_id)
    return rx.request_erasure(FileStore(settings.data_dir), runner_id, by=user.id)


def do_erase(db: Db, settings: Settings, user: Principal, runner_id: int, typed: str) -> rx.ErasureReport:
    with db.session() as s:
        runner = authz.changeable_runner(s, user, runner_id)
        name = runner.name
    if typed.strip() != name.strip():
        raise HTTPException(
            422, "The name typed does not match the runner's name exactly; nothing was erased."
        )
    try:
        return rx.erase_runner(db, FileStore(settings.data_dir), runner_id)
    except rx.ErasureError as exc:
        raise HTTPException(409, str(exc)) from None


# --- pages ------------------------------------------------------------------------------------------------


def _records_page(
    request: Request, db: Db, settings: Settings, user: Principal, runner_id: int, **extra: Any
) -> Response:
    with db.session() as s:
        runner = authz.visible_runner(s, user, runner_id)
        context = {
            "runner_id": runner.id,
            "runner_name": runner.name,
            "can_erase": authz.can_change_runner(user, runner),
            "erasure_request": rx.erasure_request(FileStore(settings.data_dir), runner.id),
            "cap_mb": _logbook_cap() / 2**20,
            "message": "",
            "error": "",
        }
    return page(request, "records_runner.html.j2", **{**context, **extra})


@router.get("/runners/{runner_id}/records", include_in_schema=False)
def records_page(request: Request, runner_id: int, user: CurrentUser, db: Db, settings: Settings) -> Response:
    return _records_page(request, db, settings, user, runner_id)


@router.post("/runners/{runner_id}/records/import", include_in_schema=False, dependencies=[LimitBody, Csrf])
async def import_page(
    request: Request, runner_id: int, user: CurrentUser, db: Db, settings: Settings, logbook: UploadFile
) -> Response:
    data = await logbook.read(_logbook_cap() + 1)
    name = (logbook.filename or "logbook.json")[:120]
    try:
        result = await run_in_threadpool(do_import, db, user, runner_id, name, data)
    except HTTPException as exc:
        if exc.status_code not in (409, 422):
            raise
        return page_with_error(request, db, settings, user, runner_id, exc)
    message = (
        f"Imported {name}: {result.sessions} session(s), {result.stored} new, "
        f"{result.already} already in the record."
    )
    return _records_page(request, db, settings, user, runner_id, message=message)


def page_with_error(
    request: Request, db: Db, settings: Settings, user: Principal, runner_id: int, exc: HTTPException
) -> Response:
    response = _records_page(request, db, settings, user, runner_id, error=str(exc.detail))
    response.status_code = exc.status_code
    return response


@router.get("/runners/{runner_id}/export.json", include_in_schema=False)
def export_download(runner_id: int, user: CurrentUser, db: Db) -> StreamingResponse:
    return export_response(db, user, runner_id)


@router.post("/runners/{runner_id}/erasure-request", include_in_schema=False, dependencies=[Csrf])
async def erasure_request_page(runner_id: int, user: CurrentUser, db: Db, settings: Settings) -> Response:
    await run_in_threadpool(do_request, db, settings, user, runner_id)
    return RedirectResponse(f"/runners/{runner_id}/records", status_code=303)


@router.post("/runners/{runner_id}/erasure", include_in_schema=False, dependencies=[Csrf])
async def erase_page(
    runner_id: int,
    user: CurrentUser,
    db: Db,
    settings: Settings,
    confirm_name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    await run_in_threadpool(do_erase, db, settings, user, runner_id, confirm_name)
    return RedirectResponse("/dashboard", status_code=303)


# --- JSON mirrors -------------------------------------------------------------------------------------------


class ImportRead(BaseModel):
    sessions: int
    stored: int
    already: int


class ErasureConfirm(BaseModel):
    confirm_name: str = Field(max_length=200, description="The runner's name, typed exactly")


class ErasureRead(BaseModel):
    erased: bool
    rows: dict[str, int]
    files_removed: int
    files_kept_shared: int


@router.post(
    "/api/v1/runners/{runner_id}/logbook", tags=["api"], status_code=201, dependencies=[LimitBody, Csrf]
)
async def api_import(request: Request, runner_id: int, user: CurrentUser, db: Db) -> ImportRead:
    """Import a ``glutemed log`` logbook sent as the request body (JSON); 422 names the field, nothing stored."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > _logbook_cap():
            raise HTTPException(413, f"The logbook is over the {_logbook_cap() / 2**20:.0f} MB limit.")
    result = await run_in_threadpool(do_import, db, user, runner_id, "logbook", bytes(body))
    return ImportRead(sessions=result.sessions, stored=result.stored, already=result.already)


@router.get("/api/v1/runners/{runner_id}/export", tags=["api"], response_class=StreamingResponse)
def api_export(runner_id: int, user: CurrentUser, db: Db) -> StreamingResponse:
    """The runner's whole record as one JSON document (``glutemed.record/v1``), streamed."""
    return export_response(db, user, runner_id)


@router.post(
    "/api/v1/runners/{runner_id}/erasure-request", tags=["api"], status_code=201, dependencies=[Csrf]
)
async def api_erasure_request(
    runner_id: int, user: CurrentUser, db: Db, settings: Settings
) -> dict[str, Any]:
    """The runner asks for their record to be erased; a clinician of their clinic confirms it."""
    return await run_in_threadpool(do_request, db, settings, user, runner_id)


@router.post("/api/v1/runners/{runner_id}/erasure", tags=["api"], dependencies=[Csrf])
async def api_erase(
    runner_id: int, body: ErasureConfirm, user: CurrentUser, db: Db, settings: Settings
) -> ErasureRead:
    """Erase the runner's record (clinicians of the runner's clinic and admins; the runner's name typed)."""
    report = await run_in_threadpool(do_erase, db, settings, user, runner_id, body.confirm_name)
    return ErasureRead(
        erased=True, rows=report.rows, files_removed=report.files, files_kept_shared=report.kept_shared
    )
