"""`TicketService`: tickets opened by operators, by mail and by staff, their messages, their changes and
their CSAT, each scoped to the viewer (access.py): a ticket the viewer may not see raises `TicketNotFound`.

A change commits with its audit entries; mails it causes (a staff reply, the CSAT request) go out after
the commit through the notifier, and a reply whose mail failed stays "due" for the automation sweep.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.accounts.info import AccountInfo, token_hash
from linemod.framework.billing.records import BillingSubscriptionRow
from linemod.framework.clock import Clock
from linemod.framework.storage.database import Database
from linemod.framework.storage.models import Account
from linemod.framework.support import audit
from linemod.framework.support.access import TicketNotFound, check_bot_for, load_visible, require_staff, visible_to
from linemod.framework.support.attachments import AttachmentInfo, AttachmentLimits, NewAttachment, StoredFile
from linemod.framework.support.audit import Actor, AuditEntry
from linemod.framework.support.csat import CsatError, record_rating
from linemod.framework.support.records import SupportAttachmentRow, SupportMessageRow, SupportTicketRow
from linemod.framework.support.sla import SlaPolicies
from linemod.framework.support.states import Csat, MessageKind, Priority, TicketStatus, TicketType
from linemod.framework.support.tenant_context import tenant_context
from linemod.framework.support.ticket_records import Message, Ticket, attachment_info
from linemod.framework.support.ticket_rules import Outcome, add_message, move, refresh_sla

log = logging.getLogger("linemod.support")
MAX_SUBJECT = 255
MAX_TAGS = 20


class SupportNotifier(Protocol):
    """Sends what a change leaves to mail (mail_out.SupportMailer)."""

    async def deliver_reply(self, message_id: int) -> None: ...

    async def request_csat(self, ticket: Ticket, token: str) -> None: ...


class TicketService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        policies: SlaPolicies | None = None,
        *,
        limits: AttachmentLimits | None = None,
        notifier: SupportNotifier | None = None,
        mail_domain: str = "localhost",
        requested_scopes: list[str] | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.policies = policies or SlaPolicies()
        self.limits = limits or AttachmentLimits()
        self.notifier = notifier
        self.mail_domain = mail_domain
        self.requested_scopes = requested_scopes

    # ---- opening ----------------------------------------------------------------------------------------

    async def open(
        self,
        viewer: AccountInfo,
        *,
        subject: str,
        body: str,
        bot_id: str | None = None,
        type: TicketType = TicketType.QUESTION,
        priority: Priority = Priority.NORMAL,
        attachments: Sequence[NewAttachment] = (),
        requester: AccountInfo | None = None,
        requester_email: str | None = None,
    ) -> Ticket:
        """A ticket about OA `bot_id` (one of the operator's), or about none, with its first message. Staff
        open tickets for someone else (`requester`, or a bare `requester_email`); operators for themselves."""
        files = self.limits.check(attachments)
        async with self.db.transaction() as session:
            await check_bot_for(session, viewer, bot_id)
            if viewer.provider_staff:
                channel, customer = "staff", requester
                email = requester.email if requester else requester_email
            else:
                channel, customer, email = "console", viewer, viewer.email
            row, outcome = await self.create(
                session,
                Actor.of(viewer),
                subject=subject,
                body=body,
                bot_id=bot_id,
                type=type,
                priority=priority,
                channel=channel,
                requester_account_id=customer.id if customer else None,
                requester_email=email,
                attachments=files,
                kind=MessageKind.PUBLIC,
            )
            ticket = Ticket.from_row(row)
        await self.after(ticket, outcome)
        return ticket

    async def create(
        self,
        session: AsyncSession,
        actor: Actor,
        *,
        subject: str,
        body: str,
        bot_id: str | None,
        type: TicketType,
        priority: Priority,
        channel: str,
        requester_account_id: int | None,
        requester_email: str | None,
        attachments: list[NewAttachment],
        kind: MessageKind,
        mail_message_id: str | None = None,
    ) -> tuple[SupportTicketRow, Outcome]:
        """The ticket row, its context snapshot and its first message, in the caller's transaction (the mail
        poller makes a ticket and advances its mailbox in one)."""
        now = self.clock.now_ms()
        context = await tenant_context(session, bot_id, now, self.requested_scopes) if bot_id else None
        plan = (
            await session.scalar(
                select(BillingSubscriptionRow.plan_code).where(BillingSubscriptionRow.bot_id == bot_id)
            )
            if bot_id
            else None
        )
        row = SupportTicketRow(
            bot_id=bot_id,
            requester_account_id=requester_account_id,
            requester_email=requester_email,
            subject=clean_subject(subject),
            status=TicketStatus.NEW.value,
            priority=Priority(priority).value,
            type=TicketType(type).value,
            channel=channel,
            tags_json="[]",
            plan_code=plan,
            context_json=json.dumps(context, ensure_ascii=False) if context else None,
            created_at_ms=now,
            updated_at_ms=now,
            pending_business_ms=0,
            sla_notified_json="[]",
        )
        session.add(row)
        await session.flush()
        audit.record(session, row.id, actor, "created", now, channel=channel, bot_id=bot_id, priority=row.priority)
        outcome = Outcome([])
        await add_message(
            session,
            row,
            actor,
            body,
            kind,
            now,
            self.policies,
            outcome,
            attachments=attachments,
            mail_message_id=mail_message_id,
            mail_domain=self.mail_domain,
        )
        refresh_sla(row, self.policies)
        return row, outcome

    # ---- reading ----------------------------------------------------------------------------------------

    async def get(self, viewer: AccountInfo, ticket_id: int) -> Ticket:
        async with self.db.session() as session:
            return Ticket.from_row(await load_visible(session, viewer, ticket_id))

    async def find(
        self,
        viewer: AccountInfo,
        *,
        statuses: Iterable[TicketStatus] | None = None,
        bot_id: str | None = None,
        assignee_id: int | None = None,
        tag: str | None = None,
        limit: int = 100,
    ) -> list[Ticket]:
        """The viewer's tickets, most recently changed first."""
        async with self.db.session() as session:
            statement = select(SupportTicketRow).where(await visible_to(session, viewer))
            if statuses is not None:
                statement = statement.where(SupportTicketRow.status.in_([TicketStatus(s).value for s in statuses]))
            if bot_id is not None:
                statement = statement.where(SupportTicketRow.bot_id == bot_id)
            if assignee_id is not None:
                statement = statement.where(SupportTicketRow.assignee_id == assignee_id)
            rows = await session.scalars(statement.order_by(SupportTicketRow.updated_at_ms.desc()).limit(limit))
            tickets = [Ticket.from_row(row) for row in rows]
        return [t for t in tickets if tag is None or tag in t.tags]

    async def messages(self, viewer: AccountInfo, ticket_id: int) -> list[Message]:
        """The conversation, oldest first; internal notes only for staff."""
        async with self.db.session() as session:
            await load_visible(session, viewer, ticket_id)
            statement = select(SupportMessageRow).where(SupportMessageRow.ticket_id == ticket_id)
            if not viewer.provider_staff:
                statement = statement.where(SupportMessageRow.kind == MessageKind.PUBLIC.value)
            rows = list(await session.scalars(statement.order_by(SupportMessageRow.id)))
            files: dict[int, list[AttachmentInfo]] = {}
            for file in await session.scalars(
                select(SupportAttachmentRow)
                .where(SupportAttachmentRow.ticket_id == ticket_id)
                .order_by(SupportAttachmentRow.id)
            ):
                files.setdefault(file.message_id, []).append(attachment_info(file))
        return [Message.from_row(row, tuple(files.get(row.id, ()))) for row in rows]

    async def attachment(self, viewer: AccountInfo, ticket_id: int, attachment_id: int) -> StoredFile:
        async with self.db.session() as session:
            await load_visible(session, viewer, ticket_id)
            found = (
                await session.execute(
                    select(SupportAttachmentRow, SupportMessageRow.kind)
                    .join(SupportMessageRow, SupportMessageRow.id == SupportAttachmentRow.message_id)
                    .where(SupportAttachmentRow.id == attachment_id, SupportAttachmentRow.ticket_id == ticket_id)
                )
            ).first()
        if found is None or (found[1] != MessageKind.PUBLIC.value and not viewer.provider_staff):
            raise TicketNotFound(ticket_id)
        return StoredFile(attachment_info(found[0]), found[0].content)

    async def audit_log(self, viewer: AccountInfo, ticket_id: int) -> list[AuditEntry]:
        async with self.db.session() as session:
            await load_visible(session, viewer, ticket_id)
            require_staff(viewer)
            return await audit.entries(session, ticket_id)

    # ---- messages ---------------------------------------------------------------------------------------

    async def reply(
        self,
        viewer: AccountInfo,
        ticket_id: int,
        body: str,
        *,
        attachments: Sequence[NewAttachment] = (),
        status: TicketStatus | None = None,
    ) -> Message:
        """A public reply (from staff: mailed to the requester; "submit as" `status`, e.g. pending)."""
        files = self.limits.check(attachments)
        async with self.db.transaction() as session:
            row = await load_visible(session, viewer, ticket_id, for_update=True)
            if status is not None and not viewer.provider_staff:
                require_staff(viewer)
            outcome = Outcome([])
            now = self.clock.now_ms()
            if row.status == TicketStatus.CLOSED.value:
                raise TicketNotFound(ticket_id)  # closed is final: the console offers a follow-up ticket
            message = await add_message(
                session,
                row,
                Actor.of(viewer),
                body,
                MessageKind.PUBLIC,
                now,
                self.policies,
                outcome,
                attachments=files,
                mail_domain=self.mail_domain,
            )
            if status is not None:
                move(session, row, TicketStatus(status), Actor.of(viewer), now, self.policies, outcome)
            result, ticket = Message.from_row(message), Ticket.from_row(row)
        await self.after(ticket, outcome)
        return result

    async def add_note(self, viewer: AccountInfo, ticket_id: int, body: str) -> Message:
        """An internal note, for staff only."""
        async with self.db.transaction() as session:
            row = await load_visible(session, viewer, ticket_id, for_update=True)
            require_staff(viewer)
            message = await add_message(
                session,
                row,
                Actor.of(viewer),
                body,
                MessageKind.INTERNAL,
                self.clock.now_ms(),
                self.policies,
                Outcome([]),
            )
            return Message.from_row(message)

    # ---- changes (staff) --------------------------------------------------------------------------------

    async def set_status(self, viewer: AccountInfo, ticket_id: int, status: TicketStatus) -> Ticket:
        async with self.db.transaction() as session:
            row = await load_visible(session, viewer, ticket_id, for_update=True)
            require_staff(viewer)
            outcome = Outcome([])
            move(session, row, TicketStatus(status), Actor.of(viewer), self.clock.now_ms(), self.policies, outcome)
            ticket = Ticket.from_row(row)
        await self.after(ticket, outcome)
        return ticket

    async def set_priority(self, viewer: AccountInfo, ticket_id: int, priority: Priority) -> Ticket:
        return await self._change(viewer, ticket_id, "priority", Priority(priority).value)

    async def set_type(self, viewer: AccountInfo, ticket_id: int, type: TicketType) -> Ticket:
        return await self._change(viewer, ticket_id, "type", TicketType(type).value)

    async def assign(self, viewer: AccountInfo, ticket_id: int, assignee_id: int | None) -> Ticket:
        if assignee_id is not None:
            async with self.db.session() as session:
                staff = await session.get(Account, assignee_id)
            if staff is None or not staff.provider_staff:
                raise ValueError(f"account {assignee_id} is not provider staff")
        return await self._change(viewer, ticket_id, "assignee_id", assignee_id)

    async def set_tags(self, viewer: AccountInfo, ticket_id: int, tags: Iterable[str]) -> Ticket:
        cleaned = sorted({t.strip().lower()[:64] for t in tags if t.strip()})[:MAX_TAGS]
        return await self._change(viewer, ticket_id, "tags_json", json.dumps(cleaned, ensure_ascii=False))

    async def _change(self, viewer: AccountInfo, ticket_id: int, column: str, value: object) -> Ticket:
        async with self.db.transaction() as session:
            row = await load_visible(session, viewer, ticket_id, for_update=True)
            require_staff(viewer)
            old = getattr(row, column)
            if old != value:
                now = self.clock.now_ms()
                setattr(row, column, value)
                row.updated_at_ms = now
                name = column.removesuffix("_json")
                audit.record(session, row.id, Actor.of(viewer), name, now, old=_plain(old), new=_plain(value))
                refresh_sla(row, self.policies)
            return Ticket.from_row(row)

    # ---- CSAT -------------------------------------------------------------------------------------------

    async def rate(self, viewer: AccountInfo, ticket_id: int, rating: Csat, reason: str | None = None) -> Ticket:
        """The requester's (or their OA team's) rating of a solved ticket; "bad" needs a reason."""
        async with self.db.transaction() as session:
            row = await load_visible(session, viewer, ticket_id, for_update=True)
            if viewer.provider_staff:
                raise CsatError("staff do not rate tickets")
            return record_rating(session, row, Actor.of(viewer), rating, reason, self.clock.now_ms())

    async def rate_with_token(self, token: str, rating: Csat, reason: str | None = None) -> Ticket:
        """The rating from the link of the CSAT mail (no sign-in needed)."""
        async with self.db.transaction() as session:
            row = await session.scalar(
                select(SupportTicketRow).where(SupportTicketRow.csat_token_hash == token_hash(token or ""))
            )
            if row is None:
                raise CsatError("this rating link is not valid")
            return record_rating(
                session, row, Actor.mail(row.requester_email or ""), rating, reason, self.clock.now_ms()
            )

    # ---- after a commit ---------------------------------------------------------------------------------

    async def after(self, ticket: Ticket, outcome: Outcome) -> None:
        """Send what the committed change left to mail; a failure is logged, the sweep retries replies."""
        if self.notifier is None:
            return
        for message_id in outcome.mail_message_ids:
            try:
                await self.notifier.deliver_reply(message_id)
            except Exception:
                log.warning(
                    "mailing reply %s of ticket %s failed; the sweep retries", message_id, ticket.id, exc_info=True
                )
        if outcome.csat_token and ticket.requester_email:
            try:
                await self.notifier.request_csat(ticket, outcome.csat_token)
            except Exception:
                log.warning("mailing the CSAT request of ticket %s failed", ticket.id, exc_info=True)


def clean_subject(subject: str) -> str:
    cleaned = " ".join((subject or "").split())
    return cleaned[:MAX_SUBJECT] or "(no subject)"


def _plain(value: object) -> object:
    return json.loads(value) if isinstance(value, str) and value.startswith("[") else value
