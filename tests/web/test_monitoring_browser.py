"""The clinician's progress page in a real browser (Debian's Chromium through Playwright, the app under uvicorn):
sessions logged through the runner portal's service appear as points on the pain chart, at the height of their
pain. A screenshot of the page goes to docs/images/clinician-progress.png.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from tests.web.conftest import PASSWORD
from tests.web.test_browser_flow import DESKTOP, LiveServer
from tests.web.test_portal_service import MONDAY, first_phase_session, portal_clinic

from glutemed.db.models import ProgramRecord
from glutemed.reports.monitoring_charts import DURING_COLOUR, MORNING_COLOUR
from glutemed.services import portal

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "images" / "clinician-progress.png"
DAYS = (0, 2, 4, 7, 11)  # Monday, Wednesday, Friday; Monday and Friday of the next week
PAINS = (1.0, 3.0, 6.0, 2.0, 2.0)  # pain during
MORNINGS = (1.0, 2.0, 4.0, 2.0, 1.0)

pytestmark = pytest.mark.slow


def _centre_y(box: dict[str, float]) -> float:
    return box["y"] + box["height"] / 2


def test_the_clinician_sees_the_logged_points_on_the_pain_chart(
    tmp_path: Path, chromium_browser: Any
) -> None:
    clinic = portal_clinic(tmp_path, sign_in=False)
    runner_id = clinic.ids["A"]
    with clinic.database.write() as s:
        program = s.get(ProgramRecord, clinic.ids["programA"])
        assert program is not None
        program.published_at = dt.datetime.combine(MONDAY, dt.time(8), tzinfo=dt.UTC)  # the plan starts then
        for i, (offset, pain, morning) in enumerate(zip(DAYS, PAINS, MORNINGS, strict=True)):
            day = MONDAY + dt.timedelta(days=offset)
            session = first_phase_session(day, pain=pain)
            portal.log_session(s, runner_id, session, client_key=f"k{i}", morning_pain_0_10=morning)
    server = LiveServer.start(clinic.app, clinic.database, tmp_path, worker=False)
    context = chromium_browser.new_context(viewport=DESKTOP, base_url=server.url)
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto("/sign-in")
        page.fill('input[name="email"]', "clin1@t.test")
        page.fill('input[name="password"]', PASSWORD)
        page.click('form[action="/sign-in"] button[type="submit"]')
        page.wait_for_url("**/dashboard")
        page.click("text=Attention")
        page.wait_for_url("**/attention")
        page.goto(f"/runners/{runner_id}")
        page.click("text=Progress charts")
        page.wait_for_url("**/progress")
        chart = page.locator("figure.chart").first
        assert "Pain chart" in (chart.get_attribute("aria-label") or "")
        during = chart.locator(f'svg use[style*="fill: {DURING_COLOUR}"]')
        morning = chart.locator(f'svg use[style*="fill: {MORNING_COLOUR}"]')
        assert during.count() == len(PAINS) + 1  # one per logged session, one in the legend
        assert morning.count() == len(MORNINGS) + 1
        boxes = [during.nth(i).bounding_box() for i in range(len(PAINS))]
        assert all(b is not None and b["width"] > 0 for b in boxes)
        ys = [_centre_y(b) for b in boxes if b is not None]
        xs = [b["x"] for b in boxes if b is not None]
        assert xs == sorted(xs)  # later days further right
        # on screen, the distance between points is proportional to the difference in pain
        per_point = (ys[0] - ys[1]) / (PAINS[1] - PAINS[0])
        assert per_point > 0
        assert ys[1] - ys[2] == pytest.approx(per_point * (PAINS[2] - PAINS[1]), rel=0.02)
        assert "highest 6/10" in (chart.get_attribute("aria-label") or "")
        adherence = page.locator("figure.chart").nth(1)
        assert "week of 2 Nov 2026: 3 of 3; week of 9 Nov 2026: 2 of 3" in (
            adherence.get_attribute("aria-label") or ""
        )
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.set_viewport_size({"width": 1280, "height": 1500})
        page.screenshot(path=str(SCREENSHOT), full_page=False)
    finally:
        context.close()
        server.stop()
        clinic.database.dispose()
