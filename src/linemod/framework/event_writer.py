"""Group-committed writes of webhook events to the `events` table (used by the webhook intake)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from linemod.framework.db import Database

EVENT_COLUMNS = (
    "webhook_event_id",
    "bot_id",
    "chat_key",
    "event_type",
    "mode",
    "event_ts_ms",
    "is_redelivery",
    "payload",
    "status",
    "attempts",
    "run_at_ms",
    "received_at_ms",
)


class EventWriter:
    """Writes event rows with group commit; `store()` returns once the rows are committed.

    The write of a batch is one hand-off to the driver: on SQLite a dedicated thread with its own
    connection runs INSERT OR IGNORE + COMMIT; on PostgreSQL asyncpg runs a pipelined executemany in one
    transaction. Going through the ORM would cost several event-loop round trips per batch, and the
    intake's latency is mostly those round trips.
    """

    def __init__(self, db: Database, on_stored: Callable[[], None] | None = None) -> None:
        self.db = db
        self.on_stored = on_stored
        self._pending: list[tuple[list[dict[str, Any]], asyncio.Future[None]]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._sqlite: _SqliteBatchWriter | None = None
        self._last_write = 0.0
        columns = ", ".join(EVENT_COLUMNS)
        if db.is_postgres:
            values = ", ".join(f"${i}" for i in range(1, len(EVENT_COLUMNS) + 1))
        else:
            values = ", ".join("?" for _ in EVENT_COLUMNS)
        self._sql = f"INSERT INTO events ({columns}) VALUES ({values}) ON CONFLICT (webhook_event_id) DO NOTHING"

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="linemod-event-writer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        for _, future in self._pending:
            if not future.done():
                future.set_exception(RuntimeError("intake stopped"))
        self._pending = []
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None

    async def store(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        if self._task is None:  # not started (e.g. a one-off script): write directly
            await self._write(rows)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((rows, future))
        self._wake.set()
        await future

    async def _write(self, rows: list[dict[str, Any]]) -> None:
        tuples = [tuple(row[c] for c in EVENT_COLUMNS) for row in rows]
        if self.db.is_sqlite:
            if self._sqlite is None:
                self._sqlite = _SqliteBatchWriter(self.db.sqlite_path)
            await self._sqlite.write(self._sql, tuples)
        elif self.db.is_postgres:
            async with self.db.engine.connect() as connection:
                raw = (await connection.get_raw_connection()).driver_connection
                async with raw.transaction():
                    await raw.executemany(self._sql, tuples)
        else:  # pragma: no cover - only SQLite and PostgreSQL are supported
            raise RuntimeError(f"unsupported database {self.db.dialect}")
        self._last_write = time.monotonic()
        if self.on_stored is not None:
            self.on_stored()

    def busy(self, within_seconds: float = 0.25) -> bool:
        """Webhooks were stored in the last `within_seconds` (in-process workers then step back)."""
        return time.monotonic() - self._last_write < within_seconds

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._pending = self._pending, []
            if not batch:
                continue
            rows = [row for rows, _ in batch for row in rows]
            try:
                await self._write(rows)
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
            else:
                for _, future in batch:
                    if not future.done():
                        future.set_result(None)


class _SqliteBatchWriter:
    """Writes a batch (insert + commit) with the stdlib driver, directly on the event loop when the write
    lock is free (about a millisecond in WAL mode, and no thread hand-off), else in a thread that waits
    for the lock."""

    CHECKPOINT_EVERY = 200  # batches

    def __init__(self, path: str) -> None:
        self._path = path
        self._inline = self._connect(busy_timeout_ms=0)
        # A commit that crosses the WAL size limit runs a checkpoint (with fsync) in the committing
        # connection; on the event loop that is a stall, so this connection never checkpoints and a
        # background thread does it every CHECKPOINT_EVERY batches.
        self._inline.execute("PRAGMA wal_autocheckpoint=0")
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="linemod-sqlite-intake")
        self._waiting: sqlite3.Connection | None = None
        self._batches = 0

    def _connect(self, busy_timeout_ms: int) -> sqlite3.Connection:
        connection = sqlite3.connect(
            self._path, timeout=busy_timeout_ms / 1000, isolation_level=None, check_same_thread=False
        )
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        return connection

    @staticmethod
    def _write_with(connection: sqlite3.Connection, sql: str, rows: list[tuple[Any, ...]]) -> None:
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.executemany(sql, rows)
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def _write_waiting(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if self._waiting is None:
            self._waiting = self._connect(busy_timeout_ms=30_000)
        self._write_with(self._waiting, sql, rows)

    def _checkpoint(self) -> None:
        if self._waiting is None:
            self._waiting = self._connect(busy_timeout_ms=30_000)
        self._waiting.execute("PRAGMA wal_checkpoint(PASSIVE)")

    async def write(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        loop = asyncio.get_running_loop()
        self._batches += 1
        if self._batches % self.CHECKPOINT_EVERY == 0:
            loop.run_in_executor(self._executor, self._checkpoint)
        try:
            self._write_with(self._inline, sql, rows)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
        await loop.run_in_executor(self._executor, self._write_waiting, sql, rows)

    def close(self) -> None:
        self._inline.close()

        def close_waiting() -> None:
            if self._waiting is not None:
                self._waiting.close()
                self._waiting = None

        self._executor.submit(close_waiting)
        self._executor.shutdown(wait=True)
