"""Sign-in, throttling, sign-out, password change and one-time invitation links, through the web."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from tests.web.conftest import PASSWORD, Browser, World, csrf_of

from glutemed.db import accounts
from glutemed.db.models import Invitation


def test_sign_in_sets_a_safe_cookie_and_a_new_session(fresh: World) -> None:
    b = Browser(fresh.app, "someone")
    before = b.refresh_csrf()
    r = b.client.post("/sign-in", data={"email": "clin1@t.test", "password": PASSWORD, "csrf_token": before})
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie  # plain http in this app
    after = b.client.get("/api/v1/me").json()["csrf_token"]
    assert after != before  # a new session (and token) after sign-in
    b.client.close()


def test_secure_cookies_behind_https(tmp_path: Path) -> None:
    from tests.web.conftest import _users, make_app

    app, database = make_app(tmp_path, secure_cookies=True)
    _users(World(app, database, tmp_path))
    b = Browser(app, "x")
    r = b.client.get("/sign-in")
    assert "Secure" in r.headers["set-cookie"]
    b.client.close()
    database.dispose()


def test_wrong_passwords_are_throttled_durably(fresh: World) -> None:
    b = Browser(fresh.app, "attacker")
    token = b.refresh_csrf()
    for _ in range(5):
        r = b.client.post(
            "/sign-in", data={"email": "clin1@t.test", "password": "wrong-password", "csrf_token": token}
        )
        assert r.status_code == 401
        assert "do not match" in r.text
    r = b.client.post("/sign-in", data={"email": "clin1@t.test", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 429
    assert "Too many failed sign-ins" in r.text
    # the count lives in the database: a new app on the same database (another worker) throttles too
    from glutemed.web.app import create_app
    from glutemed.web.settings import WebSettings

    other = create_app(WebSettings(data_dir=fresh.data_dir, secret_key="x" * 32), database=fresh.database)
    b2 = Browser(other, "attacker2")
    r = b2.client.post(
        "/sign-in", data={"email": "clin1@t.test", "password": PASSWORD, "csrf_token": b2.refresh_csrf()}
    )
    assert r.status_code == 429
    b.client.close()
    b2.client.close()


def _from(app: object, ip: str, name: str) -> Browser:
    """A browser whose requests come from ``ip`` (as uvicorn reports the client's address)."""
    from fastapi.testclient import TestClient

    b = Browser(app, name)
    b.client.close()
    b.client = TestClient(app, follow_redirects=False, client=(ip, 40000))  # type: ignore[arg-type]
    b.refresh_csrf()
    return b


def _try(b: Browser, email: str, password: str) -> Any:
    return b.client.post("/sign-in", data={"email": email, "password": password, "csrf_token": b.csrf})


def test_someone_typing_a_victims_email_elsewhere_does_not_lock_the_victim_out(fresh: World) -> None:
    attacker = _from(fresh.app, "198.51.100.7", "attacker")
    for _ in range(5):
        assert _try(attacker, "clin1@t.test", "guess").status_code == 401
    refused = _try(attacker, "clin1@t.test", PASSWORD)
    assert refused.status_code == 429  # even the right password: this address waits
    wait = int(refused.headers["retry-after"])
    assert 0 < wait <= 15 * 60  # the window (login_window_s, 15 minutes)
    assert "from this device or network" in refused.text
    assert f"wait {-(-wait // 60)} minutes" in refused.text
    victim = _from(fresh.app, "203.0.113.20", "victim")
    assert _try(victim, "clin1@t.test", PASSWORD).status_code == 303  # the real user, elsewhere, signs in
    attacker.client.close()
    victim.client.close()


def test_one_address_trying_many_accounts_is_paused(fresh: World) -> None:
    from glutemed.web.security import PER_ADDRESS_FACTOR

    limit = PER_ADDRESS_FACTOR * 5  # login_max_failures is 5 by default
    b = _from(fresh.app, "198.51.100.8", "sprayer")
    for i in range(limit):
        assert _try(b, f"someone{i}@t.test", "guess").status_code == 401
    refused = _try(b, "clin1@t.test", PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed sign-ins from this device or network" in refused.text
    assert _try(_from(fresh.app, "203.0.113.21", "other"), "clin1@t.test", PASSWORD).status_code == 303
    b.client.close()


def test_the_pause_ends_with_the_window_and_many_places_have_a_generous_limit(fresh: World) -> None:
    from glutemed.db.models import LoginAttempt
    from glutemed.web.security import PER_ACCOUNT_FACTOR, login_throttle

    window = dt.timedelta(minutes=15)
    # a day ahead: the clinician's own sign-in (a success, which clears the counts) is outside the window
    now = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    with fresh.database.write() as s:
        # five failures from one address, the oldest 14 minutes ago: paused until it leaves the window
        for minutes_ago in (14, 10, 6, 3, 1):
            at = now - dt.timedelta(minutes=minutes_ago)
            s.add(LoginAttempt(email="clin1@t.test", ip="198.51.100.9", success=False, at=at))
        s.flush()
        held = login_throttle(s, "CLIN1@t.test", "198.51.100.9", max_failures=5, window=window, now=now)
        assert held is not None
        assert held.retry_after_s == 60
        assert "wait 1 minute " in held.message
        later = now + dt.timedelta(seconds=61)
        assert (
            login_throttle(s, "clin1@t.test", "198.51.100.9", max_failures=5, window=window, now=later)
            is None
        )
        assert (
            login_throttle(s, "clin1@t.test", "203.0.113.1", max_failures=5, window=window, now=now) is None
        )
        # failures spread over many addresses: only past 10 x 5 of them in the window is the account paused
        for i in range(PER_ACCOUNT_FACTOR * 5 - 5):
            at = now - dt.timedelta(seconds=30 + i)
            s.add(LoginAttempt(email="clin1@t.test", ip=f"10.0.{i // 250}.{i % 250}", success=False, at=at))
        s.flush()
        spread = login_throttle(s, "clin1@t.test", "203.0.113.1", max_failures=5, window=window, now=now)
        assert spread is not None
        assert "from many places" in spread.message
        # a success (the password was known) clears the account's counts
        s.add(LoginAttempt(email="clin1@t.test", ip="203.0.113.1", success=True, at=now))
        s.flush()
        after = now + dt.timedelta(seconds=1)
        assert (
            login_throttle(s, "clin1@t.test", "203.0.113.1", max_failures=5, window=window, now=after) is None
        )


def test_sign_in_without_csrf_is_refused(fresh: World) -> None:
    b = Browser(fresh.app, "x")
    r = b.client.post("/sign-in", data={"email": "clin1@t.test", "password": PASSWORD})
    assert r.status_code == 403
    b.client.close()


def test_sign_out_ends_the_session(fresh: World) -> None:
    b = fresh.browsers["clin1"]
    assert b.get("/dashboard").status_code == 200
    r = b.post("/sign-out")
    assert r.status_code == 303
    assert b.get("/dashboard").status_code == 401


def test_a_password_change_signs_out_other_sessions(fresh: World) -> None:
    phone = Browser(fresh.app, "phone")
    phone.sign_in("clin1@t.test")
    b = fresh.browsers["clin1"]
    new = "a much better password"
    r = b.post("/account/password", {"current": "wrong", "new": new, "repeat": new})
    assert r.status_code == 422
    assert "current password is wrong" in r.text
    r = b.post("/account/password", {"current": PASSWORD, "new": "short", "repeat": "short"})
    assert r.status_code == 422
    assert "at least 10 characters" in r.text
    import time

    time.sleep(1.1)  # sessions are compared by the second
    r = b.post("/account/password", {"current": PASSWORD, "new": new, "repeat": new})
    assert r.status_code == 200
    assert "password is changed" in r.text
    assert b.get("/dashboard").status_code == 200  # this session was renewed
    assert phone.get("/dashboard").status_code == 401  # the other one is void
    phone.sign_in("clin1@t.test", new)
    phone.client.close()


def test_an_invitation_link_works_once(fresh: World) -> None:
    b = fresh.browsers["clin1"]
    r = b.post("/runners/new", {"name": "Dora Dolphin", "email": "dora@t.test"})
    assert r.status_code == 200
    link = r.text.split('id="invitation-link"')[0].rsplit('value="', 1)[1].split('"', 1)[0]
    path = "/" + link.split("/", 3)[3]
    runner = Browser(fresh.app, "dora")
    page = runner.get(path)
    assert page.status_code == 200
    token = csrf_of(page.text)
    data = {
        "email": "dora@t.test",
        "display_name": "Dora",
        "password": PASSWORD,
        "repeat": PASSWORD,
        "csrf_token": token,
    }
    assert runner.client.post(path, data={**data, "email": "eve@t.test"}).status_code == 422  # another email
    r = runner.client.post(path, data=data)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/runners/")
    assert "Dora Dolphin" in runner.get(r.headers["location"]).text
    again = Browser(fresh.app, "again")
    assert again.get(path).status_code == 410
    r = again.client.post(path, data={**data, "csrf_token": again.refresh_csrf(), "email": "dora@t.test"})
    assert r.status_code == 422
    assert "already used or expired" in r.text
    runner.client.close()
    again.client.close()


def test_an_expired_invitation_is_refused(fresh: World) -> None:
    with fresh.database.write() as s:
        _, token = accounts.create_invitation(s, runner_id=fresh.ids["A"], created_by=None)
        for row in s.query(Invitation):
            row.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    b = Browser(fresh.app, "late")
    assert b.get(f"/invite/{token}").status_code == 410
    b.client.close()


def test_pages_answer_anonymous_visitors_with_the_sign_in_form(fresh: World) -> None:
    b = Browser(fresh.app, "anon")
    r = b.get(f"/runners/{fresh.ids['A']}")
    assert r.status_code == 401
    assert 'action="/sign-in"' in r.text
    assert b.get("/api/v1/runners").json() == {"detail": "You are not signed in; sign in to continue."}
    assert b.get("/static/htmx.min.js").status_code == 200
    b.client.close()
