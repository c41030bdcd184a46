"""Sending mail: through SMTP (aiosmtplib) when an SMTP host is set, else into the database outbox that
development mode shows at /console/outbox."""

from __future__ import annotations

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
class MailFile:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str  # plain text
    sender: str | None = None  # the From, when not `mail_from` (the help desk's own address)
    headers: Mapping[str, str] = field(default_factory=dict)  # Message-ID, In-Reply-To, References, Reply-To
    files: tuple[MailFile, ...] = ()


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
        message["Subject"] = mail.subject
        for name, value in mail.headers.items():
            message[name] = value
        message.set_content(mail.body)
        for file in mail.files:
            maintype, _, subtype = file.content_type.partition("/")
            message.add_attachment(file.content, maintype=maintype, subtype=subtype, filename=file.filename)
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
            session.add(OutboxMailRow(to_addr=mail.to, subject=mail.subject, body=mail.body, created_at_ms=now))
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
