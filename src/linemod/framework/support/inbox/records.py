"""The inquiry inbox's tables (migration 0012_inbox), on the framework's declarative `Base`.

An inquiry is one conversation of an OA's LINE chat (a user, a group or a room) handed to people; its entries
are the transcript, append-only; media the user sent is copied into `inbox_media` while LINE still has it.
Every row carries `bot_id`, and every query of the inbox filters on it.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from linemod.framework.storage.models import Base, BigId


class InboxInquiryRow(Base):
    """One inquiry: open (要対応) until an operator closes it (対応済み), which hands the chat back."""

    __tablename__ = "inbox_inquiries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bot_id: Mapped[str] = mapped_column(String(33))
    chat_id: Mapped[str] = mapped_column(String(80))  # the user, group or room ID the module sees
    chat_type: Mapped[str] = mapped_column(String(8))  # "user", "group", "room"
    user_id: Mapped[str | None] = mapped_column(String(80))  # who opened it (None: unknown member of a group)
    display_name: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(8))  # "open", "closed"
    awaiting_reply: Mapped[bool] = mapped_column(Boolean)  # the chat spoke last: an operator should answer
    tags_json: Mapped[str] = mapped_column(Text)
    opened_at_ms: Mapped[int] = mapped_column(BigInteger)
    updated_at_ms: Mapped[int] = mapped_column(BigInteger)
    closed_at_ms: Mapped[int | None] = mapped_column(BigInteger)
    auto_answered_at_ms: Mapped[int | None] = mapped_column(BigInteger)
    ticket_id: Mapped[int | None] = mapped_column(BigInteger)  # the help-desk ticket it was escalated to

    __table_args__ = (
        Index("ix_inbox_inquiries_bot_status", "bot_id", "status", "updated_at_ms"),
        Index("ix_inbox_inquiries_chat", "bot_id", "chat_id", "status"),
    )


class InboxEntryRow(Base):
    """One line of the transcript: what the chat sent (`in`), what an operator or the auto-answer sent
    (`out`), or what happened (`event`: follow, postback, unfollow, opened, closed, escalated)."""

    __tablename__ = "inbox_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    inquiry_id: Mapped[int] = mapped_column(BigInteger, index=True)
    bot_id: Mapped[str] = mapped_column(String(33))
    direction: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(16))  # text, sticker, image, video, audio, file, location, ...
    text: Mapped[str] = mapped_column(Text)
    user_id: Mapped[str | None] = mapped_column(String(80))  # the group member who wrote
    webhook_event_id: Mapped[str | None] = mapped_column(String(64), unique=True)  # a redelivery records once
    message_id: Mapped[str | None] = mapped_column(String(64))
    reply_token: Mapped[str | None] = mapped_column(String(255))
    reply_token_used: Mapped[bool] = mapped_column(Boolean)
    sent_via: Mapped[str | None] = mapped_column(String(8))  # "reply" or "push" for `out`
    author_account_id: Mapped[int | None] = mapped_column(BigInteger)
    at_ms: Mapped[int] = mapped_column(BigInteger)


class InboxMediaRow(Base):
    """A copy of what the chat sent as an image, video, audio or file (LINE keeps content for a while only)."""

    __tablename__ = "inbox_media"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    inquiry_id: Mapped[int] = mapped_column(BigInteger, index=True)
    bot_id: Mapped[str] = mapped_column(String(33))
    state: Mapped[str] = mapped_column(String(8))  # "pending", "kept", "refused", "failed"
    content_type: Mapped[str | None] = mapped_column(String(127))
    size_bytes: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64))
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    detail: Mapped[str | None] = mapped_column(String(255))
    updated_at_ms: Mapped[int] = mapped_column(BigInteger)


class InboxSettingsRow(Base):
    """Per OA: business hours (JSON of weekday -> [[open, close]]) and the answer sent outside them."""

    __tablename__ = "inbox_settings"

    bot_id: Mapped[str] = mapped_column(String(33), primary_key=True)
    hours_json: Mapped[str] = mapped_column(Text)
    japanese_holidays: Mapped[bool] = mapped_column(Boolean)
    auto_answer: Mapped[bool] = mapped_column(Boolean)
    auto_answer_text: Mapped[str] = mapped_column(Text)
    updated_at_ms: Mapped[int] = mapped_column(BigInteger)


class InboxCannedRow(Base):
    """A 定型文 of one OA's operators."""

    __tablename__ = "inbox_canned"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bot_id: Mapped[str] = mapped_column(String(33), index=True)
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    updated_at_ms: Mapped[int] = mapped_column(BigInteger)
