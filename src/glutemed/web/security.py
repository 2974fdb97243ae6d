"""Sessions and CSRF tokens.

The session is a signed, timestamped cookie (itsdangerous) holding the user id and a random session id; it is
HttpOnly, SameSite=Lax and Secure when the app is served over HTTPS. A session older than the user's last
password change, or older than ``session_max_age_s``, is void. Every visitor, signed in or not, has a session
id, and the CSRF token is an HMAC of it: a token is bound to one session, and signing in starts a new session
(so a token or a session id planted before sign-in is worthless after it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from starlette.responses import Response

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
