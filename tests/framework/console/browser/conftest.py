"""Fixtures of the console's browser tests: Debian's Chromium through Playwright, a real emulator, and the
module server with its consoles on a SQLite file.

A package of its own, with package-scoped Playwright: Playwright's sync API keeps an event loop running in
this thread until it stops, which would break the async tests collected after these ones.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser

from linemod.framework.app import ModuleApp
from linemod.framework.settings import Settings
from linemod.framework.storage.database import Database
from tests.framework.helpers import ThreadedServer, free_port
from tests.support.browser import chromium_session

SCREENSHOTS = Path(__file__).resolve().parents[4] / "docs" / "screenshots"
PASSWORD = "correct horse battery"


def in_thread(make: Callable[[], Any]) -> Any:
    """Run a coroutine to completion on a thread of its own (this thread's loop belongs to Playwright)."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["value"] = asyncio.run(make())
        except BaseException as exc:  # handed to the caller
            result["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    if "error" in result:
        raise result["error"]
    return result.get("value")


@pytest.fixture(scope="package")
def chromium() -> Iterator[Browser]:
    with chromium_session(timeout_ms=15_000) as browser:
        yield browser


@dataclass
class Site:
    """The emulator, the module server and what the test made on them."""

    emulator: str
    base: str
    app: ModuleApp
    emu: httpx.Client
    channel: dict[str, Any]
    failing: dict[str, bool] = field(default_factory=lambda: {"on": False})

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = self.emu.request(method, path, **kwargs)
        assert answer.status_code < 300, (path, answer.status_code, answer.text)
        return answer.json() if answer.content else None

    def flush(self) -> None:
        self.control("POST", "/_emulator/deliveries/flush", json={"timeout_seconds": 10})

    def create_staff(self, email: str) -> None:
        async def make() -> None:
            admin = ModuleApp(self.app.settings)
            await admin.start(workers=False, intake=False)
            try:
                await admin.console.services().accounts.create_staff(email, PASSWORD)
            finally:
                await admin.stop()

        in_thread(make)

    def shot(self, page: Any, name: str) -> None:
        """Photograph a page for the README when LINEMOD_SCREENSHOTS=1 (docs/screenshots/console-*.png)."""
        if os.environ.get("LINEMOD_SCREENSHOTS"):
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"console-{name}.png"), full_page=True)


def module_app(settings: Settings, failing: dict[str, bool]) -> ModuleApp:
    """A module with one handler that fails while told to (to make dead letters) and one extension page."""
    from fastapi.responses import Response

    from linemod.framework.console import ConsoleContext, Field

    app = ModuleApp(settings)

    @app.on_message(text="予約したい")
    async def reserve(ctx, event) -> None:  # type: ignore[no-untyped-def]
        if failing["on"]:
            raise RuntimeError("the reservation table is locked")

    @app.console.page("/reservations", title="予約")
    async def reservations(cx: ConsoleContext) -> Response:
        return cx.render(
            "console/settings_form.html",
            {
                "form": app.console.forms["booking"],
                "values": await app.console.read_settings(cx.db, cx.tenant.bot_id, "booking"),
                "errors": {},
            },
        )

    app.console.settings_form(
        "booking",
        title="予約の設定",
        fields=[
            Field.integer("slot_minutes", "枠の長さ（分）", default=30, min=5, max=240),
            Field.boolean("same_day", "当日の予約を受け付ける", default=True),
        ],
    )
    return app


@pytest.fixture
def site(line_emulator: str, tmp_path: Path) -> Iterator[Site]:
    emu = httpx.Client(base_url=line_emulator, timeout=20)
    emu.post("/_emulator/reset").raise_for_status()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    channel = emu.post(
        "/_emulator/module-channels",
        json={
            "name": "かんたん予約",
            "description": "LINEで店舗の予約を受け付けます。",
            "webhook_url": f"{base}/webhook",
            "redirect_uris": [f"{base}/attach/callback"],
        },
    ).json()
    url = f"sqlite+aiosqlite:///{tmp_path}/console.db"
    in_thread(lambda: _migrate(url))
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        channel_id=channel["channel_id"],
        channel_secret=channel["channel_secret"],
        line_base_url=line_emulator,
        public_base_url=base,
        database_url=url,
        development=True,
        reconcile_interval_seconds=0,
        worker_poll_seconds=0.05,
        retry_base_seconds=0.05,
        retry_max_seconds=0.1,
        max_attempts=2,
        api_retry_base_seconds=0.05,
    )
    failing = {"on": False}
    app = module_app(settings, failing)
    with ThreadedServer(app.asgi(), port=port):
        yield Site(line_emulator, base, app, emu, channel, failing)
    emu.close()


async def _migrate(url: str) -> None:
    db = Database(url)
    try:
        await db.upgrade()
    finally:
        await db.dispose()
