"""The runner portal: today's plan on a phone, logging a session, a run and the next-morning answers, and the
decision page (the next session's dose change and why, in plain words). The JSON mirrors under
``/api/v1/portal`` are in :mod:`glutemed.web.routers.portal_api` and share this module's access rules.

Who may do what: the runner reads and writes their own logbook; a clinician of the runner's clinic (and the
admin) reads it (``/runners/{id}/today``, the decision pages, the API reads) but does not log for the runner
(403); everyone else gets 404. Forms carry a ``client_key`` made when the form is first shown: a resend (a
phone that lost its connection, or the same draft sent from a second device) stores one row.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import math
import secrets
from collections.abc import Callable
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from glutemed.db import portal as repo
from glutemed.db.models import Runner
from glutemed.knowledge.loader import knowledge_base
from glutemed.reports.exercise_figures import animated_figure_svg
from glutemed.services import portal
from glutemed.services.intake_schema import SessionIn
from glutemed.web import authz
from glutemed.web.deps import Csrf, CurrentUser, Db, Principal
from glutemed.web.templating import page

router = APIRouter(tags=["portal"])
T = TypeVar("T")
KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


# ------------------------------------------------------------------------------------------- access


def _readable(s: Session, user: Principal, runner_id: int) -> Runner:
    return authz.visible_runner(s, user, runner_id)


def _writable(s: Session, user: Principal, runner_id: int) -> Runner:
    """Only the runner writes their own logbook; staff who may see the runner get 403, others 404."""
    runner = authz.visible_runner(s, user, runner_id)
    if user.role != "runner" or user.runner_id != runner_id:
        raise authz.forbidden("Only the runner logs their own training.")
    return runner


def _own_runner(user: Principal) -> int:
    if user.role != "runner" or user.runner_id is None:
        raise authz.forbidden("This page is for runners; open a runner's record to see their day.")
    return user.runner_id


TZ_COOKIE = "glutemed_tz"  # the phone's IANA time zone, set by static/portal.js


def local_today(request: Request | None) -> dt.date:
    """Today where the runner is: the time zone the phone reported (cookie), else UTC.

    A runner in Sydney at 7 a.m. is on the next day already; the server's UTC date would show yesterday's
    session. An unknown or malformed zone falls back to UTC.
    """
    zone: dt.tzinfo = dt.UTC
    name = request.cookies.get(TZ_COOKIE, "") if request is not None else ""
    if name and len(name) <= 64:
        with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo(name)
    return dt.datetime.now(zone).date()


def _day(value: str | None, request: Request | None = None) -> dt.date:
    if not value:
        return local_today(request)
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise HTTPException(422, "day must be a date (YYYY-MM-DD)") from None


def _key(value: str) -> str:
    if not 8 <= len(value) <= 64 or not set(value) <= KEY_CHARS:
        raise portal.PortalInputError(
            "The form is missing its key; reload the page and send it again.",
            {"client_key": "reload the page"},
            status=422,
        )
    return value


def new_key() -> str:
    return secrets.token_urlsafe(18)


async def _run(fn: Callable[..., T], *args: Any) -> T:
    return await run_in_threadpool(fn, *args)


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _result_json(result: portal.LogResult) -> dict[str, Any]:
    out: dict[str, Any] = _jsonable(result)
    out["log"]["summary"] = result.log.summary
    return out


# ------------------------------------------------------------------------------------------- today


def _today_page(request: Request, db: Db, user: Principal, runner_id: int, day: dt.date) -> Response:
    with db.session() as s:
        runner = _readable(s, user, runner_id)
        plan = portal.today(s, runner_id, day)
        name = runner.name
    own = user.role == "runner" and user.runner_id == runner_id
    return page(
        request,
        "portal_today.html.j2",
        plan=plan,
        runner_id=runner_id,
        runner_name=name,
        own=own,
        morning_key=new_key(),
        errors={},
        values={},
    )


@router.get("/today", include_in_schema=False)
async def my_today(request: Request, user: CurrentUser, db: Db, day: str | None = None) -> Response:
    runner_id = _own_runner(user)
    return await _run(_today_page, request, db, user, runner_id, _day(day, request))


@router.get("/runners/{runner_id}/today", include_in_schema=False)
async def runner_today(
    request: Request, runner_id: int, user: CurrentUser, db: Db, day: str | None = None
) -> Response:
    return await _run(_today_page, request, db, user, runner_id, _day(day, request))


@router.get("/portal/figures/{exercise_id}.svg", include_in_schema=False)
def figure(exercise_id: str) -> Response:
    """The handout's figure of an exercise (start and end cross-fading); knowledge content, not a record."""
    if exercise_id not in knowledge_base().figures:
        raise authz.not_found("figure")
    return Response(
        animated_figure_svg(exercise_id),
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400", "Content-Security-Policy": "script-src 'none'"},
    )


# ------------------------------------------------------------------------------------------- sessions


def _session_form_page(
    request: Request,
    db: Db,
    user: Principal,
    runner_id: int,
    *,
    values: dict[str, str],
    errors: dict[str, str],
    message: str = "",
    status: int = 200,
) -> Response:
    day = _day(values.get("day"), request) if not errors.get("day") else local_today(request)
    with db.session() as s:
        _writable(s, user, runner_id)
        exercises = portal.session_exercises(s, runner_id, day)
        plan = portal.today(s, runner_id, day)
    return page(
        request,
        "portal_log_session.html.j2",
        status_code=status,
        runner_id=runner_id,
        exercises=exercises,
        plan=plan,
        values=values,
        errors=errors,
        message=message,
    )


@router.get("/runners/{runner_id}/log/session", include_in_schema=False)
async def session_form(
    request: Request, runner_id: int, user: CurrentUser, db: Db, day: str | None = None
) -> Response:
    values = {"day": _day(day, request).isoformat(), "client_key": new_key()}
    return await _run(lambda: _session_form_page(request, db, user, runner_id, values=values, errors={}))


def _number(
    form: dict[str, str],
    name: str,
    errors: dict[str, str],
    low: float,
    high: float,
    *,
    whole: bool = False,
    required: bool = False,
    label: str = "a number",
) -> float | None:
    raw = form.get(name, "").strip().replace(",", ".")
    if not raw:
        if required:
            errors[name] = f"give {label} from {low:g} to {high:g}"
        return None
    try:
        value = float(raw)
    except ValueError:
        errors[name] = f"'{raw[:20]}' is not a number: give {label} from {low:g} to {high:g}"
        return None
    if not math.isfinite(value) or not low <= value <= high or (whole and value != int(value)):
        kind = "a whole number" if whole else label
        errors[name] = f"give {kind} from {low:g} to {high:g}"
        return None
    return value


def session_from_form(
    form: dict[str, str], exercise_ids: list[str]
) -> tuple[SessionIn | None, dict[str, str]]:
    """The session-log contract from the phone form; errors keyed by field name (nothing half-parsed)."""
    errors: dict[str, str] = {}
    day = form.get("day", "")
    try:
        dt.date.fromisoformat(day)
    except ValueError:
        errors["day"] = "give the date of the session"
    baseline = _number(form, "baseline_pain", errors, 0, 10, required=True, label="your usual pain")
    exercises = []
    for ident in exercise_ids:
        p = f"ex.{ident}."
        sets = _number(form, p + "sets", errors, 0, 10, whole=True, required=True, label="the sets you did")
        if not sets:
            continue
        reps = _number(form, p + "reps", errors, 0, 200, whole=True, label="the repetitions")
        hold = _number(form, p + "hold_s", errors, 0, 600, label="the seconds held")
        load = _number(form, p + "load_kg", errors, 0, 500, label="the added weight in kg")
        rpe = _number(form, p + "rpe", errors, 0, 10, label="how hard it felt")
        pain = _number(form, p + "pain", errors, 0, 10, required=True, label="your pain during it")
        if reps is None and hold is None and p + "reps" not in errors and p + "hold_s" not in errors:
            field = p + ("hold_s" if p + "hold_s" in form else "reps")
            errors[field] = "give the repetitions or the seconds held per set"
        one = {
            "reps": int(reps) if reps is not None else None,
            "hold_s": hold,
            "load_kg": load or 0.0,
            "rpe": rpe,
            "pain_during_0_10": pain if pain is not None else 0.0,
        }
        exercises.append(
            {"exercise": ident, "sets": [one] * int(sets), "baseline_pain_0_10": baseline or 0.0}
        )
    if not exercises and not any(k.endswith(".sets") for k in errors):
        errors["form"] = "Log at least one exercise (sets done above 0)."
    if errors:
        return None, errors
    try:
        return SessionIn.model_validate({"date": day, "exercises": exercises}), {}
    except ValidationError as exc:
        return None, {"form": "; ".join(str(e["msg"]) for e in exc.errors()[:5])}


def _done(request: Request, url: str) -> Response:
    if request.headers.get("HX-Request") == "true":
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


@router.post("/runners/{runner_id}/log/session", include_in_schema=False, dependencies=[Csrf])
async def post_session(request: Request, runner_id: int, user: CurrentUser, db: Db) -> Response:
    raw = await request.form()
    form = {k: v for k, v in raw.items() if isinstance(v, str)}
    exercise_ids = [v for v in raw.getlist("exercise") if isinstance(v, str)][:30]

    def work() -> Response:
        with db.session() as s:
            _writable(s, user, runner_id)
        values = {k: v[:40] for k, v in form.items() if k != "csrf_token"}
        try:
            key = _key(form.get("client_key", ""))
            session, errors = session_from_form(form, exercise_ids)
            if session is None:
                raise portal.PortalInputError("Not saved: please check the fields marked below.", errors)
            with db.write() as s:
                result = portal.log_session(s, runner_id, session, client_key=key, created_by=user.id)
        except portal.PortalInputError as exc:
            return _session_form_page(
                request,
                db,
                user,
                runner_id,
                values=values,
                errors=exc.fields,
                message=str(exc),
                status=exc.status,
            )
        return _done(request, f"/runners/{runner_id}/logs/{result.log.id}")

    return await _run(work)


# ------------------------------------------------------------------------------------------- runs


def _run_form_page(
    request: Request,
    db: Db,
    user: Principal,
    runner_id: int,
    *,
    values: dict[str, str],
    errors: dict[str, str],
    message: str = "",
    status: int = 200,
) -> Response:
    with db.session() as s:
        _writable(s, user, runner_id)
    return page(
        request,
        "portal_log_run.html.j2",
        status_code=status,
        runner_id=runner_id,
        values=values,
        errors=errors,
        message=message,
    )


@router.get("/runners/{runner_id}/log/run", include_in_schema=False)
async def run_form(
    request: Request, runner_id: int, user: CurrentUser, db: Db, day: str | None = None
) -> Response:
    values = {"date": _day(day, request).isoformat(), "client_key": new_key()}
    return await _run(lambda: _run_form_page(request, db, user, runner_id, values=values, errors={}))


@router.post("/runners/{runner_id}/log/run", include_in_schema=False, dependencies=[Csrf])
async def post_run(request: Request, runner_id: int, user: CurrentUser, db: Db) -> Response:
    raw = await request.form()
    form = {k: v for k, v in raw.items() if isinstance(v, str)}

    def work() -> Response:
        with db.session() as s:
            _writable(s, user, runner_id)
        values = {k: v[:40] for k, v in form.items() if k != "csrf_token"}
        errors: dict[str, str] = {}
        try:
            key = _key(form.get("client_key", ""))
            numbers = {
                "distance_km": _number(
                    form, "distance_km", errors, 0.01, 300, required=True, label="the distance in km"
                ),
                "duration_min": _number(
                    form, "duration_min", errors, 0.1, 3000, required=True, label="the minutes"
                ),
                "pain_during_0_10": _number(
                    form, "pain_during_0_10", errors, 0, 10, required=True, label="your pain"
                ),
                "pain_next_morning_0_10": _number(
                    form, "pain_next_morning_0_10", errors, 0, 10, label="your pain"
                ),
            }
            if errors:
                raise portal.PortalInputError("Not saved: please check the fields marked below.", errors)
            run = portal.validate_run({"date": form.get("date", ""), **numbers})
            with db.write() as s:
                result = portal.log_run(s, runner_id, run, client_key=key, created_by=user.id)
        except portal.PortalInputError as exc:
            return _run_form_page(
                request,
                db,
                user,
                runner_id,
                values=values,
                errors=exc.fields,
                message=str(exc),
                status=exc.status,
            )
        return _done(request, f"/runners/{runner_id}/logs/{result.log.id}")

    return await _run(work)


# ------------------------------------------------------------------------------------------- morning


@router.post("/runners/{runner_id}/logs/{log_id}/morning", include_in_schema=False, dependencies=[Csrf])
async def post_morning(request: Request, runner_id: int, log_id: int, user: CurrentUser, db: Db) -> Response:
    raw = await request.form()
    form = {k: v for k, v in raw.items() if isinstance(v, str)}

    def work() -> Response:
        with db.session() as s:
            _writable(s, user, runner_id)
            if repo.get_log(s, log_id, runner_id=runner_id) is None:
                raise authz.not_found("log")
        errors: dict[str, str] = {}
        pain = _number(form, "pain_0_10", errors, 0, 10, required=True, label="your pain this morning")
        stiffness = _number(form, "stiffness_0_10", errors, 0, 10, label="your stiffness this morning")
        try:
            if errors or pain is None:
                raise portal.PortalInputError("Not saved: please check the fields marked below.", errors)
            with db.write() as s:
                portal.log_morning(s, runner_id, log_id, pain_0_10=pain, stiffness_0_10=stiffness, by=user.id)
        except portal.PortalInputError as exc:
            return _log_page(
                request,
                db,
                user,
                runner_id,
                log_id,
                values={k: v[:20] for k, v in form.items()},
                errors=exc.fields,
                message=str(exc),
                status=exc.status,
            )
        return _done(request, f"/runners/{runner_id}/logs/{log_id}")

    return await _run(work)


# ------------------------------------------------------------------------------------------- decision page


def _log_page(
    request: Request,
    db: Db,
    user: Principal,
    runner_id: int,
    log_id: int,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    message: str = "",
    status: int = 200,
) -> Response:
    with db.session() as s:
        runner = _readable(s, user, runner_id)
        row = repo.get_log(s, log_id, runner_id=runner_id)
        if row is None:
            raise authz.not_found("log")
        log = portal.log_view(row)
        decisions = portal.decisions_of(s, runner_id, log_id)
        run = portal.judge_run(s, runner_id, row) if row.kind == "run" else None
        evaluation: dict[str, Any] = {}
        stored = repo.list_decisions(s, runner_id, training_log_id=log_id)
        if stored:
            evaluation = dict(stored[0].data.get("evaluation") or {})
        stopped: tuple[str, ...] = ()
        if row.kind == "session":
            plan = portal.today(s, runner_id, row.day)
            stopped = plan.referral if plan.kind == "stopped" else ()
        name = runner.name
    own = user.role == "runner" and user.runner_id == runner_id
    return page(
        request,
        "portal_decision.html.j2",
        status_code=status,
        runner_id=runner_id,
        runner_name=name,
        log=log,
        decisions=decisions,
        run=run,
        evaluation=evaluation,
        stopped=stopped,
        own=own,
        staff=not own,
        values=values or {},
        errors=errors or {},
        message=message,
    )


@router.get("/runners/{runner_id}/logs/{log_id}", include_in_schema=False)
async def log_page(request: Request, runner_id: int, log_id: int, user: CurrentUser, db: Db) -> Response:
    return await _run(lambda: _log_page(request, db, user, runner_id, log_id))
