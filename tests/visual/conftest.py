"""Real-browser and PDF checks of every report glutemed writes (issue 12): the harness.

The reports are made for real, once per session, by the commands a user runs (``glutemed demo``, ``glutemed
load``, ``glutemed program`` on a runner with red flags, for the runner and for the clinician), all started
together so the short ones run while the demo analyses its video. Each HTML page is opened in Debian's Chromium through Playwright at desktop
and phone width, screenshotted, and measured in the page; each PDF is rendered to PNG with poppler and its
words are located on the page. Everything lands in ``test-artifacts/visual/`` at the repository root (git
ignores it) so people can look at what the tests saw.

Nothing is mocked and nothing downloads: the browser is the system's own (``chromium`` from Debian, which
``make test`` installs when missing) and Playwright only drives it.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "visual"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
# Root in CI, no display, a closed network: without the background-networking flags Chromium keeps trying to
# reach Google's hosts. Playwright starts it headless with a fresh temporary profile of its own (it refuses
# a --user-data-dir argument), so no profile is shared between runs.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
COMMAND_TIMEOUT_S = 600
PDF_DPI = 50
PDF_EDGE_PT = 6.0  # a word this close to a page edge has run through the margin (the reports use 1-1.3 cm)
PNG_EDGE_PX = 4  # at 50 dpi, 2 mm: the rightmost strip of a rendered page must be blank paper
INSTALL_HINT = "run `make test` (it installs them) or `apt-get install chromium poppler-utils`"


class Command:
    """One glutemed command started in the background; :meth:`problem` waits for it (once) and says what went
    wrong, if anything: a wrong exit code, with the end of its log."""

    def __init__(self, args: list[str], cwd: Path, log: Path, expected_rc: int) -> None:
        self.args, self.log, self.expected_rc = args, log, expected_rc
        with log.open("wb") as sink:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "glutemed", *args], cwd=cwd, stdout=sink, stderr=subprocess.STDOUT
            )
        self._problem: str | None = None
        self._done = False

    def problem(self) -> str | None:
        if not self._done:
            try:
                rc = self._proc.wait(timeout=COMMAND_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                rc = self._proc.wait()
            self._done = True
            if rc != self.expected_rc:
                lines = self.log.read_text(errors="replace").splitlines()
                tail = "\n".join(line for line in lines if not line.startswith(("W0000", "I0000")))[-2000:]
                self._problem = (
                    f"`glutemed {' '.join(self.args)}` exited {rc}, not {self.expected_rc}:\n{tail}"
                )
        return self._problem

    def stop(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()


@dataclass(frozen=True)
class Report:
    """One report as its command writes it: the HTML page and, where the command writes one, the PDF."""

    name: str
    command: Command
    html: Path
    pdf: Path | None

    def require(self, path: Path | None) -> Path:
        """Wait for the command; the file, or a test failure saying why the command did not write it. A
        command that fails fails only the checks of its own reports."""
        problem = self.command.problem()
        if problem:
            pytest.fail(f"{self.name}: {problem}")
        if path is None or not path.is_file():
            pytest.fail(f"{self.name}: the command did not write {path}")
        return path


@dataclass(frozen=True)
class PageCheck:
    """What the browser saw of one HTML page at one viewport."""

    screenshot: Path
    inner_width: int
    scroll_width: int
    wide_elements: list[str]  # outermost elements reaching past the viewport, not clipped by a scroller
    wide_tables: list[dict[str, Any]]  # tables wider than their container, or (scrolling) than the page
    broken_images: list[str]
    split_words: list[str]  # words broken over two lines without a hyphen
    headings: list[str]
    text: str  # document.body.innerText: what a reader sees

    @property
    def scrolls_sideways(self) -> bool:
        return self.scroll_width > self.inner_width


@dataclass(frozen=True)
class PdfCheck:
    """A PDF rendered page by page, with the words that run off (or to the very edge of) a page."""

    pages: int
    pngs: list[Path]
    off_page_words: list[str]
    pages_inked_at_right_edge: list[int]
    text: str


# Measured inside the page. A table in a horizontally scrolling wrapper may be wider than the wrapper (that
# is what the wrapper is for), but the wrapper itself must then fit the page.
_MEASURE_JS = """
() => {
  const vw = window.innerWidth;
  const describe = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    if (typeof el.className === 'string' && el.className.trim())
      s += '.' + el.className.trim().split(/\\s+/).join('.');
    const t = (el.innerText || el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 60);
    return t ? `${s} "${t}"` : s;
  };
  const scroller = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== 'visible') return p;
    }
    return null;
  };
  const fits = (r) => r.right <= vw + 1;  // only the right edge scrolls (off-screen-left skip links are fine)
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if ((r.width === 0 && r.height === 0) || fits(r)) continue;
    const box = scroller(el);
    if (box && fits(box.getBoundingClientRect())) continue;
    if (wide.some((w) => w.contains(el))) continue;
    wide.push(el);
    if (wide.length >= 20) break;
  }
  const tables = [];
  for (const t of document.querySelectorAll('table')) {
    const r = t.getBoundingClientRect();
    const p = t.parentElement;
    const cs = getComputedStyle(p);
    const room = p.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    const scrolls = cs.overflowX === 'auto' || cs.overflowX === 'scroll';
    const visible = scrolls ? p.getBoundingClientRect() : r;
    if ((r.width > room + 1 && !scrolls) || !fits(visible))
      tables.push({table: describe(t), width: Math.round(r.width), container: Math.round(room), scrolls});
  }
  // A word split over two lines with no hyphen ("appoi|ntment"): word-break/overflow-wrap squeezing a column.
  const split = [];
  const range = document.createRange();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n && split.length < 20; n = walker.nextNode()) {
    const word = /[A-Za-z]{3,}/g;
    for (let m = word.exec(n.data); m && split.length < 20; m = word.exec(n.data)) {
      range.setStart(n, m.index);
      range.setEnd(n, m.index + m[0].length);
      const lines = new Set(Array.from(range.getClientRects()).filter((r) => r.width > 0)
        .map((r) => Math.round(r.top)));
      if (lines.size > 1) split.push(m[0]);
    }
  }
  return {
    innerWidth: vw,
    split,
    scrollWidth: document.documentElement.scrollWidth,
    wide: wide.map(describe),
    tables,
    broken: Array.from(document.images).filter((i) => i.complete && i.naturalWidth === 0)
      .map((i) => (i.getAttribute('src') || '').slice(0, 80)),
    headings: Array.from(document.querySelectorAll('h1, h2, h3')).map((h) => h.innerText.trim()),
    text: document.body.innerText,
  };
}
"""


def _chromium() -> str:
    found = (
        os.environ.get("GLUTEMED_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not found:
        pytest.fail(f"the visual tests need Debian's Chromium: {INSTALL_HINT}")
    return found


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        pytest.fail(f"the PDF checks need `{name}` from poppler-utils: {INSTALL_HINT}")
    return found


@pytest.fixture(scope="session")
def reports(request: pytest.FixtureRequest) -> Iterator[dict[str, Report]]:
    """Every report the project writes today, made by the real commands into test-artifacts/visual/reports.

    The commands start together and run in the background: checks of the quick reports go on while the demo
    still analyses its video, and each check waits only for the command that writes its report. Only the
    commands whose reports the selected tests look at are started (``-k referral`` does not run the demo)."""
    ARTIFACTS.parent.mkdir(exist_ok=True)
    lock = (ARTIFACTS.parent / ".visual.lock").open("w")
    fcntl.flock(lock, fcntl.LOCK_EX)  # a second test run in the same tree waits instead of clobbering ours
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    for sub in ("reports", "screenshots", "pdf-pages", "logs"):
        (ARTIFACTS / sub).mkdir(parents=True)
    out = ARTIFACTS / "reports"
    demo = out / "demo"
    red_flags = str(REPO / "examples" / "runners" / "red-flags.yaml")
    # command -> (arguments, expected exit code); a red-flag answer stops the program and writes the referral
    # sheet instead, with exit code 3 (read, nothing to build).
    commands = {
        "demo": (["demo", "--out", str(demo)], 0),
        "load": (
            ["load", str(REPO / "tests" / "data" / "activities"), "--report", str(out / "load.html")],
            0,
        ),
    }
    for audience in ("runner", "clinician"):
        html, pdf = str(out / f"referral-{audience}.html"), str(out / f"referral-{audience}.pdf")
        commands[f"referral-{audience}"] = (
            ["program", red_flags, "--referral-for", audience, "--html", html, "--pdf", pdf],
            3,
        )
    # report -> (command, HTML, PDF)
    made_by = {
        "gait-report": ("demo", demo / "report.html", demo / "report.pdf"),
        "runner-summary": ("demo", demo / "runner-summary.html", None),
        "program-handout": ("demo", demo / "program.html", demo / "program.pdf"),
        "training-load": ("load", out / "load.html", None),
        "referral-runner": ("referral-runner", out / "referral-runner.html", out / "referral-runner.pdf"),
        "referral-clinician": (
            "referral-clinician",
            out / "referral-clinician.html",
            out / "referral-clinician.pdf",
        ),
    }
    wanted = {item.callspec.params.get("name") for item in request.session.items if hasattr(item, "callspec")}
    started = {
        command: Command(args, cwd=out, log=ARTIFACTS / "logs" / f"{command}.log", expected_rc=rc)
        for command, (args, rc) in commands.items()
        if any(made_by[name][0] == command for name in wanted if name in made_by)
    }
    yield {
        name: Report(name, started[command], html, pdf)
        for name, (command, html, pdf) in made_by.items()
        if command in started
    }
    for command in started.values():
        command.stop()
    lock.close()


@pytest.fixture(scope="session")
def browser(chromium_browser: Browser) -> Browser:
    """The run's one Chromium (tests/conftest.py), shared with the web app's browser flow."""
    return chromium_browser


@pytest.fixture(scope="session")
def page_check(reports: dict[str, Report], browser: Browser) -> Callable[[str, str], PageCheck]:
    """``page_check(report_name, viewport)``: open, screenshot and measure once; later calls reuse it."""
    seen: dict[tuple[str, str], PageCheck] = {}

    def check(name: str, viewport: str) -> PageCheck:
        if (name, viewport) not in seen:
            html = reports[name].require(reports[name].html)
            seen[name, viewport] = _inspect(browser, html, f"{name}-{viewport}", viewport)
        return seen[name, viewport]

    return check


def _inspect(browser: Browser, html: Path, label: str, viewport: str) -> PageCheck:
    context = browser.new_context(viewport=VIEWPORTS[viewport])  # type: ignore[arg-type]
    try:
        page = context.new_page()
        page.goto(html.as_uri(), wait_until="load")
        shot = ARTIFACTS / "screenshots" / f"{label}.png"
        page.screenshot(path=str(shot), full_page=True)
        got = page.evaluate(_MEASURE_JS)
    finally:
        context.close()
    # Beside the screenshot: the measurements, and the text as a reader sees it (grep it for ids).
    (ARTIFACTS / "screenshots" / f"{label}.json").write_text(
        json.dumps({k: v for k, v in got.items() if k != "text"}, indent=1)
    )
    (ARTIFACTS / "screenshots" / f"{label}.txt").write_text(got["text"])
    return PageCheck(
        screenshot=shot,
        inner_width=got["innerWidth"],
        scroll_width=got["scrollWidth"],
        wide_elements=got["wide"],
        wide_tables=got["tables"],
        broken_images=got["broken"],
        split_words=got["split"],
        headings=got["headings"],
        text=got["text"],
    )


@pytest.fixture(scope="session")
def pdf_check(reports: dict[str, Report]) -> Callable[[str], PdfCheck]:
    """``pdf_check(report_name)``: render every page with ``pdftoppm -r 50`` and locate the words, once."""
    seen: dict[str, PdfCheck] = {}

    def check(name: str) -> PdfCheck:
        if name not in seen:
            seen[name] = _render_pdf(reports[name].require(reports[name].pdf), name)
        return seen[name]

    return check


_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
_WORD = re.compile(r'<word xMin="([-\d.]+)" yMin="([-\d.]+)" xMax="([-\d.]+)" yMax="([-\d.]+)">(.*?)</word>')


def _render_pdf(pdf: Path, name: str) -> PdfCheck:
    prefix = ARTIFACTS / "pdf-pages" / name
    subprocess.run([_tool("pdftoppm"), "-r", str(PDF_DPI), "-png", str(pdf), str(prefix)], check=True)
    pngs = sorted(prefix.parent.glob(f"{name}-*.png"))
    bbox = subprocess.run(
        [_tool("pdftotext"), "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    text = subprocess.run(
        [_tool("pdftotext"), str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    off: list[str] = []
    pages = _PAGE.findall(bbox)
    for number, (width, height, words) in enumerate(pages, start=1):
        w, h = float(width), float(height)
        for x0, y0, x1, y1, word in _WORD.findall(words):
            if (
                float(x0) < PDF_EDGE_PT
                or float(y0) < PDF_EDGE_PT
                or float(x1) > w - PDF_EDGE_PT
                or float(y1) > h - PDF_EDGE_PT
            ):
                off.append(f"page {number}: {word!r} at x {float(x0):.0f}-{float(x1):.0f} of {w:.0f} pt")
    return PdfCheck(
        pages=len(pages),
        pngs=pngs,
        off_page_words=off,
        pages_inked_at_right_edge=[i for i, png in enumerate(pngs, start=1) if _inked_right_edge(png)],
        text=text,
    )


def _inked_right_edge(png: Path) -> bool:
    """True when anything but white paper is drawn in the page's rightmost 2 mm."""
    from PIL import Image  # Pillow comes with WeasyPrint

    with Image.open(png) as image:
        gray = image.convert("L")
        strip = gray.crop((gray.width - PNG_EDGE_PX, 0, gray.width, gray.height))
        darkest = strip.getextrema()[0]
    return isinstance(darkest, int) and darkest < 245
