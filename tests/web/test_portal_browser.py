"""The runner portal on a phone in a real browser: Debian's Chromium (the shared ``chromium_browser``), headless,
driven by Playwright, at 390 x 844, against a real uvicorn server on a SQLite clinic with the demo program.

The runner signs in, sees today's session, logs it (the phone goes offline at the first send: the form keeps its
values, says it was not sent, and a second send stores one entry), answers the next-morning question the day after
and sees the decision. No page scrolls sideways. Screenshots go to docs/images/portal-*.png.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.web.conftest import PASSWORD
from tests.web.test_browser_flow import LiveServer
from tests.web.test_portal_service import MONDAY, PortalClinic, clinic_template, copied_clinic, demo_program

from glutemed.db import portal as repo
from glutemed.knowledge.loader import knowledge_base

REPO = Path(__file__).resolve().parents[2]
IMAGES = REPO / "docs" / "images"
PHONE = {"width": 390, "height": 844}
TUESDAY = MONDAY + dt.timedelta(days=1)

pytestmark = pytest.mark.slow


@pytest.fixture
def site(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> Iterator[tuple[PortalClinic, LiveServer]]:
    clinic = copied_clinic(clinic_template(tmp_path_factory), tmp_path)
    server = LiveServer.start(clinic.app, clinic.database, tmp_path, worker=False)
    yield clinic, server
    server.stop()
    clinic.database.dispose()


def no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide on a {PHONE['width']} px phone"


def top_of_range(exercise_id: str) -> tuple[str, int]:
    dose = knowledge_base().exercises[exercise_id].dose
    if dose.hold_s_range is not None:
        return "hold_s", dose.hold_s_range[1]
    assert dose.reps_range is not None
    return "reps", dose.reps_range[1]


def test_runner_logs_a_session_and_the_morning_on_a_phone(  # noqa: PLR0915 - one story, step by step
    site: tuple[PortalClinic, LiveServer], chromium_browser: Any
) -> None:
    clinic, live = site
    a = clinic.ids["A"]
    context = chromium_browser.new_context(viewport=PHONE, base_url=live.url, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.goto("/sign-in")
        page.fill("#email", "runnera@t.test")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()

        page.goto(f"/today?day={MONDAY.isoformat()}")
        assert page.locator("h1").inner_text() == "Today: your exercise session"
        assert page.locator("nav.top a", has_text="Today").count() == 1
        first = demo_program()["phases"][0]["exercises"]
        cards = page.locator("article.card")
        assert cards.count() == len(first)
        # figures load lazily (a phone fetches what it shows; the pre-run routine's stay folded until opened):
        # bring each exercise card's figure into view, then every one must decode
        images = page.locator("article.card img")
        assert images.count() == len(first)
        for index in range(images.count()):
            images.nth(index).scroll_into_view_if_needed()
        page.wait_for_function(
            "Array.from(document.querySelectorAll('article.card img')).every(i => i.complete && i.naturalWidth > 0)"
        )
        page.evaluate("window.scrollTo(0, 0)")
        no_sideways_scroll(page)
        IMAGES.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(IMAGES / "portal-today-phone.png"), full_page=True)

        page.click("text=Log a session")
        page.wait_for_selector("#portal-form")
        no_sideways_scroll(page)
        box = page.locator("button.big").bounding_box()
        assert box is not None
        assert box["height"] >= 44  # a thumb-sized target
        page.fill("#f-baseline_pain", "1")
        for item in first:
            ident = item["exercise_id"]
            field, top = top_of_range(ident)
            page.fill(f'[id="f-ex.{ident}.{field}"]', str(top))
            page.fill(f'[id="f-ex.{ident}.pain"]', "1")
        assert page.get_attribute(f'[id="f-ex.{first[0]["exercise_id"]}.pain"]', "inputmode") == "numeric"

        # a pain left out: the form comes back with the message next to that field and the other values kept
        missing = f"ex.{first[-1]['exercise_id']}.pain"
        page.fill(f'[id="f-{missing}"]', "")
        page.click("button.big")
        message = page.locator(f'[id="e-{missing.replace(".", "-")}"]')
        message.wait_for(state="visible")
        assert "give your pain during it" in message.inner_text()
        assert page.input_value(f'[id="f-ex.{first[0]["exercise_id"]}.pain"]') == "1"
        with clinic.database.session() as s:
            assert repo.list_logs(s, a) == []
        page.fill(f'[id="f-{missing}"]', "1")

        # the phone loses its connection at the first send
        context.set_offline(True)
        page.click("button.big")
        status = page.locator(".send-status.failed")
        status.wait_for(state="visible")
        assert "Not sent" in status.inner_text()
        assert page.input_value(f'[id="f-ex.{first[0]["exercise_id"]}.pain"]') == "1"  # the values are kept
        draft = page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('glutemed-draft:'))")
        assert len(draft) == 2  # the draft and the pointer to it
        context.set_offline(False)
        page.click("button.big")
        page.wait_for_url(f"**/runners/{a}/logs/*")
        assert page.locator("h1").inner_text() == "Exercise session (3 exercises)"
        with clinic.database.session() as s:
            logs = repo.list_logs(s, a)
        assert len(logs) == 1
        assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('glutemed-draft:'))") == []

        # the next morning, the day page asks how it feels
        page.goto(f"/today?day={TUESDAY.isoformat()}")
        assert page.locator("#portal-form h2").inner_text() == "This morning"
        no_sideways_scroll(page)
        page.fill("#f-pain_0_10", "1")
        page.fill("#f-stiffness_0_10", "1")
        page.click("#portal-form button.big")
        page.wait_for_url(f"**/runners/{a}/logs/{logs[0].id}")
        assert "Next morning: pain 1 out of 10, stiffness 1 out of 10" in page.content()
        verdicts = page.locator(".decision .verdict").all_inner_texts()
        assert verdicts == ["A bit harder next time"] * len(first)
        no_sideways_scroll(page)
        page.screenshot(path=str(IMAGES / "portal-decision-phone.png"), full_page=True)
        with clinic.database.session() as s:
            rows = repo.list_decisions(s, a, training_log_id=logs[0].id)
        assert {r.action for r in rows} == {"progress"}
        for row in rows:
            assert row.data["dose_after"]["text"] in page.locator("body").inner_text()

        # a run typed half-way, then the page is reloaded (the phone killed the tab): the draft comes back
        page.goto(f"/runners/{a}/log/run?day={TUESDAY.isoformat()}")
        key = page.input_value('input[name="client_key"]')
        page.fill("#f-distance_km", "7.5")
        page.fill("#f-duration_min", "44")
        page.reload()
        assert page.input_value("#f-distance_km") == "7.5"
        assert page.input_value("#f-duration_min") == "44"
        assert page.input_value('input[name="client_key"]') == key  # the same key: a resend stores one run
        assert "had not sent yet" in page.locator(".send-status").inner_text()
        no_sideways_scroll(page)
        page.fill("#f-pain_during_0_10", "0")
        page.click("button.big")
        page.wait_for_url(f"**/runners/{a}/logs/*")
        assert "Run of 7.5 km in 44 min" in page.content()
        with clinic.database.session() as s:
            runs = repo.list_logs(s, a, kind="run")
        assert [r.client_key for r in runs] == [key]
    finally:
        context.close()
