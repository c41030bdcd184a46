"""Deleting account rows nobody needs any more (run by the framework's hourly purge job)."""

from __future__ import annotations

from sqlalchemy import delete, or_

from linemod.framework.storage.database import Database
from linemod.framework.storage.models import AccountTokenRow, AttemptCounterRow, AuthSessionRow

KEEP_REVOKED_MS = 30 * 24 * 3600 * 1000  # revoked sessions stay a while: "why was I signed out?" has an answer


async def purge_account_rows(db: Database, now_ms: int) -> None:
    async with db.transaction() as session:
        # a counter whose window is over counts from 0 at its next attempt anyway
        await session.execute(delete(AttemptCounterRow).where(AttemptCounterRow.expires_at_ms <= now_ms))
        await session.execute(delete(AccountTokenRow).where(AccountTokenRow.expires_at_ms <= now_ms))
        await session.execute(
            delete(AuthSessionRow).where(
                or_(
                    AuthSessionRow.expires_at_ms <= now_ms - KEEP_REVOKED_MS,
                    AuthSessionRow.revoked_at_ms <= now_ms - KEEP_REVOKED_MS,
                )
            )
        )
