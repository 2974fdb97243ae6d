"""Request-scoped pieces every router uses, as ``Annotated`` dependency aliases.

- ``Db``: the app's :class:`glutemed.db.engine.Database` (routers open short transactions with it).
- ``CurrentUser``: the signed-in :class:`Principal`, or a 401 that says to sign in (or that the session expired).
- ``Csrf``: checks the session-bound CSRF token of a form (field ``csrf_token``) or a JSON call (header
  ``X-CSRF-Token``); every state-changing route depends on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from glutemed.db.engine import Database
from glutemed.web.security import CSRF_FIELD, CSRF_HEADER, SessionSigner, WebSession
from glutemed.web.settings import WebSettings

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True)
class Principal:
    """The signed-in user as the web layer needs them (a plain value, not a database row)."""

    id: int
    email: str
    display_name: str
    role: str
    clinic_id: int | None
    runner_id: int | None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_clinician(self) -> bool:
        return self.role == "clinician"


class NotSignedIn(HTTPException):
    def __init__(self, *, expired: bool = False) -> None:
        detail = (
            "Your session has expired; sign in again."
            if expired
            else "You are not signed in; sign in to continue."
        )
        super().__init__(status_code=401, detail=detail)
        self.expired = expired


class CsrfError(HTTPException):
    def __init__(self) -> None:
        super().__init__(
            status_code=403,
            detail="The form is missing its security token or it does not match your session "
            "(CSRF check); reload the page and send it again.",
        )


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_settings(request: Request) -> WebSettings:
    settings: WebSettings = request.app.state.settings
    return settings


def get_session(request: Request) -> WebSession:
    session: WebSession = request.state.session
    return session


def get_user(request: Request) -> Principal:
    user: Principal | None = request.state.user
    if user is None:
        raise NotSignedIn(expired=request.state.session.expired)
    return user


def optional_user(request: Request) -> Principal | None:
    user: Principal | None = request.state.user
    return user


async def check_csrf(request: Request) -> None:
    """Refuse a state-changing request whose CSRF token is missing or belongs to another session."""
    signer: SessionSigner = request.app.state.signer
    session: WebSession = request.state.session
    token = request.headers.get(CSRF_HEADER)
    if token is None and request.headers.get("content-type", "").startswith(FORM_TYPES):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        token = value if isinstance(value, str) else None
    if not signer.token_ok(session, token):
        if session.expired:
            raise NotSignedIn(expired=True)
        raise CsrfError


Db = Annotated[Database, Depends(get_db)]
Settings = Annotated[WebSettings, Depends(get_settings)]
CurrentSession = Annotated[WebSession, Depends(get_session)]
CurrentUser = Annotated[Principal, Depends(get_user)]
MaybeUser = Annotated[Principal | None, Depends(optional_user)]
Csrf = Depends(check_csrf)
