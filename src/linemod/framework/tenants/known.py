"""Which OAs this module serves, answered from memory: the webhook intake asks it for every webhook."""

from __future__ import annotations

from linemod.framework.storage.database import Database
from linemod.framework.storage.direct_sql import DirectConnection

# A tenant row exists, or an attached event for the OA is stored (perhaps not processed yet).
_KNOWN = (
    "SELECT (EXISTS (SELECT 1 FROM tenants WHERE bot_id = :bot_id) "
    "OR EXISTS (SELECT 1 FROM events WHERE bot_id = :bot_id AND event_type = 'module')) AS known"
)


class KnownTenants:
    """Answers "is this destination one of our OAs?" from memory, asking the database on a miss.

    The question is asked on the driver (`Database.direct`), not through an ORM session: the intake gives
    up on a database that does not answer at its deadline, and a session cancelled mid-statement spends
    seconds closing its connection politely; the driver's connection is dropped at once."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._known: set[str] = set()

    def remember(self, bot_id: str) -> None:
        self._known.add(bot_id)

    async def is_known(self, bot_id: str) -> bool:
        """A tenant row exists, or an attached event for it is stored (perhaps not processed yet)."""
        if bot_id in self._known:
            return True

        async def ask(connection: DirectConnection) -> bool:
            rows = await connection.fetch(_KNOWN, {"bot_id": bot_id})
            return bool(rows[0]["known"])

        found = await self.db.direct.run(ask, read_only=True, one_statement=True)
        if found:
            self._known.add(bot_id)
        return found
