"""Accounts: clinics, users with Argon2 password hashes, one-time invitations and login attempts.

Functions take a :class:`sqlalchemy.orm.Session` inside a transaction the caller owns
(``with db.session() as s:`` / ``with db.write() as s:``) and never commit themselves. Emails are compared
lower-cased and stripped. Tokens are random (``secrets.token_urlsafe``); only their SHA-256 is stored, so a
copy of the database gives no usable invitation link.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from glutemed.db.models import ROLES, Clinic, Invitation, LoginAttempt, Runner, User, utcnow

INVITATION_TTL = dt.timedelta(days=7)
MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHasher()  # argon2id with the library's (RFC 9106 low-memory) parameters


class AccountError(ValueError):
    """A request about accounts that cannot be met; the message says why in plain words."""


def normalise_email(email: str) -> str:
    text = email.strip().lower()
    if "@" not in text or text.startswith("@") or text.endswith("@") or len(text) > 320:
        raise AccountError(f"{email!r} is not an email address")
    return text


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- clinics -------------------------------------------------------------------------------------------


def create_clinic(s: Session, name: str) -> Clinic:
    clinic = Clinic(name=name.strip())
    s.add(clinic)
    s.flush()
    return clinic


def get_clinic(s: Session, clinic_id: int) -> Clinic | None:
    return s.get(Clinic, clinic_id)


def list_clinics(s: Session) -> list[Clinic]:
    return list(s.scalars(select(Clinic).order_by(Clinic.name, Clinic.id)))


# --- users ---------------------------------------------------------------------------------------------


def create_user(
    s: Session,
    *,
    email: str,
    display_name: str,
    password: str,
    role: str,
    clinic_id: int | None = None,
    runner_id: int | None = None,
) -> User:
    """Add a user. A clinician needs a clinic; a runner user needs a runner record (and gets its clinic).

    Raises :class:`AccountError` for a bad role, a weak password or an email already taken.
    """
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)} (got {role!r})")
    if role == "clinician" and clinic_id is None:
        raise AccountError("a clinician belongs to a clinic: give the clinic")
    if role == "runner":
        runner = s.get(Runner, runner_id) if runner_id is not None else None
        if runner is None:
            raise AccountError("a runner user needs an existing runner record")
        clinic_id = runner.clinic_id
    if clinic_id is not None and s.get(Clinic, clinic_id) is None:
        raise AccountError(f"there is no clinic {clinic_id}")
    address = normalise_email(email)
    user = User(
        email=address,
        display_name=display_name.strip() or address,
        password_hash=hash_password(password),
        role=role,
        clinic_id=clinic_id,
        runner_id=runner_id if role == "runner" else None,
    )
    try:
        with s.begin_nested():
            s.add(user)
    except IntegrityError:
        raise AccountError(f"{address} already has an account") from None
    return user


def get_user(s: Session, user_id: int) -> User | None:
    return s.get(User, user_id)


def get_user_by_email(s: Session, email: str) -> User | None:
    try:
        address = normalise_email(email)
    except AccountError:
        return None
    return s.scalar(select(User).where(User.email == address))


def list_users(s: Session, *, clinic_id: int | None = None) -> list[User]:
    query = select(User).order_by(User.email)
    if clinic_id is not None:
        query = query.where(User.clinic_id == clinic_id)
    return list(s.scalars(query))


def authenticate(s: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, else None (the same answer for every reason).

    A hash made with older Argon2 parameters is replaced on a successful sign-in.
    """
    user = get_user_by_email(s, email)
    if user is None:
        _hasher.hash("spend-the-same-time")  # no timing difference between unknown email and wrong password
        return None
    if not verify_password(user.password_hash, password) or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def set_password(s: Session, user: User, new_password: str) -> None:
    """Change a password; sessions issued before ``user.password_changed_at`` should be refused."""
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    s.flush()


def set_active(s: Session, user: User, active: bool) -> None:
    user.active = active
    s.flush()


# --- invitations ---------------------------------------------------------------------------------------


def create_invitation(
    s: Session,
    *,
    runner_id: int,
    created_by: int | None,
    email: str | None = None,
    ttl: dt.timedelta = INVITATION_TTL,
    now: dt.datetime | None = None,
) -> tuple[Invitation, str]:
    """A one-time invitation for a runner to set a password; returns the row and the token (shown once)."""
    if s.get(Runner, runner_id) is None:
        raise AccountError(f"there is no runner {runner_id}")
    token = secrets.token_urlsafe(32)
    now = now or utcnow()
    invitation = Invitation(
        token_hash=_token_hash(token),
        runner_id=runner_id,
        email=normalise_email(email) if email else None,
        created_by=created_by,
        created_at=now,
        expires_at=now + ttl,
    )
    s.add(invitation)
    s.flush()
    return invitation, token


def find_invitation(s: Session, token: str, *, now: dt.datetime | None = None) -> Invitation | None:
    """The invitation for this token if it is unused and unexpired, else None."""
    invitation = s.scalar(select(Invitation).where(Invitation.token_hash == _token_hash(token)))
    if invitation is None or invitation.used_at is not None or invitation.expires_at <= (now or utcnow()):
        return None
    return invitation


def accept_invitation(
    s: Session,
    token: str,
    *,
    email: str,
    display_name: str,
    password: str,
    now: dt.datetime | None = None,
) -> User:
    """Use an invitation once: create the runner's user. A used, expired or unknown token raises
    :class:`AccountError`; two concurrent acceptances of one token create one user (conditional update)."""
    now = now or utcnow()
    invitation = find_invitation(s, token, now=now)
    if invitation is None:
        raise AccountError("this invitation link is unknown, already used or expired")
    if invitation.email and normalise_email(email) != invitation.email:
        raise AccountError("this invitation is for another email address")
    claimed = s.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise AccountError("this invitation link is unknown, already used or expired")
    user = create_user(
        s,
        email=email,
        display_name=display_name,
        password=password,
        role="runner",
        runner_id=invitation.runner_id,
    )
    s.flush()
    s.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id)
        .values(used_by=user.id)
        .execution_options(synchronize_session=False)
    )
    s.expire(invitation)
    return user


def list_invitations(s: Session, runner_id: int) -> list[Invitation]:
    query = select(Invitation).where(Invitation.runner_id == runner_id).order_by(Invitation.created_at)
    return list(s.scalars(query))


# --- login throttling ----------------------------------------------------------------------------------


def record_login_attempt(
    s: Session, email: str, *, success: bool, ip: str | None = None, now: dt.datetime | None = None
) -> None:
    s.add(LoginAttempt(email=email.strip().lower()[:320], ip=ip, success=success, at=now or utcnow()))
    s.flush()


def recent_failures(
    s: Session, email: str, *, window: dt.timedelta, now: dt.datetime | None = None, ip: str | None = None
) -> int:
    """Failed sign-ins for this email (and this IP, when given) within ``window``, since the last success.

    Durable across processes (it is a table), so every uvicorn worker throttles alike.
    """
    now = now or utcnow()
    address = email.strip().lower()
    since = now - window
    last_ok = s.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.email == address, LoginAttempt.success.is_(True), LoginAttempt.at >= since
        )
    )
    query = select(func.count()).where(
        LoginAttempt.email == address, LoginAttempt.success.is_(False), LoginAttempt.at >= (last_ok or since)
    )
    if ip is not None:
        query = query.where(LoginAttempt.ip == ip)
    return int(s.scalar(query) or 0)


def prune_login_attempts(s: Session, *, older_than: dt.timedelta, now: dt.datetime | None = None) -> int:
    """Delete attempts older than ``older_than``; returns how many went."""
    from sqlalchemy import delete

    result = s.execute(delete(LoginAttempt).where(LoginAttempt.at < (now or utcnow()) - older_than))
    return int(result.rowcount)  # type: ignore[attr-defined]
