"""Fixtures of the page tests: Debian's Chromium through Playwright, and the stand-in module."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from tests.pages.standin import StandIn, standin_app
from tests.support.servers import Emulator, serve

CHROMIUM = os.environ.get("LINEMOD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


# Package scope, not session: Playwright's sync API keeps an event loop running in this thread
# until it stops, which would break every async test collected after the page tests.
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):  # CI installs it (.ci/run): a missing browser there is a failure
            pytest.fail(f"no Chromium at {CHROMIUM} in CI")
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    expect.set_options(timeout=10_000)
    yield browser
    browser.close()


def new_context(browser: Browser, width: int) -> BrowserContext:
    return browser.new_context(viewport={"width": width, "height": 900 if width > 600 else 760}, locale="ja-JP")


@pytest.fixture
def context(browser: Browser, emulator: Emulator) -> Iterator[BrowserContext]:
    context = new_context(browser, 1280)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def standin(emulator_url: str) -> Iterator[StandIn]:
    module = StandIn(emulator_url)
    with serve(standin_app(module)) as url:
        module.url = url
        yield module


class PageClient:
    """The pages over plain HTTP, as a browser without JavaScript would use them (CSRF included)."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=10, follow_redirects=False)
        self.token = ""

    def get(self, path: str, **kwargs: object) -> httpx.Response:
        answer = self.http.get(path, **kwargs)  # type: ignore[arg-type]
        found = CSRF_RE.search(answer.text)
        if found:
            self.token = found.group(1)
        return answer

    def post(self, path: str, data: dict[str, str] | None = None, *, htmx: bool = False) -> httpx.Response:
        if not self.token:
            self.get("/_pages/setup")
        if htmx:
            return self.http.post(path, data=data or {}, headers={"X-CSRF-Token": self.token, "HX-Request": "true"})
        return self.http.post(path, data={**(data or {}), "csrf_token": self.token})


@pytest.fixture
def pages(emulator_url: str, emulator: Emulator) -> Iterator[PageClient]:
    client = PageClient(emulator_url)
    yield client
    client.http.close()
