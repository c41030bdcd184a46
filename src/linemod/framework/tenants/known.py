"""Which OAs this module serves, answered from memory: the webhook intake asks it for every webhook."""

from __future__ import annotations

import asyncio

from linemod.framework.storage.database import Database
from linemod.framework.storage.direct_sql import DirectConnection

# A tenant row exists, or an attached event for the OA is stored (perhaps not processed yet).
_KNOWN = (
    "SELECT (EXISTS (SELECT 1 FROM tenants WHERE bot_id = :bot_id) "
    "OR EXISTS (SELECT 1 FROM events WHERE bot_id = :bot_id AND event_type = 'module')) AS known"
)
_EVERY_TENANT = "SELECT bot_id FROM tenants"


class KnownTenants:
    """Answers "is this destination one of our OAs?" from memory, asking the database on a miss.

    The first question reads every tenant's bot ID in one query: otherwise each OA's first webhook after a
    start costs a query of its own, 10,000 of them at 10,000 OAs. An OA attached since (by another process)
    is still found by asking on the miss.

    The questions are asked on the driver (`Database.direct`), not through an ORM session: the intake gives
    up on a database that does not answer at its deadline, and a session cancelled mid-statement spends
    seconds closing its connection politely; the driver's connection is dropped at once."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._known: set[str] = set()
        self._every_tenant_read: asyncio.Future[None] | None = None

    def remember(self, bot_id: str) -> None:
        self._known.add(bot_id)

    async def is_known(self, bot_id: str) -> bool:
        """A tenant row exists, or an attached event for it is stored (perhaps not processed yet)."""
        if bot_id in self._known:
            return True
        if self._every_tenant_read is None or self._every_tenant_read.cancelled() or (
                self._every_tenant_read.done() and self._every_tenant_read.exception() is not None):
            self._every_tenant_read = asyncio.ensure_future(self._read_every_tenant())
        # Shielded: a webhook given up on at its deadline does not cancel the read the others wait for.
        await asyncio.shield(self._every_tenant_read)
        if bot_id in self._known:
            return True

        async def ask(connection: DirectConnection) -> bool:
            rows = await connection.fetch(_KNOWN, {"bot_id": bot_id})
            return bool(rows[0]["known"])

        found = await self.db.direct.run(ask, read_only=True, one_statement=True)
        if found:
            self._known.add(bot_id)
        return found

    async def _read_every_tenant(self) -> None:
        async def read(connection: DirectConnection) -> list[str]:
            return [row["bot_id"] for row in await connection.fetch(_EVERY_TENANT)]

        self._known.update(await self.db.direct.run(read, read_only=True, one_statement=True))
