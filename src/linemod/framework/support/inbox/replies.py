"""An operator's answer goes out the cheapest way LINE allows: with the reply token of the chat's latest
event while it is good (a reply is free), else by push to the chat (a user, a group or a room), which counts
against the OA's monthly message quota. `plan` says which before sending (the page shows it); `send` does
it, and falls back to a push when LINE refuses the token after all (another reply used it first).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from linebot.v3.messaging import TextMessage
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.billing.periods import day_of
from linemod.framework.billing.records import BillingLineQuotaRow
from linemod.framework.i18n import N_
from linemod.framework.line.apis import error_message
from linemod.framework.support.inbox import service
from linemod.framework.support.inbox.records import InboxEntryRow, InboxInquiryRow

if TYPE_CHECKING:
    from linemod.framework.runtime import Runtime

REPLY_TOKEN_USABLE_MS = 50_000
"""LINE's reply token is good for a minute after its webhook; ten seconds are left for the send itself."""


@dataclass(frozen=True)
class Quota:
    """The OA's monthly message quota as last read (`limit` None: unlimited)."""

    limit: int | None
    used: int
    read_at_ms: int

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(0, self.limit - self.used)


@dataclass(frozen=True)
class ReplyPlan:
    via: str  # "reply" or "push"
    entry_id: int | None  # the event whose token a reply uses
    token_good_until_ms: int | None
    messages_counted: int  # against the quota: 0 for a reply, 1 for a push
    quota: Quota | None


class ReplyRefused(ValueError):
    """Nothing to send (empty or too long), or the inquiry is closed."""


async def plan(session: AsyncSession, inquiry: InboxInquiryRow, now_ms: int) -> ReplyPlan:
    token_entry = await session.scalar(
        select(InboxEntryRow)
        .where(
            InboxEntryRow.inquiry_id == inquiry.id,
            InboxEntryRow.reply_token.is_not(None),
            InboxEntryRow.reply_token_used.is_(False),
            InboxEntryRow.at_ms > now_ms - REPLY_TOKEN_USABLE_MS,
        )
        .order_by(InboxEntryRow.at_ms.desc(), InboxEntryRow.id.desc())
        .limit(1)
    )
    quota = await quota_of(session, inquiry.bot_id, now_ms)
    if token_entry is not None:
        return ReplyPlan("reply", token_entry.id, token_entry.at_ms + REPLY_TOKEN_USABLE_MS, 0, quota)
    return ReplyPlan("push", None, None, 1, quota)


async def quota_of(session: AsyncSession, bot_id: str, now_ms: int) -> Quota | None:
    """This month's quota as billing last read it from LINE (hourly), if it has."""
    row = await session.get(BillingLineQuotaRow, (bot_id, day_of(now_ms).strftime("%Y-%m")))
    if row is None:
        return None
    return Quota(row.quota_value if row.quota_type == "limited" else None, row.total_usage, row.read_at_ms)


def clean_text(text: str) -> str:
    cleaned = (text or "").replace("\r\n", "\n").strip()
    if not cleaned:
        raise ReplyRefused(N_("Write an answer first."))
    if len(cleaned) > service.MAX_TEXT:
        raise ReplyRefused(N_("An answer is at most 5000 characters."))
    return cleaned


async def send(runtime: Runtime, bot_id: str, inquiry_id: int, text: str, account_id: int) -> str:
    """Send `text` to the inquiry's chat and record it; returns how it went ("reply" or "push")."""
    body = clean_text(text)
    async with runtime.db.session() as session:
        inquiry = await service.load(session, bot_id, inquiry_id)
        if inquiry.status != service.OPEN:
            raise ReplyRefused(N_("This inquiry is closed."))
        chosen = await plan(session, inquiry, runtime.clock.now_ms())
        token_entry = await session.get(InboxEntryRow, chosen.entry_id) if chosen.entry_id is not None else None
        token = token_entry.reply_token if token_entry is not None else None
        chat_id = inquiry.chat_id
    tenant = await runtime.tenants.get(bot_id)
    if tenant is None:
        raise service.InquiryNotFound(inquiry_id)
    line = runtime.line.for_tenant(tenant)
    message = TextMessage(text=body)
    via = "push"
    if token:
        try:
            await line.reply(token, [message])
            via = "reply"
        except Exception as exc:
            if getattr(exc, "status", None) != 400 or "reply token" not in error_message(exc).lower():
                raise
    if via == "push":
        await line.push(chat_id, [message])
    async with runtime.db.transaction() as session:
        inquiry = await service.load(session, bot_id, inquiry_id)
        now = runtime.clock.now_ms()
        if chosen.entry_id is not None:
            used = await session.get(InboxEntryRow, chosen.entry_id)
            if used is not None:
                used.reply_token_used = True
        service.add_entry(
            session,
            inquiry,
            direction="out",
            kind="text",
            text=body,
            at_ms=now,
            sent_via=via,
            author_account_id=account_id,
        )
        inquiry.awaiting_reply = False
        if runtime.billing is not None and line.sent:
            await runtime.billing.write_usage(session, runtime.billing.usage_of_sends(bot_id, line.sent))
    return via
