"""Fixtures shared across test folders.

Playwright's sync API allows one running instance per thread, so the visual checks (tests/visual) and the
browser flow of the web app (tests/web) share one Debian Chromium for the whole run instead of each starting
their own (the second start fails with "using Playwright Sync API inside the asyncio loop").
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (whose own browser download is never used)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(
            "the browser tests need the `playwright` package from the dev extras: pip install -e '.[dev]'"
        )
    from tests.visual.conftest import CHROMIUM_ARGS, _chromium

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=_chromium(), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
