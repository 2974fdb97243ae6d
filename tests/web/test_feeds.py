"""The runner's private calendar feed: made by the runner or their clinician, read by any calendar app that has
the secret URL, made from the latest published program on each request, and dead once revoked or replaced.

Real app, real SQLite database, real worker making the programs from an intake (no mocks); the feed is parsed
with ``icalendar`` and compared with the program the database stores.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

import icalendar
import pytest
from sqlalchemy import select
from tests.web.conftest import Browser, World, demo_intake_form

from glutemed.db import records
from glutemed.db.models import CalendarFeed
from glutemed.knowledge.loader import knowledge_base
from glutemed.services import portal
from glutemed.services.intake_schema import ExerciseLogIn, SessionIn, SetIn
from glutemed.services.program import targets
from glutemed.services.program_calendar import ICS_DAYS

URL = re.compile(r'value="(http://testserver/feeds/[A-Za-z0-9_-]+\.ics)"')
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def signed_in(world: World, name: str, email: str) -> Browser:
    if name not in world.browsers:
        browser = Browser(world.app, name)
        browser.sign_in(email)
        world.browsers[name] = browser
    return world.browsers[name]


def publish_new_program(world: World, edit: dict[str, str] | None = None) -> dict[str, Any]:
    """A new intake for runner A, the worker's new draft program (optionally edited), published; its data."""
    clin = world.browsers["clin1"]
    a = world.ids["A"]
    assert clin.post(f"/runners/{a}/intake", demo_intake_form()).status_code == 303
    assert world.run_jobs() == 1
    with world.database.session() as s:
        program_id = records.list_programs(s, a)[0].id
    if edit:
        assert clin.post(f"/programs/{program_id}/review", edit).status_code == 303
    assert clin.post(f"/programs/{program_id}/review", {"action": "publish"}).status_code == 303
    with world.database.session() as s:
        row = records.get_program(s, program_id)
        assert row is not None
        assert row.state == "published"
        assert row.published_at is not None
        return {"data": row.data, "published_at": row.published_at}


def log_top_session(world: World, runner_id: int, program: dict[str, Any]) -> None:
    """One activation session with every set at the top of the exercise's range, settled next morning."""
    tops = targets(knowledge_base())
    phase = next(p for p in program["phases"] if p["id"] == "activation")
    exercises = []
    for item in phase["exercises"]:
        top = tops[item["exercise_id"]]
        one = SetIn(
            reps=top.reps_range[1] if top.reps_range else None,
            hold_s=top.hold_s_range[1] if top.hold_s_range else None,
            pain_during_0_10=1,
        )
        exercises.append(ExerciseLogIn(exercise=item["exercise_id"], sets=[one] * int(item["sets"])))
    day = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    with world.database.write() as s:
        result = portal.log_session(
            s, runner_id, SessionIn(date=day, exercises=exercises), client_key="feed-1"
        )
        portal.log_morning(s, runner_id, result.log.id, pain_0_10=0)
        assert {d.action for d in portal.decisions_of(s, runner_id, result.log.id)} == {"progress"}


def make_feed(browser: Browser, runner_id: int) -> str:
    r = browser.post(f"/runners/{runner_id}/feed")
    assert r.status_code == 200, r.text[:500]
    found = URL.search(r.text)
    assert found, "the new feed URL is not on the page"
    return found.group(1).removeprefix("http://testserver")


def read_feed(world: World, path: str) -> icalendar.Calendar:
    with Browser(world.app, "calendar app").client as app:  # no cookies: a calendar app cannot sign in
        r = app.get(path)
    assert r.status_code == 200, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("text/calendar")
    return icalendar.Calendar.from_ical(r.content)


def sessions(cal: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(e["uid"]): e for e in cal.walk("VEVENT") if "-session-" in str(e["uid"])}


def expected_sessions(program: dict[str, Any]) -> dict[str, set[str]]:
    """UID -> names of the exercises that day, read from the stored program and its plan."""
    names = {e["exercise_id"]: e["name"] for p in program["data"]["phases"] for e in p["exercises"]}
    start = program["published_at"].astimezone(dt.UTC).date()
    monday = (start - dt.timedelta(days=start.weekday())).isoformat()
    out = {}
    for phase in program["data"]["plan"]["phases"]:
        for day in phase["days"]:
            if day["exercises"]:
                code = ICS_DAYS[WEEKDAYS.index(day["day"])]
                uid = f"glutemed-{monday}-{phase['id']}-session-{code}@glutemed"
                out[uid] = {names[e] for e in day["exercises"]}
    return out


def test_feed_has_the_published_programs_sessions_and_follows_a_new_program(fresh: World) -> None:
    a = fresh.ids["A"]
    runner = signed_in(fresh, "runnerA", "runnera@t.test")
    path = make_feed(runner, a)
    assert not sessions(read_feed(fresh, path)), "no published program yet: no sessions"

    first = publish_new_program(fresh)
    cal = read_feed(fresh, path)
    got = sessions(cal)
    want = expected_sessions(first)
    assert set(got) == set(want)
    assert len(want) >= 10
    weeks = {p["id"]: p["weeks"] for p in first["data"]["plan"]["phases"]}
    for uid, names in want.items():
        text = str(got[uid]["description"])
        assert all(name in text for name in names), (uid, names, text[:200])
        phase_id = next(p for p in weeks if f"-{p}-session-" in uid)
        if weeks[phase_id] > 1:
            assert got[uid]["rrule"]["COUNT"] == [weeks[phase_id]]
    again = read_feed(fresh, path)
    assert again.to_ical() == cal.to_ical(), "the same program gives the same feed (stable UIDs and stamps)"

    # The runner logs an activation session at the top of every range, pain-free: the portal raises the doses,
    # and the next poll shows the new doses on that phase's sessions (same UIDs: the events are updated).
    log_top_session(fresh, a, first["data"])
    with fresh.database.session() as s:
        now = portal.session_exercises(s, a, dt.date.today())
    planned = {
        e["exercise_id"]: (e["sets"], e.get("reps"), e.get("hold_s"), 0.0)
        for p in first["data"]["phases"]
        if p["id"] == "activation"
        for e in p["exercises"]
    }
    assert set(planned) == {c.exercise_id for c in now}
    assert any(planned[c.exercise_id] != (c.sets, c.reps, c.hold_s, c.load_kg) for c in now), "a dose changed"
    logged = sessions(read_feed(fresh, path))
    assert set(logged) == set(got)
    for uid in logged:
        text = str(logged[uid]["description"])
        if "-activation-session-" in uid:
            assert text.startswith("Your dose now")
            assert all(f"{c.name}: {c.dose}" in text for c in now)
        else:
            assert text == str(got[uid]["description"])

    # The clinician publishes a new program without one of the activation exercises: the next poll shows it.
    activation = next(p for p in first["data"]["phases"] if p["id"] == "activation")
    gone = activation["exercises"][0]
    second = publish_new_program(
        fresh, {"action": "remove", "phase_id": "activation", "exercise_id": gone["exercise_id"]}
    )
    after = sessions(read_feed(fresh, path))
    assert set(after) == set(expected_sessions(second))
    assert set(after) == set(got), "published the same week: the same UIDs, so calendar apps update in place"
    changed = [uid for uid in after if "-activation-session-" in uid]
    assert changed
    for uid in changed:
        assert gone["name"] in str(got[uid]["description"])
        assert gone["name"] not in str(after[uid]["description"])


def test_a_red_flag_in_a_later_intake_empties_the_feed(fresh: World) -> None:
    a = fresh.ids["A"]
    path = make_feed(fresh.browsers["clin1"], a)
    publish_new_program(fresh)
    assert sessions(read_feed(fresh, path))
    form = demo_intake_form() | {"red_flags.fever": "yes"}
    assert fresh.browsers["clin1"].post(f"/runners/{a}/intake", form).status_code == 303
    cal = read_feed(fresh, path)  # the published program is unchanged, but no session is offered now
    assert not list(cal.walk("VEVENT"))


def test_a_wrong_replaced_or_revoked_token_reads_nothing(fresh: World) -> None:
    a = fresh.ids["A"]
    clin = fresh.browsers["clin1"]
    anonymous = Browser(fresh.app, "calendar app").client
    first = make_feed(clin, a)  # the clinician makes it for the runner
    assert anonymous.get(first).status_code == 200
    token = first.removeprefix("/feeds/").removesuffix(".ics")
    with fresh.database.session() as s:
        (row,) = s.scalars(select(CalendarFeed)).all()
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()  # only the hash is stored
        assert token not in str(row.__dict__)
    for wrong in (
        "/feeds/" + token[:-1] + ("A" if token[-1] != "A" else "B") + ".ics",
        "/feeds/short.ics",
        "/feeds/" + "x" * 300 + ".ics",
        "/feeds/" + token + ".ics.ics",
    ):
        r = anonymous.get(wrong)
        assert (r.status_code, r.content) == (404, b""), wrong
    runner = signed_in(fresh, "runnerA", "runnera@t.test")
    second = make_feed(runner, a)  # a new one replaces the old
    assert second != first
    r = anonymous.get(first)
    assert r.status_code == 404
    assert r.content == b""
    assert anonymous.get(second).status_code == 200
    page = runner.get(f"/runners/{a}/feed")
    assert page.status_code == 200
    assert "active since" in page.text
    assert second not in page.text
    assert runner.post(f"/runners/{a}/feed/revoke").status_code == 303
    r = anonymous.get(second)
    assert r.status_code == 404
    assert r.content == b""
    assert "No calendar address yet" in runner.get(f"/runners/{a}/feed").text
    anonymous.close()


def test_the_json_api_makes_reads_and_revokes_a_feed(fresh: World) -> None:
    a = fresh.ids["A"]
    clin = fresh.browsers["clin1"]
    headers = {"X-CSRF-Token": clin.csrf}
    assert clin.get(f"/api/v1/runners/{a}/feed").json() == {"active": False, "created_at": None}
    r = clin.client.post(f"/api/v1/runners/{a}/feed", headers=headers)
    assert r.status_code == 201
    path = r.json()["url"].removeprefix("http://testserver")
    assert clin.get(f"/api/v1/runners/{a}/feed").json()["active"] is True
    assert clin.client.get(path).status_code == 200
    r = clin.client.delete(f"/api/v1/runners/{a}/feed", headers=headers)
    assert r.json() == {"active": False, "revoked": 1}
    assert clin.client.get(path).status_code == 404
    assert clin.client.post(f"/api/v1/runners/{a}/feed").status_code == 403  # no CSRF token


@pytest.mark.parametrize(("who", "email"), [("runnerB", "runnerb@t.test"), ("clin2", "clin2@t.test")])
def test_nobody_else_makes_sees_or_revokes_a_runners_feed(fresh: World, who: str, email: str) -> None:
    a = fresh.ids["A"]
    path = make_feed(fresh.browsers["clin1"], a)
    other = signed_in(fresh, who, email)
    assert other.get(f"/runners/{a}/feed").status_code == 404
    assert other.post(f"/runners/{a}/feed").status_code == 404
    assert other.post(f"/runners/{a}/feed/revoke").status_code == 404
    assert (
        other.client.delete(f"/api/v1/runners/{a}/feed", headers={"X-CSRF-Token": other.csrf}).status_code
        == 404
    )
    with fresh.database.session() as s:
        feeds = s.scalars(select(CalendarFeed)).all()
        assert len(feeds) == 1
        assert feeds[0].revoked_at is None
    assert other.client.get(path).status_code == 200  # the URL is the key: the feed still works
