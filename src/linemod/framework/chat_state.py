"""Per-chat records: the mode (active/standby) the last event of a chat showed, and the module's own state
for that chat (a JSON object a handler reads and changes as `ctx.state`)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.models import ChatStateRow


class ChatState:
    """The loaded state of one chat; `save()` writes it back only when something changed."""

    def __init__(self, bot_id: str, chat_id: str, row: Any | None) -> None:
        self.bot_id = bot_id
        self.chat_id = chat_id
        self._exists = row is not None
        self.data: dict[str, Any] = json.loads(row.data) if row is not None else {}
        self._original = json.dumps(self.data, sort_keys=True)
        self.mode: str | None = row.mode if row is not None else None
        self._mode_ts: int | None = row.mode_ts_ms if row is not None else None
        self._mode_changed = False

    @classmethod
    async def load(cls, session: AsyncSession, bot_id: str, chat_id: str) -> ChatState:
        # Core, not the ORM: this runs for every event and the identity map buys nothing here.
        row = (await session.execute(_SELECT, {"bot_id": bot_id, "chat_id": chat_id})).first()
        return cls(bot_id, chat_id, row)

    def observe_mode(self, mode: str | None, event_ts_ms: int) -> None:
        """Record the mode an event showed, unless a newer event already showed one."""
        if mode is None or (self._mode_ts is not None and event_ts_ms < self._mode_ts):
            return
        if mode != self.mode or self._mode_ts != event_ts_ms:
            self.mode, self._mode_ts, self._mode_changed = mode, event_ts_ms, True

    async def save(self, session: AsyncSession, now_ms: int) -> None:
        data = json.dumps(self.data, sort_keys=True)
        if data == self._original and not self._mode_changed:
            return
        values = {
            "bot_id": self.bot_id,
            "chat_id": self.chat_id,
            "mode": self.mode,
            "mode_ts_ms": self._mode_ts,
            "data": data,
            "updated_at_ms": now_ms,
        }
        await session.execute(_UPDATE if self._exists else _INSERT, values)
        self._exists = True
        self._original, self._mode_changed = data, False


_TABLE = ChatStateRow.__table__
_SELECT = text("SELECT mode, mode_ts_ms, data FROM chat_states WHERE bot_id = :bot_id AND chat_id = :chat_id")
_INSERT = _TABLE.insert()
_UPDATE = text(
    "UPDATE chat_states SET mode = :mode, mode_ts_ms = :mode_ts_ms, data = :data, updated_at_ms = :updated_at_ms "
    "WHERE bot_id = :bot_id AND chat_id = :chat_id"
)


async def current_mode(session: AsyncSession, bot_id: str, chat_id: str) -> str | None:
    """The mode of a chat as its last processed event showed it ("active", "standby" or None if unseen)."""
    row = await session.get(ChatStateRow, (bot_id, chat_id))
    return row.mode if row is not None else None
