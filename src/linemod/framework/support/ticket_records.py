"""Tickets and messages as callers see them: frozen records built from the rows."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from linemod.framework.support.attachments import AttachmentInfo
from linemod.framework.support.records import SupportAttachmentRow, SupportMessageRow, SupportTicketRow
from linemod.framework.support.sla import SlaMarks
from linemod.framework.support.states import MessageKind, Priority, TicketStatus, TicketType


@dataclass(frozen=True)
class Ticket:
    id: int
    bot_id: str | None
    requester_account_id: int | None
    requester_email: str | None
    subject: str
    status: TicketStatus
    priority: Priority
    type: TicketType
    channel: str
    assignee_id: int | None
    tags: tuple[str, ...]
    plan_code: str | None
    context: dict[str, Any] | None
    created_at_ms: int
    updated_at_ms: int
    first_response_due_ms: int | None
    next_response_due_ms: int | None
    resolution_due_ms: int | None
    csat_rating: str | None
    csat_reason: str | None

    @property
    def tag(self) -> str:
        """What mail subjects carry to name the ticket: "[#123]"."""
        return f"[#{self.id}]"

    @classmethod
    def from_row(cls, row: SupportTicketRow) -> Ticket:
        return cls(
            id=row.id,
            bot_id=row.bot_id,
            requester_account_id=row.requester_account_id,
            requester_email=row.requester_email,
            subject=row.subject,
            status=TicketStatus(row.status),
            priority=Priority(row.priority),
            type=TicketType(row.type),
            channel=row.channel,
            assignee_id=row.assignee_id,
            tags=tuple(json.loads(row.tags_json)),
            plan_code=row.plan_code,
            context=json.loads(row.context_json) if row.context_json else None,
            created_at_ms=row.created_at_ms,
            updated_at_ms=row.updated_at_ms,
            first_response_due_ms=row.first_response_due_ms,
            next_response_due_ms=row.next_response_due_ms,
            resolution_due_ms=row.resolution_due_ms,
            csat_rating=row.csat_rating,
            csat_reason=row.csat_reason,
        )


@dataclass(frozen=True)
class Message:
    id: int
    ticket_id: int
    kind: MessageKind
    author_kind: str
    author_account_id: int | None
    author_email: str | None
    body: str
    mail_message_id: str | None
    mail_state: str | None
    created_at_ms: int
    attachments: tuple[AttachmentInfo, ...] = field(default=())

    @classmethod
    def from_row(cls, row: SupportMessageRow, attachments: tuple[AttachmentInfo, ...] = ()) -> Message:
        return cls(
            id=row.id,
            ticket_id=row.ticket_id,
            kind=MessageKind(row.kind),
            author_kind=row.author_kind,
            author_account_id=row.author_account_id,
            author_email=row.author_email,
            body=row.body,
            mail_message_id=row.mail_message_id,
            mail_state=row.mail_state,
            created_at_ms=row.created_at_ms,
            attachments=attachments,
        )


def attachment_info(row: SupportAttachmentRow) -> AttachmentInfo:
    return AttachmentInfo(row.id, row.message_id, row.filename, row.content_type, row.size_bytes)


def marks_of(row: SupportTicketRow) -> SlaMarks:
    return SlaMarks(
        created_at_ms=row.created_at_ms,
        first_response_at_ms=row.first_response_at_ms,
        awaiting_reply_since_ms=row.awaiting_reply_since_ms,
        pending_since_ms=row.pending_since_ms,
        pending_business_ms=row.pending_business_ms,
        solved_at_ms=row.solved_at_ms,
    )
