""" "Ask the provider": an operator turns an inquiry into a help-desk ticket, with the transcript as its first
message and the media kept as its attachments. Only ever by the operator's own action (a button in the
inbox): nothing a LINE user does reaches the provider's staff by itself."""

from __future__ import annotations

from sqlalchemy import select

from linemod.framework.accounts.info import AccountInfo
from linemod.framework.console.templating import format_ms
from linemod.framework.runtime import Runtime
from linemod.framework.support.attachments import AttachmentLimits, NewAttachment
from linemod.framework.support.inbox import service
from linemod.framework.support.inbox.records import InboxMediaRow
from linemod.framework.support.tickets import TicketService

WHO = {"in": "User", "out": "Operator", "auto": "Automatic answer", "event": "Event"}


def transcript_text(inquiry: service.Inquiry, entries: list[service.Entry], note: str) -> str:
    lines = [note.strip(), "", f"Inquiry #{inquiry.id} ({inquiry.chat_type} {inquiry.chat_id})", ""]
    for entry in entries:
        label = WHO.get(entry.direction, entry.direction)
        via = f" [{entry.sent_via}]" if entry.sent_via else ""
        body = entry.text if entry.kind == "text" else f"({entry.kind}) {entry.text}".strip()
        lines.append(f"{format_ms(entry.at_ms, seconds=True)} {label}{via}: {body}")
    return "\n".join(lines).strip()


async def escalate(runtime: Runtime, viewer: AccountInfo, bot_id: str, inquiry_id: int, note: str) -> int:
    """Open the ticket (as the operator, about this OA) and remember it on the inquiry; its number."""
    async with runtime.db.session() as session:
        row = await service.load(session, bot_id, inquiry_id)
        inquiry = service.Inquiry.of(row)
        entries = await service.transcript(session, row)
        kept = list(
            await session.scalars(
                select(InboxMediaRow).where(InboxMediaRow.inquiry_id == inquiry_id, InboxMediaRow.state == "kept")
            )
        )
    settings = runtime.settings
    limits = AttachmentLimits(
        max_bytes=settings.support_attachment_max_bytes,
        content_types=frozenset(settings.support_attachment_types) | {m.content_type or "" for m in kept},
    )
    files = [
        NewAttachment(
            f"inquiry-{inquiry_id}-{m.id}.{(m.content_type or 'x/bin').split('/')[1]}",
            m.content_type or "",
            m.content or b"",
        )
        for m in kept[: limits.max_per_message]
    ]
    tickets = TicketService(runtime.db, runtime.clock, limits=limits, requested_scopes=settings.requested_scopes)
    subject = f"LINE inquiry #{inquiry_id}: {inquiry.subject or inquiry.display_name or inquiry.chat_id}"
    ticket = await tickets.open(
        viewer, subject=subject, body=transcript_text(inquiry, entries, note), bot_id=bot_id, attachments=files
    )
    async with runtime.db.transaction() as session:
        row = await service.load(session, bot_id, inquiry_id)
        row.ticket_id = ticket.id
        service.add_entry(
            session,
            row,
            direction="event",
            kind="escalated",
            text=f"#{ticket.id}",
            at_ms=runtime.clock.now_ms(),
            author_account_id=viewer.id,
        )
    return ticket.id
