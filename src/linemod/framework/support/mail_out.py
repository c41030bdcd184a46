"""Mail out: staff replies, CSAT requests, reminders and SLA warnings, through the framework's mailer.

A staff reply carries the Message-ID it was given when stored (so a retry sends the same mail, and the
customer's answer, naming it in In-Reply-To, finds the ticket), In-Reply-To the customer's latest mail,
References the thread, and the "[#123]" tag in its subject; From and Reply-To are the support mailbox.
Texts are in the operators' language (Japanese by default) from the framework's catalogs.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from sqlalchemy import select

from linemod.framework.accounts.mailer import Attachment, Mail, Mailer
from linemod.framework.clock import Clock
from linemod.framework.i18n import N_, Catalogs
from linemod.framework.settings import Settings
from linemod.framework.storage.database import Database
from linemod.framework.support.business_hours import JST
from linemod.framework.support.records import SupportAttachmentRow, SupportMessageRow, SupportTicketRow
from linemod.framework.support.sla import Target
from linemod.framework.support.states import AuthorKind, MessageKind
from linemod.framework.support.ticket_records import Ticket

MAX_MAIL_ATTEMPTS = 5
MAX_REFERENCES = 20  # RFC 5322 keeps the first and the latest ones when a thread grows long
CSAT_PATH = "/support/rate"  # the page (a later part) that records the rating of the link's token

TARGET_NAMES = {
    Target.FIRST_RESPONSE: N_("first response"),
    Target.NEXT_RESPONSE: N_("next response"),
    Target.RESOLUTION: N_("resolution"),
}


def tagged_subject(ticket_id: int, subject: str) -> str:
    tag = f"[#{ticket_id}]"
    return subject if tag in subject else f"{tag} {subject}"


class SupportMailer:
    def __init__(
        self, db: Database, clock: Clock, settings: Settings, mailer: Mailer, catalogs: Catalogs, lang: str = "ja"
    ) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.mailer = mailer
        self.catalogs = catalogs
        self.lang = lang

    def _(self, message: str, **values: object) -> str:
        return self.catalogs.gettext(self.lang, message, **values)

    def _mail(self, to: str, subject: str, body: str, **headers: str) -> Mail:
        address = self.settings.support_from
        return Mail(to, subject, body, sender=address, headers={"Reply-To": address, **headers})

    async def deliver_reply(self, message_id: int) -> None:
        """Mail a staff reply that is due; marks it "sent", or counts the failure (and re-raises)."""
        async with self.db.session() as session:
            message = await session.get(SupportMessageRow, message_id)
            if message is None or message.mail_state != "due":
                return
            ticket = await session.get(SupportTicketRow, message.ticket_id)
            assert ticket is not None and ticket.requester_email and message.mail_message_id
            earlier = list(
                await session.scalars(
                    select(SupportMessageRow)
                    .where(
                        SupportMessageRow.ticket_id == ticket.id,
                        SupportMessageRow.id < message.id,
                        SupportMessageRow.kind == MessageKind.PUBLIC.value,
                        SupportMessageRow.mail_message_id.is_not(None),
                    )
                    .order_by(SupportMessageRow.id)
                )
            )
            files = list(
                await session.scalars(select(SupportAttachmentRow).where(SupportAttachmentRow.message_id == message.id))
            )
        thread = [m.mail_message_id for m in earlier if m.mail_message_id]
        theirs = [m.mail_message_id for m in earlier if m.author_kind != AuthorKind.STAFF.value and m.mail_message_id]
        headers = {"Message-ID": message.mail_message_id}
        if theirs or thread:
            headers["In-Reply-To"] = (theirs or thread)[-1]
            kept = thread if len(thread) <= MAX_REFERENCES else thread[:1] + thread[-(MAX_REFERENCES - 1) :]
            headers["References"] = " ".join(kept)
        mail = self._mail(ticket.requester_email, tagged_subject(ticket.id, ticket.subject), message.body, **headers)
        mail = dataclasses.replace(
            mail, attachments=tuple(Attachment(f.filename, f.content_type, f.content) for f in files)
        )
        try:
            await self.mailer.send(mail)
        except Exception:
            await self._mark(message_id, failed=True)
            raise
        await self._mark(message_id, failed=False)

    async def _mark(self, message_id: int, *, failed: bool) -> None:
        async with self.db.transaction() as session:
            message = await session.get(SupportMessageRow, message_id)
            if message is None or message.mail_state != "due":
                return
            if failed:
                message.mail_attempts += 1
                if message.mail_attempts >= MAX_MAIL_ATTEMPTS:
                    message.mail_state = "failed"
            else:
                message.mail_state = "sent"

    async def request_csat(self, ticket: Ticket, token: str) -> None:
        if not ticket.requester_email:
            return
        link = f"{self.settings.public_base_url.rstrip('/')}{CSAT_PATH}?token={token}"
        body = self._(
            N_(
                "Your request %(tag)s %(subject)s is solved. How was our support?\n\n"
                "Good: %(good)s\nBad: %(bad)s\n\nReplying to this mail opens the request again."
            ),
            tag=ticket.tag,
            subject=ticket.subject,
            good=f"{link}&rating=good",
            bad=f"{link}&rating=bad",
        )
        subject = tagged_subject(ticket.id, self._(N_("How was our support?")))
        await self.mailer.send(self._mail(ticket.requester_email, subject, body))

    async def remind_pending(self, ticket: Ticket, days: int, solve_days: int) -> None:
        if not ticket.requester_email:
            return
        body = self._(
            N_(
                "We are waiting for your answer on %(tag)s %(subject)s (for %(days)s days now). Reply to this mail "
                "to go on; with no answer, the request is solved in %(solve_days)s days."
            ),
            tag=ticket.tag,
            subject=ticket.subject,
            days=days,
            solve_days=solve_days,
        )
        subject = tagged_subject(ticket.id, self._(N_("We are waiting for your answer")))
        await self.mailer.send(self._mail(ticket.requester_email, subject, body))

    async def warn_sla(self, to: str, ticket: Ticket, target: Target, due_ms: int, *, breached: bool) -> None:
        """Tell a staff member that a ticket's target is near (or past) its due time."""
        when = datetime.fromtimestamp(due_ms / 1000, tz=JST).strftime("%Y-%m-%d %H:%M")
        values = {"tag": ticket.tag, "subject": ticket.subject, "target": self._(TARGET_NAMES[target]), "due": when}
        if breached:
            subject = self._(N_("SLA breached: %(target)s of %(tag)s"), **values)
            body = self._(N_("The %(target)s of %(tag)s %(subject)s was due at %(due)s (JST)."), **values)
        else:
            subject = self._(N_("SLA warning: %(target)s of %(tag)s"), **values)
            body = self._(N_("The %(target)s of %(tag)s %(subject)s is due at %(due)s (JST)."), **values)
        await self.mailer.send(self._mail(to, subject, body))
