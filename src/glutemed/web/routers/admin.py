"""Administration: clinics and user accounts (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from glutemed.db import accounts
from glutemed.web import authz
from glutemed.web.deps import Csrf, CurrentUser, Db
from glutemed.web.templating import page

router = APIRouter(tags=["admin"])


def _admin_page(request: Request, db: Db, *, message: str = "", status: int = 200) -> Response:
    with db.session() as s:
        clinics = [(c.id, c.name) for c in accounts.list_clinics(s)]
        users = [
            {
                "id": u.id,
                "email": u.email,
                "name": u.display_name,
                "role": u.role,
                "clinic_id": u.clinic_id,
                "active": u.active,
            }
            for u in accounts.list_users(s)
        ]
    return page(request, "admin.html.j2", status_code=status, clinics=clinics, users=users, message=message)


@router.get("/admin", include_in_schema=False)
def admin_page(request: Request, user: CurrentUser, db: Db) -> Response:
    authz.require_admin(user)
    return _admin_page(request, db)


@router.post("/admin/clinics", include_in_schema=False, dependencies=[Csrf])
def add_clinic(
    user: CurrentUser, db: Db, name: Annotated[str, Form(min_length=1, max_length=200)]
) -> Response:
    authz.require_admin(user)
    with db.write() as s:
        accounts.create_clinic(s, name)
    return RedirectResponse("/admin", status_code=303)


@router.post("/admin/users", include_in_schema=False, dependencies=[Csrf])
def add_user(
    request: Request,
    user: CurrentUser,
    db: Db,
    email: Annotated[str, Form(max_length=320)],
    display_name: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1024)],
    role: Annotated[str, Form(max_length=16)],
    clinic_id: Annotated[int | None, Form()] = None,
) -> Response:
    authz.require_admin(user)
    if role == "runner":
        return _admin_page(
            request,
            db,
            status=422,
            message="Runners get their account from an invitation link that their clinician makes.",
        )
    try:
        with db.write() as s:
            accounts.create_user(
                s, email=email, display_name=display_name, password=password, role=role, clinic_id=clinic_id
            )
    except accounts.AccountError as exc:
        return _admin_page(request, db, status=422, message=str(exc).capitalize() + ".")
    return RedirectResponse("/admin", status_code=303)


@router.post("/admin/users/{user_id}/active", include_in_schema=False, dependencies=[Csrf])
def set_active(user_id: int, user: CurrentUser, db: Db, active: Annotated[str, Form()]) -> Response:
    authz.require_admin(user)
    if user_id == user.id:
        raise authz.forbidden("You cannot deactivate your own account.")
    with db.write() as s:
        row = accounts.get_user(s, user_id)
        if row is None:
            raise authz.not_found("user")
        accounts.set_active(s, row, active == "yes")
    return RedirectResponse("/admin", status_code=303)
