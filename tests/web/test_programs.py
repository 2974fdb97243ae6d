"""The clinician's review of a generated program (remove, swap for an allowed exercise, publish), what the
runner sees, the downloads, the job page's live progress, and red flags that stop the program with the
referral message the command line gives."""

from __future__ import annotations

from typing import Any

from markupsafe import escape
from tests.web.conftest import World, demo_intake_form

from glutemed.db import records
from glutemed.knowledge.loader import knowledge_base
from glutemed.knowledge.rules import bundled_rules
from glutemed.services.assessment import assess
from glutemed.services.intake_schema import IntakeIn


def _new_draft(world: World) -> int:
    """A new assessment and draft program for runner A: save clinical tests, which queues an assess job."""
    b = world.browsers["clin1"]
    r = b.post(f"/runners/{world.ids['A']}/tests", {"side_bridge.left_s": "40", "side_bridge.right_s": "55"})
    assert r.status_code == 303
    job_url = r.headers["location"]
    page = b.get(job_url).text
    assert 'hx-trigger="every 1s"' in page  # queued: the page polls
    world.run_jobs()
    done = b.get(job_url + "/progress").text
    assert "hx-trigger" not in done  # done: polling stops
    assert "/assessments/" in done
    with world.database.session() as s:
        return records.list_programs(s, world.ids["A"])[0].id


def _program(world: World, program_id: int) -> dict[str, Any]:
    r = world.browsers["clin1"].get(f"/api/v1/programs/{program_id}")
    assert r.status_code == 200
    return r.json()  # type: ignore[no-any-return]


def test_review_remove_swap_publish_and_what_the_runner_sees(world: World) -> None:
    program_id = _new_draft(world)
    clin, runner = world.browsers["clin1"], world.browsers["runnerA"]
    assert runner.get(f"/programs/{program_id}").status_code == 404  # a draft is not the runner's yet
    data = _program(world, program_id)["data"]
    phase = next(p for p in data["phases"] if len(p["exercises"]) >= 2)
    gone = phase["exercises"][0]["exercise_id"]
    r = clin.post(
        f"/programs/{program_id}/review", {"action": "remove", "phase_id": phase["id"], "exercise_id": gone}
    )
    assert r.status_code == 303
    data = _program(world, program_id)["data"]
    kept = next(p for p in data["phases"] if p["id"] == phase["id"])
    assert gone not in [x["exercise_id"] for x in kept["exercises"]]

    page = clin.get(f"/programs/{program_id}").text
    marker = f'name="phase_id" value="{phase["id"]}"'
    assert marker in page
    options = page.split('name="replacement_id"')[1].split("</select>")[0]
    choice = options.split('value="')[1].split('"')[0]
    old = kept["exercises"][0]["exercise_id"]
    before = _program(world, program_id)
    # an exercise of another stage (or one the runner must avoid) is refused, nothing changes
    other_stage = next(
        ex.id for ex in knowledge_base().exercises.values() if ex.stage.value not in phase["stages"]
    )
    r = clin.post(
        f"/programs/{program_id}/review",
        {"action": "swap", "phase_id": phase["id"], "exercise_id": old, "replacement_id": other_stage},
    )
    assert r.status_code == 422
    assert "not allowed" in r.text
    assert _program(world, program_id) == before
    r = clin.post(
        f"/programs/{program_id}/review",
        {"action": "swap", "phase_id": phase["id"], "exercise_id": old, "replacement_id": choice},
    )
    assert r.status_code == 303, r.text[:500]
    after = _program(world, program_id)
    swapped = next(p for p in after["data"]["phases"] if p["id"] == phase["id"])
    item = next(x for x in swapped["exercises"] if x["exercise_id"] == choice)
    assert item["sets"] >= 1
    assert item["citations"]
    assert [e["action"] for e in after["edits"]] == ["remove", "swap"]

    for fmt, head in (
        ("ics", b"BEGIN:VCALENDAR"),
        ("csv", b"phase,exercise_id"),
        ("json", b"{"),
        ("pdf", b"%PDF"),
    ):
        r = clin.get(f"/programs/{program_id}/download/{fmt}")
        assert r.status_code == 200, (fmt, r.text[:300])
        assert r.content.startswith(head), fmt
    assert choice.encode() in clin.get(f"/programs/{program_id}/download/csv").content

    assert clin.post(f"/programs/{program_id}/review", {"action": "publish"}).status_code == 303
    r = clin.post(
        f"/programs/{program_id}/review", {"action": "remove", "phase_id": phase["id"], "exercise_id": choice}
    )
    assert r.status_code == 422  # a published program is not edited
    shown = runner.get(f"/programs/{program_id}")
    assert shown.status_code == 200
    assert item["name"] in shown.text
    assert "Publish to the runner" not in shown.text
    assert "Remove</button>" not in shown.text
    assert f"/programs/{program_id}" in runner.get(f"/runners/{world.ids['A']}").text


def test_red_flags_stop_the_program_with_the_referral_message(world: World) -> None:
    clin = world.browsers["clin1"]
    form = demo_intake_form() | {"red_flags.bladder_or_bowel_change": "yes"}
    r = clin.post(f"/runners/{world.ids['B']}/intake", form)
    assert r.status_code == 303
    world.run_jobs()
    with world.database.session() as s:
        intake = records.latest_intake(s, world.ids["B"])
        assert intake is not None
        program = records.list_programs(s, world.ids["B"])[0]
        program_id, stored = program.id, program.data
    expected = assess(
        IntakeIn.model_validate(intake.data).to_core(), kb=knowledge_base(), rules=bundled_rules()
    )
    assert expected.report.stopped
    assert stored["stopped"] is True
    assert stored["message"] == expected.report.message
    page = clin.get(f"/programs/{program_id}").text
    assert str(escape(expected.report.message)) in page
    dashboard = clin.get("/api/v1/dashboard").json()
    row = next(r for r in dashboard["runners"] if r["runner"]["id"] == world.ids["B"])
    assert row["red_flags"]
    assert clin.get(f"/programs/{program_id}/download/pdf").content.startswith(b"%PDF")


def test_the_assessment_page_shows_the_report_and_the_runner_gets_the_summary(world: World) -> None:
    clin, runner = world.browsers["clin1"], world.browsers["runnerA"]
    a = world.ids["assessmentA"]
    page = clin.get(f"/assessments/{a}").text
    assert f'src="/assessments/{a}/files/report.html"' in page
    report = clin.get(f"/assessments/{a}/files/report.html")
    assert report.headers["content-security-policy"].startswith("default-src 'none'")
    summary = runner.get(f"/assessments/{a}/files/report.html")
    assert summary.status_code == 200
    assert summary.text != report.text  # the runner reads the plain-words summary
    result = clin.get(f"/assessments/{a}/files/gait/result.json")
    assert result.json()["schema"] == "glutemed.gait/v1"
    assert "attachment" in result.headers["content-disposition"]


def test_the_dashboard_lists_the_clinics_runners_with_their_verdicts(world: World) -> None:
    data = world.browsers["clin1"].get("/api/v1/dashboard").json()
    names = [r["runner"]["name"] for r in data["runners"]]
    assert names == ["Alice Aardvark", "Bob Beaver"]
    html = world.browsers["clin1"].get("/dashboard").text
    assert "Alice Aardvark" in html
    assert "Carol" not in html
    load = world.browsers["clin1"].get(f"/load-reports/{world.ids['loadA']}")
    assert load.status_code == 200
    assert "Spikes" in load.text
