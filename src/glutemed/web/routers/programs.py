"""The program page (phases, doses, cues, citations), the clinician's review (remove, swap, publish) and the
downloads (PDF, ICS, printable HTML, JSON, CSV). A runner sees only published programs."""

from __future__ import annotations

import csv
import io
import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from glutemed.db import records
from glutemed.db.models import Assessment, ProgramRecord
from glutemed.web import authz, views
from glutemed.web.deps import Csrf, CurrentUser, Db, Principal
from glutemed.web.program_edit import EditError, allowed, apply_edit, download, rebuild
from glutemed.web.schemas import ProgramUpdate
from glutemed.web.templating import page

router = APIRouter(tags=["programs"])
FORMATS = ("pdf", "ics", "html", "json", "csv")


def visible_program(s: Session, user: Principal, program_id: int) -> ProgramRecord:
    row = authz.visible_row(s, user, ProgramRecord, program_id, "program")
    if user.role == "runner" and row.state != "published":
        raise authz.not_found("program")
    return row


def changeable_program(s: Session, user: Principal, program_id: int) -> ProgramRecord:
    """The program, locked for this transaction (two reviewers' edits apply one after the other)."""
    row = authz.changeable_row(s, user, ProgramRecord, program_id, "program")
    s.refresh(row, with_for_update=True)
    return row


def update_program(db: Db, user: Principal, program_id: int, change: ProgramUpdate) -> None:
    """Apply one review action; EditError (422) or 403/404 when it cannot be made."""
    with db.write() as s:
        row = changeable_program(s, user, program_id)
        if change.action == "publish":
            records.publish_program(s, row, by=user.id)
            return
        if row.state != "draft":
            raise EditError("a published program is not edited")
        edit = change.model_dump(exclude_none=True)
        data = apply_edit(s, row, edit)
        records.edit_program(s, row, data=data, edit={**edit, "by": user.id})


def _swap_choices(s: Session, row: ProgramRecord) -> dict[str, list[tuple[str, str]]]:
    assessment = s.get(Assessment, row.assessment_id) if row.assessment_id else None
    if assessment is None or row.state != "draft" or row.data.get("stopped"):
        return {}
    try:
        rebuilt = rebuild(s, assessment)
    except EditError:
        return {}
    return {phase["id"]: allowed(rebuilt, phase["id"]) for phase in row.data.get("phases", [])}


@router.get("/programs/{program_id}", include_in_schema=False)
def program_page(request: Request, program_id: int, user: CurrentUser, db: Db, message: str = "") -> Response:
    with db.session() as s:
        row = visible_program(s, user, program_id)
        data = views.program_read(row)
        runner = authz.visible_runner(s, user, row.runner_id)
        can_change = authz.can_change_runner(user, runner)
        choices = _swap_choices(s, row) if can_change else {}
        name = runner.name
    return page(
        request,
        "program.html.j2",
        p=data,
        runner_name=name,
        can_change=can_change,
        choices=choices,
        message=message[:300],
    )


@router.post("/programs/{program_id}/review", include_in_schema=False, dependencies=[Csrf])
async def review_program(
    program_id: int,
    user: CurrentUser,
    db: Db,
    action: Annotated[str, Form(max_length=20)],
    phase_id: Annotated[str, Form(max_length=100)] = "",
    exercise_id: Annotated[str, Form(max_length=100)] = "",
    replacement_id: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    if action not in ("remove", "swap", "publish"):
        raise HTTPException(422, "action must be remove, swap or publish")
    change = ProgramUpdate(
        action=action,
        phase_id=phase_id or None,
        exercise_id=exercise_id or None,
        replacement_id=replacement_id or None,
    )
    try:
        await run_in_threadpool(update_program, db, user, program_id, change)
    except EditError as exc:
        raise HTTPException(422, str(exc)) from None
    return RedirectResponse(f"/programs/{program_id}", status_code=303)


def program_csv(data: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "phase",
            "exercise_id",
            "exercise",
            "sets",
            "reps",
            "hold_s",
            "per_side",
            "rest_s",
            "sessions_per_week",
            "minutes",
            "why",
            "citations",
        ]
    )
    for phase in data.get("phases", []):
        for item in phase.get("exercises", []):
            writer.writerow(
                [
                    phase.get("name"),
                    item.get("exercise_id"),
                    item.get("name"),
                    item.get("sets"),
                    item.get("reps"),
                    item.get("hold_s"),
                    item.get("per_side"),
                    item.get("rest_s"),
                    item.get("sessions_per_week"),
                    item.get("minutes"),
                    item.get("why"),
                    " | ".join(item.get("citations", [])),
                ]
            )
    return buffer.getvalue()


@router.get("/programs/{program_id}/download/{fmt}", include_in_schema=False)
async def program_download(program_id: int, fmt: str, user: CurrentUser, db: Db) -> Response:
    if fmt not in FORMATS:
        raise authz.not_found("download")

    def build() -> tuple[bytes, str, str]:
        with db.session() as s:
            row = visible_program(s, user, program_id)
            if fmt == "json":
                return (
                    (json.dumps(row.data, indent=2) + "\n").encode(),
                    "application/json",
                    f"program-{program_id}.json",
                )
            if fmt == "csv":
                return program_csv(row.data).encode(), "text/csv", f"program-{program_id}.csv"
            return download(s, row, fmt)

    try:
        content, media, name = await run_in_threadpool(build)
    except EditError as exc:
        raise HTTPException(422, str(exc)) from None
    kind = "inline" if fmt == "html" else "attachment"
    return Response(
        content,
        media_type=media,
        headers={
            "Content-Disposition": f'{kind}; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
        },
    )
