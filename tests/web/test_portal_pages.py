"""The runner portal's pages and JSON API through FastAPI's TestClient on a real SQLite clinic: logging a session
(validation messages next to the field, nothing stored on a bad value, a resend stores one row), the next-morning
answer, a run, the decision page, the figures, and who may read and write what."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from tests.web.conftest import Browser
from tests.web.test_portal_service import (
    MONDAY,
    PortalClinic,
    clinic_template,
    copied_clinic,
    demo_program,
)

from glutemed.db import portal as repo
from glutemed.db.models import ProgressDecision

FIRST = demo_program()["phases"][0]["exercises"]
KEY = re.compile(r'name="client_key" value="([^"]+)"')


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PortalClinic]:
    c = copied_clinic(clinic_template(tmp_path_factory), tmp_path_factory.mktemp("portal-pages"))
    for name, email in (
        ("anonymous", ""),
        ("runnerA", "runnera@t.test"),
        ("runnerB", "runnerb@t.test"),
        ("clin1", "clin1@t.test"),
        ("clin2", "clin2@t.test"),
        ("admin", "admin@t.test"),
    ):
        browser = Browser(c.app, name)
        if email:
            browser.sign_in(email)
        else:
            browser.refresh_csrf()
        c.browsers[name] = browser
    yield c
    for b in c.browsers.values():
        b.client.close()
    c.database.dispose()


def session_form(site: PortalClinic, day: dt.date = MONDAY, **changes: str) -> dict[str, str]:
    """The form as the page shows it (its client key and prefilled doses), with the runner's answers."""
    page = site.browsers["runnerA"].get(f"/runners/{site.ids['A']}/log/session?day={day.isoformat()}")
    assert page.status_code == 200
    found = KEY.search(page.text)
    assert found
    form: dict[str, Any] = {"client_key": found.group(1), "day": day.isoformat(), "baseline_pain": "1"}
    form["exercise"] = [item["exercise_id"] for item in FIRST]
    for item in FIRST:
        p = f"ex.{item['exercise_id']}."
        form[p + "sets"] = str(item["sets"])
        if item.get("hold_s") is not None:
            form[p + "hold_s"] = str(item["hold_s"])
        else:
            form[p + "reps"] = str(item["reps"])
        form[p + "pain"] = "1"
    form.update(changes)
    return form


def test_today_page_for_the_runner(site: PortalClinic) -> None:
    r = site.browsers["runnerA"].get(f"/today?day={MONDAY.isoformat()}")
    assert r.status_code == 200
    assert "Today: your exercise session" in r.text
    for item in FIRST:
        assert item["name"] in r.text
        assert f'src="/portal/figures/{item["exercise_id"]}.svg"' in r.text
    assert f'href="/runners/{site.ids["A"]}/log/session?day={MONDAY.isoformat()}"' in r.text
    assert 'name="viewport"' in r.text
    tuesday = site.browsers["runnerA"].get(f"/today?day={(MONDAY + dt.timedelta(days=1)).isoformat()}")
    assert "Running day: pre-run routine first" in tuesday.text
    assert site.browsers["runnerA"].get("/today?day=2026-13-01").status_code == 422
    assert site.browsers["clin1"].get("/today").status_code == 403
    assert site.browsers["anonymous"].get("/today").status_code == 401


def test_figures_are_the_handouts_svg(site: PortalClinic) -> None:
    ident = FIRST[0]["exercise_id"]
    r = site.browsers["anonymous"].get(f"/portal/figures/{ident}.svg")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("image/svg+xml")
    assert r.text.lstrip().startswith("<svg")
    assert "<title>" in r.text
    assert site.browsers["anonymous"].get("/portal/figures/no-such-exercise.svg").status_code == 404


def test_session_form_is_phone_ready(site: PortalClinic) -> None:
    r = site.browsers["runnerA"].get(f"/runners/{site.ids['A']}/log/session?day={MONDAY.isoformat()}")
    assert r.status_code == 200
    assert 'inputmode="numeric"' in r.text
    assert 'type="number"' in r.text
    assert "/static/portal.js" in r.text
    assert 'hx-post="/runners/' in r.text
    css = site.browsers["anonymous"].get("/static/portal.css")
    assert css.status_code == 200
    assert "min-height:48px" in css.text  # tap targets of at least 48 px
    js = site.browsers["anonymous"].get("/static/portal.js")
    assert "htmx:sendError" in js.text
    assert "localStorage" in js.text


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("pain", "11", "from 0 to 10"),
        ("pain", "a lot", "is not a number"),
        ("pain", "", "give your pain during it"),
        ("sets", "2.5", "whole number"),
    ],
)
def test_a_bad_value_is_named_next_to_its_field_and_stores_nothing(
    site: PortalClinic, field: str, value: str, words: str
) -> None:
    before = site.count()
    ident = FIRST[1]["exercise_id"]
    name = f"ex.{ident}.{field}"
    r = site.browsers["runnerA"].post(
        f"/runners/{site.ids['A']}/log/session", session_form(site, **{name: value})
    )
    assert r.status_code == 422
    error_id = "e-" + name.replace(".", "-")
    match = re.search(rf'<p class="error" id="{re.escape(error_id)}">([^<]+)</p>', r.text)
    assert match, r.text[:2000]
    assert words in match.group(1)
    assert f'aria-describedby="{error_id}"' in r.text
    assert f'value="{value}"' in r.text or value == ""  # the form keeps what was typed
    assert site.count() == before


def test_no_baseline_or_nothing_done_stores_nothing(site: PortalClinic) -> None:
    before = site.count()
    form = session_form(site, baseline_pain="")
    r = site.browsers["runnerA"].post(f"/runners/{site.ids['A']}/log/session", form)
    assert r.status_code == 422
    assert 'id="e-baseline_pain"' in r.text
    skipped = session_form(site, **{f"ex.{i['exercise_id']}.sets": "0" for i in FIRST})
    r = site.browsers["runnerA"].post(f"/runners/{site.ids['A']}/log/session", skipped)
    assert r.status_code == 422
    assert "Log at least one exercise" in r.text
    assert site.count() == before


def test_log_a_session_then_the_morning_and_see_the_decision(site: PortalClinic) -> None:
    a = site.ids["A"]
    browser = site.browsers["runnerA"]
    before = site.count()
    form = session_form(site)
    r = browser.post(f"/runners/{a}/log/session", form)
    assert r.status_code == 303
    location = r.headers["location"]
    assert re.fullmatch(rf"/runners/{a}/logs/\d+", location)
    log_id = int(location.rsplit("/", 1)[1])
    again = browser.post(f"/runners/{a}/log/session", form)  # the phone sends it again
    assert again.status_code == 303
    assert again.headers["location"] == location
    assert site.count() == before + 1
    page = browser.get(location)
    assert page.status_code == 200
    assert "Same dose next time" in page.text
    assert "Tell us how you feel the next morning" in page.text
    assert f'action="/runners/{a}/logs/{log_id}/morning"' in page.text
    bad = browser.post(f"/runners/{a}/logs/{log_id}/morning", {"pain_0_10": "12"})
    assert bad.status_code == 422
    assert 'id="e-pain_0_10"' in bad.text
    r = browser.post(f"/runners/{a}/logs/{log_id}/morning", {"pain_0_10": "4", "stiffness_0_10": "2"})
    assert r.status_code == 303
    page = browser.get(location)
    assert "Next morning: pain 4 out of 10, stiffness 2 out of 10" in page.text
    assert "Easier next time" in page.text
    with site.database.session() as s:
        rows = repo.list_decisions(s, a, training_log_id=log_id)
        assert {r.action for r in rows} == {"regress"}
        for row in rows:
            assert row.data["dose_after"]["text"] in page.text.replace("&#39;", "'")
    # the clinician sees the same page with the rules' wording and sources; runner B sees nothing
    staff = site.browsers["clin1"].get(location)
    assert staff.status_code == 200
    assert "Sources:" in staff.text
    assert "Sources:" not in page.text
    other = site.browsers["runnerB"].get(location)
    assert other.status_code == 404
    assert "Alice" not in other.text


def test_htmx_send_gets_a_redirect_header(site: PortalClinic) -> None:
    a = site.ids["A"]
    r = site.browsers["runnerA"].post(
        f"/runners/{a}/log/session", session_form(site, dt.date(2026, 11, 4)), headers={"HX-Request": "true"}
    )
    assert r.status_code == 200
    assert re.fullmatch(rf"/runners/{a}/logs/\d+", r.headers["HX-Redirect"])


def test_log_a_run(site: PortalClinic) -> None:
    a = site.ids["A"]
    browser = site.browsers["runnerA"]
    page = browser.get(f"/runners/{a}/log/run?day=2026-11-03")
    key = KEY.search(page.text)
    assert key
    form = {
        "client_key": key.group(1),
        "date": "2026-11-03",
        "distance_km": "abc",
        "duration_min": "40",
        "pain_during_0_10": "1",
    }
    before = site.count()
    bad = browser.post(f"/runners/{a}/log/run", form)
    assert bad.status_code == 422
    assert 'id="e-distance_km"' in bad.text
    assert site.count() == before
    form["distance_km"] = "7.5"
    r = browser.post(f"/runners/{a}/log/run", form)
    assert r.status_code == 303
    page = browser.get(r.headers["location"])
    assert "Run of 7.5 km in 40 min" in page.text
    assert site.count() == before + 1
    morning = browser.post(r.headers["location"] + "/morning", {"pain_0_10": "2"})
    assert morning.status_code == 303
    assert "Next morning: pain 2 out of 10." in browser.get(r.headers["location"]).text


def test_only_the_runner_writes_their_logbook(site: PortalClinic) -> None:
    a, before = site.ids["A"], site.count()
    decisions = site.count(ProgressDecision)
    for role, expected in (
        ("clin1", 403),
        ("admin", 403),
        ("runnerB", 404),
        ("clin2", 404),
        ("anonymous", 401),
    ):
        form = session_form(site, dt.date(2026, 11, 6))
        r = site.browsers[role].post(f"/runners/{a}/log/session", form)
        assert r.status_code == expected, role
        r = site.browsers[role].client.post(
            f"/api/v1/portal/runners/{a}/runs",
            json={
                "client_key": "sneaky-run-1",
                "run": {"date": "2026-11-06", "distance_km": 5, "duration_min": 30, "pain_during_0_10": 0},
            },
            headers={"X-CSRF-Token": site.browsers[role].csrf},
        )
        assert r.status_code == expected, role
    assert site.count() == before
    assert site.count(ProgressDecision) == decisions


def test_reads_of_another_runner_answer_404(site: PortalClinic) -> None:
    a = site.ids["A"]
    for url in (
        f"/runners/{a}/today",
        f"/api/v1/portal/runners/{a}/today",
        f"/api/v1/portal/runners/{a}/logs",
    ):
        for role, ok in (
            ("runnerA", True),
            ("clin1", True),
            ("admin", True),
            ("runnerB", False),
            ("clin2", False),
        ):
            r = site.browsers[role].get(url)
            assert (r.status_code == 200) == ok, (role, url, r.status_code)
            if not ok:
                assert r.status_code == 404
                assert "Alice" not in r.text
    assert site.browsers["runnerA"].get(f"/runners/{a}/logs/999999").status_code == 404
    assert site.browsers["clin1"].get(f"/runners/{a}/log/session").status_code == 403


def test_api_mirrors(site: PortalClinic) -> None:
    b = site.ids["B"]
    browser = site.browsers["runnerB"]
    headers = {"X-CSRF-Token": browser.csrf}
    today = browser.get(f"/api/v1/portal/runners/{b}/today?day={MONDAY.isoformat()}").json()
    assert today["kind"] == "session"
    assert [e["exercise_id"] for e in today["exercises"]] == [i["exercise_id"] for i in FIRST]
    session = {
        "date": MONDAY.isoformat(),
        "exercises": [
            {
                "exercise": i["exercise_id"],
                "sets": [{"reps": i.get("reps"), "hold_s": i.get("hold_s"), "pain_during_0_10": 0}]
                * i["sets"],
            }
            for i in FIRST
        ],
    }
    body = {"client_key": "api-session-0001", "session": session}
    r = browser.client.post(f"/api/v1/portal/runners/{b}/sessions", json=body, headers=headers)
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["created"] is True
    assert len(first["decisions"]) == len(FIRST)
    r = browser.client.post(f"/api/v1/portal/runners/{b}/sessions", json=body, headers=headers)
    assert r.status_code == 200
    assert r.json()["log"]["id"] == first["log"]["id"]
    bad = {
        "client_key": "api-session-0002",
        "session": {
            **session,
            "exercises": [
                {"exercise": FIRST[0]["exercise_id"], "sets": [{"reps": 5, "pain_during_0_10": 12}]}
            ],
        },
    }
    before = site.count()
    r = browser.client.post(f"/api/v1/portal/runners/{b}/sessions", json=bad, headers=headers)
    assert r.status_code == 422
    assert "pain_during_0_10" in r.text
    assert site.count() == before
    log_id = first["log"]["id"]
    r = browser.client.post(
        f"/api/v1/portal/runners/{b}/logs/{log_id}/morning", json={"pain_0_10": 0}, headers=headers
    )
    assert r.status_code == 200
    assert r.json()["log"]["morning_pain_0_10"] == 0
    logs = browser.get(f"/api/v1/portal/runners/{b}/logs").json()
    assert [x["id"] for x in logs] == [log_id]
    assert len(logs[0]["decisions"]) == len(FIRST)
    one = browser.get(f"/api/v1/portal/runners/{b}/logs/{log_id}").json()
    assert one["decisions"][0]["dose_after"]
    run = {
        "client_key": "api-run-00001",
        "run": {"date": "2026-11-03", "distance_km": 6, "duration_min": 36, "pain_during_0_10": 0},
    }
    r = browser.client.post(f"/api/v1/portal/runners/{b}/runs", json=run, headers=headers)
    assert r.status_code == 201
    assert r.json()["run"]["spike"] is False
    no_token = browser.client.post(
        f"/api/v1/portal/runners/{b}/runs", json={**run, "client_key": "api-run-00002"}
    )
    assert no_token.status_code == 403


def test_today_is_the_runners_day_in_their_time_zone(site: PortalClinic) -> None:
    """The phone reports its zone (portal.js sets the cookie): UTC+14 and UTC-11 are always on different dates,
    and each gets its own; a made-up zone falls back to UTC."""
    from zoneinfo import ZoneInfo

    from starlette.requests import Request

    from glutemed.web.routers.portal import TZ_COOKIE, local_today

    def request_with(zone: str) -> Request:
        return Request({"type": "http", "headers": [(b"cookie", f"{TZ_COOKIE}={zone}".encode())]})

    east, west = (
        local_today(request_with("Pacific/Kiritimati")),
        local_today(request_with("Pacific/Pago_Pago")),
    )
    assert east != west
    assert east == dt.datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
    assert west == dt.datetime.now(ZoneInfo("Pacific/Pago_Pago")).date()
    assert local_today(request_with("Mars/Olympus_Mons")) == dt.datetime.now(dt.UTC).date()
    assert local_today(request_with("../../etc/passwd")) == dt.datetime.now(dt.UTC).date()
    runner = site.browsers["runnerA"]
    runner.client.cookies.set(TZ_COOKIE, "Pacific/Kiritimati")
    try:
        shown = runner.get(f"/api/v1/portal/runners/{site.ids['A']}/today").json()
    finally:
        runner.client.cookies.delete(TZ_COOKIE)
    assert shown["day"] == dt.datetime.now(ZoneInfo("Pacific/Kiritimati")).date().isoformat()
