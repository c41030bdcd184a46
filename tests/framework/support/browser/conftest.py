"""Fixtures of the help desk's browser test: Debian's Chromium through Playwright and the module server on a
SQLite file, with two OAs, their owners and provider staff made through the console's own services.

A package of its own with package-scoped Playwright (see tests/framework/console/browser/conftest.py for why).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from playwright.sync_api import Browser, Page

from linemod.framework.accounts.passwords import Passwords
from linemod.framework.app import ModuleApp
from linemod.framework.settings import Settings
from linemod.framework.storage.database import Database
from linemod.framework.tenants.store import BotProfile
from tests.framework.console.browser.conftest import in_thread
from tests.framework.helpers import BOT, OTHER_BOT, ThreadedServer, free_port
from tests.framework.support.pages.conftest import add_subscription
from tests.support.browser import chromium_session

SCREENSHOTS = Path(__file__).resolve().parents[4] / "docs" / "screenshots"
PASSWORD = "correct horse battery"
OWNER = "owner@cafe.example"
RIVAL = "owner@ramen.example"
STAFF = "staff@provider.example"


@pytest.fixture(scope="package")
def chromium() -> Iterator[Browser]:
    with chromium_session(timeout_ms=15_000) as browser:
        yield browser


@dataclass
class DeskSite:
    base: str
    app: ModuleApp

    def shot(self, page: Page, name: str) -> None:
        """Photograph a page for the README when LINEMOD_SCREENSHOTS=1 (docs/screenshots/support-*.png)."""
        if os.environ.get("LINEMOD_SCREENSHOTS"):
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"support-{name}.png"), full_page=True)


def cheap_passwords() -> Passwords:
    return Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def desk_site(tmp_path: Path) -> Iterator[DeskSite]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        channel_id="1234567890",
        channel_secret="s" * 32,
        line_base_url="http://127.0.0.1:9",
        public_base_url=base,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/desk.db",
        development=True,
        reconcile_interval_seconds=0,
        support_sweep_interval_seconds=0,
    )
    in_thread(lambda: _prepare(settings))
    app = ModuleApp(settings)
    app.console.state.passwords = cheap_passwords()
    with ThreadedServer(app.asgi(), port=port):
        yield DeskSite(base, app)


async def _prepare(settings: Settings) -> None:
    db = Database(settings.database_url)
    try:
        await db.upgrade()
    finally:
        await db.dispose()
    admin = ModuleApp(settings)
    admin.console.state.passwords = cheap_passwords()
    await admin.start(workers=False, intake=False)
    try:
        services = admin.console.services()
        oas = ((BOT, "カフェさくら", "@cafe", OWNER), (OTHER_BOT, "らーめん風", "@ramen", RIVAL))
        for bot_id, name, basic_id, owner in oas:
            profile = BotProfile(bot_id, basic_id=basic_id, display_name=name)
            await services.tenants.record_attach(bot_id, ["message:receive", "message:send"], profile)
            await admin.console.create_operator(owner, PASSWORD, bot_id)
        await services.accounts.create_staff(STAFF, PASSWORD)
        await add_subscription(services.db, BOT, "standard", "trialing")
    finally:
        await admin.stop()
