"""Inquiries: opening one for a chat, recording what the chat does into its transcript, reading, tagging
and closing. Functions of a session: the worker records in the event's transaction, the console in its own.

Every read takes the OA (`bot_id`) and filters on it: an inquiry of another OA is `InquiryNotFound`, which
the console answers with the same 404 as an inquiry that does not exist.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.support.inbox.records import InboxEntryRow, InboxInquiryRow, InboxMediaRow

CHAT_STATE_KEY = "linemod.inquiry"
"""The key of the chat's state (`ctx.state`) that names the chat's open inquiry: the worker reads it with
the chat's state it loads anyway, so chats without an inquiry cost nothing more."""
OPEN, CLOSED = "open", "closed"
MEDIA_KINDS = frozenset({"image", "video", "audio", "file"})
MAX_TAGS = 10
MAX_TAG_LENGTH = 30
MAX_TEXT = 5000  # LINE's limit for a text message


class InquiryNotFound(LookupError):
    """No such inquiry for this OA (the console answers 404)."""


@dataclass(frozen=True)
class Inquiry:
    """An inquiry as handlers and pages see it."""

    id: int
    bot_id: str
    chat_id: str
    chat_type: str
    user_id: str | None
    display_name: str
    subject: str
    status: str
    awaiting_reply: bool
    tags: tuple[str, ...]
    opened_at_ms: int
    updated_at_ms: int
    closed_at_ms: int | None
    ticket_id: int | None

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    @classmethod
    def of(cls, row: InboxInquiryRow) -> Inquiry:
        return cls(
            id=row.id,
            bot_id=row.bot_id,
            chat_id=row.chat_id,
            chat_type=row.chat_type,
            user_id=row.user_id,
            display_name=row.display_name,
            subject=row.subject,
            status=row.status,
            awaiting_reply=row.awaiting_reply,
            tags=tuple(json.loads(row.tags_json)),
            opened_at_ms=row.opened_at_ms,
            updated_at_ms=row.updated_at_ms,
            closed_at_ms=row.closed_at_ms,
            ticket_id=row.ticket_id,
        )


@dataclass(frozen=True)
class Entry:
    """One line of a transcript, with its media copy's state when it has one."""

    id: int
    direction: str
    kind: str
    text: str
    user_id: str | None
    sent_via: str | None
    at_ms: int
    media_id: int | None = None
    media_state: str | None = None
    media_type: str | None = None


async def open_inquiry(
    session: AsyncSession,
    *,
    bot_id: str,
    chat_id: str,
    chat_type: str,
    user_id: str | None,
    display_name: str,
    subject: str,
    now_ms: int,
) -> tuple[InboxInquiryRow, bool]:
    """The chat's open inquiry, or a new one; True when it was opened now."""
    row = await open_row_of_chat(session, bot_id, chat_id)
    if row is not None:
        return row, False
    row = InboxInquiryRow(
        bot_id=bot_id,
        chat_id=chat_id,
        chat_type=chat_type,
        user_id=user_id,
        display_name=display_name[:100],
        subject=" ".join(subject.split())[:255],
        status=OPEN,
        awaiting_reply=True,
        tags_json="[]",
        opened_at_ms=now_ms,
        updated_at_ms=now_ms,
    )
    session.add(row)
    await session.flush()
    add_entry(session, row, direction="event", kind="opened", text=row.subject, at_ms=now_ms)
    return row, True


async def open_row_of_chat(session: AsyncSession, bot_id: str, chat_id: str) -> InboxInquiryRow | None:
    return await session.scalar(
        select(InboxInquiryRow).where(
            InboxInquiryRow.bot_id == bot_id, InboxInquiryRow.chat_id == chat_id, InboxInquiryRow.status == OPEN
        )
    )


def add_entry(
    session: AsyncSession,
    inquiry: InboxInquiryRow,
    *,
    direction: str,
    kind: str,
    text: str,
    at_ms: int,
    user_id: str | None = None,
    webhook_event_id: str | None = None,
    message_id: str | None = None,
    reply_token: str | None = None,
    sent_via: str | None = None,
    author_account_id: int | None = None,
) -> InboxEntryRow:
    entry = InboxEntryRow(
        inquiry_id=inquiry.id,
        bot_id=inquiry.bot_id,
        direction=direction,
        kind=kind[:16],
        text=text[:MAX_TEXT],
        user_id=user_id,
        webhook_event_id=webhook_event_id,
        message_id=message_id,
        reply_token=reply_token,
        reply_token_used=False,
        sent_via=sent_via,
        author_account_id=author_account_id,
        at_ms=at_ms,
    )
    session.add(entry)
    inquiry.updated_at_ms = max(inquiry.updated_at_ms, at_ms)
    return entry


def describe_event(payload: Mapping[str, Any]) -> tuple[str, str]:
    """(kind, text) of a chat event as the transcript shows it."""
    event_type = str(payload.get("type") or "")
    if event_type == "message":
        message = payload.get("message") or {}
        kind = str(message.get("type") or "message")
        if kind == "text":
            return kind, str(message.get("text") or "")
        if kind == "sticker":
            return kind, f"{message.get('packageId', '')}/{message.get('stickerId', '')}"
        if kind == "location":
            parts = [
                message.get("title"),
                message.get("address"),
                f"{message.get('latitude')},{message.get('longitude')}",
            ]
            return kind, " ".join(str(p) for p in parts if p)
        if kind == "file":
            return kind, str(message.get("fileName") or "")
        return kind, ""
    if event_type == "postback":
        postback = payload.get("postback") or {}
        return "postback", str(postback.get("data") or "")
    return event_type or "event", ""


async def record_event(
    session: AsyncSession, inquiry: InboxInquiryRow, payload: Mapping[str, Any], now_ms: int
) -> InboxEntryRow | None:
    """Put a chat event into the transcript (None when this webhook event is there already: redelivered).
    A message with media gets a pending copy, which `media.py` fills."""
    event_id = payload.get("webhookEventId")
    if event_id is not None:
        known = await session.scalar(select(InboxEntryRow.id).where(InboxEntryRow.webhook_event_id == str(event_id)))
        if known is not None:
            return None
    kind, text = describe_event(payload)
    source = payload.get("source") or {}
    message = payload.get("message") or {}
    at_ms = int(payload.get("timestamp") or now_ms)
    entry = add_entry(
        session,
        inquiry,
        direction="in",
        kind=kind,
        text=text,
        at_ms=at_ms,
        user_id=source.get("userId"),
        webhook_event_id=str(event_id) if event_id is not None else None,
        message_id=str(message["id"]) if message.get("id") else None,
        reply_token=payload.get("replyToken"),
    )
    if payload.get("type") in ("message", "postback"):
        inquiry.awaiting_reply = True
    await session.flush()
    if kind in MEDIA_KINDS and entry.message_id:
        session.add(
            InboxMediaRow(
                entry_id=entry.id, inquiry_id=inquiry.id, bot_id=inquiry.bot_id, state="pending", updated_at_ms=now_ms
            )
        )
        await session.flush()
    return entry


# ---- reading ----------------------------------------------------------------------------------------------


async def load(session: AsyncSession, bot_id: str, inquiry_id: int | None) -> InboxInquiryRow:
    """The inquiry of this OA, or `InquiryNotFound` (also for another OA's)."""
    row = await session.get(InboxInquiryRow, inquiry_id) if inquiry_id is not None else None
    if row is None or row.bot_id != bot_id:
        raise InquiryNotFound(inquiry_id)
    return row


async def find(
    session: AsyncSession, bot_id: str, *, status: str = OPEN, tag: str | None = None, limit: int = 200
) -> list[Inquiry]:
    """The OA's inquiries of one status, the most recently active first (a tag narrows them)."""
    rows = await session.scalars(
        select(InboxInquiryRow)
        .where(InboxInquiryRow.bot_id == bot_id, InboxInquiryRow.status == status)
        .order_by(InboxInquiryRow.updated_at_ms.desc(), InboxInquiryRow.id.desc())
        .limit(limit)
    )
    found = [Inquiry.of(row) for row in rows]
    return [i for i in found if tag is None or tag in i.tags]


async def counts(session: AsyncSession, bot_id: str) -> dict[str, int]:
    rows = await session.execute(
        select(InboxInquiryRow.status, func.count())
        .where(InboxInquiryRow.bot_id == bot_id)
        .group_by(InboxInquiryRow.status)
    )
    found = {str(status): int(count) for status, count in rows}
    return {OPEN: found.get(OPEN, 0), CLOSED: found.get(CLOSED, 0)}


async def all_tags(session: AsyncSession, bot_id: str) -> list[str]:
    rows = await session.scalars(select(InboxInquiryRow.tags_json).where(InboxInquiryRow.bot_id == bot_id))
    return sorted({tag for tags in rows for tag in json.loads(tags)})


async def transcript(session: AsyncSession, inquiry: InboxInquiryRow) -> list[Entry]:
    media = {
        m.entry_id: m
        for m in await session.scalars(select(InboxMediaRow).where(InboxMediaRow.inquiry_id == inquiry.id))
    }
    rows = await session.scalars(
        select(InboxEntryRow).where(InboxEntryRow.inquiry_id == inquiry.id).order_by(InboxEntryRow.id)
    )
    out = []
    for row in rows:
        copy = media.get(row.id)
        out.append(
            Entry(
                id=row.id,
                direction=row.direction,
                kind=row.kind,
                text=row.text,
                user_id=row.user_id,
                sent_via=row.sent_via,
                at_ms=row.at_ms,
                media_id=copy.id if copy else None,
                media_state=copy.state if copy else None,
                media_type=copy.content_type if copy else None,
            )
        )
    return out


async def open_inquiries(session: AsyncSession, bot_id: str) -> dict[str, int]:
    """{chat ID: inquiry ID} of the OA's open inquiries (a module's console page shows whose chat people are
    answering, and links to it: `/console/oas/{bot_id}/inbox/{inquiry ID}`)."""
    rows = await session.execute(
        select(InboxInquiryRow.chat_id, InboxInquiryRow.id).where(
            InboxInquiryRow.bot_id == bot_id, InboxInquiryRow.status == OPEN
        )
    )
    return {str(chat): int(inquiry) for chat, inquiry in rows}


# ---- changes ----------------------------------------------------------------------------------------------


def clean_tags(text: str | Sequence[str]) -> list[str]:
    """Tags from what an operator typed: split on commas (and 、), trimmed, unique, at most MAX_TAGS."""
    parts = text.replace("、", ",").split(",") if isinstance(text, str) else list(text)
    tags: list[str] = []
    for part in parts:
        tag = " ".join(part.split())[:MAX_TAG_LENGTH]
        if tag and tag not in tags:
            tags.append(tag)
    return tags[:MAX_TAGS]


def set_tags(inquiry: InboxInquiryRow, tags: Sequence[str], now_ms: int) -> None:
    inquiry.tags_json = json.dumps(list(tags), ensure_ascii=False)
    inquiry.updated_at_ms = now_ms


def close(session: AsyncSession, inquiry: InboxInquiryRow, account_id: int | None, now_ms: int) -> bool:
    """Mark it 対応済み (False when it was closed already). The chat's next event finds it closed and goes
    to the module again (the worker drops the chat state's mark then)."""
    if inquiry.status != OPEN:
        return False
    inquiry.status, inquiry.closed_at_ms, inquiry.awaiting_reply = CLOSED, now_ms, False
    add_entry(session, inquiry, direction="event", kind="closed", text="", at_ms=now_ms, author_account_id=account_id)
    return True
