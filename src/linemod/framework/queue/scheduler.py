"""Durable scheduled jobs: run a named handler later (a day-before reminder, a periodic sync).

Jobs live in the `jobs` table and are run by the same workers as webhook events, with the same lease,
retry and dead-letter rules. A `key` makes scheduling idempotent ("reminder:42" is scheduled once however
many times the code asks) and lets a job be cancelled before it runs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from linemod.framework.clock import Clock
from linemod.framework.queue.statements import CANCEL_JOB, INSERT_JOB
from linemod.framework.storage.database import Database

_HINTS = "linemod_job_hints"
"""The `Session.info` key of the run times of jobs scheduled in that session, noted when it commits."""


@dataclass(frozen=True)
class Recurring:
    """A job run every `interval_seconds` (at most once per interval across all processes)."""

    name: str
    interval_seconds: int


@dataclass(frozen=True)
class Job:
    """A job to schedule (`JobScheduler.schedule_many`)."""

    name: str
    payload: dict[str, Any]
    key: str | None = None
    bot_id: str | None = None
    run_at_ms: int | None = None  # None: now


class JobScheduler:
    """Puts jobs in the `jobs` table."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._soonest_ms: int | None = None

    def take_due_hint(self, now_ms: int) -> bool:
        """Whether a job scheduled through this process since the last call that said so may be due now.

        The in-process worker claims jobs on every poll, and between polls only when this says so: a claim
        of the jobs table after each claim of events cost a transaction per claim while no job was due.
        A job counts once its transaction has committed: a claim between the insert and the commit would
        not see it. A hint may still be wrong (another worker ran the job); that costs one empty claim. Jobs
        scheduled by other processes are found by the poll."""
        if self._soonest_ms is None or self._soonest_ms > now_ms:
            return False
        self._soonest_ms = None
        return True

    def _note(self, run_at_ms: int) -> None:
        if self._soonest_ms is None or run_at_ms < self._soonest_ms:
            self._soonest_ms = run_at_ms

    def _note_on_commit(self, session: AsyncSession | None, run_at_ms: int) -> None:
        if session is None:  # a transaction of its own, committed before this is called
            self._note(run_at_ms)
            return
        sync = session.sync_session
        hints = sync.info.get(_HINTS)
        if hints is None:
            hints = sync.info[_HINTS] = []
            event.listen(sync, "after_commit", self._committed, once=True)
            event.listen(sync, "after_rollback", _forget_hints, once=True)
        hints.append(run_at_ms)

    def _committed(self, sync: Session) -> None:
        hints = sync.info.pop(_HINTS, None)
        if hints:
            self._note(min(hints))

    async def schedule(
        self,
        name: str,
        payload: dict[str, Any] | None = None,
        *,
        run_at_ms: int | None = None,
        delay_seconds: float | None = None,
        key: str | None = None,
        bot_id: str | None = None,
        session: AsyncSession | None = None,
    ) -> bool:
        """Schedule job `name` at `run_at_ms` (UNIX ms) or after `delay_seconds` (default: now). Returns False
        when a job with the same `key` already exists. With `session`, joins that transaction (what module
        code does, through `ctx.schedule()`); without, in a transaction of its own (recurring jobs)."""
        now = self.clock.now_ms()
        if run_at_ms is None:
            run_at_ms = now + int((delay_seconds or 0) * 1000)
        job = Job(name, payload or {}, key=key, bot_id=bot_id, run_at_ms=run_at_ms)
        inserted = await self._execute(INSERT_JOB, _insert_values(job, now), session)
        if inserted:
            self._note_on_commit(session, run_at_ms)
        return inserted

    async def schedule_many(self, jobs: Sequence[Job], *, session: AsyncSession) -> None:
        """`schedule` for many jobs in `session`, one statement executed for all of them (a job whose key is
        taken is skipped, as `schedule` skips it)."""
        if not jobs:
            return
        now = self.clock.now_ms()
        await session.execute(text(INSERT_JOB), [_insert_values(job, now) for job in jobs])
        self._note_on_commit(session, min(now if job.run_at_ms is None else job.run_at_ms for job in jobs))

    async def cancel(self, key: str, *, session: AsyncSession | None = None) -> bool:
        """Remove a job that has not started yet. Returns False if there was none pending."""
        return await self._execute(CANCEL_JOB, {"key": key}, session)

    async def _execute(self, sql: str, params: dict[str, Any], session: AsyncSession | None) -> bool:
        """Run one statement in `session`, else in a transaction of its own; whether it changed a row."""
        if session is not None:
            result = await session.execute(text(sql), params)
        else:
            async with self.db.transaction() as own:
                result = await own.execute(text(sql), params)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def ensure_next(self, recurring: Recurring) -> None:
        """Make sure the next run of a recurring job is scheduled (keyed by its time slot)."""
        interval_ms = recurring.interval_seconds * 1000
        slot = (self.clock.now_ms() // interval_ms + 1) * interval_ms
        await self.schedule(recurring.name, run_at_ms=slot, key=f"{recurring.name}@{slot}")


def _insert_values(job: Job, now_ms: int) -> dict[str, Any]:
    """The parameters of `INSERT_JOB` for `job`, scheduled at `now_ms`."""
    return {
        "name": job.name,
        "key": job.key,
        "bot_id": job.bot_id,
        "payload": json.dumps(job.payload, ensure_ascii=False),
        "run_at_ms": now_ms if job.run_at_ms is None else job.run_at_ms,
        "created_at_ms": now_ms,
    }


def _forget_hints(sync: Session) -> None:
    sync.info.pop(_HINTS, None)
