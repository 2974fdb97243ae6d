"""The runner's private calendar feed: make a feed URL, revoke it, and serve it to calendar apps.

Who may manage a runner's feed: the runner themself and a clinician of their clinic (and an admin); everyone
else gets 404. The feed URL itself needs no sign-in (calendar apps cannot sign in): its secret token is the
key. A wrong, malformed or revoked token answers 404 with an empty body.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from glutemed.db import portal as portal_repo
from glutemed.db import records
from glutemed.db.models import Assessment
from glutemed.services import portal
from glutemed.services.calendar_feed import (
    DosesNow,
    active_feed,
    create_feed,
    empty_feed,
    program_feed,
    revoke_feeds,
    runner_for_token,
)
from glutemed.services.program_calendar import system_time_zone
from glutemed.web import authz
from glutemed.web.deps import Csrf, CurrentUser, Db, Principal
from glutemed.web.program_edit import EditError, edited, rebuild
from glutemed.web.templating import page

router = APIRouter(tags=["feeds"])


def feed_url(request: Request, token: str) -> str:
    return f"{str(request.base_url).rstrip('/')}/feeds/{token}.ics"


def _status(s: Session, runner_id: int) -> dict[str, Any]:
    feed = active_feed(s, runner_id)
    return {"active": feed is not None, "created_at": feed.created_at if feed else None}


def calendar_text(s: Session, runner_id: int, zone: str) -> str:
    """The runner's latest published program as ICS, made now (an empty calendar when there is none)."""
    row = records.latest_published_program(s, runner_id)
    assessment = s.get(Assessment, row.assessment_id) if row and row.assessment_id else None
    if row is None or assessment is None or row.data.get("stopped"):
        return empty_feed(zone)
    rebuilt = rebuild(s, assessment)
    program = edited(rebuilt, [{k: v for k, v in e.items() if k != "at"} for e in row.edits])
    today = dt.datetime.now(ZoneInfo(zone)).date()
    plan = portal.today(s, runner_id, today)
    if program is None or plan.kind == "stopped":  # a red flag: no sessions until a doctor has looked
        return empty_feed(zone)
    now = None
    if portal_repo.list_logs(s, runner_id, kind="session"):
        cards = portal.session_exercises(s, runner_id, today)
        now = DosesNow(plan.phase_id, tuple(f"{c.name}: {c.dose}" for c in cards))
    published = row.published_at or row.created_at
    return program_feed(
        program, rebuilt.result, rebuilt.kb, rebuilt.rules, published_at=published, zone=zone, now=now
    )


@router.get("/feeds/{token}.ics", include_in_schema=False)
async def calendar_feed(token: str, db: Db) -> Response:
    def build() -> str | None:
        with db.session() as s:
            runner_id = runner_for_token(s, token)
            if runner_id is None:
                return None
            try:
                return calendar_text(s, runner_id, system_time_zone()[0])
            except EditError:
                return empty_feed(system_time_zone()[0])

    text = await run_in_threadpool(build)
    if text is None:
        return Response(status_code=404)
    return Response(
        text.encode("utf-8"),
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": 'inline; filename="glutemed.ics"',
            "Cache-Control": "private, no-cache",
        },
    )


def _feed_page(
    request: Request, runner_id: int, name: str, status: dict[str, Any], url: str = ""
) -> Response:
    return page(request, "feed_runner.html.j2", runner_id=runner_id, runner_name=name, feed=status, url=url)


@router.get("/runners/{runner_id}/feed", include_in_schema=False)
def feed_page(request: Request, runner_id: int, user: CurrentUser, db: Db) -> Response:
    with db.session() as s:
        runner = authz.visible_runner(s, user, runner_id)
        return _feed_page(request, runner_id, runner.name, _status(s, runner_id))


def new_feed(db: Db, user: Principal, runner_id: int) -> tuple[str, str]:
    """(token, runner name): a new feed for a runner the user may see (the runner themself or their clinic)."""
    with db.write() as s:
        runner = authz.visible_runner(s, user, runner_id)
        return create_feed(s, runner.id, created_by=user.id), runner.name


def end_feed(db: Db, user: Principal, runner_id: int) -> int:
    with db.write() as s:
        runner = authz.visible_runner(s, user, runner_id)
        return revoke_feeds(s, runner.id)


@router.post("/runners/{runner_id}/feed", include_in_schema=False, dependencies=[Csrf])
async def make_feed(request: Request, runner_id: int, user: CurrentUser, db: Db) -> Response:
    token, name = await run_in_threadpool(new_feed, db, user, runner_id)
    status = {"active": True, "created_at": dt.datetime.now(dt.UTC)}
    return _feed_page(request, runner_id, name, status, feed_url(request, token))


@router.post("/runners/{runner_id}/feed/revoke", include_in_schema=False, dependencies=[Csrf])
async def revoke_feed(runner_id: int, user: CurrentUser, db: Db) -> Response:
    await run_in_threadpool(end_feed, db, user, runner_id)
    return RedirectResponse(f"/runners/{runner_id}/feed", status_code=303)


# --- JSON mirrors -------------------------------------------------------------------------------------------


@router.get("/api/v1/runners/{runner_id}/feed", tags=["api"])
def api_feed_status(runner_id: int, user: CurrentUser, db: Db) -> dict[str, Any]:
    """Whether the runner has a live calendar feed, and since when (the URL is shown only when made)."""
    with db.session() as s:
        authz.visible_runner(s, user, runner_id)
        return _status(s, runner_id)


@router.post("/api/v1/runners/{runner_id}/feed", tags=["api"], status_code=201, dependencies=[Csrf])
async def api_make_feed(request: Request, runner_id: int, user: CurrentUser, db: Db) -> dict[str, Any]:
    """A new feed URL (any older one stops working). The URL is shown this once."""
    token, _ = await run_in_threadpool(new_feed, db, user, runner_id)
    return {"url": feed_url(request, token), "active": True}


@router.delete("/api/v1/runners/{runner_id}/feed", tags=["api"], dependencies=[Csrf])
async def api_revoke_feed(runner_id: int, user: CurrentUser, db: Db) -> dict[str, Any]:
    """Revoke the runner's feed: its URL reads nothing from now on."""
    revoked = await run_in_threadpool(end_feed, db, user, runner_id)
    return {"active": False, "revoked": revoked}
