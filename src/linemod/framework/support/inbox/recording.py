"""What the worker does with an event of a chat whose state names an open inquiry: record it into the
transcript and keep the module quiet.

Messages, postbacks and follows go to the inquiry only (the people answering it, not the module, reply);
other events (unfollow, join, leave, chat control, ...) are recorded when they concern the chat and still
reach the module's handlers. The chat state's mark is a hint: when its inquiry was closed in the meantime
(from the console, which cannot write the state of a chat the worker may be holding), it is dropped here and
the event goes to the module as usual.
"""

from __future__ import annotations

import json
import logging
import re
from typing import TYPE_CHECKING, Any

from linebot.v3.messaging import TextMessage
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.dispatch import Listener, event_kind
from linemod.framework.storage.models import ChatStateRow
from linemod.framework.support.inbox import service
from linemod.framework.support.inbox.hours import hours_of
from linemod.framework.support.inbox.records import InboxEntryRow, InboxInquiryRow, InboxMediaRow

if TYPE_CHECKING:
    from linemod.framework.context import Context

log = logging.getLogger("linemod.support.inbox")
MEDIA_JOB = "linemod.inbox.copy_media"
QUIET_KINDS = frozenset({"message", "postback", "follow"})
"""What the module does not see while people answer the chat."""
RECORDED_KINDS = QUIET_KINDS | {"unfollow", "join", "leave", "memberJoined", "memberLeft"}
FoundListener = tuple[Listener, "re.Match[str] | None"]


def inquiry_of(chat_data: dict[str, Any]) -> int | None:
    value = chat_data.get(service.CHAT_STATE_KEY)
    return value if isinstance(value, int) else None


def in_inquiry(found: FoundListener | None, inquiry_id: int, kind: str) -> FoundListener:
    """The listener the worker runs instead: records, then passes the event on unless it is one the module
    must not see while people answer."""
    passed = found[0] if found is not None else None

    async def handle(ctx: Context, event: Any) -> None:
        if await record(ctx, inquiry_id) and kind in QUIET_KINDS:
            return
        if passed is not None:
            await passed.handler(ctx, event)

    return Listener(kind, handle, standby=True), found[1] if found is not None else None


async def record(ctx: Context, inquiry_id: int) -> bool:
    """Record the event into the open inquiry; False (and the mark dropped) when it is not open any more."""
    row = await ctx.db.get(InboxInquiryRow, inquiry_id)
    if row is None or row.status != service.OPEN or row.bot_id != ctx.bot_id or row.chat_id != ctx.chat_id:
        ctx.state.pop(service.CHAT_STATE_KEY, None)
        return False
    kind = event_kind(ctx.event)
    if kind not in RECORDED_KINDS:
        return True
    now = ctx.now_ms()
    entry = await service.record_event(ctx.db, row, ctx.raw_event, now)
    if entry is None:  # redelivered: recorded (and answered) the first time
        return True
    if entry.kind in service.MEDIA_KINDS:
        media_id = await ctx.db.scalar(select(InboxMediaRow.id).where(InboxMediaRow.entry_id == entry.id))
        if media_id is not None:
            await ctx.schedule(MEDIA_JOB, {"media_id": media_id}, key=f"inbox-media:{media_id}")
    if kind == "message":
        await auto_answer(ctx, row, entry.id, now)
    return True


async def auto_answer(ctx: Context, inquiry: InboxInquiryRow, entry_id: int, now_ms: int) -> None:
    """Outside business hours, answer once with the OA's automatic answer, by the event's reply token."""
    hours = await hours_of(ctx.db, ctx.bot_id)
    if not hours.answer_due(now_ms, inquiry.auto_answered_at_ms):
        return
    sent_before = len(ctx.line.sent)
    await ctx.reply(TextMessage(text=hours.auto_answer_text))
    via = ctx.line.sent[-1].kind if len(ctx.line.sent) > sent_before else "reply"
    entry = await ctx.db.get(InboxEntryRow, entry_id)
    if entry is not None and via == "reply":
        entry.reply_token_used = True
    inquiry.auto_answered_at_ms = now_ms
    text = hours.auto_answer_text
    service.add_entry(ctx.db, inquiry, direction="auto", kind="text", text=text, at_ms=now_ms, sent_via=via)


async def drop_chat_mark(session: AsyncSession, bot_id: str, chat_id: str) -> None:
    """Remove the inquiry mark from the chat's state (after closing), so the next event costs nothing more.
    Should the worker write the state back with the mark meanwhile, `record` drops it then."""
    row = await session.get(ChatStateRow, (bot_id, chat_id))
    if row is None:
        return
    data = json.loads(row.data)
    if data.pop(service.CHAT_STATE_KEY, None) is not None:
        row.data = json.dumps(data, sort_keys=True)
