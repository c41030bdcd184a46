"""What happens to a ticket row when its status changes or a message arrives: the SLA clock's marks, the
due times recomputed, the audit entries. Called inside the transaction of the change."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.accounts.info import token_hash
from linemod.framework.support import audit
from linemod.framework.support.attachments import NewAttachment, sha256_of
from linemod.framework.support.audit import Actor
from linemod.framework.support.records import SupportAttachmentRow, SupportMessageRow, SupportTicketRow
from linemod.framework.support.sla import SlaPolicies, Target, dues
from linemod.framework.support.states import AuthorKind, MessageKind, Priority, TicketStatus, check_transition
from linemod.framework.support.ticket_records import marks_of


@dataclass
class Outcome:
    """What a change leaves to do once it has committed: mails to send."""

    mail_message_ids: list[int]
    csat_token: str | None = None


def refresh_sla(row: SupportTicketRow, policies: SlaPolicies) -> None:
    """Recompute the due times the SLA job queries (after any change of status, priority or messages)."""
    targets = policies.targets(row.plan_code, Priority(row.priority))
    found = {due.target: due for due in dues(marks_of(row), targets, policies.calendar)}
    first, following, resolution = (found.get(t) for t in Target)
    row.first_response_due_ms = first.due_ms if first and first.met_at_ms is None else None
    row.next_response_due_ms = following.due_ms if following else None
    row.resolution_due_ms = resolution.due_ms if resolution and resolution.met_at_ms is None else None


def move(
    session: AsyncSession,
    row: SupportTicketRow,
    target: TicketStatus,
    actor: Actor,
    now_ms: int,
    policies: SlaPolicies,
    outcome: Outcome,
) -> None:
    """Change the status, with what it means for the SLA clock, the automations and CSAT."""
    current = TicketStatus(row.status)
    if current == target:
        return
    check_transition(current, target)
    if current == TicketStatus.PENDING and row.pending_since_ms is not None:
        # The pause ends: its open time is added to what the resolution target allows.
        row.pending_business_ms += policies.calendar.business_ms_between(row.pending_since_ms, now_ms)
        row.pending_since_ms = None
        row.reminded_at_ms = None
    if target == TicketStatus.PENDING:
        row.pending_since_ms = now_ms
    if target == TicketStatus.SOLVED:
        row.solved_at_ms = now_ms
        token = secrets.token_urlsafe(24)
        row.csat_token_hash = token_hash(token)
        outcome.csat_token = token
    elif current == TicketStatus.SOLVED and target != TicketStatus.CLOSED:
        row.solved_at_ms = None  # reopened: resolution runs again, from where it was
    if target == TicketStatus.CLOSED:
        row.closed_at_ms = now_ms
    row.status = target.value
    row.updated_at_ms = now_ms
    audit.record(session, row.id, actor, "status", now_ms, old=current.value, new=target.value)
    refresh_sla(row, policies)


async def add_message(
    session: AsyncSession,
    row: SupportTicketRow,
    actor: Actor,
    body: str,
    kind: MessageKind,
    now_ms: int,
    policies: SlaPolicies,
    outcome: Outcome,
    *,
    attachments: list[NewAttachment] | None = None,
    mail_message_id: str | None = None,
    mail_domain: str = "localhost",
) -> SupportMessageRow:
    """Append a message, and move the clock: a staff public reply is a (first or next) response and is mailed
    to the requester; a customer reply reopens a pending or solved ticket and waits for an answer."""
    mail = kind == MessageKind.PUBLIC and actor.kind == AuthorKind.STAFF and bool(row.requester_email)
    message = SupportMessageRow(
        ticket_id=row.id,
        kind=kind.value,
        author_kind=actor.kind.value,
        author_account_id=actor.account_id,
        author_email=actor.email,
        body=body,
        mail_message_id=mail_message_id,
        mail_state="due" if mail else None,
        mail_attempts=0,
        created_at_ms=now_ms,
    )
    session.add(message)
    await session.flush()
    if mail and mail_message_id is None:
        # Stable: given once, stored, and sent again unchanged by a retry; the random part keeps it unique
        # across deployments that share a mail domain.
        message.mail_message_id = f"<ticket.{row.id}.{message.id}.{secrets.token_hex(4)}@{mail_domain}>"
        outcome.mail_message_ids.append(message.id)
    for file in attachments or ():
        session.add(
            SupportAttachmentRow(
                message_id=message.id,
                ticket_id=row.id,
                filename=file.filename,
                content_type=file.content_type,
                size_bytes=len(file.content),
                sha256=sha256_of(file.content),
                content=file.content,
                created_at_ms=now_ms,
            )
        )
    row.updated_at_ms = now_ms
    audit.record(
        session,
        row.id,
        actor,
        "note" if kind == MessageKind.INTERNAL else "reply",
        now_ms,
        message_id=message.id,
        attachments=[file.filename for file in attachments or ()],
    )
    if kind == MessageKind.PUBLIC:
        status = TicketStatus(row.status)
        if actor.kind == AuthorKind.STAFF:
            if row.first_response_at_ms is None:
                row.first_response_at_ms = now_ms
            row.awaiting_reply_since_ms = None
            if status == TicketStatus.NEW:
                move(session, row, TicketStatus.OPEN, actor, now_ms, policies, outcome)
        elif actor.kind != AuthorKind.SYSTEM:
            if row.first_response_at_ms is not None and row.awaiting_reply_since_ms is None:
                row.awaiting_reply_since_ms = now_ms
            if status in (TicketStatus.PENDING, TicketStatus.SOLVED):
                move(session, row, TicketStatus.OPEN, actor, now_ms, policies, outcome)
    refresh_sla(row, policies)
    return message
