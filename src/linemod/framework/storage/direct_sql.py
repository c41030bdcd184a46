"""The framework's hot statements straight on the driver: webhook inserts, queue claims and completions.

These run for every webhook and every event, where an ORM session costs several times the statement
itself (on SQLite each statement is also a hop to aiosqlite's thread and back). So they bypass the ORM:

- SQLite: one dedicated `sqlite3` connection used on the event loop. A unit of work starts with
  `BEGIN IMMEDIATE` and a zero busy timeout, so it either gets the write lock at once and runs in well
  under a millisecond, or (another connection holds the lock) moves to a thread that waits for it. The
  intake and the in-process worker share that connection, so they never contend with each other.
- PostgreSQL: an asyncpg pool of its own (a few connections), one transaction per unit. Going through the
  engine's pool, or asyncpg's default reset, would add a round trip on every return; these connections
  are only ever used for whole transactions, so the pool is told there is nothing to reset.

A unit of work is an async function of a `DirectConnection`. On SQLite it never really suspends, which is
what lets the same function run inline or, driven by hand, in the waiting thread. SQL is written once with
`:name` parameters; for asyncpg they become `$1, $2, ...`.
"""

from __future__ import annotations

import asyncio
import functools
import re
import sqlite3
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from linemod.framework.storage.database import Database

T = TypeVar("T")
Params = Mapping[str, Any]
_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


class DirectConnection(Protocol):
    """What a unit of work may do: run statements inside the unit's transaction."""

    async def execute(self, sql: str, params: Params | None = None) -> None: ...

    async def fetch(self, sql: str, params: Params | None = None) -> list[dict[str, Any]]: ...

    async def executemany(self, sql: str, rows: Sequence[Params]) -> None: ...


class _SqliteConnection:
    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw

    async def execute(self, sql: str, params: Params | None = None) -> None:
        self.raw.execute(sql, params or {})

    async def fetch(self, sql: str, params: Params | None = None) -> list[dict[str, Any]]:
        cursor = self.raw.execute(sql, params or {})
        names = [column[0] for column in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    async def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        self.raw.executemany(sql, rows)


class _PostgresConnection:
    def __init__(self, raw: Any) -> None:
        self.raw = raw  # an asyncpg connection

    async def execute(self, sql: str, params: Params | None = None) -> None:
        text, names = numbered(sql)
        await self.raw.execute(text, *[(params or {})[n] for n in names])

    async def fetch(self, sql: str, params: Params | None = None) -> list[dict[str, Any]]:
        text, names = numbered(sql)
        return [dict(r) for r in await self.raw.fetch(text, *[(params or {})[n] for n in names])]

    async def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        text, names = numbered(sql)
        await self.raw.executemany(text, [tuple(row[n] for n in names) for row in rows])


@functools.lru_cache(maxsize=512)
def numbered(sql: str) -> tuple[str, tuple[str, ...]]:
    """`:name` parameters as asyncpg's `$n` (a name used twice keeps its number), and the names in order."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return _NAMED.sub(number, sql), tuple(names)


async def _in_transaction_after(raw: Any, prologue: str, work: Callable[[DirectConnection], Awaitable[T]]) -> T:
    """`work` in a transaction opened together with `prologue` (a parameterless statement: asyncpg sends it and
    BEGIN as one simple query, one round trip)."""
    await raw.execute(f"BEGIN; {prologue}")
    try:
        result = await work(_PostgresConnection(raw))
    except Exception:
        if not raw.is_closed():
            await raw.execute("ROLLBACK")
        raise
    await raw.execute("COMMIT")
    return result


def _run_to_end(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that never suspends (a unit of work on SQLite) outside any event loop."""
    try:
        coroutine.send(None)
    except StopIteration as finished:
        return finished.value  # type: ignore[no-any-return]
    coroutine.close()
    raise RuntimeError("a SQLite unit of work suspended; it must only await DirectConnection calls")


class DirectSql:
    """Runs units of work on the driver (see the module docstring). One per `Database`."""

    CHECKPOINT_EVERY = 200  # SQLite units of work between WAL checkpoints

    def __init__(self, db: Database, *, max_connections: int = 8) -> None:
        self.db = db
        self._inline: sqlite3.Connection | None = None
        self._waiting: sqlite3.Connection | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._units = 0
        self._max_connections = max_connections
        self._pool: Any = None  # an asyncpg pool, made on first use inside the event loop
        self._pool_made: asyncio.Lock | None = None

    # ---- running --------------------------------------------------------------------------------------

    async def run(
        self,
        work: Callable[[DirectConnection], Awaitable[T]],
        *,
        read_only: bool = False,
        one_statement: bool = False,
        timeout: float | None = None,
        prologue: str | None = None,
    ) -> T:
        """Run `work` in one transaction: committed if it returns, rolled back if it raises. `prologue`
        (PostgreSQL): a statement without parameters run first, sent with BEGIN in one round trip. `read_only`
        (a slow read): on SQLite it runs in the thread, on a snapshot, taking no write lock and not
        stalling the event loop. `one_statement` (the unit runs exactly one statement): on PostgreSQL no
        BEGIN and COMMIT round trips, the statement is a transaction of its own. `timeout` (seconds): raise
        `TimeoutError` when the unit has not committed by then, instead of the database's statement timeout
        (a unit given up on while its COMMIT was on the way may still have committed)."""
        if timeout is None:
            return await self._run(work, read_only, one_statement, None, prologue)
        deadline = time.monotonic() + timeout
        async with asyncio.timeout(timeout):
            return await self._run(work, read_only, one_statement, deadline, prologue)

    async def _run(
        self,
        work: Callable[[DirectConnection], Awaitable[T]],
        read_only: bool,
        one_statement: bool,
        deadline: float | None,
        prologue: str | None = None,
    ) -> T:
        if self.db.is_sqlite:
            if read_only:
                return await asyncio.get_running_loop().run_in_executor(self._thread(), self._run_reading, work)
            return await self._run_sqlite(work, deadline)
        pool = await self._postgres_pool()
        raw = await pool.acquire(timeout=self.db.connect_timeout)
        try:
            if one_statement:
                return await work(_PostgresConnection(raw))
            if prologue is not None:
                return await _in_transaction_after(raw, prologue, work)
            async with raw.transaction():
                return await work(_PostgresConnection(raw))
        except (asyncio.CancelledError, TimeoutError):
            # A statement may still be running on it, or the server stopped answering: never hand it out
            # again (and do not wait for a cancellation the server may never confirm).
            raw.terminate()
            raise
        finally:
            await pool.release(raw)

    async def _postgres_pool(self) -> Any:
        import asyncpg

        if self._pool is None:
            if self._pool_made is None:
                self._pool_made = asyncio.Lock()
            async with self._pool_made:
                if self._pool is None:
                    url = make_url(self.db.url).set(drivername="postgresql")
                    self._pool = await asyncpg.create_pool(
                        url.render_as_string(hide_password=False),
                        min_size=0,
                        max_size=self._max_connections,
                        timeout=self.db.connect_timeout,
                        command_timeout=self.db.client_statement_timeout,
                        server_settings=self.db.postgres_server_settings(),
                        reset=_nothing_to_reset,
                        # No idle timer armed and disarmed around every unit: these few connections stay.
                        max_inactive_connection_lifetime=0,
                    )
        return self._pool

    async def _run_sqlite(self, work: Callable[[DirectConnection], Awaitable[T]], deadline: float | None) -> T:
        loop = asyncio.get_running_loop()
        self._units += 1
        if self._units % self.CHECKPOINT_EVERY == 0:
            # A commit that crosses the WAL size limit would checkpoint (with fsync) in the committing
            # connection, a stall on the event loop; the inline connection never does, a thread does.
            loop.run_in_executor(self._thread(), self._checkpoint)
        inline = self._inline_connection()
        try:
            inline.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if not _is_locked(exc):
                raise
            return await loop.run_in_executor(self._thread(), self._run_waiting, work, deadline)
        return _in_transaction(inline, work)

    def _run_waiting(self, work: Callable[[DirectConnection], Awaitable[T]], deadline: float | None) -> T:
        waiting = self._waiting_connection()
        if deadline is None:
            waiting.execute("BEGIN IMMEDIATE")
            return _in_transaction(waiting, work)
        # The caller stops waiting at its deadline (the thread cannot be cancelled): wait for the lock no
        # longer than that, and not at all when this unit's turn in the thread came too late.
        remaining_ms = round((deadline - time.monotonic()) * 1000)
        if remaining_ms <= 0:
            raise TimeoutError("the unit's deadline passed before the database's write lock was asked for")
        waiting.execute(f"PRAGMA busy_timeout={remaining_ms}")
        try:
            waiting.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if _is_locked(exc):
                raise TimeoutError("another connection held the database's write lock until the deadline") from exc
            raise
        finally:
            waiting.execute(f"PRAGMA busy_timeout={self._busy_timeout_ms}")
        if time.monotonic() >= deadline:
            # SQLite's busy handler sleeps in steps and can hand over the lock a little after the deadline, when
            # the caller has already been told TimeoutError: writing now would store what it thinks was not.
            waiting.execute("ROLLBACK")
            raise TimeoutError("the database's write lock came only after the unit's deadline: nothing was written")
        return _in_transaction(waiting, work)

    def _run_reading(self, work: Callable[[DirectConnection], Awaitable[T]]) -> T:
        waiting = self._waiting_connection()
        waiting.execute("BEGIN")  # deferred: a read snapshot, no write lock
        return _in_transaction(waiting, work)

    @property
    def _busy_timeout_ms(self) -> int:
        return round(self.db.statement_timeout * 1000)

    def _waiting_connection(self) -> sqlite3.Connection:
        if self._waiting is None:
            self._waiting = _connect(self.db.sqlite_path, busy_timeout_ms=self._busy_timeout_ms)
        return self._waiting

    def _checkpoint(self) -> None:
        self._waiting_connection().execute("PRAGMA wal_checkpoint(PASSIVE)")

    def _inline_connection(self) -> sqlite3.Connection:
        if self._inline is None:
            self._inline = _connect(self.db.sqlite_path, busy_timeout_ms=0)
            self._inline.execute("PRAGMA wal_autocheckpoint=0")
        return self._inline

    def _thread(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="linemod-sqlite-direct")
        return self._executor

    async def aclose(self) -> None:
        """Close the PostgreSQL connections (then everything `close()` closes)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            try:
                await asyncio.wait_for(pool.close(), timeout=5)
            except (TimeoutError, Exception):
                pool.terminate()
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool = None
        if self._inline is not None:
            self._inline.close()
            self._inline = None
        if self._executor is not None:

            def close_waiting() -> None:
                if self._waiting is not None:
                    self._waiting.close()
                    self._waiting = None

            self._executor.submit(close_waiting)
            self._executor.shutdown(wait=True)
            self._executor = None


async def _nothing_to_reset(connection: Any) -> None:
    """The pool's reset: a unit's transaction is over when it is released (or the connection is gone)."""


def _in_transaction(connection: sqlite3.Connection, work: Callable[[DirectConnection], Awaitable[T]]) -> T:
    try:
        result: T = _run_to_end(work(_SqliteConnection(connection)))  # type: ignore[arg-type]
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
    return result


def enable_wal(
    execute: Callable[[str], object], sleep: Callable[[float], object] = time.sleep, *, patience_seconds: float = 30.0
) -> None:
    """Put the database file in WAL mode (it stays so: later connections find it set).

    Switching a new file to WAL needs its exclusive lock, and SQLite answers "database is locked" at once,
    without its busy handler, while another connection is inside a transaction: processes starting together
    on a new file (each migrating at start) met that now and then. So wait for the lock here, with `sleep`
    (on an event loop, one that lets the lock's holder go on)."""
    deadline = time.monotonic() + patience_seconds
    delay = 0.005
    while True:
        try:
            execute("PRAGMA journal_mode=WAL")
            return
        except Exception as exc:  # sqlite3's, or the async driver's wrapper of it
            if ("locked" not in str(exc) and "busy" not in str(exc)) or time.monotonic() + delay > deadline:
                raise
        sleep(delay)
        delay = min(delay * 2, 0.2)


def _is_locked(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


def _connect(path: str, *, busy_timeout_ms: int) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=busy_timeout_ms / 1000, isolation_level=None, check_same_thread=False)
    enable_wal(connection.execute)
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
    return connection
