"""Which OAs this module serves, answered from memory: the webhook intake asks it for every webhook."""

from __future__ import annotations

from sqlalchemy import select

from linemod.framework.storage.database import Database
from linemod.framework.storage.models import EventRow, Tenant


class KnownTenants:
    """Answers "is this destination one of our OAs?" from memory, asking the database on a miss."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._known: set[str] = set()

    def remember(self, bot_id: str) -> None:
        self._known.add(bot_id)

    async def is_known(self, bot_id: str) -> bool:
        """A tenant row exists, or an attached event for it is stored (perhaps not processed yet)."""
        if bot_id in self._known:
            return True
        async with self.db.session() as session:
            found = await session.scalar(select(Tenant.bot_id).where(Tenant.bot_id == bot_id))
            if not found:
                found = await session.scalar(
                    select(EventRow.id).where(EventRow.bot_id == bot_id, EventRow.event_type == "module").limit(1)
                )
        if found:
            self._known.add(bot_id)
        return bool(found)
