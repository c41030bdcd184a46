"""Mail in: the support mailbox read over IMAP, each new mail a ticket or a reply on one.

The IMAP conversation is the standard library's `imaplib` in a thread: a handful of commands a minute do not
need an async client, and imaplib is maintained with Python itself. The mailbox is opened read-only and
nothing in it is changed; what has been read is a UID per mailbox (`support_mailboxes`), advanced in the
transaction that stores the mail, and each mail's Message-ID is unique among the stored messages, so a mail
read twice (a crash, a new UIDVALIDITY) is stored once.

A mail answers a ticket when its In-Reply-To or References names a Message-ID of the ticket's messages (ours
going out, theirs coming in), or, when a mail client lost those headers, when its subject carries the
ticket's "[#123]" tag and it comes from the ticket's requester or a member of the ticket's OA team.
Auto-replies and bounces are dropped, and so are mails from the help desk's own address (a loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import logging
import re
import ssl
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.settings import Settings
from linemod.framework.storage.models import Account, MembershipRow
from linemod.framework.support.access import member_bot_ids
from linemod.framework.support.audit import Actor
from linemod.framework.support.mail_parsing import TICKET_TAG, InboundMail, parse_mail
from linemod.framework.support.records import SupportMailboxRow, SupportMessageRow, SupportTicketRow
from linemod.framework.support.states import AuthorKind, MessageKind, Priority, TicketStatus, TicketType
from linemod.framework.support.ticket_rules import Outcome, add_message
from linemod.framework.support.tickets import TicketService

log = logging.getLogger("linemod.support.mail")
FETCH_BATCH = 50  # mails read per poll: a flood is worked through over several polls, not in one long job
_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")


@dataclass(frozen=True)
class ImapAccount:
    host: str
    port: int
    user: str
    password: str
    tls: str = "tls"  # "tls", "starttls", "none"
    mailbox: str = "INBOX"
    timeout: float = 30.0

    @property
    def key(self) -> str:
        return f"{self.user}@{self.host}:{self.port}/{self.mailbox}"[:255]

    @classmethod
    def from_settings(cls, settings: Settings) -> ImapAccount | None:
        if not settings.support_imap_host:
            return None
        return cls(
            settings.support_imap_host,
            settings.support_imap_port,
            settings.support_imap_user or "",
            settings.support_imap_password or "",
            settings.support_imap_tls,
            settings.support_imap_mailbox,
            settings.api_timeout_seconds * 3,
        )


def fetch_new(account: ImapAccount, uid_validity: int | None, last_uid: int) -> tuple[int, list[tuple[int, bytes]]]:
    """(the mailbox's UIDVALIDITY, [(uid, raw mail)] after `last_uid`, at most FETCH_BATCH). Blocking: run it
    in a thread. A changed UIDVALIDITY means the old UIDs name nothing: everything is read again."""
    if account.tls == "tls":
        client: imaplib.IMAP4 = imaplib.IMAP4_SSL(
            account.host, account.port, ssl_context=ssl.create_default_context(), timeout=account.timeout
        )
    else:
        client = imaplib.IMAP4(account.host, account.port, timeout=account.timeout)
        if account.tls == "starttls":
            client.starttls(ssl.create_default_context())
    try:
        client.login(account.user, account.password)
        status, _ = client.select(_quoted(account.mailbox), readonly=True)
        if status != "OK":
            raise RuntimeError(f"IMAP mailbox {account.mailbox!r} cannot be opened")
        _, validity_data = client.status(_quoted(account.mailbox), "(UIDVALIDITY)")
        found = _UIDVALIDITY.search(b" ".join(item for item in validity_data if isinstance(item, bytes)))
        validity = int(found.group(1)) if found else 0
        if uid_validity is not None and validity != uid_validity:
            last_uid = 0
        _, data = client.uid("SEARCH", None, f"UID {last_uid + 1}:*")  # type: ignore[arg-type]
        # "n:*" always matches the newest mail, even below n: keep only the new ones.
        uids = sorted(uid for uid in (int(x) for x in (data[0] or b"").split()) if uid > last_uid)[:FETCH_BATCH]
        mails = []
        for uid in uids:
            _, fetched = client.uid("FETCH", str(uid), "(BODY.PEEK[])")
            raw = next((part[1] for part in fetched if isinstance(part, tuple)), None)
            if raw is not None:
                mails.append((uid, bytes(raw)))
        return validity, mails
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            client.logout()


def _quoted(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class Ingested:
    """What one mail became: "ticket" (new), "reply", or "ignored" with the reason."""

    outcome: str
    ticket_id: int | None = None
    reason: str | None = None


class MailIntake:
    def __init__(self, tickets: TicketService, account: ImapAccount | None, own_address: str) -> None:
        self.tickets = tickets
        self.account = account
        self.own_address = own_address.lower()

    async def poll(self) -> list[Ingested]:
        """Read the new mails of the mailbox and store each one (one transaction per mail)."""
        if self.account is None:
            return []
        account = self.account
        db = self.tickets.db
        async with db.session() as session:
            state = await session.get(SupportMailboxRow, account.key)
            stored_validity, last_uid = (state.uid_validity, state.last_uid) if state else (None, 0)
        validity, mails = await asyncio.to_thread(fetch_new, account, stored_validity, last_uid)
        results = []
        for uid, raw in mails:
            try:
                async with db.transaction() as session:
                    result = await self.ingest(session, raw)
                    await self._advance(session, account.key, validity, uid)
            except IntegrityError:  # another poller stored this mail first
                async with db.transaction() as session:
                    await self._advance(session, account.key, validity, uid)
                result = Ingested("ignored", reason="stored already")
            log.info("support mail uid %s: %s %s", uid, result.outcome, result.reason or result.ticket_id)
            results.append(result)
        return results

    async def _advance(self, session: AsyncSession, key: str, validity: int, uid: int) -> None:
        state = await session.get(SupportMailboxRow, key)
        now = self.tickets.clock.now_ms()
        if state is None:
            session.add(SupportMailboxRow(key=key, uid_validity=validity, last_uid=uid, updated_at_ms=now))
        else:
            state.uid_validity, state.last_uid, state.updated_at_ms = validity, uid, now

    async def ingest(self, session: AsyncSession, raw: bytes) -> Ingested:
        """Store one mail, in `session`'s transaction."""
        mail = parse_mail(raw)
        if mail.automated:
            return Ingested("ignored", reason=mail.automated)
        if not mail.sender or mail.sender == self.own_address:
            return Ingested("ignored", reason="no sender" if not mail.sender else "our own address")
        if await session.scalar(
            select(SupportMessageRow.id).where(SupportMessageRow.mail_message_id == mail.message_id)
        ):
            return Ingested("ignored", reason="stored already")
        account = await session.scalar(select(Account).where(Account.email == mail.sender))
        ticket = await self._ticket_answered(session, mail)
        service, now = self.tickets, self.tickets.clock.now_ms()
        files, dropped = service.limits.split(mail.attachments)
        kind = "reply"
        if ticket is not None:
            # Staff writing to the mailbox are talking among themselves: a note, never mailed to the customer.
            staff = account is not None and account.provider_staff
            actor = Actor.mail(mail.sender) if account is None else _actor(account)
            await add_message(
                session,
                ticket,
                actor,
                mail.body,
                MessageKind.INTERNAL if staff else MessageKind.PUBLIC,
                now,
                service.policies,
                Outcome([]),
                attachments=files,
                mail_message_id=mail.message_id,
            )
        else:
            operator = account if account is not None and not account.provider_staff else None
            bots = await member_bot_ids(session, operator.id) if operator else []
            ticket, _ = await service.create(
                session,
                _actor(operator) if operator else Actor.mail(mail.sender),
                subject=TICKET_TAG.sub("", mail.subject),  # a follow-up of a closed ticket gets its own tag
                body=mail.body,
                bot_id=bots[0] if len(bots) == 1 else None,
                type=TicketType.QUESTION,
                priority=Priority.NORMAL,
                channel="mail",
                requester_account_id=operator.id if operator else None,
                requester_email=mail.sender,
                attachments=files,
                kind=MessageKind.PUBLIC,
                mail_message_id=mail.message_id,
            )
            kind = "ticket"
        if dropped:
            note = "Attachments not kept: " + ", ".join(f"{name} ({why})" for name, why in dropped)
            await add_message(
                session, ticket, Actor.system(), note, MessageKind.INTERNAL, now, service.policies, Outcome([])
            )
        return Ingested(kind, ticket.id)

    async def _ticket_answered(self, session: AsyncSession, mail: InboundMail) -> SupportTicketRow | None:
        """The open ticket this mail answers, if any (a closed one is final: the mail opens a new ticket)."""
        ticket: SupportTicketRow | None = None
        if mail.answered_ids:
            for message_id in mail.answered_ids:
                ticket_id = await session.scalar(
                    select(SupportMessageRow.ticket_id).where(SupportMessageRow.mail_message_id == message_id)
                )
                if ticket_id is not None:
                    ticket = await session.get(SupportTicketRow, ticket_id, with_for_update=True)
                    break
        if ticket is None and mail.ticket_number is not None:
            tagged = await session.get(SupportTicketRow, mail.ticket_number, with_for_update=True)
            if tagged is not None and await self._may_write_to(session, tagged, mail.sender):
                ticket = tagged
        if ticket is None or ticket.status == TicketStatus.CLOSED.value:
            return None
        return ticket

    async def _may_write_to(self, session: AsyncSession, ticket: SupportTicketRow, sender: str) -> bool:
        # A subject tag is easy to type: without the threading headers only the people of the ticket count.
        if ticket.requester_email and ticket.requester_email.lower() == sender:
            return True
        if ticket.bot_id is None:
            return False
        member = await session.scalar(
            select(MembershipRow.account_id)
            .join(Account, Account.id == MembershipRow.account_id)
            .where(MembershipRow.bot_id == ticket.bot_id, Account.email == sender)
        )
        return member is not None


def _actor(account: Account) -> Actor:
    kind = AuthorKind.STAFF if account.provider_staff else AuthorKind.OPERATOR
    return Actor(kind, account.id, account.email)
