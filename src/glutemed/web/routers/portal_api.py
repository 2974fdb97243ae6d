"""The runner portal's JSON API under ``/api/v1/portal``: the same reads and writes as the phone pages of
:mod:`glutemed.web.routers.portal`, with the same access rules (the runner writes their own logbook; their
clinic's clinicians and the admin read it; everyone else gets 404)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from glutemed.db import portal as repo
from glutemed.services import portal
from glutemed.services.intake_schema import SessionIn
from glutemed.web import authz
from glutemed.web.deps import Csrf, CurrentUser, Db
from glutemed.web.routers.portal import _day, _jsonable, _readable, _result_json, _run, _writable

router = APIRouter(tags=["portal"])


# ------------------------------------------------------------------------------------------- JSON API


class SessionPost(BaseModel):
    client_key: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    session: SessionIn
    morning_pain_0_10: float | None = Field(default=None, ge=0, le=10)
    morning_stiffness_0_10: float | None = Field(default=None, ge=0, le=10)


class RunPost(BaseModel):
    client_key: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    run: portal.RunIn


class MorningPost(BaseModel):
    pain_0_10: float = Field(ge=0, le=10)
    stiffness_0_10: float | None = Field(default=None, ge=0, le=10)


def _api_error(exc: portal.PortalInputError) -> JSONResponse:
    return JSONResponse({"detail": str(exc), "fields": exc.fields}, status_code=exc.status)


@router.get("/api/v1/portal/runners/{runner_id}/today")
async def api_today(
    request: Request, runner_id: int, user: CurrentUser, db: Db, day: str | None = Query(default=None)
) -> Any:
    def work() -> Any:
        with db.session() as s:
            _readable(s, user, runner_id)
            return _jsonable(portal.today(s, runner_id, _day(day, request)))

    return await _run(work)


@router.get("/api/v1/portal/runners/{runner_id}/logs")
async def api_logs(runner_id: int, user: CurrentUser, db: Db) -> Any:
    def work() -> Any:
        with db.session() as s:
            _readable(s, user, runner_id)
            return [
                {
                    **_jsonable(portal.log_view(row)),
                    "decisions": _jsonable(portal.decisions_of(s, runner_id, row.id)),
                }
                for row in repo.list_logs(s, runner_id)
            ]

    return await _run(work)


@router.get("/api/v1/portal/runners/{runner_id}/logs/{log_id}")
async def api_log(runner_id: int, log_id: int, user: CurrentUser, db: Db) -> Any:
    def work() -> Any:
        with db.session() as s:
            _readable(s, user, runner_id)
            row = repo.get_log(s, log_id, runner_id=runner_id)
            if row is None:
                raise authz.not_found("log")
            out = {
                **_jsonable(portal.log_view(row)),
                "decisions": _jsonable(portal.decisions_of(s, runner_id, log_id)),
            }
            if row.kind == "run":
                out["judgement"] = portal.judge_run(s, runner_id, row).to_dict()
            return out

    return await _run(work)


@router.post("/api/v1/portal/runners/{runner_id}/sessions", dependencies=[Csrf])
async def api_log_session(
    runner_id: int, user: CurrentUser, db: Db, body: Annotated[SessionPost, Body()]
) -> Any:
    def work() -> Any:
        with db.session() as s:
            _writable(s, user, runner_id)
        try:
            with db.write() as s:
                result = portal.log_session(
                    s,
                    runner_id,
                    body.session,
                    client_key=body.client_key,
                    created_by=user.id,
                    morning_pain_0_10=body.morning_pain_0_10,
                    morning_stiffness_0_10=body.morning_stiffness_0_10,
                )
        except portal.PortalInputError as exc:
            return _api_error(exc)
        return JSONResponse(_result_json(result), status_code=201 if result.created else 200)

    return await _run(work)


@router.post("/api/v1/portal/runners/{runner_id}/runs", dependencies=[Csrf])
async def api_log_run(runner_id: int, user: CurrentUser, db: Db, body: Annotated[RunPost, Body()]) -> Any:
    def work() -> Any:
        with db.session() as s:
            _writable(s, user, runner_id)
        try:
            run = portal.validate_run(body.run.model_dump())
            with db.write() as s:
                result = portal.log_run(s, runner_id, run, client_key=body.client_key, created_by=user.id)
        except portal.PortalInputError as exc:
            return _api_error(exc)
        return JSONResponse(_result_json(result), status_code=201 if result.created else 200)

    return await _run(work)


@router.post("/api/v1/portal/runners/{runner_id}/logs/{log_id}/morning", dependencies=[Csrf])
async def api_morning(
    runner_id: int, log_id: int, user: CurrentUser, db: Db, body: Annotated[MorningPost, Body()]
) -> Any:
    def work() -> Any:
        with db.session() as s:
            _writable(s, user, runner_id)
            if repo.get_log(s, log_id, runner_id=runner_id) is None:
                raise authz.not_found("log")
        try:
            with db.write() as s:
                result = portal.log_morning(
                    s,
                    runner_id,
                    log_id,
                    pain_0_10=body.pain_0_10,
                    stiffness_0_10=body.stiffness_0_10,
                    by=user.id,
                )
        except portal.PortalInputError as exc:
            return _api_error(exc)
        return _result_json(result)

    return await _run(work)
