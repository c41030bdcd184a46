"""A running world for end-to-end tests: the emulator plays LINE, the OA admin, the operator and the customers
through its control API; the reservation module runs under uvicorn on loopback with its own database."""

from __future__ import annotations

import asyncio
import itertools
import re
import threading
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import uvicorn

from linemod.framework.storage.database import Database
from linemod_reservation import create_app
from linemod_reservation.clock import FollowingClock
from linemod_reservation.slots import ShopRules, default_hours
from tests.framework.helpers import POSTGRES_URL, loopback_settings, make_settings, postgres_available
from tests.support.servers import free_port

__all__ = ["POSTGRES_URL", "Operator", "Person", "Server", "World", "free_port", "postgres_available", "upgrade"]


async def upgrade(url: str, schema: str | None = None) -> None:
    """Migrate the database at `url` as a deployment does: the reservation app's `upgrade_database()` (what
    `linemod db upgrade linemod_reservation.main:app` runs), the framework's tables, then the module's."""
    await create_app(make_settings(database_url=url, database_schema=schema)).upgrade_database()


class Server:
    """An ASGI app under uvicorn in a thread (its own event loop), on a loopback port."""

    def __init__(self, app: Any, port: int) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
        self.server = uvicorn.Server(config)
        self.server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the module server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


def wait_until(predicate: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout}s (last: {value!r})")
        time.sleep(0.05)


def open_day(days_ahead: int = 2) -> date:
    """The first day at least `days_ahead` from today that the default hours open (not a Tuesday)."""
    rules = ShopRules(hours=default_hours())
    day = date.today() + timedelta(days=days_ahead)
    while not rules.is_open(day):
        day += timedelta(days=1)
    return day


class Person:
    """A customer, as the emulator's control API plays them."""

    def __init__(self, world: World, user: dict[str, Any]) -> None:
        self.world = world
        self.user_id: str = user["user_id"]
        self.name: str = user["display_name"]
        self.line_id = ""  # the L… ID the module sees

    @property
    def chat_path(self) -> str:
        return f"/_emulator/accounts/{self.world.bot_id}/chats/{self.user_id}"

    def follow(self) -> list[dict[str, Any]]:
        before = len(self.from_module())
        ids = self.world.control(
            "POST", f"/_emulator/accounts/{self.world.bot_id}/friends", json={"user_id": self.user_id}
        )["ids"]
        self.line_id = ids[self.world.channel["channel_id"]]
        return self.replies_after(before)

    def messages(self) -> list[dict[str, Any]]:
        return self.world.control("GET", f"{self.chat_path}/messages")["messages"]  # type: ignore[no-any-return]

    def from_module(self) -> list[dict[str, Any]]:
        return [m["message"] for m in self.messages() if m["from"].startswith("channel:")]

    def replies_after(self, before: int, count: int = 1, timeout: float = 15) -> list[dict[str, Any]]:
        """Wait for `count` new messages from the module (after `before` of them) and return the new ones."""
        self.world.flush()
        found = wait_until(
            lambda: (lambda got: got[before:] if len(got) >= before + count else None)(self.from_module()),
            timeout,
            f"{count} module message(s) for {self.name}",
        )
        return found  # type: ignore[no-any-return]

    def _act(self, call: Callable[[], Any], count: int = 1) -> list[dict[str, Any]]:
        before = len(self.from_module())
        call()
        return self.replies_after(before, count)

    def say(self, text: str, count: int = 1) -> list[dict[str, Any]]:
        return self._act(
            lambda: self.world.control("POST", f"{self.chat_path}/messages", 202, json={"type": "text", "text": text}),
            count,
        )

    def tap(self, action: dict[str, Any], params: dict[str, Any] | None = None, count: int = 1) -> list[dict]:
        """Tap an action object (quick reply, Flex button) as the LINE app does."""
        body: dict[str, Any] = {"action": action}
        if params is not None:
            body["params"] = params
        return self._act(lambda: self.world.control("POST", f"{self.chat_path}/actions", 202, json=body), count)

    def tap_menu(self, area: int, count: int = 1) -> list[dict[str, Any]]:
        return self._act(
            lambda: self.world.control("POST", f"{self.chat_path}/richmenu-tap", 202, json={"area": area}), count
        )

    def richmenu(self) -> dict[str, Any]:
        return self.world.control("GET", f"{self.chat_path}/richmenu")  # type: ignore[no-any-return]


def quick(message: dict[str, Any], label_part: str) -> dict[str, Any]:
    """The action of the quick reply whose label contains `label_part`."""
    items = message.get("quickReply", {}).get("items", [])
    for item in items:
        if label_part in (item["action"].get("label") or ""):
            return item["action"]  # type: ignore[no-any-return]
    raise AssertionError(f"no quick reply {label_part!r} in {[i['action'].get('label') for i in items]}")


def flex_button(message: dict[str, Any], label_part: str) -> dict[str, Any]:
    """The action of a Flex button whose label contains `label_part` (anywhere in the bubble/carousel)."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "button" and label_part in node["action"].get("label", ""):
                found.append(node["action"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message.get("contents"))
    assert found, f"no Flex button {label_part!r}"
    return found[0]


class Operator:
    """An operator's browser on the module's console: cookies kept, the CSRF token of the last page sent."""

    CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
    numbers = itertools.count(1)

    def __init__(self, world: World) -> None:
        self.world = world
        self.http = httpx.Client(base_url=world.base, timeout=30, follow_redirects=True)
        self.token = ""
        self.email = ""

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        answer = self.http.get(path, **kwargs)
        found = self.CSRF.search(answer.text)
        if found:
            self.token = found.group(1)
        return answer

    def post(self, path: str, data: dict[str, Any] | None = None) -> httpx.Response:
        answer = self.http.post(path, data={**(data or {}), "csrf_token": self.token})
        found = self.CSRF.search(answer.text)
        if found:
            self.token = found.group(1)
        return answer

    def sign_in(self) -> Operator:
        from linemod_reservation.console import create_demo_operator

        email = f"owner{next(self.numbers)}@cafe-sakura.example"  # a new account each time: its password is known
        account = self.world.in_server(create_demo_operator, self.world.app, self.world.bot_id, email)
        self.email = account["email"]
        self.get("/console/signin")
        page = self.post("/console/signin", {"email": account["email"], "password": account["password"]})
        assert page.status_code == 200 and account["email"] in page.text, page.text[:500]
        return self

    def oa(self, path: str = "") -> str:
        return f"/console/oas/{self.world.bot_id}{path}"

    def save_booking_rules(self, **values: int) -> httpx.Response:
        """Save the booking rules form ("settings/booking"): `values` over the defaults."""
        fields = {"slot_minutes": 60, "capacity": 8, "lead_minutes": 60, "max_party": 6, "days_ahead": 60, **values}
        self.get(self.oa("/settings/booking"))
        return self.post(self.oa("/settings/booking"), {name: str(value) for name, value in fields.items()})


class World:
    """The emulator, a module channel, an OA 「カフェ さくら」, customers, and the module serving that channel."""

    def __init__(self, emulator_url: str, db: Database, *, follow: bool = False, **settings: Any) -> None:
        self.emu = httpx.Client(base_url=emulator_url, timeout=30)
        self.emulator_url = emulator_url
        self.db = db
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.control("POST", "/_emulator/reset")
        self.channel = self.control(
            "POST",
            "/_emulator/module-channels",
            201,
            json={
                "name": "Reservation",
                "webhook_url": f"{self.base}/webhook",
                "redirect_uris": [f"{self.base}/attach/callback"],
            },
        )
        self.account = self.control("POST", "/_emulator/accounts", 201, json={"display_name": "カフェ さくら"})
        self.bot_id: str = self.account["bot_id"]
        self.settings = loopback_settings(self.channel, emulator_url, self.base, db, **settings)
        self.clock = FollowingClock()
        # follow: the module polls the emulator's clock (as in `linemod demo`), for tests that move it on a page
        self.app = create_app(self.settings, clock=self.clock, follow_emulator=emulator_url if follow else None)
        self.server = Server(self.app.asgi(), self.port)
        self.browser = httpx.Client(base_url=self.base, timeout=30)

    def control(self, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
        response = self.emu.request(method, path, **kwargs)
        assert response.status_code == expect, (method, path, response.status_code, response.text)
        return response.json() if response.content else None

    def flush(self) -> None:
        self.control("POST", "/_emulator/deliveries/flush", json={"timeout_seconds": 20})

    def attach(self) -> None:
        """The OA admin's browser: module start page → consent (approve) → module callback."""
        start = self.browser.get("/attach/start")
        assert start.status_code == 302, start.text
        answer = self.control(
            "POST",
            "/_emulator/authorize",
            json={"authorize_url": start.headers["location"], "bot_id": self.bot_id, "decision": "approve"},
        )
        redirect = urlsplit(answer["redirect_url"])
        page = self.browser.get(redirect.path, params=dict(parse_qsl(redirect.query)))
        assert page.status_code == 200 and 'data-attach-result="complete"' in page.text, page.text
        self.flush()

    async def settled(self, timeout: float = 15) -> None:
        """Wait until every stored webhook event has been processed and committed: a reply reaches the
        customer before its handler's transaction commits, so read the database only after this."""
        from sqlalchemy import text

        self.flush()
        deadline = time.monotonic() + timeout
        while True:
            async with self.db.session() as session:
                busy = await session.scalar(text("SELECT COUNT(*) FROM events WHERE status IN ('pending', 'running')"))
            if not busy:
                return
            assert time.monotonic() < deadline, f"{busy} event(s) still being processed"
            await asyncio.sleep(0.05)

    async def shop_ready(self, timeout: float = 15) -> None:
        """Wait until the `attached` handler has committed the shop (it runs after the attach returns)."""
        from linemod_reservation.models import Shop

        deadline = time.monotonic() + timeout
        while True:
            async with self.db.session() as session:
                shop = await session.get(Shop, self.bot_id)
            if shop is not None and shop.rich_menu_id:
                return
            assert time.monotonic() < deadline, "the shop was not set up"
            await asyncio.sleep(0.05)

    def booking_rules(self, **values: int) -> None:
        """The owner changes the booking rules in the console (the form's save hook runs as in production)."""
        operator = Operator(self).sign_in()
        saved = operator.save_booking_rules(**values)
        assert saved.status_code == 200 and "設定を保存しました。" in saved.text, saved.text[:500]
        operator.http.close()

    def person(self, name: str = "山田 花子", language: str = "ja") -> Person:
        user = self.control("POST", "/_emulator/users", 201, json={"display_name": name, "language": language})
        return Person(self, user)

    def in_server(self, call: Callable[..., Any], *args: Any) -> Any:
        """Run `await call(*args)` in the module server's event loop (where its LINE clients live), as a
        console request would, and return the result."""
        worker = self.app.worker
        assert worker is not None and worker._task is not None
        future = asyncio.run_coroutine_threadsafe(call(*args), worker._task.get_loop())
        return future.result(30)

    def advance(self, seconds: float) -> int:
        """Move the emulator's clock, and the module's with it."""
        now = int(self.control("POST", "/_emulator/clock/advance", json={"seconds": seconds})["now_ms"])
        self.clock.catch_up(now)
        return now

    def close(self) -> None:
        self.browser.close()
        self.emu.close()
