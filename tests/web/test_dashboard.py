"""The clinician dashboard: 50 runners a page by name, found by part of a name, each line read from the rows'
stored summaries and equal to what the analyzer and the intake rules say (no second judgement)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from tests.web.conftest import World, demo_intake_form

from glutemed.db import records
from glutemed.db.models import Assessment
from glutemed.web import views
from glutemed.web.deps import Principal

GAIT = {
    "schema": "glutemed.gait/v1",
    "faults": [
        {
            "fault_id": "contralateral-pelvic-drop",
            "name": "Contralateral pelvic drop",
            "side": "left",
            "verdict": "flagged",
        },
        {
            "fault_id": "contralateral-pelvic-drop",
            "name": "Contralateral pelvic drop",
            "side": "right",
            "verdict": "within",
        },
        {"fault_id": "overstride", "name": "Overstride", "side": "right", "verdict": "borderline"},
    ],
}
ROW = re.compile(r'<td><a href="/runners/(\d+)">')


def _listed(html: str) -> list[int]:
    return [int(i) for i in ROW.findall(html)]


def test_the_dashboard_pages_by_name_and_finds_by_part_of_a_name(fresh: World) -> None:
    clin = fresh.browsers["clin1"]
    with fresh.database.write() as s:
        made = [
            records.create_runner(s, clinic_id=fresh.ids["clinic1"], name=f"Runner {i:02d}").id
            for i in range(55)
        ]
    by_name = [fresh.ids["A"], fresh.ids["B"], *made]  # "Alice Aardvark", "Bob Beaver", "Runner 00".."54"
    first = clin.get("/dashboard")
    assert first.status_code == 200
    assert _listed(first.text) == by_name[:50]
    assert "Runners 1–50 of 57." in first.text
    assert 'href="/dashboard?page=2"' in first.text
    second = clin.get("/dashboard?page=2").text
    assert _listed(second) == by_name[50:]
    assert "Runners 51–57 of 57." in second
    assert _listed(clin.get("/dashboard?page=99").text) == by_name[50:]  # past the end: the last page
    assert clin.get("/dashboard?page=0").status_code == 422
    found = clin.get("/dashboard", params={"q": "ner 1"}).text
    assert _listed(found) == made[10:20]
    nothing = clin.get("/dashboard", params={"q": "100%_"}).text  # % and _ are letters here, not wildcards
    assert _listed(nothing) == []
    assert "No runner has “100%_” in their name." in nothing
    assert len(clin.get("/api/v1/dashboard").json()["runners"]) == 57  # the API lists them all


def test_a_dashboard_line_is_the_stored_verdicts_flags_and_spike(fresh: World) -> None:
    clin = fresh.browsers["clin1"]
    a, b = fresh.ids["A"], fresh.ids["B"]
    form = demo_intake_form() | {"red_flags.fever": "yes"}
    assert clin.post(f"/runners/{a}/intake", form).status_code == 303
    today = dt.datetime.now(dt.UTC).date()
    with fresh.database.write() as s:
        older = records.add_assessment(s, runner_id=a, assessment=None, gait_result=GAIT)
        newest = records.add_assessment(
            s, runner_id=a, assessment={"stopped": True, "red_flags": ["a stop from the assessment"]}
        )
        records.add_load_report(
            s, runner_id=b, data={"judgement": {"session_spikes": [{"date": today.isoformat()}]}}
        )
        ids = older.id, newest.id
    data = clin.get("/api/v1/dashboard").json()
    line = {row["runner"]["id"]: row for row in data["runners"]}
    # the newest assessment has no gait result: the verdicts are the newest gait result's, as the analyzer said
    assert line[a]["latest_assessment_id"] == ids[1]
    with fresh.database.session() as s:
        stored = s.get(Assessment, ids[0])
        assert stored is not None
        expected = [v.model_dump() for v in views.verdicts(stored.gait_result)]
    assert line[a]["verdicts"] == expected
    assert [v["verdict"] for v in expected] == ["flagged", "borderline"]
    with fresh.database.session() as s:
        intake = records.latest_intake(s, a)
        assert intake is not None
        intake_flags = views.intake_red_flags(intake.data)
    assert intake_flags  # the intake's own rules raise the night-pain flag
    assert line[a]["red_flags"] == [*intake_flags, "a stop from the assessment"]
    assert line[b]["load_spike_this_week"] is True
    assert line[a]["load_spike_this_week"] is False
    html = clin.get("/dashboard").text
    assert "Contralateral pelvic drop (left): flagged" in html
    assert "a stop from the assessment" in html
    # a spike eight days ago is not this week's
    user = Principal(0, "x", "x", "clinician", fresh.ids["clinic1"], None)
    with fresh.database.session() as s:
        later = views.dashboard(s, user, today=today + dt.timedelta(days=8))
    assert not any(row.load_spike_this_week for row in later.runners)


def test_red_flags_are_kept_per_database_not_per_intake_number(fresh: World, tmp_path: Path) -> None:
    """The per-process cache of an intake's red flags: intake 1 of one database is not intake 1 of another."""
    from tests.web.conftest import make_app

    from glutemed.services.demo import DEMO_INTAKE, demo_dir
    from glutemed.services.intake_schema import load_intake

    form = demo_intake_form() | {"red_flags.fever": "yes"}
    assert fresh.browsers["clin1"].post(f"/runners/{fresh.ids['A']}/intake", form).status_code == 303
    user = Principal(0, "x", "x", "admin", None, None)
    with fresh.database.session() as s:
        flagged = {r.runner.id: r.red_flags for r in views.dashboard(s, user).runners}
    assert flagged[fresh.ids["A"]]
    _, other = make_app(tmp_path / "other")
    try:
        with other.write() as s:
            from glutemed.db import accounts

            clinic = accounts.create_clinic(s, "Other clinic")
            runner = records.create_runner(s, clinic_id=clinic.id, name="Olga")
            quiet = load_intake(demo_dir() / DEMO_INTAKE).model_dump(mode="json", exclude_none=True)
            intake = records.add_intake(s, runner.id, quiet)
            assert intake.id == 1
        with other.session() as s:
            (line,) = views.dashboard(s, user).runners
        assert line.red_flags == []
    finally:
        other.dispose()
