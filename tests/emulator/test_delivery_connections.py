"""Webhook delivery over real connections (issue 17, choice 49 of docs/emulator-behaviour.md): a POST the receiver
never answered goes again once on a fresh connection and shows in the inspector as two attempts; no webhook is
lost to a connection the receiver closes at the emulator's keep-alive horizon; no import is retried per delivery.
"""

from __future__ import annotations

import asyncio
import importlib
import random
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from linemod.emulator import EmulatorSettings, create_app
from tests.emulator.chats import deliveries
from tests.support.flows import exchange, get_code
from tests.support.servers import Emulator, WebhookReceiver, serve

# ---- a receiver that breaks connections on purpose -----------------------------------------------------------


class BreakingReceiver:
    """A raw HTTP/1.1 server on loopback (its own thread and loop) that breaks the first `breaks` connections
    without a byte of answer, then answers 200 with keep-alive. `how` is "close" (the request is read, then the
    connection is closed: the client reads EOF) or "reset" (closed unread: the kernel answers with a reset)."""

    def __init__(self, breaks: int, how: str) -> None:
        self.breaks, self.how = breaks, how
        self.connections = 0
        self.answered: list[bytes] = []
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        breaking = self.connections <= self.breaks
        try:
            while True:
                if breaking and self.how == "reset":
                    await asyncio.sleep(0.05)  # the request is in the socket's buffer, unread
                    writer.transport.abort()
                    return
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:"))
                body = await reader.readexactly(length)
                if breaking:
                    writer.close()
                    return
                self.answered.append(body)
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}")
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hook"
        self._ready.set()
        self._loop.run_forever()
        server.close()
        for task in asyncio.all_tasks(self._loop):  # connections still open at the end
            task.cancel()
        self._loop.run_until_complete(asyncio.sleep(0))
        self._loop.close()

    @contextmanager
    def running(self) -> Iterator[BreakingReceiver]:
        thread = threading.Thread(target=self._run, daemon=True)
        thread.start()
        assert self._ready.wait(10)
        try:
            yield self
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            thread.join(10)


def attach_accounts(emulator: Emulator, channel: dict[str, Any], count: int) -> tuple[list[str], str]:
    """`count` OAs attached to `channel` with `message:receive`, one person befriending them all."""
    person = emulator.person()["user_id"]
    bots = []
    for index in range(count):
        bot_id = emulator.account(display_name=f"OA {index}")["bot_id"]
        assert exchange(emulator, channel, get_code(emulator, channel["channel_id"], bot_id)).status_code == 200
        emulator.call("POST", f"/_emulator/accounts/{bot_id}/friends", json={"user_id": person}, expect=200)
        bots.append(bot_id)
    emulator.flush()
    return bots, person


def say_once(emulator: Emulator, bot_id: str, person: str) -> None:
    emulator.call("POST", "/_emulator/load/messages", json={"bot_id": bot_id, "user_ids": [person]}, expect=202)


def messages_of(emulator: Emulator, channel_id: str) -> list[dict[str, Any]]:
    logged = emulator.call("GET", "/_emulator/deliveries", params={"channel_id": channel_id, "limit": 10_000},
                           expect=200)["deliveries"]
    return [d for d in logged if d["body"]["events"][0]["type"] == "message"]


# ---- one resend, on a fresh connection, shown as two attempts ------------------------------------------------


@pytest.mark.parametrize("how", ["close", "reset"])
def test_a_post_the_receiver_never_answered_goes_again_once_on_a_fresh_connection(emulator: Emulator,
                                                                                   how: str) -> None:
    with BreakingReceiver(breaks=1, how=how).running() as receiver:
        channel = emulator.module_channel(receiver.url)  # redelivery off: without the resend it would be lost
        [bot_id], person = attach_accounts(emulator, channel, 1)
        connections_before, answered_before = receiver.connections, len(receiver.answered)
        # `attached` broke connection 1 and went again on connection 2, opened for it alone; `follow` opened
        # the pooled connection 3.
        assert connections_before == 3
        say_once(emulator, bot_id, person)
        emulator.flush()

    by_type = {d["body"]["events"][0]["type"]: d for d in deliveries(emulator, channel["channel_id"])}
    assert sorted(by_type) == ["follow", "message", "module"]
    assert {d["state"] for d in by_type.values()} == {"delivered"}, {t: d["attempts"] for t, d in by_type.items()}
    attached = by_type.pop("module")
    assert [(a["status_code"], a["resent"], a["redelivery"]) for a in attached["attempts"]] == [
        (None, True, False), (200, False, False)]
    assert attached["attempts"][0]["error"].startswith("unclassified: ")
    # The follow and the message went on the kept-alive connection 3, at the first attempt.
    for delivery in by_type.values():
        assert [(a["status_code"], a["resent"]) for a in delivery["attempts"]] == [(200, False)]
    assert receiver.connections == connections_before
    assert len(receiver.answered) == answered_before + 1
    assert b'"isRedelivery":false' in receiver.answered[-1]
    # The inspector page lists both attempts of `attached` and marks the broken one.
    page = emulator.http.get("/_pages/inspector", params={"channel_id": channel["channel_id"], "lang": "en"}).text
    assert page.count("sent again on a fresh connection") == 1
    assert "unclassified: " in page


@pytest.mark.parametrize("how", ["close", "reset"])
def test_the_resend_is_made_once_and_then_the_receiver_has_failed(emulator: Emulator, how: str) -> None:
    with BreakingReceiver(breaks=1_000, how=how).running() as receiver:
        channel = emulator.module_channel(receiver.url)
        attach_accounts(emulator, channel, 1)
    logged = deliveries(emulator, channel["channel_id"])
    assert sorted(d["body"]["events"][0]["type"] for d in logged) == ["follow", "module"]
    for delivery in logged:
        assert delivery["state"] == "failed"
        assert [(a["status_code"], a["resent"]) for a in delivery["attempts"]] == [(None, True), (None, False)]
    assert receiver.connections == 4  # each delivery: the pooled connection, then one fresh one
    assert receiver.answered == []


def test_a_receiver_that_answered_an_error_is_not_resent(emulator: Emulator, receiver: WebhookReceiver) -> None:
    receiver.status = 503
    channel = emulator.module_channel(f"{receiver.url}/hook")
    attach_accounts(emulator, channel, 1)
    logged = deliveries(emulator, channel["channel_id"])
    assert len(logged) == 2  # attached, follow
    for delivery in logged:
        assert [(a["status_code"], a["error"], a["resent"]) for a in delivery["attempts"]] == [
            (503, "error_status_code", False)]
    assert len(receiver.received) == 2


# ---- the keep-alive horizon under load -----------------------------------------------------------------------

HORIZON = 0.15  # seconds: the emulator's keep-alive and the receiver's, the same, short to make many waves
ACCOUNTS = 32
WAVES = 64


def test_no_webhook_is_lost_to_connections_the_receiver_closes_at_the_keepalive_horizon() -> None:
    """uvicorn closes a connection `timeout_keep_alive` after its last answer; the emulator reuses one idle up to
    `webhook_keepalive_seconds`. With both equal, waves of deliveries spaced about that far apart write requests
    onto connections the receiver is closing at that moment. Redelivery is off: a webhook broken so is lost
    unless the emulator sends it again itself."""
    seen: set[str] = set()

    async def hook(request: Request) -> Response:
        seen.update(event["webhookEventId"] for event in (await request.json())["events"])
        return JSONResponse({})

    receiver_app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    settings = EmulatorSettings(rate_limits=False, webhook_keepalive_seconds=HORIZON)
    with serve(receiver_app, timeout_keep_alive=HORIZON) as receiver_url, \
            serve(create_app(settings)) as emulator_url:
        emulator = Emulator(emulator_url)
        channel = emulator.module_channel(f"{receiver_url}/hook")
        bots, person = attach_accounts(emulator, channel, ACCOUNTS)
        seen.clear()
        sent = asyncio.run(waves(emulator_url, bots, person))
        emulator.call("POST", "/_emulator/deliveries/flush", json={"timeout_seconds": 30}, expect=200)
        log = messages_of(emulator, channel["channel_id"])
        emulator.http.close()

    assert sent == ACCOUNTS * WAVES
    assert len(log) == sent
    assert [d["attempts"] for d in log if d["state"] != "delivered"] == []
    assert len(seen) == sent, f"{sent - len(seen)} webhooks lost"
    resent = [d["attempts"] for d in log if len(d["attempts"]) > 1]
    for attempts in resent:  # each resend shows: the broken attempt, then the one that reached the receiver
        assert [(a["resent"], a["status_code"]) for a in attempts] == [(True, None), (False, 200)]
    assert all(len(d["attempts"]) == 1 for d in log if d["attempts"][0]["resent"] is False)
    print(f"{sent} deliveries, {len(resent)} resent after a connection closed at the horizon")


async def waves(emulator_url: str, bots: Sequence[str], person: str) -> int:
    """Each wave makes one delivery per OA, all at once, waits for them, then idles about the horizon."""
    sent = 0
    jitter = random.Random(17)
    async with httpx.AsyncClient(base_url=emulator_url, timeout=30,
                                 limits=httpx.Limits(max_connections=ACCOUNTS)) as http:
        for _ in range(WAVES):
            answers = await asyncio.gather(*(
                http.post("/_emulator/load/messages", json={"bot_id": bot_id, "user_ids": [person]})
                for bot_id in bots))
            sent += sum(answer.json()["webhook_events"] for answer in answers)
            (await http.post("/_emulator/deliveries/flush", json={"timeout_seconds": 30})).raise_for_status()
            await asyncio.sleep(HORIZON * jitter.uniform(0.85, 1.05))
    return sent


# ---- no import retried per delivery --------------------------------------------------------------------------


class LookupRecorder(MetaPathFinder):
    """Sees every import of a module not yet in sys.modules (a failed import is looked up again every time)."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        self.names.append(fullname)
        return None  # the real finders after it decide


@contextmanager
def recording_lookups() -> Iterator[LookupRecorder]:
    recorder = LookupRecorder()
    sys.meta_path.insert(0, recorder)
    try:
        yield recorder
    finally:
        sys.meta_path.remove(recorder)


def test_the_recorder_sees_a_failed_import_each_time_it_is_tried() -> None:
    with recording_lookups() as recorder:
        for _ in range(3):
            with pytest.raises(ImportError):
                importlib.import_module("linemod_no_such_module_17")
    assert recorder.names.count("linemod_no_such_module_17") == 3


def test_no_import_is_attempted_again_per_delivery_or_per_httpx_request(emulator: Emulator,
                                                                         receiver: WebhookReceiver) -> None:
    """A failed import costs a walk of sys.path every time (httpcore's `import sniffio` did, 5 times per webhook
    when sniffio was missing). After a warm-up, N deliveries and N requests of an httpx AsyncClient (how the
    Stripe client calls out) may import a module for the first time, never the same one again."""
    channel = emulator.module_channel(f"{receiver.url}/hook")
    [bot_id], person = attach_accounts(emulator, channel, 1)

    async def requests(count: int) -> None:
        async with httpx.AsyncClient(base_url=emulator.url) as http:
            for _ in range(count):
                (await http.get("/_emulator/clock")).raise_for_status()

    rounds = 100
    for _ in range(5):  # warm-up: whatever is imported lazily is imported now
        say_once(emulator, bot_id, person)
    emulator.flush()
    asyncio.run(requests(5))
    with recording_lookups() as recorder:
        for _ in range(rounds):
            say_once(emulator, bot_id, person)
            emulator.flush()
        asyncio.run(requests(rounds))
    assert len(messages_of(emulator, channel["channel_id"])) == rounds + 5
    repeated = {name: recorder.names.count(name) for name in set(recorder.names) if recorder.names.count(name) > 1}
    assert repeated == {}, f"imports tried again and again on the hot path: {repeated}"
