"""Uploads: videos, keypoint and motion-capture files for a gait analysis, activity files for training load.

The body streams to disk (:mod:`glutemed.web.uploads`); once every file is stored and checked, the uploads are
recorded and one job is queued in the same transaction, and the browser goes to the job's page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from starlette.requests import ClientDisconnect

from glutemed.db import queue, records
from glutemed.db.models import Upload
from glutemed.db.storage import FileStore
from glutemed.pose import is_video
from glutemed.web import authz
from glutemed.web.deps import CurrentUser, Db, Principal, Settings
from glutemed.web.security import CSRF_HEADER, SessionSigner
from glutemed.web.uploads import Received, UploadProblem, UploadReceiver
from glutemed.web.views import job_read

router = APIRouter(tags=["uploads"])

Purpose = Literal["gait", "load"]
UPLOAD_KIND = {
    "video": "video",
    "keypoints": "keypoints",
    "mocap": "c3d",
    "activity": "activities",
    "archive": "activities",
}
VIEWS = ("auto", "rear", "front", "side")


def file_store(settings: Settings) -> FileStore:
    return FileStore(settings.data_dir)


def stored_name(item: Received) -> str:
    """The original name, with the suffix of what the content is when the name says otherwise (the job's
    readers go by suffix)."""
    name = Path(item.original_name)
    suffix = name.suffix.lower()
    if item.kind.name == "video" and is_video(name):
        return item.original_name
    if suffix == item.kind.suffix:
        return item.original_name
    return f"{name.stem or 'upload'}{item.kind.suffix}"


def _record(
    db: Db, user: Principal, runner_id: int, purpose: Purpose, files: list[Received], view: str
) -> int:
    """Record the stored files and queue the job that uses them; returns the job id."""
    with db.write() as s:
        authz.changeable_runner(s, user, runner_id)
        ids = [
            records.add_upload(
                s,
                runner_id=runner_id,
                sha256=item.stored.sha256,
                original_name=stored_name(item),
                kind=UPLOAD_KIND[item.kind.name],
                size_bytes=item.stored.size_bytes,
                storage_path=item.stored.relative_path,
                view=None if view == "auto" or purpose == "load" else view,
                created_by=user.id,
            ).id
            for item in files
        ]
        kind = "analyze" if purpose == "gait" else "load"
        payload: dict[str, object] = (
            {"upload_ids": ids, "report": True, "pdf": True, "overlay": True}
            if purpose == "gait"
            else {"upload_id": ids[0]}
        )
        job = queue.enqueue(s, kind=kind, runner_id=runner_id, payload=payload, created_by=user.id)
        return job.id


async def receive_upload(
    request: Request, runner_id: int, purpose: Purpose, user: Principal, db: Db, settings: Settings
) -> int:
    """Stream, check and record an upload; the id of the queued job. Raises UploadProblem (4xx)."""
    with db.session() as s:
        authz.changeable_runner(s, user, runner_id)  # before a byte of the body is read
    signer: SessionSigner = request.app.state.signer
    session = request.state.session
    header = request.headers.get(CSRF_HEADER)

    def csrf_ok(token: str) -> bool:
        return signer.token_ok(session, header if header is not None else token)

    def still_used(relative_path: str) -> bool:
        with db.session() as s:
            return (
                s.scalar(select(Upload.id).where(Upload.storage_path == relative_path).limit(1)) is not None
            )

    store = file_store(settings)
    receiver = UploadReceiver(
        request,
        purpose=purpose,
        store=store,
        max_bytes=settings.max_upload_bytes,
        csrf_ok=csrf_ok,
        still_used=still_used,
    )
    try:
        await receiver.receive()
    except ClientDisconnect:
        raise UploadProblem(400, "the upload was cancelled before it ended; nothing was kept") from None
    if purpose == "load" and len(receiver.files) > 1:
        receiver.discard()
        raise UploadProblem(422, "send one activity file, zip or Strava export at a time")
    view = receiver.fields.get("view", "auto") or "auto"
    if view not in VIEWS:
        receiver.discard()
        raise UploadProblem(422, f"view must be one of {', '.join(VIEWS)} (got {view[:20]!r})")
    try:
        return _record(db, user, runner_id, purpose, receiver.files, view)
    except BaseException:
        receiver.discard()
        raise


@router.post("/runners/{runner_id}/uploads/{purpose}", include_in_schema=False)
async def upload_page(
    request: Request, runner_id: int, purpose: Purpose, user: CurrentUser, db: Db, settings: Settings
) -> Response:
    job_id = await receive_upload(request, runner_id, purpose, user, db, settings)
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)


@router.post("/api/v1/runners/{runner_id}/uploads/{purpose}", tags=["api"], status_code=201)
async def upload_api(
    request: Request, runner_id: int, purpose: Purpose, user: CurrentUser, db: Db, settings: Settings
) -> Response:
    """Upload files as multipart/form-data (header ``X-CSRF-Token``); 201 with the queued job."""
    job_id = await receive_upload(request, runner_id, purpose, user, db, settings)
    with db.session() as s:
        job = queue.get_job(s, job_id)
        assert job is not None
        body = job_read(job).model_dump(mode="json")
    return JSONResponse(body, status_code=201)
