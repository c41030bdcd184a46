"""What the provider console reads from the queue tables: activity per tenant, a tenant's event log and
dead letters, and the health numbers. The statements are in `statements.py` with the queue's others; they
run the same on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from linemod.framework.queue import statements as sql
from linemod.framework.queue.rows import EventRecord
from linemod.framework.storage.database import Database

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS


@dataclass(frozen=True)
class Activity:
    last_event_ms: int | None = None
    events_24h: int = 0
    dead: int = 0
    pending: int = 0


@dataclass(frozen=True)
class Health:
    pending: int
    running: int
    retrying: int
    dead: int
    jobs_pending: int
    oldest_pending_age_ms: int | None
    received_last_minute: int
    received_last_hour: int
    finished_last_hour: int
    failed_last_hour: int

    @property
    def failure_rate(self) -> float | None:
        """Dead letters among the events finished in the last hour (None when nothing finished)."""
        return self.failed_last_hour / self.finished_last_hour if self.finished_last_hour else None


async def activity(db: Database, now_ms: int) -> dict[str, Activity]:
    async with db.session() as session:
        rows = await session.execute(text(sql.ACTIVITY_BY_TENANT), {"day": now_ms - DAY_MS})
        return {r.bot_id: Activity(r.last_ms, int(r.recent or 0), int(r.dead or 0), int(r.waiting or 0)) for r in rows}


async def event_log(db: Database, bot_id: str, *, status: str | None = None, limit: int = 100) -> list[EventRecord]:
    """The newest events of one tenant (optionally of one status), newest first."""
    params = {"bot_id": bot_id, "status": status, "limit": limit}
    async with db.session() as session:
        rows = await session.execute(text(sql.TENANT_EVENTS_OF_STATUS if status else sql.TENANT_EVENTS), params)
        return [EventRecord.of(dict(row._mapping)) for row in rows]


async def dead_ids(db: Database, bot_id: str, ids: list[int] | None) -> list[int]:
    """The dead letters of `bot_id` among `ids` (all of them when None): replay never crosses tenants."""
    async with db.session() as session:
        dead = [int(row.id) for row in await session.execute(text(sql.TENANT_DEAD_IDS), {"bot_id": bot_id})]
    if ids is None:
        return dead
    wanted = set(ids)
    return [row_id for row_id in dead if row_id in wanted]


async def health(db: Database, now_ms: int) -> Health:
    async with db.session() as session:

        async def one(statement: str, **params: Any) -> int:
            return int((await session.execute(text(statement), params)).scalar() or 0)

        counts = {r.status: int(r.n) for r in await session.execute(text(sql.EVENTS_BY_STATUS))}
        oldest = (await session.execute(text(sql.OLDEST_PENDING_EVENT))).scalar()
        finished = {
            r.status: int(r.n)
            for r in await session.execute(text(sql.EVENTS_FINISHED_SINCE), {"since": now_ms - HOUR_MS})
        }
        return Health(
            pending=counts.get("pending", 0),
            running=counts.get("running", 0),
            retrying=await one(sql.EVENTS_RETRYING),
            dead=counts.get("dead", 0),
            jobs_pending=await one(sql.JOBS_WAITING),
            oldest_pending_age_ms=(now_ms - int(oldest)) if oldest is not None else None,
            received_last_minute=await one(sql.EVENTS_RECEIVED_SINCE, t=now_ms - 60_000),
            received_last_hour=await one(sql.EVENTS_RECEIVED_SINCE, t=now_ms - HOUR_MS),
            finished_last_hour=finished.get("done", 0) + finished.get("dead", 0),
            failed_last_hour=finished.get("dead", 0),
        )
