"""A work queue kept in a database table: claim with a lease, finish, retry with backoff, dead letters.

The same class runs the `events` table (webhook events, ordered per chat) and the `jobs` table (scheduled
jobs, unordered). On PostgreSQL any number of processes claim concurrently with `FOR UPDATE SKIP LOCKED`; on
SQLite every write is serialised by the engine, so one claimer per process is enough and still safe.

Crash safety comes from the lease: a claimed row carries `locked_by` and `locked_until_ms`. A worker that
dies leaves the row `running` with a lease that runs out, and the next claim takes it again. Finishing a row
is an UPDATE guarded by `locked_by`, done inside the handler's own transaction, so a handler's database
effects commit together with "done" or not at all.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.clock import Clock
from linemod.framework.storage.database import Database
from linemod.framework.storage.direct_sql import DirectConnection
from linemod.framework.storage.models import EventRow, JobRow, QueueStatus

Extra = TypeVar("Extra")


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


class WorkQueue:
    """Claim, finish, retry and replay rows of one queue table.

    `ordered`: rows carry a `bot_id` and a `chat_key` and a row is claimable only when no older row of the
    same chat is still pending or running (per-chat ordering; a failed row waiting for its retry holds its
    chat back). The OA-wide lane (`chat_key` "<bot_id>:-", lifecycle events) is a barrier for the whole OA.
    """

    def __init__(
        self,
        db: Database,
        table: Table,
        *,
        clock: Clock,
        lease_seconds: float,
        retry: RetryPolicy,
        ordered: bool,
    ) -> None:
        self.db = db
        self.table = table
        self.clock = clock
        self.lease_ms = int(lease_seconds * 1000)
        self.retry = retry
        self.ordered = ordered
        self._released_at_ms = -(10**15)
        self._claim_sql = self._build_claim_sql()
        self._listed_claim_sql = self._build_claim_sql(listed=True)
        self._chat_heads_sql = (
            f"SELECT MIN(id) AS id FROM {table.name} WHERE status IN ('pending', 'running') GROUP BY chat_key"
        )
        self._release_expired_sql = (
            f"UPDATE {table.name} SET status = 'pending', locked_by = NULL, locked_until_ms = NULL "
            "WHERE status = 'running' AND locked_until_ms < :now"
        )
        self._fail_sql = (
            f"UPDATE {table.name} SET status = :status, run_at_ms = :run_at, locked_by = NULL, "
            "locked_until_ms = NULL, last_error = :error, finished_at_ms = :finished "
            "WHERE id = :id AND locked_by = :me AND status = 'running' AND attempts = :attempts RETURNING id"
        )
        self._complete_sql = (
            f"UPDATE {table.name} SET status = 'done', finished_at_ms = :now, locked_by = NULL, "
            "locked_until_ms = NULL, last_error = NULL WHERE id = :id AND locked_by = :me AND status = 'running'"
        )

    WINDOW = 64  # pending rows looked at, oldest first, before falling back to the chat-heads query

    def _build_claim_sql(self, *, listed: bool = False) -> str:
        """The claim statement. For ordered queues a candidate must be the oldest unfinished event of its
        chat, and an OA-wide event (attached, suspended, ...; chat_key "<bot>:-") is a barrier for its OA:
        nothing newer of that OA starts before it, and it starts only after everything older of that OA.

        Candidates come from the WINDOW oldest pending rows (an index walk, cheap however long the
        queue); when those all wait behind busy chats, `listed=True` takes them from the `:candidates`
        parameter instead: the oldest unfinished row of every chat, read beforehand (`chat_heads()`)."""
        t = self.table.name
        lock = "FOR UPDATE OF c SKIP LOCKED" if self.db.is_postgres else ""
        due = "status = 'pending' AND run_at_ms <= :now"
        rules = ""
        if self.ordered:
            unfinished = "p.status IN ('pending', 'running') AND p.id < c.id"
            rules = (
                f"AND NOT EXISTS (SELECT 1 FROM {t} p WHERE p.chat_key = c.chat_key AND {unfinished}) "
                f"AND NOT EXISTS (SELECT 1 FROM {t} p WHERE p.chat_key = c.bot_id || ':-' AND {unfinished}) "
                f"AND (c.chat_key <> c.bot_id || ':-' "
                f"OR NOT EXISTS (SELECT 1 FROM {t} p WHERE p.bot_id = c.bot_id AND {unfinished}))"
            )
        if listed:
            candidates = self.db.direct.in_ids("c.id", "candidates")
        else:
            candidates = f"c.id IN (SELECT id FROM {t} WHERE {due} ORDER BY id LIMIT {self.WINDOW})"
        picked = (
            f"SELECT c.id FROM {t} c WHERE {candidates} "
            f"AND c.status = 'pending' AND c.run_at_ms <= :now {rules} "
            f"ORDER BY c.id LIMIT :limit {lock}"
        )
        update = (
            f"UPDATE {t} SET status = 'running', locked_by = :me, locked_until_ms = :lease, attempts = attempts + 1"
        )
        if self.db.is_postgres:
            # A materialized CTE runs the locking pick exactly once. Inside `WHERE id IN (...)` the planner
            # may put it on the inner side of a join and run it again per outer row, and with SKIP LOCKED
            # every run picks new rows: a claim of 1 came back with 6.
            return (
                f"WITH picked AS MATERIALIZED ({picked}) {update} FROM picked "
                f"WHERE {t}.id = picked.id AND {t}.status = 'pending' RETURNING {t}.*"
            )
        # SQLite evaluates an uncorrelated IN (subquery) once, into a temporary index.
        return f"{update} WHERE id IN ({picked}) AND status = 'pending' RETURNING *"

    async def claim(self, worker_id: str, limit: int) -> list[dict[str, Any]]:
        """Take up to `limit` due rows for `worker_id`, oldest first. Rows whose lease ran out (their worker
        died) are pending again first; rows whose attempts are used up become dead letters instead."""
        rows, _ = await self.claim_with(worker_id, limit)
        return rows

    async def claim_with(
        self,
        worker_id: str,
        limit: int,
        read_also: Callable[[DirectConnection, list[dict[str, Any]]], Awaitable[Extra]] | None = None,
    ) -> tuple[list[dict[str, Any]], Extra | None]:
        """`claim()`, plus `read_also(connection, rows)` run in the claim's own transaction (the worker reads
        the claimed chats' states there). The window of oldest pending rows first; when it finds nothing and
        the queue is ordered, every chat's oldest row (`chat_heads()`)."""

        async def unit(connection: DirectConnection, among: list[int] | None) -> tuple[list[dict[str, Any]], Any]:
            rows = await self._claim_in(connection, worker_id, limit, among=among)
            return rows, (await read_also(connection, rows) if read_also is not None else None)

        direct = self.db.direct
        rows, extra = await direct.run(lambda connection: unit(connection, None))
        if not rows and self.ordered and (heads := await self.chat_heads()):
            rows, extra = await direct.run(lambda connection: unit(connection, heads))
        return await self._drop_exhausted(rows, worker_id), extra

    async def chat_heads(self) -> list[int]:
        """The oldest unfinished row of every chat: the candidates when the window finds nothing (the oldest
        pending rows all wait behind busy chats). A pass over every unfinished row, tens of milliseconds
        with a backlog of tens of thousands, so it reads off the event loop and takes no write lock."""

        async def read(connection: DirectConnection) -> list[int]:
            return [int(r["id"]) for r in await connection.fetch(self._chat_heads_sql)]

        return await self.db.direct.run(read, read_only=True)

    RELEASE_EVERY_MS = 1000  # how often claims also look for rows whose lease ran out

    async def _claim_in(
        self, connection: DirectConnection, worker_id: str, limit: int, *, among: list[int] | None = None
    ) -> list[dict[str, Any]]:
        """The claim statement inside a unit of work. Candidates: the window of oldest pending rows, or
        `among` (from `chat_heads()`)."""
        now = self.clock.now_ms()
        params: dict[str, Any] = {"me": worker_id, "lease": now + self.lease_ms, "now": now, "limit": limit}
        if self.db.is_postgres:
            # The window must walk the (status, id) index in order and stop after WINDOW rows. A queue
            # table grows faster than autovacuum re-analyses it, and with statistics from when it was
            # small the planner bitmap-scans every pending row and sorts them (12 ms at 30,000
            # pending instead of 1 ms). Scoped to this transaction.
            await connection.execute("SET LOCAL enable_bitmapscan = off")
        if now - self._released_at_ms >= self.RELEASE_EVERY_MS or now < self._released_at_ms:
            await connection.execute(self._release_expired_sql, {"now": now})
            self._released_at_ms = now
        if among is None:
            rows = await connection.fetch(self._claim_sql, params)
        else:
            rows = await connection.fetch(self._listed_claim_sql, {**params, "candidates": self.db.direct.ids(among)})
        rows.sort(key=lambda r: r["id"])
        return rows

    async def _drop_exhausted(self, rows: list[dict[str, Any]], worker_id: str) -> list[dict[str, Any]]:
        """Claimed rows whose attempts are used up (their workers kept dying) become dead letters."""
        exhausted = [r for r in rows if r["attempts"] > self.retry.max_attempts]
        for row in exhausted:
            await self.fail(row, worker_id, "lease expired too many times (worker killed?)", final=True)
        return [r for r in rows if r["attempts"] <= self.retry.max_attempts]

    async def complete(self, session: AsyncSession, row_id: int, worker_id: str) -> None:
        """Mark the row done inside `session`'s transaction; raises `LeaseLost` if it is no longer ours."""
        result = await session.execute(
            text(self._complete_sql),
            {"now": self.clock.now_ms(), "id": row_id, "me": worker_id},
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise LeaseLost(f"{self.table.name} row {row_id} is no longer held by {worker_id}")

    async def complete_many(
        self, connection: DirectConnection, row_ids: list[int], worker_id: str
    ) -> tuple[set[int], dict[int, LeaseLost]]:
        """Mark rows done inside a direct unit of work (the worker's batched completions). Returns the ids
        marked done and a `LeaseLost` for each row that is no longer ours."""
        done_rows = await connection.fetch(
            f"UPDATE {self.table.name} SET status = 'done', finished_at_ms = :now, locked_by = NULL, "
            f"locked_until_ms = NULL, last_error = NULL WHERE {self.db.direct.in_ids('id', 'ids')} "
            "AND locked_by = :me AND status = 'running' RETURNING id",
            {"now": self.clock.now_ms(), "ids": self.db.direct.ids(row_ids), "me": worker_id},
        )
        done = {int(r["id"]) for r in done_rows}
        lost = {
            row_id: LeaseLost(f"{self.table.name} row {row_id} is no longer held by {worker_id}")
            for row_id in row_ids
            if row_id not in done
        }
        return done, lost

    async def fail(self, row: Mapping[str, Any], worker_id: str, error: str, *, final: bool = False) -> str:
        """Record a failed try of the claimed `row`: back to pending after a backoff, or dead once attempts
        are used up (or with `final`). Returns the new status ("" if the row was not ours any more).

        One guarded statement: it changes the row only while this claim still holds it (same worker, still
        running, same attempt). A worker whose lease ran out must not overwrite a row that another worker,
        or this process's own next claim, has taken since."""
        attempts = int(row["attempts"])
        dead = final or attempts >= self.retry.max_attempts
        now = self.clock.now_ms()
        status = QueueStatus.DEAD if dead else QueueStatus.PENDING
        params = {
            "status": status,
            "run_at": now if dead else now + self.retry.delay_ms(attempts),
            "error": error[-4000:],
            "finished": now if dead else None,
            "id": row["id"],
            "me": worker_id,
            "attempts": attempts,
        }

        async def fail(connection: DirectConnection) -> bool:
            return bool(await connection.fetch(self._fail_sql, params))

        return status if await self.db.direct.run(fail) else ""

    async def extend_leases(self, worker_id: str, row_ids: Iterable[int]) -> None:
        """Keep rows that are still being worked on from being taken by someone else."""
        ids = list(row_ids)
        if not ids:
            return
        until = self.clock.now_ms() + self.lease_ms

        async def extend(connection: DirectConnection) -> None:
            await connection.execute(
                f"UPDATE {self.table.name} SET locked_until_ms = :until "
                f"WHERE {self.db.direct.in_ids('id', 'ids')} AND locked_by = :me",
                {"until": until, "ids": self.db.direct.ids(ids), "me": worker_id},
            )

        await self.db.direct.run(extend)

    async def replay(self, row_ids: Iterable[int] | None = None) -> int:
        """Put dead letters (all of them, or the given ones) back in the queue. Returns how many."""
        stmt = (
            self.table.update()
            .where(self.table.c.status == QueueStatus.DEAD)
            .values(
                status=QueueStatus.PENDING,
                attempts=0,
                run_at_ms=self.clock.now_ms(),
                finished_at_ms=None,
                last_error=None,
            )
        )
        if row_ids is not None:
            stmt = stmt.where(self.table.c.id.in_(list(row_ids)))
        async with self.db.transaction() as session:
            result = await session.execute(stmt)
            return int(result.rowcount)  # type: ignore[attr-defined]

    async def has_work(self, *, due_only: bool) -> bool:
        """Whether a row is running or pending (with `due_only`, pending and due now)."""
        due = " AND run_at_ms <= :now" if due_only else ""
        sql = f"SELECT 1 FROM {self.table.name} WHERE status = 'running' OR (status = 'pending'{due}) LIMIT 1"
        async with self.db.session() as session:
            return (await session.execute(text(sql), {"now": self.clock.now_ms()})).first() is not None

    async def counts(self) -> dict[str, int]:
        """Rows per status."""
        async with self.db.session() as session:
            result = await session.execute(text(f"SELECT status, COUNT(*) AS n FROM {self.table.name} GROUP BY status"))
            return {row.status: int(row.n) for row in result}

    async def list(self, status: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """The newest rows, optionally of one status (e.g. "dead")."""
        stmt = self.table.select().order_by(self.table.c.id.desc()).limit(limit)
        if status is not None:
            stmt = stmt.where(self.table.c.status == status)
        async with self.db.session() as session:
            return [dict(row._mapping) for row in await session.execute(stmt)]

    async def purge_finished(self, older_than_ms: int) -> int:
        """Delete done rows finished before `older_than_ms` (dead letters are kept until replayed)."""
        async with self.db.transaction() as session:
            result = await session.execute(
                self.table.delete().where(
                    self.table.c.status == QueueStatus.DONE, self.table.c.finished_at_ms < older_than_ms
                )
            )
            return int(result.rowcount)  # type: ignore[attr-defined]


def event_queue(db: Database, *, clock: Clock, lease_seconds: float, retry: RetryPolicy) -> WorkQueue:
    """The webhook event queue, ordered per chat."""
    return WorkQueue(db, EventRow.__table__, clock=clock, lease_seconds=lease_seconds, retry=retry, ordered=True)  # type: ignore[arg-type]


def job_queue(db: Database, *, clock: Clock, lease_seconds: float, retry: RetryPolicy) -> WorkQueue:
    """The scheduled-job queue (no ordering between jobs)."""
    return WorkQueue(db, JobRow.__table__, clock=clock, lease_seconds=lease_seconds, retry=retry, ordered=False)  # type: ignore[arg-type]
