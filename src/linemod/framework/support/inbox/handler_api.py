"""`ctx.support`: what a handler does with the inquiry inbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

from linemod.framework.support.inbox import service
from linemod.framework.support.inbox.service import Inquiry

if TYPE_CHECKING:
    from linemod.framework.context import Context


class HandlerSupport:
    """The inbox as a handler reaches it: `await ctx.support.open_inquiry()`."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    async def open_inquiry(self, subject: str = "", *, display_name: str | None = None) -> Inquiry:
        """Hand this chat (a user, a group or a room) to the OA's people: open an inquiry, or continue the
        chat's open one. Until an operator closes it in the inbox, the chat's messages, stickers, media,
        follows and postbacks are recorded into it and no handler of the module sees them; operators answer
        from the console. The event that opened it (the tap on お問い合わせ) is the module's to answer, so
        its reply token is not offered to the operators. `subject` and `display_name` label the inquiry in
        the inbox (the user's LINE name, if the module knows it)."""
        ctx = self._ctx
        chat_id = ctx.chat_id
        if chat_id is None:
            raise RuntimeError("open_inquiry() needs an event of a chat (a user, a group or a room)")
        source = getattr(ctx.event, "source", None)
        chat_type = str(getattr(source, "type", "user") or "user")
        row, created = await service.open_inquiry(
            ctx.db,
            bot_id=ctx.bot_id,
            chat_id=chat_id,
            chat_type=chat_type,
            user_id=ctx.user_id,
            display_name=display_name or "",
            subject=subject,
            now_ms=ctx.now_ms(),
        )
        if created and ctx.raw_event.get("webhookEventId"):
            kind, text = service.describe_event(ctx.raw_event)
            service.add_entry(
                ctx.db,
                row,
                direction="in",
                kind=kind,
                text=text,
                at_ms=int(ctx.raw_event.get("timestamp") or ctx.now_ms()),
                user_id=ctx.user_id,
                webhook_event_id=str(ctx.raw_event["webhookEventId"]),
            )
        ctx.state[service.CHAT_STATE_KEY] = row.id
        return Inquiry.of(row)

    async def current_inquiry(self) -> Inquiry | None:
        """The chat's open inquiry, if any."""
        ctx = self._ctx
        if ctx.chat_id is None:
            return None
        row = await service.open_row_of_chat(ctx.db, ctx.bot_id, ctx.chat_id)
        return Inquiry.of(row) if row is not None else None
