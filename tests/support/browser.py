"""Debian's Chromium through Playwright, for every page test.

Package-scoped fixtures build on `chromium_session()`: Playwright's sync API keeps an event loop
running in this thread until it stops, which would break async tests collected after the page tests,
so each page-test package starts and stops its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

CHROMIUM = os.environ.get("LINEMOD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@contextmanager
def chromium_session(timeout_ms: int = 10_000) -> Iterator[Browser]:
    """A headless Chromium. Missing, the page tests fail and say how to install it: a run that never opened
    the pages must not read as "all passed" (`make test` installs it, see scripts/browser-deps.sh)."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"no Chromium at {CHROMIUM}: run `bash scripts/browser-deps.sh` (Debian: apt-get install chromium "
            "fonts-noto-cjk), or set LINEMOD_CHROMIUM"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        expect.set_options(timeout=timeout_ms)
        try:
            yield browser
        finally:
            browser.close()
