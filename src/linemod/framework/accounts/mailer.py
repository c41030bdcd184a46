"""Sending mail: through SMTP (aiosmtplib) when an SMTP host is set, else into the database outbox that
development mode shows at /console/outbox.

Console mail is plain text; billing mail (invoices, receipts, notices) adds an HTML alternative, copies (CC)
and attachments (the PDF); help-desk mail its own sender, threading headers and the ticket's files. The
outbox keeps the HTML and, for attachments, their names, types, sizes and SHA-256 (the documents themselves
are in the invoice archive and the tickets)."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Protocol

from sqlalchemy import select

from linemod.framework.clock import Clock
from linemod.framework.settings import Settings
from linemod.framework.storage.database import Database
from linemod.framework.storage.models import OutboxMailRow

log = logging.getLogger("linemod.mail")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # e.g. "application/pdf"
    data: bytes

    def describe(self) -> dict[str, object]:
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "size": len(self.data),
            "sha256": hashlib.sha256(self.data).hexdigest(),
        }


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str  # plain text
    html: str | None = None  # an HTML alternative of `body`
    cc: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    sender: str | None = None  # the From, when not `mail_from` (the help desk's own address)
    headers: Mapping[str, str] = field(default_factory=dict)  # Message-ID, In-Reply-To, References, Reply-To


class Mailer(Protocol):
    async def send(self, mail: Mail) -> None: ...


class SmtpMailer:
    """One SMTP connection per mail: console mail is rare (sign-ups, resets, invitations)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def message(self, mail: Mail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = mail.sender or self.settings.mail_from
        message["To"] = mail.to
        if mail.cc:
            message["Cc"] = ", ".join(mail.cc)
        message["Subject"] = mail.subject
        for name, value in mail.headers.items():
            message[name] = value
        message.set_content(mail.body)
        if mail.html is not None:
            message.add_alternative(mail.html, subtype="html")
        for attachment in mail.attachments:
            maintype, _, subtype = attachment.content_type.partition("/")
            message.add_attachment(attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename)
        return message

    async def send(self, mail: Mail) -> None:
        import aiosmtplib

        s = self.settings
        await aiosmtplib.send(
            self.message(mail),
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_username or None,
            password=s.smtp_password or None,
            use_tls=s.smtp_tls == "tls",
            start_tls=s.smtp_tls == "starttls",
            timeout=s.api_timeout_seconds,
        )


class OutboxMailer:
    """Keeps mails in the `mail_outbox` table instead of sending them."""

    def __init__(self, db: Database, clock: Clock, *, announce: bool = True) -> None:
        self.db = db
        self.clock = clock
        self.announce = announce

    async def send(self, mail: Mail) -> None:
        async with self.db.transaction() as session:
            now = self.clock.now_ms()
            attachments = [a.describe() for a in mail.attachments]
            session.add(
                OutboxMailRow(
                    to_addr=mail.to,
                    subject=mail.subject,
                    body=mail.body,
                    created_at_ms=now,
                    cc_addrs=", ".join(mail.cc) or None,
                    html=mail.html,
                    attachments_json=json.dumps(attachments) if attachments else None,
                )
            )
        if self.announce:  # outside development nobody reads the outbox: say so where someone looks
            log.warning("no SMTP host set (LINEMOD_SMTP_HOST): mail to %s kept in the outbox", mail.to)

    async def list(self, limit: int = 100) -> list[OutboxMailRow]:
        async with self.db.session() as session:
            return list(await session.scalars(select(OutboxMailRow).order_by(OutboxMailRow.id.desc()).limit(limit)))

    async def get(self, mail_id: int) -> OutboxMailRow | None:
        async with self.db.session() as session:
            return await session.get(OutboxMailRow, mail_id)


def mailer_for(settings: Settings, db: Database, clock: Clock) -> Mailer:
    if settings.smtp_host:
        return SmtpMailer(settings)
    return OutboxMailer(db, clock, announce=not settings.development)
