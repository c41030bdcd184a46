"""What the provider console reads from the queue tables: activity per tenant, a tenant's event log and
dead letters, and the health numbers. Plain SQL that runs the same on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text

from linemod.framework.storage.database import Database
from linemod.framework.storage.models import EventRow, QueueStatus

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
    sql = text(
        "SELECT bot_id, MAX(received_at_ms) AS last_ms, "
        "SUM(CASE WHEN received_at_ms > :day THEN 1 ELSE 0 END) AS recent, "
        "SUM(CASE WHEN status = 'dead' THEN 1 ELSE 0 END) AS dead, "
        "SUM(CASE WHEN status IN ('pending', 'running') THEN 1 ELSE 0 END) AS waiting "
        "FROM events GROUP BY bot_id"
    )
    async with db.session() as session:
        rows = await session.execute(sql, {"day": now_ms - DAY_MS})
        return {r.bot_id: Activity(r.last_ms, int(r.recent or 0), int(r.dead or 0), int(r.waiting or 0)) for r in rows}


async def event_log(db: Database, bot_id: str, *, status: str | None = None, limit: int = 100) -> list[EventRow]:
    """The newest events of one tenant (optionally of one status), newest first."""
    stmt = select(EventRow).where(EventRow.bot_id == bot_id).order_by(EventRow.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(EventRow.status == status)
    async with db.session() as session:
        return list(await session.scalars(stmt))


async def dead_ids(db: Database, bot_id: str, ids: list[int] | None) -> list[int]:
    """The dead letters of `bot_id` among `ids` (all of them when None): replay never crosses tenants."""
    stmt = select(EventRow.id).where(EventRow.bot_id == bot_id, EventRow.status == QueueStatus.DEAD)
    if ids is not None:
        stmt = stmt.where(EventRow.id.in_(ids))
    async with db.session() as session:
        return list(await session.scalars(stmt))


async def health(db: Database, now_ms: int) -> Health:
    async with db.session() as session:

        async def one(sql: str, **params: Any) -> int:
            return int((await session.execute(text(sql), params)).scalar() or 0)

        counts = {
            r.status: int(r.n)
            for r in await session.execute(text("SELECT status, COUNT(*) AS n FROM events GROUP BY status"))
        }
        oldest = (
            await session.execute(text("SELECT MIN(received_at_ms) FROM events WHERE status = 'pending'"))
        ).scalar()
        finished = {
            r.status: int(r.n)
            for r in await session.execute(
                text("SELECT status, COUNT(*) AS n FROM events WHERE finished_at_ms > :since GROUP BY status"),
                {"since": now_ms - HOUR_MS},
            )
        }
        return Health(
            pending=counts.get("pending", 0),
            running=counts.get("running", 0),
            retrying=await one("SELECT COUNT(*) FROM events WHERE status = 'pending' AND attempts > 0"),
            dead=counts.get("dead", 0),
            jobs_pending=await one("SELECT COUNT(*) FROM jobs WHERE status IN ('pending', 'running')"),
            oldest_pending_age_ms=(now_ms - int(oldest)) if oldest is not None else None,
            received_last_minute=await one("SELECT COUNT(*) FROM events WHERE received_at_ms > :t", t=now_ms - 60_000),
            received_last_hour=await one("SELECT COUNT(*) FROM events WHERE received_at_ms > :t", t=now_ms - HOUR_MS),
            finished_last_hour=finished.get("done", 0) + finished.get("dead", 0),
            failed_last_hour=finished.get("dead", 0),
        )
