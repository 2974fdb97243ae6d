"""The clinic web flow in a real browser: Debian's Chromium, headless, driven by Playwright, against a real
uvicorn server on 127.0.0.1 (SQLite in a temporary folder, the job worker running in the same process).

A clinician signs in, creates a runner, fills the intake form, uploads the bundled video, watches the job's
progress until it is done, opens the report and publishes the program; the runner then accepts the invitation
on a phone-sized viewport and sees the program. A screenshot of every step goes to test-artifacts/web/.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from tests.web.conftest import PASSWORD, demo_intake_form, make_app

from glutemed.db import accounts
from glutemed.db.engine import Database
from glutemed.db.storage import FileStore
from glutemed.services.jobs import Worker

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "web"
VIDEO = REPO / "src" / "glutemed" / "demo" / "male_side.mp4"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
JOB_TIMEOUT_S = 420.0

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LiveServer:
    """The app under uvicorn in a thread, and one job worker in another; both stopped by :meth:`stop`."""

    url: str
    database: Database
    server: uvicorn.Server
    threads: list[threading.Thread]
    worker: Worker | None

    @classmethod
    def start(cls, app: Any, database: Database, data_dir: Path, *, worker: bool = True) -> LiveServer:
        port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
        server = uvicorn.Server(config)
        threads = [threading.Thread(target=server.run, name="uvicorn", daemon=True)]
        jobs = Worker(database, FileStore(data_dir), poll_s=0.2) if worker else None
        if jobs is not None:
            threads.append(threading.Thread(target=jobs.run, name="glutemed-worker", daemon=True))
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            if time.monotonic() > deadline or not threads[0].is_alive():
                server.should_exit = True
                if jobs is not None:
                    jobs.stop_event.set()
                raise RuntimeError("uvicorn did not start within 30 s")
            time.sleep(0.05)
        return cls(f"http://127.0.0.1:{port}", database, server, threads, jobs)

    def stop(self) -> None:
        self.server.should_exit = True
        if self.worker is not None:
            self.worker.stop_event.set()
        for thread in self.threads:
            thread.join(timeout=60)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    app, database = make_app(tmp_path)
    with database.write() as s:
        clinic = accounts.create_clinic(s, "Browser clinic")
        accounts.create_user(
            s,
            email="clinician@browser.test",
            display_name="Dr Browser",
            password=PASSWORD,
            role="clinician",
            clinic_id=clinic.id,
        )
    server = LiveServer.start(app, database, tmp_path)
    yield server
    server.stop()
    database.dispose()


@pytest.fixture
def pw_browser(chromium_browser: Any) -> Any:
    """The run's one Chromium (tests/conftest.py): Playwright's sync API allows one instance per thread."""
    return chromium_browser


class Shots:
    """Numbered full-page screenshots of each step, in test-artifacts/web/."""

    def __init__(self) -> None:
        shutil.rmtree(ARTIFACTS, ignore_errors=True)
        ARTIFACTS.mkdir(parents=True)
        self.count = 0

    def __call__(self, page: Any, step: str) -> Path:
        self.count += 1
        path = ARTIFACTS / f"{self.count:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


def fill_intake(page: Any, answers: dict[str, Any]) -> None:
    """Answer the intake form as a person would: type numbers and text, pick options, tick boxes."""
    for name, value in answers.items():
        if isinstance(value, list):
            for choice in value:
                page.locator(f'input[name="{name}"][value="{choice}"]').check()
            continue
        field = page.locator(f'[name="{name}"]')
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(str(value))
        else:
            field.fill(str(value))


def watch_job(page: Any, shot: Shots, label: str) -> set[str]:
    """Watch the job page's live progress (HTMX polls it) until done; screenshot it queued, running, done."""
    progress = page.locator("#job-progress")
    shot(page, f"{label}-job-queued")
    seen: set[str] = set()
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while True:
        text = progress.inner_text()
        if "running" in text and "running" not in seen:
            seen.add("running")
            shot(page, f"{label}-job-running")
        if "frame " in text and "frames" not in seen:
            seen.add("frames")
            shot(page, f"{label}-job-frames")
        if "done" in text or "Failed" in text:
            break
        assert time.monotonic() < deadline, f"the {label} job did not finish in {JOB_TIMEOUT_S:.0f} s: {text}"
        page.wait_for_timeout(250)
    assert "Failed" not in text, text
    shot(page, f"{label}-job-done")
    return seen


def test_clinician_to_runner_in_a_browser(live: LiveServer, pw_browser: Any) -> None:  # noqa: PLR0915
    shot = Shots()
    started = time.monotonic()
    clinic = pw_browser.new_context(viewport=DESKTOP, base_url=live.url)
    page = clinic.new_page()
    page.set_default_timeout(30_000)

    # the clinician signs in
    page.goto("/sign-in")
    shot(page, "sign-in")
    page.fill('input[name="email"]', "clinician@browser.test")
    page.fill('input[name="password"]', PASSWORD)
    page.click('form[action="/sign-in"] button[type="submit"]')
    page.wait_for_url("**/dashboard")
    shot(page, "dashboard-empty")

    # creates a runner and gets the invitation link
    page.goto("/runners/new")
    page.fill('input[name="name"]', "Rita Runner")
    page.click('form[action="/runners/new"] button[type="submit"]')
    link = page.locator("#invitation-link").input_value()
    assert "/invite/" in link
    shot(page, "runner-created")
    page.click("text=Open the runner's record")
    page.wait_for_url("**/runners/*")
    runner_url = page.url

    # fills the intake
    page.click("text=New intake")
    page.wait_for_url("**/intake")
    fill_intake(page, demo_intake_form() | {"name": "Rita Runner"})
    shot(page, "intake-filled")
    page.click("text=Save intake")
    page.wait_for_url("**/jobs/*")
    assert "Not saved" not in page.content()
    watch_job(page, shot, "intake")
    page.goto(runner_url)
    shot(page, "intake-saved")

    # uploads the bundled video and watches the job until it is done
    page.select_option("#view", "side")
    page.set_input_files("#gait-files", str(VIDEO))
    page.click("text=Upload and analyse")
    page.wait_for_url("**/jobs/*")
    seen = watch_job(page, shot, "video")
    assert "running" in seen, "the job page never showed the analysis running"

    # opens the report
    page.click("text=Open the assessment and report")
    page.wait_for_url("**/assessments/*")
    shot(page, "assessment")
    # the overlay video decodes in Chromium (WebM, VP8): pressed play (muted, as autoplay rules allow), it
    # reaches HAVE_CURRENT_DATA with a picture of the clip's size and no media error
    overlay = page.locator("video#overlay")
    assert overlay.count() == 1
    assert overlay.locator("source").get_attribute("type") == "video/webm"
    page.evaluate("() => { const v = document.querySelector('video#overlay'); v.muted = true; v.play(); }")
    page.wait_for_function(
        "() => { const v = document.querySelector('video#overlay'); return v.error || v.readyState >= 2; }"
    )
    state = page.evaluate(
        "() => { const v = document.querySelector('video#overlay');"
        " return {ready: v.readyState, error: v.error && v.error.code, w: v.videoWidth, h: v.videoHeight}; }"
    )
    assert state["error"] is None, state
    assert state["ready"] >= 2, state
    assert (state["w"], state["h"]) == (720, 1280), state  # the bundled clip, upright
    shot(page, "assessment-overlay-playing")
    page.goto(runner_url)
    program = page.locator('a[href^="/programs/"]').first
    program.click()
    page.wait_for_url("**/programs/*")
    program_url = page.url
    shot(page, "program-draft")

    # publishes the program
    page.click("text=Publish to the runner")
    page.wait_for_load_state()
    page.goto(program_url)
    assert "published" in page.locator(".meta").inner_text()
    shot(page, "program-published")
    page.goto("/dashboard")
    assert "Rita Runner" in page.inner_text("body")
    shot(page, "dashboard")
    clinic.close()

    # the runner accepts the invitation on a phone and sees the program
    phone = pw_browser.new_context(viewport=PHONE, base_url=live.url, is_mobile=True, has_touch=True)
    mobile = phone.new_page()
    mobile.set_default_timeout(30_000)
    mobile.goto(link)
    shot(mobile, "phone-invitation")
    mobile.fill("#email", "rita@runner.test")
    mobile.fill("#display_name", "Rita")
    mobile.fill("#password", "rita's long password")
    mobile.fill("#repeat", "rita's long password")
    mobile.click("text=Create my account")
    mobile.wait_for_load_state()
    shot(mobile, "phone-home")
    mobile.goto(program_url)
    assert mobile.locator("h1").count() >= 1
    body = (
        mobile.locator("main").inner_text() if mobile.locator("main").count() else mobile.inner_text("body")
    )
    assert "published" in body
    assert "Publish to the runner" not in body
    scroll = mobile.evaluate("document.documentElement.scrollWidth")
    assert scroll <= PHONE["width"] + 1, f"the program page scrolls sideways on a phone ({scroll} px wide)"
    shot(mobile, "phone-program")
    phone.close()
    print(f"browser flow took {time.monotonic() - started:.1f} s; screenshots in {ARTIFACTS}")
