"""Fixtures of the reservation module's browser test: Debian's Chromium through Playwright, the emulator,
and the module on a SQLite file, the module following the emulator's clock as in `linemod demo`.

A package of its own, with package-scoped Playwright: Playwright's sync API keeps an event loop running in
this thread until it stops, which would break the async tests collected after these ones.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from linemod.framework.storage.database import Database
from tests.reservation.world import World, upgrade
from tests.support.browser import chromium_session

SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"


@pytest.fixture(scope="package")
def chromium() -> Iterator[Browser]:
    with chromium_session(timeout_ms=15_000) as browser:
        yield browser


def _migrated(url: str) -> Database:
    # On a thread of its own: this thread's event loop belongs to Playwright.
    failures: list[BaseException] = []
    thread = threading.Thread(target=lambda: _capture(failures, lambda: asyncio.run(upgrade(url))))
    thread.start()
    thread.join(60)
    if failures:
        raise failures[0]
    return Database(url)


def _capture(failures: list[BaseException], call: Callable[[], object]) -> None:
    try:
        call()
    except BaseException as exc:  # handed to the caller's thread
        failures.append(exc)


@pytest.fixture
def site(emulator_url: str, tmp_path: Path) -> Iterator[World]:
    world = World(emulator_url, _migrated(f"sqlite+aiosqlite:///{tmp_path}/reservation.db"), follow=True)
    with world.server:
        yield world
    world.close()


def shot(page: object, name: str) -> None:
    """Photograph a page for the README when LINEMOD_SCREENSHOTS=1 (docs/screenshots/reservation-*.png)."""
    if os.environ.get("LINEMOD_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"reservation-{name}.png"))  # type: ignore[attr-defined]
