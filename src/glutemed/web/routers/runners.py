"""Runner pages: the clinician dashboard, creating a runner (with an invitation link), the runner's record,
and the intake and clinical-test forms (validated as the YAML files are; a history, never overwritten)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from glutemed.db import accounts, queue, records
from glutemed.services.intake_form import CHANGE_KINDS, FEMALE_ONLY, QUESTIONS, RED_FLAGS, name_of
from glutemed.web import authz, views
from glutemed.web.deps import Csrf, CurrentUser, Db, Principal, Settings
from glutemed.web.forms import MULTI_CHOICES, SELECT_CHOICES, FormResult, check_intake, check_tests
from glutemed.web.templating import page

router = APIRouter(tags=["runners"])


@router.get("/dashboard", include_in_schema=False)
def dashboard_page(
    request: Request,
    user: CurrentUser,
    db: Db,
    page_no: Annotated[int, Query(alias="page", ge=1)] = 1,
    q: str = "",
) -> Response:
    """The clinic's runners, 50 a page by name; ``q`` finds runners by part of their name."""
    authz.require_staff(user)
    name = q.strip()[:200]
    with db.session() as s:
        where = views.dashboard_page_of(s, user, page_no, name=name)
        data = views.dashboard(s, user, page=where.page, per_page=where.per_page, name=name)
    return page(request, "dashboard.html.j2", dashboard=data, paging=where, q=name)


def create_runner_with_invitation(
    db: Db,
    settings: Settings,
    user: Principal,
    *,
    name: str,
    email: str | None,
    clinic_id: int | None,
    base_url: str,
) -> tuple[int, str]:
    """A new runner in the clinician's clinic (an admin names the clinic) and a one-time invitation link."""
    import datetime as dt

    authz.require_staff(user)
    clinic = user.clinic_id if user.is_clinician else clinic_id
    with db.write() as s:
        if clinic is None or accounts.get_clinic(s, clinic) is None:
            raise HTTPException(422, "Choose an existing clinic for the runner.")
        runner = records.create_runner(s, clinic_id=clinic, name=name)
        _, token = accounts.create_invitation(
            s,
            runner_id=runner.id,
            created_by=user.id,
            email=email or None,
            ttl=dt.timedelta(seconds=settings.invitation_valid_s),
        )
        return runner.id, f"{base_url.rstrip('/')}/invite/{token}"


@router.get("/runners/new", include_in_schema=False)
def new_runner_page(request: Request, user: CurrentUser, db: Db) -> Response:
    authz.require_staff(user)
    with db.session() as s:
        clinics = [(c.id, c.name) for c in accounts.list_clinics(s)] if user.is_admin else []
    return page(request, "runner_new.html.j2", clinics=clinics, message="", link="", runner_id=None)


@router.post("/runners/new", include_in_schema=False, dependencies=[Csrf])
def new_runner(
    request: Request,
    user: CurrentUser,
    db: Db,
    settings: Settings,
    name: Annotated[str, Form(min_length=1, max_length=200)],
    email: Annotated[str, Form(max_length=320)] = "",
    clinic_id: Annotated[int | None, Form()] = None,
) -> Response:
    try:
        runner_id, link = create_runner_with_invitation(
            db,
            settings,
            user,
            name=name,
            email=email.strip() or None,
            clinic_id=clinic_id,
            base_url=str(request.base_url),
        )
    except accounts.AccountError as exc:
        return page(
            request,
            "runner_new.html.j2",
            status_code=422,
            clinics=[],
            message=str(exc),
            link="",
            runner_id=None,
        )
    return page(request, "runner_new.html.j2", clinics=[], message="", link=link, runner_id=runner_id)


@router.get("/runners/{runner_id}", include_in_schema=False)
def runner_page(request: Request, runner_id: int, user: CurrentUser, db: Db) -> Response:
    with db.session() as s:
        runner = authz.visible_runner(s, user, runner_id)
        detail = views.runner_detail(s, runner, user, can_change=authz.can_change_runner(user, runner))
    return page(request, "runner.html.j2", detail=detail)


@router.post("/runners/{runner_id}/invitations", include_in_schema=False, dependencies=[Csrf])
def new_invitation(
    request: Request, runner_id: int, user: CurrentUser, db: Db, settings: Settings
) -> Response:
    import datetime as dt

    with db.write() as s:
        runner = authz.changeable_runner(s, user, runner_id)
        _, token = accounts.create_invitation(
            s, runner_id=runner.id, created_by=user.id, ttl=dt.timedelta(seconds=settings.invitation_valid_s)
        )
    link = f"{str(request.base_url).rstrip('/')}/invite/{token}"
    return page(request, "runner_new.html.j2", clinics=[], message="", link=link, runner_id=runner_id)


# --- intake ---------------------------------------------------------------------------------------------


def _intake_values(data: dict[str, Any]) -> dict[str, Any]:
    """A stored intake as the form's field values (to start a new intake from the last one)."""
    values: dict[str, Any] = {}
    for q in QUESTIONS:
        section = data.get(q.section, {}) if q.section else data
        value = section.get(q.field) if isinstance(section, dict) else None
        if value is None:
            continue
        if isinstance(value, bool):
            value = "yes" if value else "no"
        elif isinstance(value, list) and name_of(q) not in MULTI_CHOICES:
            value = ("; " if q.field in {"goals", "injury_history"} else ", ").join(str(v) for v in value)
        values[name_of(q)] = value
    for change in data.get("recent_changes", []):
        for key in ("change_pct", "weeks_ago"):
            if change.get(key) is not None:
                values[f"recent_changes.{change['kind']}.{key}"] = change[key]
    for key, answer in (data.get("red_flags") or {}).items():
        values[f"red_flags.{key}"] = "yes" if answer else ""
    return values


def _form_values(form: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in form:
        items = form.getlist(key)
        values[key] = items if key in MULTI_CHOICES else (items[-1] if items else "")
    return values


def _intake_page(
    request: Request, runner_id: int, values: dict[str, Any], result: FormResult, status: int = 200
) -> Response:
    return page(
        request,
        "intake_form.html.j2",
        status_code=status,
        runner_id=runner_id,
        questions=QUESTIONS,
        multi=MULTI_CHOICES,
        selects=SELECT_CHOICES,
        change_kinds=CHANGE_KINDS,
        red_flags=RED_FLAGS,
        female_only=FEMALE_ONLY,
        values=values,
        errors=result.errors,
        message=result.message,
    )


@router.get("/runners/{runner_id}/intake", include_in_schema=False)
def intake_page(request: Request, runner_id: int, user: CurrentUser, db: Db) -> Response:
    with db.session() as s:
        authz.changeable_runner(s, user, runner_id)
        latest = records.latest_intake(s, runner_id)
        values = _intake_values(latest.data) if latest else {}
    return _intake_page(request, runner_id, values, FormResult())


@router.post("/runners/{runner_id}/intake", include_in_schema=False, dependencies=[Csrf])
async def save_intake(request: Request, runner_id: int, user: CurrentUser, db: Db) -> Response:
    with db.session() as s:
        authz.changeable_runner(s, user, runner_id)
    form = await request.form()
    result = check_intake(form)
    if result.model is None:
        return _intake_page(request, runner_id, _form_values(form), result, status=422)
    with db.write() as s:
        authz.changeable_runner(s, user, runner_id)
        records.add_intake(
            s, runner_id, result.model.model_dump(mode="json", exclude_none=True), created_by=user.id
        )
        job = queue.enqueue(s, kind="assess", runner_id=runner_id, created_by=user.id)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


# --- clinical tests -------------------------------------------------------------------------------------


def _tests_page(
    request: Request, runner_id: int, values: dict[str, Any], result: FormResult, status: int = 200
) -> Response:
    return page(
        request,
        "tests_form.html.j2",
        status_code=status,
        runner_id=runner_id,
        values=values,
        errors=result.errors,
        message=result.message,
    )


@router.get("/runners/{runner_id}/tests", include_in_schema=False)
def tests_page(request: Request, runner_id: int, user: CurrentUser, db: Db) -> Response:
    with db.session() as s:
        authz.changeable_runner(s, user, runner_id)
    return _tests_page(request, runner_id, {}, FormResult())


@router.post("/runners/{runner_id}/tests", include_in_schema=False, dependencies=[Csrf])
async def save_tests(request: Request, runner_id: int, user: CurrentUser, db: Db) -> Response:
    with db.session() as s:
        authz.changeable_runner(s, user, runner_id)
    form = await request.form()
    result = check_tests(form)
    if result.model is None:
        return _tests_page(request, runner_id, _form_values(form), result, status=422)
    if not result.data:
        return _tests_page(
            request,
            runner_id,
            {},
            FormResult(message="clinical tests form: no test was filled in"),
            status=422,
        )
    with db.write() as s:
        authz.changeable_runner(s, user, runner_id)
        records.add_test_result(
            s, runner_id, result.model.model_dump(mode="json", exclude_none=True), created_by=user.id
        )
        if records.latest_intake(s, runner_id) is None:
            return RedirectResponse(f"/runners/{runner_id}", status_code=303)
        job = queue.enqueue(s, kind="assess", runner_id=runner_id, created_by=user.id)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)
