"""Sign-in (throttled after repeated failures), sign-out, password change and invitation links."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from glutemed.db import accounts
from glutemed.db.accounts import AccountError
from glutemed.web.deps import Csrf, CurrentUser, Db, MaybeUser, Principal, Settings
from glutemed.web.security import SessionSigner, Throttled, login_throttle
from glutemed.web.settings import WebSettings
from glutemed.web.templating import page

router = APIRouter(tags=["accounts"])


def home_for(user: Principal) -> str:
    if user.role == "runner":
        return f"/runners/{user.runner_id}"
    return "/admin" if user.is_admin else "/dashboard"


def _safe_next(url: str) -> str:
    """Only a path on this site (no ``//host`` or scheme) is followed after sign-in."""
    return url if url.startswith("/") and not url.startswith("//") and "\\" not in url else ""


@router.get("/", include_in_schema=False)
def home(user: MaybeUser) -> Response:
    return RedirectResponse(home_for(user) if user else "/sign-in", status_code=303)


@router.get("/sign-in", include_in_schema=False)
def sign_in_page(request: Request, user: MaybeUser, next: str = "") -> Response:
    if user is not None:
        return RedirectResponse(home_for(user), status_code=303)
    return page(request, "sign_in.html.j2", message="", email="", next_url=_safe_next(next))


def _sign_in(
    db: Db, settings: WebSettings, email: str, password: str, ip: str | None
) -> int | str | Throttled:
    """The user id, the message to show, or why this attempt must wait (see ``security.login_throttle``)."""
    window = dt.timedelta(seconds=settings.login_window_s)
    with db.write() as s:
        throttled = login_throttle(s, email, ip, max_failures=settings.login_max_failures, window=window)
        if throttled is not None:
            return throttled
        user = accounts.authenticate(s, email, password)
        accounts.record_login_attempt(s, email, success=user is not None, ip=ip)
        if user is None:
            return "That email and password do not match an account."
        return user.id


@router.post("/sign-in", include_in_schema=False, dependencies=[Csrf])
async def sign_in(
    request: Request,
    db: Db,
    settings: Settings,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    ip = request.client.host if request.client else None
    outcome = await run_in_threadpool(_sign_in, db, settings, email, password, ip)
    if isinstance(outcome, Throttled):
        refused = page(
            request,
            "sign_in.html.j2",
            status_code=429,
            message=outcome.message,
            email=email,
            next_url=_safe_next(next),
        )
        refused.headers["Retry-After"] = str(outcome.retry_after_s)
        return refused
    if isinstance(outcome, str):
        return page(
            request,
            "sign_in.html.j2",
            status_code=401,
            message=outcome,
            email=email,
            next_url=_safe_next(next),
        )
    signer: SessionSigner = request.app.state.signer
    request.state.new_session = signer.new(outcome)  # a new session id: no fixation, a new CSRF token
    target = _safe_next(next)
    if not target:
        with db.session() as s:
            row = accounts.get_user(s, outcome)
            assert row is not None
            target = home_for(
                Principal(row.id, row.email, row.display_name, row.role, row.clinic_id, row.runner_id)
            )
    return RedirectResponse(target, status_code=303)


@router.post("/sign-out", include_in_schema=False, dependencies=[Csrf])
def sign_out(request: Request) -> Response:
    signer: SessionSigner = request.app.state.signer
    request.state.new_session = signer.new()
    return RedirectResponse("/sign-in", status_code=303)


@router.get("/account/password", include_in_schema=False)
def password_page(request: Request, _user: CurrentUser) -> Response:
    return page(request, "password.html.j2", message="", done=False)


@router.post("/account/password", include_in_schema=False, dependencies=[Csrf])
def change_password(
    request: Request,
    user: CurrentUser,
    db: Db,
    current: Annotated[str, Form(max_length=1024)],
    new: Annotated[str, Form(max_length=1024)],
    repeat: Annotated[str, Form(max_length=1024)],
) -> Response:
    message = ""
    if new != repeat:
        message = "The new password and its repetition differ."
    else:
        with db.write() as s:
            row = accounts.get_user(s, user.id)
            if row is None or not accounts.verify_password(row.password_hash, current):
                message = "The current password is wrong."
            else:
                try:
                    accounts.set_password(s, row, new)
                except AccountError as exc:
                    message = str(exc).capitalize() + "."
    if message:
        return page(request, "password.html.j2", status_code=422, message=message, done=False)
    signer: SessionSigner = request.app.state.signer
    request.state.new_session = signer.new(user.id)  # this session stays valid; all older ones are void
    return page(request, "password.html.j2", message="", done=True)


@router.get("/invite/{token}", include_in_schema=False)
def invitation_page(request: Request, token: str, db: Db) -> Response:
    with db.session() as s:
        invitation = accounts.find_invitation(s, token)
        if invitation is None:
            raise HTTPException(
                410,
                "This invitation link is unknown, already used or expired; ask your clinic for a new one.",
            )
        email = invitation.email or ""
    return page(request, "invitation.html.j2", token=token, email=email, message="")


@router.post("/invite/{token}", include_in_schema=False, dependencies=[Csrf])
def accept_invitation(
    request: Request,
    token: str,
    db: Db,
    email: Annotated[str, Form(max_length=320)],
    display_name: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1024)],
    repeat: Annotated[str, Form(max_length=1024)],
) -> Response:
    if password != repeat:
        return page(
            request,
            "invitation.html.j2",
            status_code=422,
            token=token,
            email=email,
            message="The password and its repetition differ.",
        )
    try:
        with db.write() as s:
            user = accounts.accept_invitation(
                s, token, email=email, display_name=display_name, password=password
            )
            user_id, runner_id = user.id, user.runner_id
    except AccountError as exc:
        return page(
            request,
            "invitation.html.j2",
            status_code=422,
            token=token,
            email=email,
            message=str(exc).capitalize() + ".",
        )
    signer: SessionSigner = request.app.state.signer
    request.state.new_session = signer.new(user_id)
    return RedirectResponse(f"/runners/{runner_id}", status_code=303)
