"""A work queue kept in a database table: claim with a lease, finish, retry with backoff, dead letters.

The same class runs the `events` table (webhook events, ordered per chat) and the `jobs` table (scheduled
jobs, unordered). On PostgreSQL any number of processes claim concurrently with `FOR UPDATE SKIP LOCKED`; on
SQLite every write is serialised by the engine, so one claimer per process is enough and still safe. The
statements are in `statements.py`, what differs per database in `engine_*.py`.

On PostgreSQL a claim walks the pending rows from a floor, not from the oldest id: every row handled leaves
its pending version in the index until vacuum runs, and a walk from the oldest id passes them all, more
with every event handled while vacuum is late. The floor is the first id of the last
claim's window, kept only while that window was full, so it is below every row that was pending then. A
row can become pending below it later (a retry, a lease run out, a replay, or a webhook batch that took its
ids first and committed last), so a claim walks from the oldest id again every `WALK_EVERY_MS`, and at once
after this queue's own retries and replays. Per-chat order does not depend on the floor: a row is claimable
only once its chat has no older unfinished row, wherever that row is.

Crash safety comes from the lease: a claimed row carries `locked_by` and `locked_until_ms`. A worker that
dies leaves the row `running` with a lease that runs out, and the next claim takes it again. Finishing a row
is an UPDATE guarded by `locked_by`, done inside the handler's own transaction, so a handler's database
effects commit together with "done" or not at all.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.clock import Clock
from linemod.framework.queue.engine import QueueEngine, engine_for
from linemod.framework.queue.rows import EventRecord, JobRecord, QueueRecord
from linemod.framework.queue.statements import WINDOW, claim_of, queue_statements
from linemod.framework.storage.database import Database
from linemod.framework.storage.direct_sql import DirectConnection, Params
from linemod.framework.storage.models import QueueStatus
from linemod.framework.storage.session_sql import execute_in_session

Extra = TypeVar("Extra")
R = TypeVar("R", bound=QueueRecord)


class LeaseLost(Exception):
    """The row was taken by another worker (our lease ran out); our work on it must be rolled back."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how late a failed row is tried again."""

    max_attempts: int = 6
    base_seconds: float = 2.0
    max_seconds: float = 300.0

    def delay_ms(self, attempts: int) -> int:
        delay = min(self.max_seconds, self.base_seconds * 2 ** max(0, attempts - 1))
        return int(delay * 1000 * random.uniform(0.9, 1.1))


class WorkQueue(Generic[R]):
    """Claim, finish, retry and replay rows of one queue table, handed out as records of type `R`.

    `ordered`: rows carry a `bot_id` and a `chat_key` and a row is claimable only when no older row of the
    same chat is still pending or running (per-chat ordering; a failed row waiting for its retry holds its
    chat back). The OA-wide lane (`chat_key` "<bot_id>:-", lifecycle events) is a barrier for the whole OA.
    """

    RELEASE_EVERY_MS = 1000  # how often claims also look for rows whose lease ran out
    WALK_EVERY_MS = 200  # how often a claim walks the pending rows from the oldest id rather than the floor

    def __init__(
        self,
        db: Database,
        table: str,
        record: type[R],
        *,
        clock: Clock,
        lease_seconds: float,
        retry: RetryPolicy,
        ordered: bool,
        engine: QueueEngine | None = None,
    ) -> None:
        self.db = db
        self.table = table
        self.record = record
        self.clock = clock
        self.lease_ms = int(lease_seconds * 1000)
        self.retry = retry
        self.ordered = ordered
        self.engine = engine or engine_for(db)
        self.sql = queue_statements(table, self.engine, ordered=ordered)
        self._released_at_ms = -(10**15)
        self._walked_at_ms = -(10**15)
        self._floor: int | None = None

    async def claim(self, worker_id: str, limit: int) -> list[R]:
        """Take up to `limit` due rows for `worker_id`, oldest first. Rows whose lease ran out (their worker
        died) are pending again first; rows whose attempts are used up become dead letters instead."""
        rows, _ = await self.claim_with(worker_id, limit)
        return rows

    async def claim_with(
        self,
        worker_id: str,
        limit: int,
        read_also: Callable[[DirectConnection, list[R]], Awaitable[Extra]] | None = None,
    ) -> tuple[list[R], Extra | None]:
        """`claim()`, plus `read_also(connection, rows)` run in the claim's own transaction (the worker reads
        the claimed chats' states there). The window of oldest pending rows first; when it finds nothing and
        the queue is ordered, every chat's oldest row (`chat_heads()`)."""

        window_held_all = False

        async def unit(connection: DirectConnection, among: list[int] | None) -> tuple[list[R], Extra | None]:
            nonlocal window_held_all
            window: dict[str, int] = {}
            rows = await self._claim_in(connection, worker_id, limit, among=among, window=window)
            if not rows and among is None and self.ordered:
                # The common empty claim (nothing due, or only chats already running): one short count here
                # spares the pass over every unfinished row, which SQLite also runs off the event loop.
                window_held_all = await self._window_held_all(connection, window)
            return rows, (await read_also(connection, rows) if read_also is not None else None)

        direct, prologue = self.db.direct, self.engine.claim_prologue
        rows, extra = await direct.run(lambda connection: unit(connection, None), prologue=prologue)
        if not rows and self.ordered and not window_held_all and (heads := await self.chat_heads()):
            rows, extra = await direct.run(lambda connection: unit(connection, heads), prologue=prologue)
        return await self._drop_exhausted(rows, worker_id), extra

    async def chat_heads(self) -> list[int]:
        """The oldest unfinished row of every chat: the candidates when the window finds nothing (the oldest
        pending rows all wait behind busy chats). A pass over every unfinished row, tens of milliseconds
        with a backlog of tens of thousands, so it reads off the event loop and takes no write lock."""

        async def read(connection: DirectConnection) -> list[int]:
            return [int(r["id"]) for r in await connection.fetch(self.sql.chat_heads)]

        return await self.db.direct.run(read, read_only=True)

    async def _claim_in(
        self,
        connection: DirectConnection,
        worker_id: str,
        limit: int,
        *,
        among: list[int] | None = None,
        window: dict[str, int] | None = None,
    ) -> list[R]:
        """The claim statement inside a unit of work. Candidates: the window of oldest pending rows, or
        `among` (from `chat_heads()`). `window` is given the window's floor and time."""
        now = self.clock.now_ms()
        params: dict[str, Any] = {"me": worker_id, "lease": now + self.lease_ms, "now": now, "limit": limit}
        if now - self._released_at_ms >= self.RELEASE_EVERY_MS or now < self._released_at_ms:
            await connection.execute(self.sql.release_expired, {"now": now})
            self._released_at_ms = now
            self._floor = None  # what it released may be below the floor
        if among is not None:
            rows = await connection.fetch(self.sql.claim_among, {**params, "candidates": self.engine.ids(among)})
            return sorted((self.record.of(row) for row in rows), key=lambda r: r.id)
        params["floor"] = self._claim_floor(now)
        if window is not None:
            window.update(floor=params["floor"], now=now)
        rows = await connection.fetch(self.sql.claim, params)
        if self.engine.claims_from_floor:
            # Any row carries the window's report; no row, no report: the next claim walks from the oldest id.
            full = bool(rows) and rows[0]["window_rows"] >= WINDOW
            self._floor = int(rows[0]["window_first"]) if full else None
        return sorted((self.record.of(row) for row in rows), key=lambda r: r.id)

    async def _window_held_all(self, connection: DirectConnection, window: dict[str, int]) -> bool:
        """Whether the claim just made looked at every due pending row: its window started at the oldest id
        and was not full. Then `chat_heads()` would offer only rows the claim already turned down."""
        if window.get("floor") != 0:
            return False
        rows = await connection.fetch(self.sql.window_size, {"now": window["now"]})
        return int(rows[0]["n"]) < WINDOW

    def _claim_floor(self, now: int) -> int:
        """The id the claim's window starts from: the floor, or 0 when there is none or a walk is due."""
        if self._floor is None or now - self._walked_at_ms >= self.WALK_EVERY_MS or now < self._walked_at_ms:
            self._walked_at_ms = now
            return 0
        return self._floor

    def forget_floor(self) -> None:
        """Make the next claim walk from the oldest id (a row of this queue went back to pending)."""
        self._floor = None

    async def _drop_exhausted(self, rows: list[R], worker_id: str) -> list[R]:
        """Claimed rows whose attempts are used up (their workers kept dying) become dead letters."""
        for row in rows:
            if row.attempts > self.retry.max_attempts:
                await self.fail(row, worker_id, "lease expired too many times (worker killed?)", final=True)
        return [r for r in rows if r.attempts <= self.retry.max_attempts]

    async def complete(
        self,
        session: AsyncSession,
        row: QueueRecord,
        worker_id: str,
        *,
        then_many: tuple[str, Sequence[Params]] | None = None,
    ) -> None:
        """Mark the claimed `row` done inside `session`'s transaction, and run `then_many` (a statement, once
        per row: the usage the handler metered) with it; raises `LeaseLost` if this claim no longer holds
        the row (the caller rolls the transaction back, the statement's writes with it)."""
        params = {"now": self.clock.now_ms(), "id": row.id, "me": worker_id, "attempts": row.attempts}
        if await execute_in_session(session, self.sql.complete, params, then_many=then_many) != 1:
            raise LeaseLost(f"{self.table} row {row.id} is no longer held by {worker_id}")

    async def complete_many(
        self, connection: DirectConnection, claims: list[tuple[int, int]], worker_id: str
    ) -> tuple[set[int], dict[int, LeaseLost]]:
        """Mark claimed rows, given as (id, attempts), done inside a direct unit of work (the worker's batched
        completions). Returns the ids marked done and a `LeaseLost` for each row this claim no longer holds."""
        params = {
            "now": self.clock.now_ms(),
            "ids": self.engine.ids(row_id for row_id, _ in claims),
            "claims": self.engine.ids(claim_of(row_id, attempts) for row_id, attempts in claims),
            "me": worker_id,
        }
        done = {int(r["id"]) for r in await connection.fetch(self.sql.complete_many, params)}
        lost = {
            row_id: LeaseLost(f"{self.table} row {row_id} is no longer held by {worker_id}")
            for row_id, _ in claims
            if row_id not in done
        }
        return done, lost

    async def fail(self, row: QueueRecord, worker_id: str, error: str, *, final: bool = False) -> str:
        """Record a failed try of the claimed `row`: back to pending after a backoff, or dead once attempts
        are used up (or with `final`). Returns the new status ("" if the row was not ours any more).

        One guarded statement: it changes the row only while this claim still holds it (same worker, still
        running, same attempt). A worker whose lease ran out must not overwrite a row that another worker,
        or this process's own next claim, has taken since."""
        dead = final or row.attempts >= self.retry.max_attempts
        now = self.clock.now_ms()
        status = QueueStatus.DEAD if dead else QueueStatus.PENDING
        params = {
            "status": status.value,
            "run_at": now if dead else now + self.retry.delay_ms(row.attempts),
            "error": error[-4000:],
            "finished": now if dead else None,
            "id": row.id,
            "me": worker_id,
            "attempts": row.attempts,
        }

        async def fail(connection: DirectConnection) -> bool:
            return bool(await connection.fetch(self.sql.fail, params))

        failed = await self.db.direct.run(fail)
        if failed and not dead:
            self.forget_floor()
        return status.value if failed else ""

    async def release(self, rows: Sequence[QueueRecord], worker_id: str) -> None:
        """Give back claimed rows whose tries never started: pending again at once, for any worker, with
        their attempts as before the claim. A row this claim no longer holds is left as it is."""
        if not rows:
            return
        params = {
            "ids": self.engine.ids(row.id for row in rows),
            "claims": self.engine.ids(claim_of(row.id, row.attempts) for row in rows),
            "me": worker_id,
        }

        async def release(connection: DirectConnection) -> None:
            await connection.execute(self.sql.release, params)

        await self.db.direct.run(release)
        self.forget_floor()

    async def extend_leases(self, worker_id: str, row_ids: Iterable[int]) -> None:
        """Keep rows that are still being worked on from being taken by someone else."""
        ids = list(row_ids)
        if not ids:
            return
        params = {"until": self.clock.now_ms() + self.lease_ms, "ids": self.engine.ids(ids), "me": worker_id}

        async def extend(connection: DirectConnection) -> None:
            await connection.execute(self.sql.extend_leases, params)

        await self.db.direct.run(extend)

    async def replay(self, row_ids: Iterable[int] | None = None) -> int:
        """Put dead letters (all of them, or the given ones) back in the queue. Returns how many."""
        params: dict[str, Any] = {"now": self.clock.now_ms()}
        if row_ids is not None:
            params["ids"] = self.engine.ids(row_ids)
        async with self.db.transaction() as session:
            sql = self.sql.replay_all if row_ids is None else self.sql.replay_some
            result = await session.execute(text(sql), params)
        self.forget_floor()
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def has_work(self, *, due_only: bool) -> bool:
        """Whether a row is running or pending (with `due_only`, pending and due now)."""
        sql = self.sql.has_due_work if due_only else self.sql.has_work
        async with self.db.session() as session:
            return (await session.execute(text(sql), {"now": self.clock.now_ms()})).first() is not None

    async def counts(self) -> dict[str, int]:
        """Rows per status."""
        async with self.db.session() as session:
            return {row.status: int(row.n) for row in await session.execute(text(self.sql.counts))}

    async def list(self, status: str | None = None, limit: int = 100) -> list[R]:
        """The newest rows, optionally of one status (e.g. "dead")."""
        sql = self.sql.newest if status is None else self.sql.newest_of_status
        params: dict[str, Any] = {"limit": limit, "status": status}
        async with self.db.session() as session:
            return [self.record.of(dict(row._mapping)) for row in await session.execute(text(sql), params)]

    PURGE_BATCH = 5000  # done rows deleted per transaction

    async def purge_finished(self, older_than_ms: int) -> int:
        """Delete done rows finished before `older_than_ms` (dead letters are kept until replayed), in
        transactions of `PURGE_BATCH` rows: an hour of events at a few thousand a second is millions of rows,
        and one statement for all of them held its locks and wrote its WAL as one burst. Returns how many."""
        purged = 0
        while True:
            async with self.db.transaction() as session:
                params = {"before": older_than_ms, "limit": self.PURGE_BATCH}
                result = await session.execute(text(self.sql.purge_done), params)
                batch = int(result.rowcount)  # type: ignore[attr-defined]
            purged += batch
            if batch < self.PURGE_BATCH:
                return purged


def event_queue(db: Database, *, clock: Clock, lease_seconds: float, retry: RetryPolicy) -> WorkQueue[EventRecord]:
    """The webhook event queue, ordered per chat."""
    return WorkQueue(db, "events", EventRecord, clock=clock, lease_seconds=lease_seconds, retry=retry, ordered=True)


def job_queue(db: Database, *, clock: Clock, lease_seconds: float, retry: RetryPolicy) -> WorkQueue[JobRecord]:
    """The scheduled-job queue (no ordering between jobs)."""
    return WorkQueue(db, "jobs", JobRecord, clock=clock, lease_seconds=lease_seconds, retry=retry, ordered=False)
