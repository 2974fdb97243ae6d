"""Sessions and CSRF tokens.

The session is a signed, timestamped cookie (itsdangerous) holding the user id and a random session id; it is
HttpOnly, SameSite=Lax and Secure when the app is served over HTTPS. A session older than the user's last
password change, or older than ``session_max_age_s``, is void. Every visitor, signed in or not, has a session
id, and the CSRF token is an HMAC of it: a token is bound to one session, and signing in starts a new session
(so a token or a session id planted before sign-in is worthless after it).

Sign-in throttling (:func:`login_throttle`) is at the end of this module.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.responses import Response

from glutemed.db.models import LoginAttempt

COOKIE = "glutemed_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True)
class WebSession:
    sid: str
    user_id: int | None
    issued_at: dt.datetime
    csrf_token: str
    expired: bool = False  # the cookie was signed by us but is too old
    fresh: bool = False  # made for this request; the cookie must be set


class SessionSigner:
    def __init__(self, secret_key: str, *, max_age_s: int, secure: bool) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="glutemed.session")
        self._csrf_key = hashlib.sha256(f"csrf:{secret_key}".encode()).digest()
        self.max_age_s = max_age_s
        self.secure = secure

    def csrf_for(self, sid: str) -> str:
        return hmac.new(self._csrf_key, sid.encode(), hashlib.sha256).hexdigest()

    def new(self, user_id: int | None = None) -> WebSession:
        sid = secrets.token_urlsafe(24)
        now = dt.datetime.now(dt.UTC)
        return WebSession(sid, user_id, now, self.csrf_for(sid), fresh=True)

    def read(self, cookie: str | None) -> WebSession:
        """The session in ``cookie``; a fresh anonymous one when it is missing, forged or expired."""
        if not cookie:
            return self.new()
        try:
            payload, signed_at = self._serializer.loads(cookie, max_age=self.max_age_s, return_timestamp=True)
        except SignatureExpired:
            return WebSession(**{**self.new().__dict__, "expired": True})
        except BadSignature:
            return self.new()
        if not isinstance(payload, dict) or not isinstance(payload.get("s"), str):
            return self.new()
        user_id = payload.get("u")
        sid = payload["s"]
        return WebSession(sid, user_id if isinstance(user_id, int) else None, signed_at, self.csrf_for(sid))

    def write(self, response: Response, session: WebSession) -> None:
        value = self._serializer.dumps({"s": session.sid, "u": session.user_id})
        response.set_cookie(  # no Max-Age: the server judges expiry, so it can say "expired"
            COOKIE,
            value,
            httponly=True,
            samesite="lax",
            secure=self.secure,
            path="/",
        )

    def clear(self, response: Response) -> None:
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=self.secure)

    def token_ok(self, session: WebSession, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(session.csrf_token, str(token))


def new_token() -> str:
    """A one-time secret for an invitation link (only its sha256 is stored)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- sign-in throttling ----------------------------------------------------------------------------------
#
# Three limits over the same sliding window (``login_window_s``), each counted in the durable login_attempts
# table so every web process throttles alike. The tight one is per account *and* address: someone typing a
# runner's email from elsewhere pauses only their own attempts, never the runner's. The per-address limit stops
# one machine from trying many accounts; the per-account limit over all addresses is generous and only stops
# guessing spread over many machines. A success clears the account's counts (the password was known); a refused
# attempt (throttled) is not a password check and is not counted, so waiting out the pause always ends it.
# The multipliers are our own defaults, not taken from a published source.

PER_ADDRESS_FACTOR = 4  # failures from one address, over all accounts: 4 x login_max_failures
PER_ACCOUNT_FACTOR = 10  # failures for one account, over all addresses: 10 x login_max_failures


@dataclass(frozen=True)
class Throttled:
    """A sign-in refused before the password is checked: what to tell the person and how long to wait."""

    message: str
    retry_after_s: int


def wait_words(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _wait(failures: list[dt.datetime], limit: int, window: dt.timedelta, now: dt.datetime) -> int | None:
    """Seconds until fewer than ``limit`` of ``failures`` (oldest first, all within the window) remain in it;
    None when there are fewer already."""
    if len(failures) < limit:
        return None
    leaves = failures[len(failures) - limit] + window  # then only limit - 1 are left in the window
    return max(1, int(-(-(leaves - now).total_seconds() // 1)))


def login_throttle(
    s: Session,
    email: str,
    ip: str | None,
    *,
    max_failures: int,
    window: dt.timedelta,
    now: dt.datetime | None = None,
) -> Throttled | None:
    """Why a sign-in for ``email`` from ``ip`` must wait now, or None when it may go ahead."""
    now = now or dt.datetime.now(dt.UTC)
    address = email.strip().lower()[:320]
    since = now - window
    last_ok = s.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.email == address, LoginAttempt.success.is_(True), LoginAttempt.at >= since
        )
    )
    failed = (LoginAttempt.success.is_(False), LoginAttempt.at >= since)
    account = list(
        s.execute(
            select(LoginAttempt.at, LoginAttempt.ip)
            .where(LoginAttempt.email == address, *failed, LoginAttempt.at >= (last_ok or since))
            .order_by(LoginAttempt.at)
        ).all()
    )
    here = [at for at, from_ip in account if from_ip == ip]
    wait = _wait(here, max_failures, window, now)
    if wait is not None:
        return Throttled(
            f"Too many failed sign-ins for this account from this device or network; wait {wait_words(wait)} "
            "and try again, or ask your clinic to reset the password.",
            wait,
        )
    if ip is not None:
        everyone = list(
            s.scalars(select(LoginAttempt.at).where(LoginAttempt.ip == ip, *failed).order_by(LoginAttempt.at))
        )
        wait = _wait(everyone, PER_ADDRESS_FACTOR * max_failures, window, now)
        if wait is not None:
            return Throttled(
                f"Too many failed sign-ins from this device or network; wait {wait_words(wait)} and try again.",
                wait,
            )
    wait = _wait([at for at, _ in account], PER_ACCOUNT_FACTOR * max_failures, window, now)
    if wait is not None:
        return Throttled(
            f"Too many failed sign-ins for this account from many places; wait {wait_words(wait)} and try "
            "again, or ask your clinic to reset the password.",
            wait,
        )
    return None
