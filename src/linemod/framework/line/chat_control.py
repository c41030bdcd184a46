"""Chat control for one chat: acquire, release, and the mode the last event showed.

LINE can move control without telling the module (a TTL running out sends no event), so the mode here is
"as the last event showed it": the truth arrives with the `mode` of the next event.
"""

from __future__ import annotations

from linemod.framework.line.client import LineClient
from linemod.framework.queue.chat_state import ChatState


class ChatControl:
    """Bound to one chat of one OA; handlers reach it as `ctx.chat`."""

    def __init__(self, line: LineClient, chat_id: str, state: ChatState | None = None) -> None:
        self.line = line
        self.chat_id = chat_id
        self._state = state

    @property
    def mode(self) -> str | None:
        """ "active", "standby", or None when no event of this chat has been seen yet."""
        return self._state.mode if self._state is not None else None

    @property
    def is_active(self) -> bool:
        return self.mode == "active"

    async def acquire(self, *, ttl: int | None = 3600, expired: bool = True) -> None:
        """Take control of the chat (for `ttl` seconds, or with no limit when `expired=False`). LINE then
        sends an `activated` event; until it is processed, `mode` still shows the previous state."""
        await self.line.acquire_chat_control(self.chat_id, ttl=ttl, expired=expired)

    async def release(self) -> None:
        """Give control back to the OA's Primary Channel; a `deactivated` event follows."""
        await self.line.release_chat_control(self.chat_id)
