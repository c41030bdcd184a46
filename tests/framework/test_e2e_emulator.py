"""End to end: a real emulator server and a real framework server on loopback, on SQLite and PostgreSQL.

The emulator plays LINE, the OA admin and the end user; the framework server is `ModuleApp.asgi()` under
uvicorn, with its own database connection and in-process workers.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from linebot.v3.messaging import TextMessage
from sqlalchemy import text

from linemod.framework.app import ModuleApp
from linemod.framework.clock import SystemClock
from linemod.framework.line.apis import LineApis
from linemod.framework.queue.intake import compute_signature
from linemod.framework.settings import Settings
from linemod.framework.tenants.info import TenantInfo
from linemod.framework.tenants.store import TenantStore
from tests.framework.helpers import ThreadedServer, free_port, loopback_settings, wait_for


class Recorder:
    """What the module's handlers saw (they run on the server's thread)."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.lock = threading.Lock()

    def add(self, entry: str) -> None:
        with self.lock:
            self.calls.append(entry)

    def count(self, prefix: str) -> int:
        with self.lock:
            return sum(1 for c in self.calls if c.startswith(prefix))


def build_module(settings: Settings, record: Recorder) -> ModuleApp:
    app = ModuleApp(settings)

    @app.on_lifecycle("attached")
    async def attached(ctx, event) -> None:  # type: ignore[no-untyped-def]
        record.add(f"attached:{','.join(sorted(event.module.scopes))}")

    for kind in ("detached", "suspended", "resumed"):

        @app.on_lifecycle(kind)
        async def lifecycle(ctx, event, kind: str = kind) -> None:  # type: ignore[no-untyped-def]
            record.add(f"{kind}:{ctx.tenant.state}")

    @app.on_activated()
    async def activated(ctx, event) -> None:  # type: ignore[no-untyped-def]
        record.add("activated")

    @app.on_deactivated()
    async def deactivated(ctx, event) -> None:  # type: ignore[no-untyped-def]
        record.add("deactivated")

    @app.on_message(text="release")
    async def release(ctx, event) -> None:  # type: ignore[no-untyped-def]
        await ctx.chat.release()
        record.add("released")

    @app.on_message(text="push")
    async def push(ctx, event) -> None:  # type: ignore[no-untyped-def]
        await ctx.push(TextMessage(text="pushed once"))
        record.add("pushed")

    @app.on_message(text="answer twice, then fail once")
    async def answer_then_fail(ctx, event) -> None:  # type: ignore[no-untyped-def]
        await ctx.reply(TextMessage(text="first answer"))
        await ctx.reply(TextMessage(text="second answer"))
        record.add("answered")
        if record.count("answered") == 1:
            # As a worker killed between its answers and its commit: the event runs again.
            raise RuntimeError("the first try fails after answering")

    @app.on_message(type="text")
    async def echo(ctx, event) -> None:  # type: ignore[no-untyped-def]
        await ctx.reply(TextMessage(text=f"echo: {event.message.text}"))
        await ctx.db.execute(text("INSERT INTO echoes (event_id) VALUES (:e)"), {"e": event.webhook_event_id})
        record.add(f"echo:{event.message.text}")

    @app.on_message(standby=True)
    async def standby(ctx, event) -> None:  # type: ignore[no-untyped-def]
        record.add(f"standby:{ctx.mode}")

    return app


class World:
    """An emulator, a module channel, an OA, a person, and the framework server for that channel."""

    def __init__(self, emulator_url: str, db: Any, module: Callable[[Settings], ModuleApp] | None = None) -> None:
        self.emu = httpx.Client(base_url=emulator_url, timeout=20)
        self.emulator_url = emulator_url
        self.db = db
        self.record = Recorder()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.emu.post("/_emulator/reset").raise_for_status()
        self.channel = self.control(
            "POST",
            "/_emulator/module-channels",
            201,
            json={
                "name": "Echo",
                "webhook_url": f"{self.base}/webhook",
                "redirect_uris": [f"{self.base}/attach/callback"],
            },
        )
        self.account = self.control("POST", "/_emulator/accounts", 201, json={"display_name": "Cafe Sakura"})
        self.bot_id = self.account["bot_id"]
        self.person = self.control("POST", "/_emulator/users", 201, json={"display_name": "Hanako"})
        self.settings = loopback_settings(self.channel, emulator_url, self.base, db)
        self.app = module(self.settings) if module else build_module(self.settings, self.record)
        self.server = ThreadedServer(self.app.asgi(), port=self.port)
        self.browser = httpx.Client(base_url=self.base, timeout=20)
        self.user_id = ""

    def control(self, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
        response = self.emu.request(method, path, **kwargs)
        assert response.status_code == expect, (path, response.status_code, response.text)
        return response.json() if response.content else None

    def flush(self) -> None:
        self.control("POST", "/_emulator/deliveries/flush", json={"timeout_seconds": 10})

    def consent(self, decision: str = "approve", **start_query: str) -> dict[str, str]:
        """The OA admin's browser: start on the module, decide on LINE's screen, come back."""
        start = self.browser.get("/attach/start", params=start_query)
        assert start.status_code == 302, start.text
        answer = self.control(
            "POST",
            "/_emulator/authorize",
            json={
                "authorize_url": start.headers["location"],
                "bot_id": self.bot_id,
                "decision": decision,
            },
        )
        redirect = urlsplit(answer["redirect_url"])
        assert f"{redirect.scheme}://{redirect.netloc}{redirect.path}" == f"{self.base}/attach/callback"
        return dict(parse_qsl(redirect.query))

    def callback(self, query: dict[str, str]) -> httpx.Response:
        return self.browser.get("/attach/callback", params=query)

    def attach(self) -> None:
        page = self.callback(self.consent())
        assert page.status_code == 200, page.text
        assert 'data-attach-result="complete"' in page.text
        self.flush()
        ids = self.control(
            "POST", f"/_emulator/accounts/{self.bot_id}/friends", json={"user_id": self.person["user_id"]}
        )["ids"]
        self.user_id = ids[self.channel["channel_id"]]

    def say(self, message_text: str) -> dict[str, Any]:
        sent = self.control(
            "POST",
            f"/_emulator/accounts/{self.bot_id}/chats/{self.person['user_id']}/messages",
            202,
            json={"type": "text", "text": message_text},
        )
        self.flush()
        return sent  # type: ignore[no-any-return]

    def chat(self) -> list[dict[str, Any]]:
        path = f"/_emulator/accounts/{self.bot_id}/chats/{self.person['user_id']}/messages"
        return self.control("GET", path)["messages"]  # type: ignore[no-any-return]

    def texts_from_module(self) -> list[str]:
        return [m["message"].get("text") for m in self.chat() if m["from"].startswith("channel:")]

    async def wait(self, prefix: str, count: int = 1) -> None:
        await wait_for(lambda: self.record.count(prefix) >= count, timeout=15)

    def server_loop(self) -> asyncio.AbstractEventLoop:
        """The event loop the framework server runs in (to run its coroutines from the test)."""
        assert self.app.worker is not None and self.app.worker._task is not None
        return self.app.worker._task.get_loop()

    async def line(self) -> LineApis:
        apis = LineApis(self.settings, SystemClock())
        await apis.start()
        return apis


@pytest.fixture
def world(line_emulator: str, db) -> Iterator[World]:  # type: ignore[no-untyped-def]
    w = World(line_emulator, db)
    with w.server:
        yield w
    w.browser.close()
    w.emu.close()


@pytest.fixture(autouse=True)
async def echoes_table(db) -> None:  # type: ignore[no-untyped-def]
    async with db.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE echoes (event_id VARCHAR(64))"))


async def tenant(world: World) -> TenantInfo | None:
    return await TenantStore(world.db, SystemClock()).get(world.bot_id)


async def test_attach_through_consent_then_attached_event(world: World) -> None:
    world.attach()
    await world.wait("attached:")
    assert world.record.calls[0] == "attached:message:receive,message:send"
    info = await tenant(world)
    assert info is not None and info.state == "attached"
    assert info.display_name == "Cafe Sakura" and info.basic_id == world.account["basic_id"]
    assert info.scopes == {"message:receive", "message:send"}


async def test_echo_a_users_message(world: World) -> None:
    world.attach()
    world.say("こんにちは")
    await world.wait("echo:")
    await wait_for(lambda: "echo: こんにちは" in world.texts_from_module(), timeout=10)


async def test_redelivered_duplicate_does_not_run_the_handler_twice(world: World, db) -> None:  # type: ignore[no-untyped-def]
    world.attach()
    sent = world.say("once")
    await world.wait("echo:once")
    deliveries = world.control("GET", "/_emulator/deliveries", params={"channel_id": world.channel["channel_id"]})
    [delivery] = [
        d for d in deliveries["deliveries"] if d["body"]["events"][0].get("webhookEventId") in sent["webhook_event_ids"]
    ]
    body = json.dumps(delivery["body"]).encode()  # the delivery log keeps the JSON, not LINE's exact bytes
    headers = {
        "x-line-signature": compute_signature(world.channel["channel_secret"], body),
        "content-type": "application/json",
    }
    for _ in range(2):
        assert world.browser.post("/webhook", content=body, headers=headers).status_code == 200
    await asyncio.sleep(0.5)
    assert world.record.count("echo:once") == 1
    async with db.session() as session:
        assert await session.scalar(text("SELECT COUNT(*) FROM echoes")) == 1
    assert world.texts_from_module().count("echo: once") == 1


async def test_a_handler_run_again_after_answering_does_not_answer_twice(world: World) -> None:
    world.attach()
    world.say("answer twice, then fail once")
    await world.wait("answered", count=2)
    await wait_for(lambda: "second answer" in world.texts_from_module(), timeout=10)
    assert world.texts_from_module() == ["first answer", "second answer"]
    requests = world.control("GET", "/_emulator/requests", params={"limit": 50})["requests"]
    statuses = {
        path: [r["status_code"] for r in requests if r["path"] == path]
        for path in ("/v2/bot/message/reply", "/v2/bot/message/push")
    }
    # The second try's reply finds the token used and stops there; its push repeats the first try's retry key.
    assert sorted(statuses["/v2/bot/message/reply"]) == [200, 400], statuses
    assert sorted(statuses["/v2/bot/message/push"]) == [200, 409], statuses


async def test_release_makes_events_standby_and_acquire_makes_them_active(world: World) -> None:
    world.attach()
    world.say("release")
    await world.wait("released")
    await world.wait("deactivated")
    world.say("are you there?")
    await world.wait("standby:standby")
    assert world.record.count("echo:are you there?") == 0  # a standby event does not reach the echo
    apis = await world.line()
    try:
        tenant_info = await tenant(world)
        assert tenant_info is not None
        await apis.for_tenant(tenant_info).acquire_chat_control(world.user_id, ttl=600)
    finally:
        await apis.close()
    world.flush()
    await world.wait("activated")
    world.say("back")
    await world.wait("echo:back")


async def test_push_after_an_injected_500_is_delivered_exactly_once(world: World) -> None:
    world.attach()
    world.control(
        "POST",
        "/_emulator/faults",
        201,
        json={"method": "POST", "path": "/v2/bot/message/push", "status": 500, "count": 1},
    )
    world.say("push")
    await world.wait("pushed")
    assert world.texts_from_module().count("pushed once") == 1
    requests = world.control("GET", "/_emulator/requests", params={"limit": 50})["requests"]
    pushes = [r for r in requests if r["path"] == "/v2/bot/message/push"]
    assert sorted(r["status_code"] for r in pushes) == [200, 500]


async def test_a_push_retried_with_an_accepted_key_counts_as_success(world: World) -> None:
    world.attach()
    apis = await world.line()
    try:
        tenant_info = await tenant(world)
        client = apis.for_tenant(tenant_info)  # type: ignore[arg-type]
        key = "123e4567-e89b-42d3-a456-426614174000"
        first = await client.push(world.user_id, [TextMessage(text="keyed")], retry_key=key)
        again = await client.push(world.user_id, [TextMessage(text="keyed")], retry_key=key)
    finally:
        await apis.close()
    assert [m.id for m in first.sent_messages] == [m.id for m in again.sent_messages]
    assert world.texts_from_module().count("keyed") == 1


async def test_suspend_resume_and_provider_detach(world: World) -> None:
    world.attach()
    await world.wait("attached:")
    world.control("POST", f"/_emulator/accounts/{world.bot_id}/suspend")
    world.flush()
    await world.wait("suspended:suspended")
    world.control("POST", f"/_emulator/accounts/{world.bot_id}/resume")
    world.flush()
    await world.wait("resumed:attached")
    # provider-side detach, in a second process-like app sharing the database
    admin = ModuleApp(world.settings)
    await admin.start(workers=False, intake=False)
    try:
        await admin.detach(world.bot_id)
        assert (await admin.runtime.tenants.get(world.bot_id)).state == "detached"
        assert await admin.runtime.line.list_attached_bots() == []
    finally:
        await admin.stop()
    world.flush()


async def test_reconciliation_finds_both_kinds_of_difference(world: World, db) -> None:  # type: ignore[no-untyped-def]
    world.attach()
    await world.wait("attached:")
    async with db.transaction() as session:
        await session.execute(text("DELETE FROM tenants"))
        await session.execute(
            text("INSERT INTO tenants (bot_id, state, created_at_ms, updated_at_ms) VALUES (:b, 'attached', 0, 0)"),
            {"b": "U" + "f" * 32},
        )
    admin = ModuleApp(world.settings)
    await admin.start(workers=False, intake=False)
    try:
        report = await admin.sync_tenants(apply=True)
        assert report.unknown_here == [world.bot_id]
        assert report.missing_on_line == ["U" + "f" * 32]
        found = await admin.runtime.tenants.get(world.bot_id)
        assert found.state == "attached" and found.display_name == "Cafe Sakura"
    finally:
        await admin.stop()


async def test_reauthorization_adds_a_scope(world: World) -> None:
    world.attach()
    await world.wait("attached:")
    page = world.callback(world.consent(**{"bot_id": world.bot_id, "add_scope": "profile:read"}))
    assert page.status_code == 200, page.text
    info = await tenant(world)
    assert info is not None and "profile:read" in (info.scopes or set())
    world.flush()
    await world.wait("attached:", 2)


async def test_denied_consent_shows_a_clear_page(world: World) -> None:
    page = world.callback(world.consent("deny"))
    assert page.status_code == 403
    assert 'data-attach-result="denied"' in page.text
    assert await tenant(world) is None


async def test_a_callback_used_twice_or_from_another_browser_is_refused(world: World) -> None:
    query = world.consent()
    stranger = httpx.Client(base_url=world.base)
    other = stranger.get("/attach/callback", params=query)
    assert other.status_code == 400 and 'data-attach-result="state_mismatch"' in other.text
    stranger.close()
    assert world.callback(query).status_code == 200
    again = world.callback(query)
    assert again.status_code == 400 and 'data-attach-result="state_used_or_expired"' in again.text


async def test_an_expired_code_shows_a_clear_page(world: World) -> None:
    query = world.consent()
    world.control("POST", "/_emulator/clock/advance", json={"seconds": 601})
    page = world.callback(query)
    assert page.status_code == 400
    assert 'data-attach-result="code_expired"' in page.text


async def test_an_oa_with_another_default_active_module_shows_a_clear_page(world: World) -> None:
    rival = world.control(
        "POST",
        "/_emulator/module-channels",
        201,
        json={"name": "Rival", "webhook_url": None, "redirect_uris": ["https://rival.example/cb"]},
    )
    code_url = (
        f"{world.emulator_url}/module/auth/v1/authorize?response_type=code&client_id={rival['channel_id']}"
        f"&redirect_uri=https%3A%2F%2Frival.example%2Fcb&scope=message%3Areceive&state=abc"
    )
    answer = world.control(
        "POST", "/_emulator/authorize", json={"authorize_url": code_url, "bot_id": world.bot_id, "decision": "approve"}
    )
    code = dict(parse_qsl(urlsplit(answer["redirect_url"]).query))["code"]
    token = world.emu.post(
        "/module/auth/v1/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": "https://rival.example/cb"},
        auth=(rival["channel_id"], rival["channel_secret"]),
    )
    assert token.status_code == 200, token.text
    page = world.callback(world.consent())
    assert page.status_code == 409
    assert 'data-attach-result="default_active_conflict"' in page.text


async def test_the_periodic_reconciliation_job_detaches_what_line_no_longer_lists(world: World, db) -> None:  # type: ignore[no-untyped-def]
    world.attach()
    await world.wait("attached:")
    ghost = "U" + "e" * 32
    async with db.transaction() as session:
        await session.execute(
            text("INSERT INTO tenants (bot_id, state, created_at_ms, updated_at_ms) VALUES (:b, 'attached', 0, 0)"),
            {"b": ghost},
        )
    scheduler = world.app.runtime.scheduler  # the job runs in the server's worker, as the periodic one does
    asyncio.run_coroutine_threadsafe(scheduler.schedule("linemod.reconcile"), world.server_loop()).result(10)

    async def ghost_detached() -> bool:
        found = await TenantStore(world.db, SystemClock()).get(ghost)
        return found is not None and found.state == "detached"

    await wait_for(ghost_detached, timeout=15)
    assert (await tenant(world)).state == "attached"  # type: ignore[union-attr]
