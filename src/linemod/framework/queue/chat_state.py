"""Per-chat records: the mode (active/standby) the last event of a chat showed, and the module's own state
for that chat (a JSON object a handler reads and changes as `ctx.state`)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.queue.engine import QueueEngine
from linemod.framework.queue.statements import UPSERT_CHAT_STATE
from linemod.framework.storage.direct_sql import DirectConnection
from linemod.framework.storage.models import ChatStateRow


class ChatState:
    """The loaded state of one chat (`load_many`, with the worker's claim). What changed is written back
    with the event's "done": batched (`changes()`, `save_many`), or in the handler's session (`save()`)."""

    def __init__(self, bot_id: str, chat_id: str, row: Mapping[str, Any] | None) -> None:
        self.bot_id = bot_id
        self.chat_id = chat_id
        self.data: dict[str, Any] = json.loads(row["data"]) if row is not None else {}
        self._original = json.dumps(self.data, sort_keys=True)
        self.mode: str | None = row["mode"] if row is not None else None
        self._mode_ts: int | None = row["mode_ts_ms"] if row is not None else None
        self._mode_changed = False

    @classmethod
    async def load_many(
        cls, connection: DirectConnection, engine: QueueEngine, chats: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], ChatState]:
        """The states of several chats in one query (the worker loads a claimed batch at once)."""
        keys = sorted(set(chats))
        if not keys:
            return {}
        sql, params = engine.chat_states(keys)
        found = {(r["bot_id"], r["chat_id"]): r for r in await connection.fetch(sql, params)}
        return {key: cls(key[0], key[1], found.get(key)) for key in keys}

    def changes(self, now_ms: int) -> dict[str, Any] | None:
        """The row to write, or None when neither the data nor the mode changed."""
        data = json.dumps(self.data, sort_keys=True)
        if data == self._original and not self._mode_changed:
            return None
        return {
            "bot_id": self.bot_id,
            "chat_id": self.chat_id,
            "mode": self.mode,
            "mode_ts_ms": self._mode_ts,
            "data": data,
            "updated_at_ms": now_ms,
        }

    def mark_saved(self, row: Mapping[str, Any]) -> None:
        self._original, self._mode_changed = row["data"], False

    def observe_mode(self, mode: str | None, event_ts_ms: int) -> None:
        """Record the mode an event showed, unless a newer event already showed one."""
        if mode is None or (self._mode_ts is not None and event_ts_ms < self._mode_ts):
            return
        if mode != self.mode or self._mode_ts != event_ts_ms:
            self.mode, self._mode_ts, self._mode_changed = mode, event_ts_ms, True

    async def save(self, session: AsyncSession, now_ms: int) -> None:
        """Write the changes in `session` (a handler that used `ctx.db`)."""
        values = self.changes(now_ms)
        if values is not None:
            await session.execute(text(UPSERT_CHAT_STATE), values)
            self.mark_saved(values)


async def save_many(connection: DirectConnection, rows: list[dict[str, Any]]) -> None:
    """Write `changes()` rows of several chats in a direct unit of work (the worker's batched completions)."""
    if rows:
        await connection.executemany(UPSERT_CHAT_STATE, rows)


async def current_mode(session: AsyncSession, bot_id: str, chat_id: str) -> str | None:
    """The mode of a chat as its last processed event showed it ("active", "standby" or None if unseen)."""
    row = await session.get(ChatStateRow, (bot_id, chat_id))
    return row.mode if row is not None else None
