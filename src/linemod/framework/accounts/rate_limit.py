"""Failed sign-ins counted per email and client IP in the database, so the limit holds across processes."""

from __future__ import annotations

import hashlib

from sqlalchemy import delete, func, select

from linemod.framework.clock import Clock
from linemod.framework.storage.database import Database
from linemod.framework.storage.models import SigninAttemptRow


class SigninLimiter:
    """At most `max_failures` failed tries per key within `window_seconds`; a success clears the key."""

    def __init__(self, db: Database, clock: Clock, *, max_failures: int, window_seconds: int) -> None:
        self.db = db
        self.clock = clock
        self.max_failures = max_failures
        self.window_ms = window_seconds * 1000

    @staticmethod
    def key(kind: str, email: str, ip: str) -> str:
        return hashlib.sha256(f"{kind}|{email.strip().lower()}|{ip}".encode()).hexdigest()

    async def blocked(self, key: str) -> bool:
        since = self.clock.now_ms() - self.window_ms
        async with self.db.session() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(SigninAttemptRow)
                .where(SigninAttemptRow.key_hash == key, SigninAttemptRow.at_ms > since)
            )
        return int(count or 0) >= self.max_failures

    async def failed(self, key: str) -> None:
        now = self.clock.now_ms()
        async with self.db.transaction() as session:
            session.add(SigninAttemptRow(key_hash=key, at_ms=now))
            # old rows of this key are useless; dropping them here keeps the table small without a job
            await session.execute(
                delete(SigninAttemptRow).where(
                    SigninAttemptRow.key_hash == key, SigninAttemptRow.at_ms <= now - self.window_ms
                )
            )

    async def succeeded(self, key: str) -> None:
        async with self.db.transaction() as session:
            await session.execute(delete(SigninAttemptRow).where(SigninAttemptRow.key_hash == key))

    async def purge(self) -> int:
        """Delete every attempt older than the window (run by the console's hourly clean-up job)."""
        async with self.db.transaction() as session:
            result = await session.execute(
                delete(SigninAttemptRow).where(SigninAttemptRow.at_ms <= self.clock.now_ms() - self.window_ms)
            )
            return int(result.rowcount)  # type: ignore[attr-defined]
