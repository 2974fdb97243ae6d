"""The progress page, the attention list and decision overrides through the web app (TestClient, real SQLite,
the real portal services logging sessions into a published demo program).

Clinic 1: clinician ``clin1``, runners A (Alice Aardvark) and B; clinic 2: ``clin2`` and runner C; an admin.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from tests.web.conftest import PASSWORD
from tests.web.test_portal_service import MONDAY, PortalClinic, first_phase_session, portal_clinic

from glutemed.db import records
from glutemed.db.models import ProgressDecision, Runner, TrainingLog
from glutemed.services import attention, monitoring, portal

WEDNESDAY = MONDAY + dt.timedelta(days=2)
assert PASSWORD  # the clinic's users sign in with the shared test password


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PortalClinic]:
    """A logs two sessions through services/portal (the second with pain 6/10 during); C logs one."""
    c = portal_clinic(tmp_path_factory.mktemp("monitoring"))
    with c.database.write() as s:
        portal.log_session(s, c.ids["A"], first_phase_session(MONDAY, pain=1.0), client_key="a1")
        portal.log_session(
            s, c.ids["A"], first_phase_session(WEDNESDAY, pain=6.0), client_key="a2", morning_pain_0_10=4.0
        )
        program = records.add_program(s, runner_id=c.ids["C"], data=c_program(c))
        records.publish_program(s, program, by=None)
        portal.log_session(s, c.ids["C"], first_phase_session(MONDAY, pain=2.0), client_key="c1")
    yield c
    c.database.dispose()


def c_program(c: PortalClinic) -> dict[str, Any]:
    with c.database.session() as s:
        program = records.get_program(s, c.ids["programA"])
        assert program is not None
        return dict(program.data)


def decisions(c: PortalClinic, who: str) -> list[ProgressDecision]:
    with c.database.session() as s:
        rows = s.scalars(
            select(ProgressDecision)
            .where(ProgressDecision.runner_id == c.ids[who])
            .order_by(ProgressDecision.id)
        )
        return list(rows)


def snapshot(c: PortalClinic) -> list[tuple[Any, ...]]:
    return [
        (d.id, d.action, d.override_action, d.override_note, d.overridden_by, d.overridden_at)
        for who in ("A", "C")
        for d in decisions(c, who)
    ]


def test_the_clinician_sees_the_logged_points_and_the_decisions(clinic: PortalClinic) -> None:
    r = clinic.browsers["clin1"].get(f"/runners/{clinic.ids['A']}/progress")
    assert r.status_code == 200
    html = r.text
    assert "Progress of Alice Aardvark" in html
    assert 'role="img" aria-label="Pain chart, 2 Nov 2026 to 4 Nov 2026' in html
    assert "pain during: 2 answers, highest 6/10 on 4 Nov 2026" in html
    assert "pain next morning: 1 answer, highest 4/10" in html
    assert html.count("<svg") >= 2  # pain and dose at least
    assert "/decisions/" in html  # the override forms
    assert "regress" in html  # 6/10 during is above the 5/10 limit


def test_the_runner_sees_their_own_charts_without_override_forms(clinic: PortalClinic) -> None:
    r = clinic.browsers["runnerA"].get(f"/runners/{clinic.ids['A']}/progress")
    assert r.status_code == 200
    assert "Pain chart" in r.text
    assert "/override" not in r.text
    assert "silbernagel2007" not in r.text  # no citation keys for the runner; the clinician's page names them
    assert "silbernagel2007" in clinic.browsers["clin1"].get(f"/runners/{clinic.ids['A']}/progress").text
    plain = [d.data["plain_reason"] for d in decisions(clinic, "A")]
    assert all(plain)
    assert plain[-1] in r.text.replace("&#39;", "'")
    for who in ("runnerB", "clin2"):
        other = clinic.browsers[who].get(f"/runners/{clinic.ids['A']}/progress")
        assert other.status_code == 404
        assert "Alice" not in other.text
    assert clinic.browsers["anonymous"].get(f"/api/v1/runners/{clinic.ids['A']}/progress").status_code == 401


def test_the_json_mirror_holds_the_same_series(clinic: PortalClinic) -> None:
    data = clinic.browsers["clin1"].get(f"/api/v1/runners/{clinic.ids['A']}/progress").json()
    assert data["runner_name"] == "Alice Aardvark"
    assert [p["day"] for p in data["pain"]] == [MONDAY.isoformat(), WEDNESDAY.isoformat()]
    assert [p["during"] for p in data["pain"]] == [1.0, 6.0]
    assert data["pain_limit"] == 5
    with clinic.database.session() as s:
        runner = s.get(Runner, clinic.ids["A"])
        assert runner is not None
        expected = monitoring.runner_progress(s, runner, dt.datetime.now(dt.UTC).date())
    assert len(data["decisions"]) == len(expected.decisions) > 0
    assert [d["effective_action"] for d in data["decisions"]] == [
        d.effective_action for d in expected.decisions
    ]
    assert [w["fraction"] for w in data["adherence"]] == [w.fraction for w in expected.adherence]


def test_attention_lists_only_the_clinics_runners(clinic: PortalClinic) -> None:
    today = dt.datetime.now(dt.UTC).date()
    with clinic.database.write() as s:  # a red flag for A and for C in their latest intakes
        for who in ("A", "C"):
            intake = dict(records.latest_intake(s, clinic.ids[who]).data)  # type: ignore[union-attr]
            records.add_intake(s, clinic.ids[who], {**intake, "red_flags": {"fever": True}})
    try:
        one = clinic.browsers["clin1"].get("/attention")
        assert one.status_code == 200
        assert "Alice Aardvark" in one.text
        assert "Carol Cormorant" not in one.text
        assert "Red flag in the latest intake" in one.text
        two = clinic.browsers["clin2"].get("/api/v1/attention").json()
        assert [i["runner_name"] for i in two] == ["Carol Cormorant"]
        everyone = clinic.browsers["admin"].get("/api/v1/attention").json()
        assert {i["runner_name"] for i in everyone} >= {"Alice Aardvark", "Carol Cormorant"}
        for who in ("runnerA", "anonymous"):
            r = clinic.browsers[who].get("/attention")
            assert r.status_code in (401, 403)
            assert "Alice" not in r.text
        with clinic.database.session() as s:
            listed = attention.attention_list(s, None, today)
        assert {i.runner_name for i in listed} == {i["runner_name"] for i in everyone}
    finally:
        with clinic.database.write() as s:  # back to the demo intake
            for who in ("A", "C"):
                records.add_intake(s, clinic.ids[who], c_intake(clinic, who))


def c_intake(c: PortalClinic, who: str) -> dict[str, Any]:
    with c.database.session() as s:
        first = records.list_intakes(s, c.ids[who])
        oldest = min(first, key=lambda i: (i.created_at, i.id))
        return dict(oldest.data)


def test_an_override_by_anyone_but_the_runners_clinic_is_refused_and_changes_nothing(
    clinic: PortalClinic,
) -> None:
    target = decisions(clinic, "A")[0]
    before = snapshot(clinic)
    url = f"/decisions/{target.id}/override"
    body = {"action": "regress", "note": "not yours"}
    for who, status in (("clin2", 404), ("runnerB", 404), ("runnerA", 403), ("anonymous", 401)):
        r = clinic.browsers[who].post(url, body)
        assert r.status_code == status, (who, r.status_code)
        api = clinic.browsers[who].client.post(
            f"/api/v1{url}", json=body, headers={"X-CSRF-Token": clinic.browsers[who].csrf}
        )
        assert api.status_code == status, (who, api.status_code)
        assert snapshot(clinic) == before
    c_decision = decisions(clinic, "C")[0]
    r = clinic.browsers["clin1"].post(f"/decisions/{c_decision.id}/override", body)
    assert r.status_code == 404
    assert (
        clinic.browsers["clin1"].post(f"/decisions/{c_decision.id + 1000}/override", body).status_code == 404
    )
    assert snapshot(clinic) == before


def test_bad_overrides_are_refused_with_a_reason(clinic: PortalClinic) -> None:
    target = decisions(clinic, "A")[0]
    before = snapshot(clinic)
    b = clinic.browsers["clin1"]
    url = f"/decisions/{target.id}/override"
    no_note = b.post(url, {"action": "hold", "note": "   "})
    assert no_note.status_code == 422
    assert "say why" in no_note.text
    assert b.post(url, {"action": "skip", "note": "x"}).status_code == 422
    api = b.client.post(f"/api/v1{url}", json={"action": "hold"}, headers={"X-CSRF-Token": b.csrf})
    assert api.status_code == 422
    forged = b.client.post(url, data={"action": "hold", "note": "x", "csrf_token": "wrong"})
    assert forged.status_code == 403
    assert snapshot(clinic) == before


def test_the_clinicians_override_is_stored_and_sets_the_next_dose(clinic: PortalClinic) -> None:
    target = next(d for d in decisions(clinic, "A") if d.action == "regress")
    exercise, day = target.exercise_id, WEDNESDAY
    friday = day + dt.timedelta(days=2)
    with clinic.database.session() as s:
        before = {c.exercise_id: c.dose for c in portal.session_exercises(s, clinic.ids["A"], friday)}
    r = clinic.browsers["clin1"].post(
        f"/decisions/{target.id}/override",
        {"action": "hold", "note": "pain was from a fall, not the exercise"},
    )
    assert r.status_code == 303
    assert r.headers["location"] == f"/runners/{clinic.ids['A']}/progress#decision-{target.id}"
    with clinic.database.session() as s:
        stored = s.get(ProgressDecision, target.id)
        assert stored is not None
        assert (stored.action, stored.override_action) == ("regress", "hold")
        assert stored.override_note == "pain was from a fall, not the exercise"
        assert stored.overridden_by is not None
        assert stored.overridden_at is not None
        after = {c.exercise_id: c.dose for c in portal.session_exercises(s, clinic.ids["A"], friday)}
        log = s.get(TrainingLog, stored.training_log_id)
        assert log is not None
        assert log.day == day
    assert after[exercise] != before[exercise]  # a hold keeps the dose that the regress had lowered
    page = clinic.browsers["clin1"].get(f"/runners/{clinic.ids['A']}/progress").text
    assert "the rules said regress; changed by Clin One" in page
    api = clinic.browsers["admin"].client.post(
        f"/api/v1/decisions/{target.id}/override",
        json={"action": "regress", "note": "back to the rule"},
        headers={"X-CSRF-Token": clinic.browsers["admin"].csrf},
    )
    assert api.status_code == 200
    assert api.json()["effective_action"] == "regress"
    with clinic.database.session() as s:
        again = {c.exercise_id: c.dose for c in portal.session_exercises(s, clinic.ids["A"], friday)}
    assert again[exercise] == before[exercise]
