"""The webhook intake while the database does not answer: every webhook gets a 503 within the intake's deadline
(LINE waits 2 s, and redelivers), each failure is one log line, the connection stays usable, and once the
database is back every event is stored and handled exactly once, LINE's redeliveries included.

The module is served the way `linemod serve` serves it (`ModuleApp.server_config()`), in a thread. The outages:
PostgreSQL frozen (a proxy in between stops forwarding: the shared test server is never paused), PostgreSQL shut
down (the proxy closes every connection), and SQLite locked (another connection holds its write lock).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from linemod.framework.app import ModuleApp
from linemod.framework.storage.database import Database
from linemod.framework.storage.models import EventRow
from tests.framework.helpers import (
    BOT,
    OTHER_BOT,
    ThreadedServer,
    attached_event,
    free_port,
    make_settings,
    message_event,
    signed,
    wait_for,
    webhook_body,
)
from tests.support.freezable_proxy import FreezableProxy

DEADLINE_MS = 500
CLIENT_TIMEOUT = 5.0  # far past the deadline: a webhook left hanging fails the test instead of blocking it


@dataclass
class Outage:
    """The app's database URL, and a way to make that database stop answering for a while."""

    kind: str  # "frozen", "shut down" (PostgreSQL) or "locked" (SQLite)
    url: str
    proxy: FreezableProxy | None = None
    sqlite_path: str | None = None

    @asynccontextmanager
    async def during(self) -> AsyncIterator[None]:
        lock: sqlite3.Connection | None = None
        if self.proxy is None:
            assert self.sqlite_path is not None
            lock = sqlite3.connect(self.sqlite_path, isolation_level=None)
            lock.execute("BEGIN IMMEDIATE")  # another connection holds the write lock
        elif self.kind == "frozen":
            self.proxy.freeze()
        else:
            self.proxy.shut_down()
        try:
            yield
        finally:
            if self.proxy is not None:
                self.proxy.restore()
            elif lock is not None:
                lock.execute("ROLLBACK")
                lock.close()


OUTAGES = [
    pytest.param("sqlite", "locked", id="sqlite-locked"),
    pytest.param("postgres", "frozen", id="postgres-frozen", marks=pytest.mark.postgres),
    pytest.param("postgres", "shut down", id="postgres-shut-down", marks=pytest.mark.postgres),
]


@contextmanager
def outage_for(db: Database, kind: str) -> Iterator[Outage]:
    if db.is_sqlite:
        yield Outage(kind, url=db.url, sqlite_path=db.sqlite_path)
        return
    url = make_url(db.url)
    with FreezableProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        yield Outage(kind, url=url.set(port=proxy.port).render_as_string(hide_password=False), proxy=proxy)


@dataclass
class Served:
    http: httpx.AsyncClient
    url: str
    handled: list[str]


@asynccontextmanager
async def served_module(db: Database, outage: Outage) -> AsyncIterator[Served]:
    """A module recording the webhookEventId of every message it handles, served on a loopback port, with one
    OA attached."""
    settings = make_settings(
        database_url=outage.url, database_schema=db.schema, intake_db_timeout_ms=DEADLINE_MS, lease_seconds=30,
        # Production's number of tries: a try that meets a connection the outage closed fails and is retried
        # (the tests' default of 3 tries, 0.05-0.2 s apart, can run out on the pool's dead connections alone).
        max_attempts=6,
    )
    app = ModuleApp(settings)
    handled: list[str] = []

    @app.on_message
    async def record(ctx: Any, event: Any) -> None:
        handled.append(ctx.raw_event["webhookEventId"])

    config = app.server_config(host="127.0.0.1", port=free_port(), log_level="warning", log_config=None)
    with ThreadedServer(config=config) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=CLIENT_TIMEOUT) as http:
            assert (await post(http, [attached_event()])).status_code == 200
            yield Served(http, server.url, handled)


async def post(http: httpx.AsyncClient, events: list[dict[str, Any]], destination: str = BOT) -> httpx.Response:
    body = webhook_body(events, destination)
    return await http.post("/webhook", content=body, headers=signed(body))


async def stored_ids(db: Database) -> list[str]:
    async with db.session() as session:
        return list(await session.scalars(select(EventRow.webhook_event_id).order_by(EventRow.id)))


async def done_count(db: Database) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(EventRow).where(EventRow.status == "done")))


def redelivery(event: dict[str, Any]) -> dict[str, Any]:
    return dict(event, deliveryContext={"isRedelivery": True})


@pytest.mark.parametrize(("db", "kind"), OUTAGES, indirect=["db"])
async def test_webhooks_get_503_during_an_outage_then_each_is_stored_and_handled_once(db: Database, kind: str) -> None:
    with outage_for(db, kind) as outage:
        async with served_module(db, outage) as served:
            during = [message_event(f"during {i}") for i in range(6)]
            # A webhook of an OA this process does not know yet also asks the database who it is.
            other_attach = attached_event(OTHER_BOT)
            async with outage.during():
                answers = await asyncio.gather(
                    *(post(served.http, [event]) for event in during),
                    post(served.http, [other_attach], destination=OTHER_BOT),
                )
                assert [a.status_code for a in answers] == [503] * (len(during) + 1)
                assert "could not be stored" in answers[0].json()["message"]

            # LINE redelivers what was answered 503; some of it may have been committed late meanwhile.
            after = [message_event(f"after {i}") for i in range(3)]
            answers = await asyncio.gather(*(post(served.http, [redelivery(e)]) for e in during))
            answers.append(await post(served.http, [redelivery(other_attach)], destination=OTHER_BOT))
            answers += await asyncio.gather(*(post(served.http, [e]) for e in after))
            assert [a.status_code for a in answers] == [200] * (len(during) + 1 + len(after))

            expected = [e["webhookEventId"] for e in during + after]

            async def all_done() -> bool:
                return await done_count(db) == len(expected) + 2  # and the two attaches

            try:
                await wait_for(all_done, timeout=15)
            except AssertionError:
                async with db.session() as session:
                    rows = (await session.execute(
                        select(EventRow.webhook_event_id, EventRow.status, EventRow.attempts, EventRow.last_error)
                    )).all()
                raise AssertionError(f"not every event is done: {[tuple(row) for row in rows]}") from None
            assert sorted(served.handled) == sorted(expected)  # each handled once
            stored = await stored_ids(db)
            # Each stored once (the first row is the first attach).
            assert sorted(stored[1:]) == sorted([*expected, other_attach["webhookEventId"]])


@pytest.mark.parametrize(("db", "kind"), OUTAGES, indirect=["db"])
async def test_an_outage_logs_one_line_per_failed_webhook_and_no_traceback_per_request(
    db: Database, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    with outage_for(db, kind) as outage:
        async with served_module(db, outage) as served:
            caplog.clear()
            async with outage.during():
                answers = await asyncio.gather(*(post(served.http, [message_event(f"m{i}")]) for i in range(8)))
            assert {a.status_code for a in answers} == {503}
            lines = [r for r in caplog.records if r.getMessage().startswith("webhook 503: ")]
            assert len(lines) == 8
            assert all(f"(bot {BOT})" in r.getMessage() for r in lines)
            if kind != "shut down":
                assert f"database did not answer within {DEADLINE_MS} ms" in lines[0].getMessage()
            # At most the outage's first webhook carries a traceback (and the worker's first failed claim).
            assert len([r for r in caplog.records if r.exc_info and r.name != "linemod.worker"]) <= 1
            assert not [r for r in caplog.records if "Exception in ASGI application" in r.getMessage()]

            assert (await post(served.http, [message_event("back")])).status_code == 200
            assert any("webhooks are stored again" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(("db", "kind"), OUTAGES, indirect=["db"])
async def test_a_webhook_answered_503_leaves_its_connection_open_for_the_next(db: Database, kind: str) -> None:
    """A 500 from an exception escaping the app made uvicorn close the connection after the answer, without
    saying `Connection: close`: a client that had already sent its next request on it saw a dropped connection."""
    with outage_for(db, kind) as outage:
        async with served_module(db, outage) as served:
            port = int(served.url.rsplit(":", 1)[1])
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            try:
                async with outage.during():
                    for text in ("first", "second"):
                        body = webhook_body([message_event(text)])
                        writer.write(raw_request(body))
                        status, headers = await asyncio.wait_for(read_answer(reader), CLIENT_TIMEOUT)
                        assert status == 503
                        assert headers.get("connection") != "close"
            finally:
                writer.close()


def raw_request(body: bytes) -> bytes:
    head = "".join(f"{name}: {value}\r\n" for name, value in signed(body).items())
    return (
        f"POST /webhook HTTP/1.1\r\nhost: module.test\r\ncontent-length: {len(body)}\r\n{head}\r\n".encode() + body
    )


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    """The status and headers of one HTTP/1.1 answer (its body read and dropped); EOF fails the test."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *lines = head.decode().split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines if line)}
    await reader.readexactly(int(headers.get("content-length", "0")))
    return int(status_line.split()[1]), headers
