"""Builders shared by the framework tests."""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import pytest
import uvicorn

from linemod.framework.settings import Settings
from linemod.framework.storage.database import Database
from linemod.testing import (
    RunningApp,
    attached_event,
    base_event,
    detached_event,
    message_event,
    postback_event,
    webhook_body,
)
from linemod.testing import signed_headers as _signed_headers

POSTGRES_URL = os.environ.get("LINEMOD_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
SECRET = "8c570fa6dd201bb328f1c1eac23a96d8"
CHANNEL_ID = "1234567890"
BOT = "U" + "1" * 32
OTHER_BOT = "U" + "2" * 32
_counter = itertools.count(1)
_pg_ok: bool | None = None


def framework_head() -> str:
    """The revision `linemod db upgrade` ends at (read from the history, so a new migration needs no edit here)."""
    from alembic.script import ScriptDirectory

    from linemod.framework.storage.database import alembic_config

    return str(ScriptDirectory.from_config(alembic_config()).get_current_head())


def postgres_available() -> bool:
    global _pg_ok
    if _pg_ok is None:
        try:
            with socket.create_connection(("127.0.0.1", 5432), timeout=1):
                _pg_ok = True
        except OSError:
            _pg_ok = False
    return _pg_ok


def require_postgres() -> None:
    """Skip a PostgreSQL test when no server answers, except in CI: .ci/run starts one, so unreachable
    there is a failure, not a skip."""
    if not postgres_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL not reachable at {POSTGRES_URL} in CI")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}")


async def drop_schema(schema: str) -> None:
    admin = Database(POSTGRES_URL)
    async with admin.engine.begin() as conn:
        await conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    await admin.dispose()


async def open_test_database(
    engine: str, tmp_path: object, *, name: str, prepare: Callable[[Database], Awaitable[None]] | None = None
) -> AsyncIterator[Database]:
    """A database for one test: a SQLite file `name`.db, or a new schema on the PostgreSQL test server
    (dropped after); `prepare` (e.g. migrations) runs before it is handed out."""
    schema = None
    if engine == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{tmp_path}/{name}.db")
    else:
        require_postgres()
        schema = f"t_{uuid.uuid4().hex[:12]}"
        db = Database(POSTGRES_URL, schema=schema)
    try:
        if prepare is not None:
            await prepare(db)
        yield db
    finally:
        await db.dispose()
        if schema is not None:
            await drop_schema(schema)


def event_id() -> str:
    """A unique 26-character webhookEventId (ULID-shaped)."""
    return f"01TEST{next(_counter):012d}{secrets.token_hex(4).upper()}"


def user_id(n: int = 1, bot: str = BOT) -> str:
    return f"LU{n:032x}-{bot}"






def sticker_event(*, user: str | None = None) -> dict:
    return base_event(
        "message",
        replyToken=secrets.token_hex(16),
        source={"type": "user", "userId": user or user_id()},
        message={
            "id": "9",
            "type": "sticker",
            "packageId": "1",
            "stickerId": "2",
            "stickerResourceType": "STATIC",
            "quoteToken": "q",
        },
    )












def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    return _signed_headers(secret, body)


__all__ = ["attached_event", "base_event", "detached_event", "message_event", "postback_event", "webhook_body"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ThreadedServer:
    """An ASGI app served by uvicorn on a loopback port, in a thread with its own event loop; `options` go to
    `uvicorn.Config` (e.g. `linemod.framework.serving.proxy_options(settings)`). Given `config` instead (e.g.
    `ModuleApp.server_config()`), the server that configuration describes."""

    def __init__(
        self, app: Any = None, port: int | None = None, *, config: uvicorn.Config | None = None, **options: Any
    ) -> None:
        if config is None:
            config = uvicorn.Config(app, host="127.0.0.1", port=port or free_port(), log_level="warning",
                                    access_log=False, **options)
        self.port = config.port
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ThreadedServer:
        self.thread.start()
        deadline = time.time() + 10
        while not self.server.started:
            if time.time() > deadline or not self.thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


async def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll an async or sync predicate until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last value: {value!r})")
        await asyncio.sleep(interval)


def make_settings(**overrides: Any) -> Any:
    """Settings for tests: fast polling, short leases and backoffs, no periodic reconciliation."""
    from linemod.framework.settings import Settings

    values: dict[str, Any] = {
        "channel_id": CHANNEL_ID,
        "channel_secret": SECRET,
        "line_base_url": "http://127.0.0.1:9",  # nothing listens: tests that call LINE pass their own
        "reconcile_interval_seconds": 0,
        "worker_poll_seconds": 0.05,
        "lease_seconds": 5,
        "retry_base_seconds": 0.05,
        "retry_max_seconds": 0.2,
        "max_attempts": 3,
        "api_retry_base_seconds": 0.01,
        "api_timeout_seconds": 5,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


class Running(RunningApp):
    """`linemod.testing.RunningApp` (in-process client, `drain()`), with the runtime at hand and a webhook
    signed with any secret."""

    async def __aenter__(self) -> Running:
        await super().__aenter__()
        self.runtime = self.app.runtime
        return self

    async def post_webhook(self, events: Sequence[dict], destination: str = BOT, secret: str = SECRET) -> Any:  # type: ignore[override]
        body = webhook_body(events, destination)
        return await self.http.post("/webhook", content=body, headers=signed(body, secret))


def loopback_settings(channel: dict[str, Any], emulator_url: str, base: str, db: Database, **extra: Any) -> Settings:
    """Settings of a module served on loopback against a test emulator, with the short polls, retries and
    no reconciliation that keep end-to-end tests fast; `extra` overrides any of them."""
    values: dict[str, Any] = {
        "channel_id": channel["channel_id"],
        "channel_secret": channel["channel_secret"],
        "line_base_url": emulator_url,
        "public_base_url": base,
        "database_url": db.url,
        "database_schema": db.schema,
        "reconcile_interval_seconds": 0,
        "worker_poll_seconds": 0.05,
        "retry_base_seconds": 0.05,
        "api_retry_base_seconds": 0.05,
        **extra,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]
