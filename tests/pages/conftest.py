"""Fixtures of the page tests: Debian's Chromium through Playwright, and the stand-in module."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.pages.standin import StandIn, standin_app
from tests.support.browser import chromium_session
from tests.support.servers import Emulator, serve

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    with chromium_session() as browser:
        yield browser


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
