"""The help desk's tables (migration 0008_support), on the framework's declarative `Base`.

Times are UNIX ms as everywhere in the framework. Messages and the audit log are append-only; a ticket row
holds its current state plus the SLA clock's marks, from which `sla.py` computes due times.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from linemod.framework.storage.models import Base, BigId


class SupportTicketRow(Base):
    """One request for help: about an OA (`bot_id`), or from an operator account with no OA in question."""

    __tablename__ = "support_tickets"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bot_id: Mapped[str | None] = mapped_column(String(33))
    requester_account_id: Mapped[int | None] = mapped_column(BigInteger)
    requester_email: Mapped[str | None] = mapped_column(String(254))  # where public replies are mailed
    subject: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(8))
    type: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))  # "console", "mail", "staff"
    assignee_id: Mapped[int | None] = mapped_column(BigInteger)
    tags_json: Mapped[str] = mapped_column(Text)
    plan_code: Mapped[str | None] = mapped_column(String(64))  # the OA's plan at creation: picks the SLA policy
    context_json: Mapped[str | None] = mapped_column(Text)  # `TenantContext` at creation
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    updated_at_ms: Mapped[int] = mapped_column(BigInteger)
    # The SLA clock's marks (sla.py turns them into due times).
    first_response_at_ms: Mapped[int | None] = mapped_column(BigInteger)
    awaiting_reply_since_ms: Mapped[int | None] = mapped_column(BigInteger)  # customer wrote, staff has not answered
    pending_since_ms: Mapped[int | None] = mapped_column(BigInteger)
    pending_business_ms: Mapped[int] = mapped_column(BigInteger)  # open time spent pending before the current spell
    solved_at_ms: Mapped[int | None] = mapped_column(BigInteger)
    closed_at_ms: Mapped[int | None] = mapped_column(BigInteger)
    # Due times as last computed, so that the SLA job finds the tickets near a breach with one query.
    first_response_due_ms: Mapped[int | None] = mapped_column(BigInteger)
    next_response_due_ms: Mapped[int | None] = mapped_column(BigInteger)
    resolution_due_ms: Mapped[int | None] = mapped_column(BigInteger)
    sla_notified_json: Mapped[str] = mapped_column(Text)  # warnings and breaches already acted on, per due time
    reminded_at_ms: Mapped[int | None] = mapped_column(BigInteger)  # the pending reminder of the current spell
    csat_rating: Mapped[str | None] = mapped_column(String(8))
    csat_reason: Mapped[str | None] = mapped_column(Text)
    csat_at_ms: Mapped[int | None] = mapped_column(BigInteger)
    csat_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)

    __table_args__ = (
        Index("ix_support_tickets_bot_id", "bot_id", "id"),
        Index("ix_support_tickets_requester", "requester_account_id", "id"),
        Index("ix_support_tickets_status", "status", "updated_at_ms"),
    )


class SupportMessageRow(Base):
    """A public reply or an internal note. `mail_message_id` is the mail's Message-ID (inbound, or the one we
    gave an outbound reply): unique, so a mail fetched twice is stored once, and replies find their ticket."""

    __tablename__ = "support_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    author_kind: Mapped[str] = mapped_column(String(16))
    author_account_id: Mapped[int | None] = mapped_column(BigInteger)
    author_email: Mapped[str | None] = mapped_column(String(254))
    body: Mapped[str] = mapped_column(Text)
    mail_message_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    # A staff public reply to mail: "due" until the SMTP server took it ("sent"); retried by the automation
    # sweep, "failed" after MAX_MAIL_ATTEMPTS. None for messages nobody mails.
    mail_state: Mapped[str | None] = mapped_column(String(8))
    mail_attempts: Mapped[int] = mapped_column(Integer)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_support_messages_mail_state", "mail_state"),)


class SupportAttachmentRow(Base):
    """A file sent with a message, kept in the database (see attachments.py for why)."""

    __tablename__ = "support_attachments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(BigInteger, index=True)
    ticket_id: Mapped[int] = mapped_column(BigInteger, index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)


class SupportCannedReplyRow(Base):
    """A 定型文: a reply staff insert and adjust, with `{{ variables }}` filled from the ticket."""

    __tablename__ = "support_canned_replies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(255), unique=True)
    body: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    updated_at_ms: Mapped[int] = mapped_column(BigInteger)


class SupportAuditRow(Base):
    """One change of a ticket (created, status, priority, assignee, tags, message, SLA action, CSAT), who made
    it and what it was: append-only, never updated or deleted."""

    __tablename__ = "support_audit"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(BigInteger, index=True)
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_account_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(32))
    detail_json: Mapped[str] = mapped_column(Text)
    at_ms: Mapped[int] = mapped_column(BigInteger)


class SupportMailboxRow(Base):
    """How far the IMAP poller has read one mailbox: UIDs only grow while `uid_validity` stays the same."""

    __tablename__ = "support_mailboxes"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)  # "user@host:port/mailbox"
    uid_validity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger)
    updated_at_ms: Mapped[int] = mapped_column(BigInteger)
