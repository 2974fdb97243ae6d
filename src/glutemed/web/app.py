"""The app factory: ``create_app(settings)`` builds a FastAPI app with nothing made at import time.

Per request, a small middleware reads the session cookie, loads the user (a session older than their last
password change is void) and sets the cookie again when a new session was started. Errors answer in the
caller's language: an HTML page for the browser, ``{"detail": ...}`` JSON under ``/api``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from glutemed import __version__
from glutemed.db import accounts
from glutemed.db.engine import Database, open_database
from glutemed.web.deps import NotSignedIn, Principal
from glutemed.web.security import COOKIE, SessionSigner, WebSession
from glutemed.web.settings import WebSettings
from glutemed.web.templating import make_environment, page

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",  # the reports are framed by our own pages only
    "Referrer-Policy": "same-origin",  # an invitation link never leaks in a Referer header
}


def _load_user(db: Database, session: WebSession) -> Principal | None:
    if session.user_id is None:
        return None
    with db.session() as s:
        user = accounts.get_user(s, session.user_id)
        if user is None or not user.active:
            return None
        if user.password_changed_at > session.issued_at + dt.timedelta(seconds=1):
            return None  # the password changed after this session was issued
        return Principal(user.id, user.email, user.display_name, user.role, user.clinic_id, user.runner_id)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def _error_response(request: Request, status: int, message: str) -> Response:
    if _wants_json(request):
        return JSONResponse({"detail": message}, status_code=status)
    if status == 401:
        return page(
            request,
            "sign_in.html.j2",
            status_code=401,
            message=message,
            email="",
            next_url=request.url.path if request.method == "GET" else "/",
        )
    titles = {
        403: "Not allowed",
        404: "Not found",
        413: "Too large",
        422: "Not accepted",
        429: "Too many tries",
    }
    return page(
        request,
        "error.html.j2",
        status_code=status,
        title=titles.get(status, "Something went wrong"),
        message=message,
        back=request.headers.get("referer", "/"),
    )


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        response = _error_response(request, exc.status_code, str(exc.detail))
        if isinstance(exc, NotSignedIn):
            request.state.drop_cookie = exc.expired
        return response

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'] if p != 'body')}: {err['msg']}"
            for err in exc.errors()[:10]
        )
        if _wants_json(request):
            return JSONResponse({"detail": problems, "errors": exc.errors()[:10]}, status_code=422)
        return _error_response(request, 422, problems)


def _install_session(app: FastAPI, signer: SessionSigner, db: Database) -> None:
    @app.middleware("http")
    async def session_middleware(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        session = signer.read(request.cookies.get(COOKIE))
        request.state.session = session
        request.state.user = await run_in_threadpool(_load_user, db, session)
        request.state.new_session = None
        request.state.drop_cookie = False
        response = await call_next(request)
        for header, value in SECURITY_HEADERS.items():
            response.headers.setdefault(header, value)
        new: WebSession | None = request.state.new_session
        if new is not None:
            signer.write(response, new)
        elif request.state.drop_cookie:
            signer.clear(response)
        elif session.fresh and not request.url.path.startswith("/static/"):
            signer.write(response, session)
        return response


def create_app(settings: WebSettings | None = None, *, database: Database | None = None) -> FastAPI:
    """The web app. ``settings`` default to the environment (``GLUTEMED_*``); ``database`` to its URL."""
    from glutemed.web.routers import (
        accounts as accounts_router,
    )
    from glutemed.web.routers import (
        admin,
        api,
        assessments,
        jobs,
        programs,
        runners,
        uploads,
    )

    settings = settings or WebSettings()
    db = database or open_database(settings.database_url or None, data_folder=settings.data_dir)
    app = FastAPI(
        title="glutemed",
        version=__version__,
        description="Clinic web app: runners, assessments from uploaded videos, reports and programs.",
        docs_url="/docs",
        redoc_url=None,
    )
    signer = SessionSigner(
        settings.effective_secret_key(), max_age_s=settings.session_max_age_s, secure=settings.secure_cookies
    )
    app.state.settings = settings
    app.state.db = db
    app.state.signer = signer
    app.state.templates = make_environment()
    app.mount("/static", StaticFiles(packages=[("glutemed.web", "static")]), name="static")
    _install_handlers(app)
    _install_session(app, signer, db)
    for module in (accounts_router, admin, runners, uploads, jobs, assessments, programs):
        app.include_router(module.router)
    from glutemed.web.routers import feeds

    app.include_router(feeds.router)  # the runner's private calendar feed
    from glutemed.web.routers import records_io

    app.include_router(records_io.router)  # logbook import, record export and erasure
    from glutemed.web.routers import monitoring

    app.include_router(monitoring.router)  # progress charts, attention list, decision overrides
    app.include_router(monitoring.api, prefix="/api/v1")
    from glutemed.web.routers import portal, portal_api

    app.include_router(portal.router)  # the runner portal: today, logging, decisions
    app.include_router(portal_api.router)  # its JSON mirrors under /api/v1/portal
    app.include_router(api.router, prefix="/api/v1")
    return app
