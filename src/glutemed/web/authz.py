"""Who may see and change what. One place, used by every page and API route.

- admin: every clinic and runner.
- clinician: the runners of their own clinic (read and change).
- runner: their own record only, read-only, and only published programs.

A record the user may not see answers 404 (as if it did not exist, so ids cannot be probed); a record they may
see but not change answers 403.
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import HTTPException
from sqlalchemy import ColumnElement, false, true
from sqlalchemy.orm import Session

from glutemed.db.models import Runner
from glutemed.web.deps import Principal

T = TypeVar("T")


def not_found(what: str = "record") -> HTTPException:
    return HTTPException(status_code=404, detail=f"No such {what}, or it is not yours to see.")


def forbidden(why: str) -> HTTPException:
    return HTTPException(status_code=403, detail=why)


def can_see_runner(user: Principal, runner: Runner) -> bool:
    if user.is_admin:
        return True
    if user.is_clinician:
        return runner.clinic_id == user.clinic_id
    return runner.id == user.runner_id


def can_change_runner(user: Principal, runner: Runner) -> bool:
    return user.is_admin or (user.is_clinician and runner.clinic_id == user.clinic_id)


def runner_filter(user: Principal) -> ColumnElement[bool]:
    """A WHERE clause on ``runners`` that keeps only what ``user`` may see."""
    if user.is_admin:
        return true()
    if user.is_clinician:
        return Runner.clinic_id == user.clinic_id
    if user.runner_id is None:
        return false()
    return Runner.id == user.runner_id


def visible_runner(s: Session, user: Principal, runner_id: int) -> Runner:
    runner = s.get(Runner, runner_id)
    if runner is None or not can_see_runner(user, runner):
        raise not_found("runner")
    return runner


def changeable_runner(s: Session, user: Principal, runner_id: int) -> Runner:
    runner = visible_runner(s, user, runner_id)
    if not can_change_runner(user, runner):
        raise forbidden("Only a clinician of this runner's clinic can change this record.")
    return runner


def visible_row(s: Session, user: Principal, model: type[T], row_id: int, what: str) -> T:
    """A row with a ``runner_id`` that ``user`` may see; 404 otherwise."""
    row: Any = s.get(model, row_id)
    if row is None:
        raise not_found(what)
    runner = s.get(Runner, row.runner_id)
    if runner is None or not can_see_runner(user, runner):
        raise not_found(what)
    return row  # type: ignore[no-any-return]


def changeable_row(s: Session, user: Principal, model: type[T], row_id: int, what: str) -> T:
    row: Any = visible_row(s, user, model, row_id, what)
    runner = s.get(Runner, row.runner_id)
    if runner is None or not can_change_runner(user, runner):
        raise forbidden(f"Only a clinician of this runner's clinic can change this {what}.")
    return row  # type: ignore[no-any-return]


def require_staff(user: Principal) -> None:
    if not (user.is_admin or user.is_clinician):
        raise forbidden("This page is for clinicians.")


def require_admin(user: Principal) -> None:
    if not user.is_admin:
        raise forbidden("This page is for administrators.")
