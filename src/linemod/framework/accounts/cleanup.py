"""Deleting account rows nobody needs any more (run by the framework's hourly purge job)."""

from __future__ import annotations

from sqlalchemy import delete, or_

from linemod.framework.storage.database import Database
from linemod.framework.storage.models import AccountTokenRow, AuthSessionRow, SigninAttemptRow

KEEP_REVOKED_MS = 30 * 24 * 3600 * 1000  # revoked sessions stay a while: "why was I signed out?" has an answer


async def purge_account_rows(db: Database, now_ms: int, signin_window_seconds: int) -> None:
    async with db.transaction() as session:
        await session.execute(
            delete(SigninAttemptRow).where(SigninAttemptRow.at_ms <= now_ms - signin_window_seconds * 1000)
        )
        await session.execute(delete(AccountTokenRow).where(AccountTokenRow.expires_at_ms <= now_ms))
        await session.execute(
            delete(AuthSessionRow).where(
                or_(
                    AuthSessionRow.expires_at_ms <= now_ms - KEEP_REVOKED_MS,
                    AuthSessionRow.revoked_at_ms <= now_ms - KEEP_REVOKED_MS,
                )
            )
        )
