"""Mail in and out against real servers: Dovecot (IMAP) holds the support mailbox, aiosmtpd receives what the
help desk sends. A customer's mail becomes a ticket, the staff reply arrives threaded to it, the customer's
answer to that reply lands on the same ticket; auto-replies and bounces make nothing; reading is UID-tracked
and a mail read twice is stored once."""

from __future__ import annotations

import asyncio
import imaplib
from collections.abc import AsyncIterator, Iterator
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from sqlalchemy import delete, func, select

from linemod.framework.accounts.mailer import SmtpMailer
from linemod.framework.clock import ManualClock
from linemod.framework.storage.database import Database
from linemod.framework.support.desk import SupportDesk
from linemod.framework.support.mail_in import ImapAccount
from linemod.framework.support.records import SupportMailboxRow, SupportMessageRow, SupportTicketRow
from linemod.framework.support.states import TicketStatus
from tests.framework.helpers import make_settings
from tests.framework.support.builders import BOT_A
from tests.framework.support.conftest import People
from tests.support.mail_servers import Dovecot, SmtpCapture, dovecot_server, smtp_capture

SUPPORT = "support@provider.example"


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    with dovecot_server() as server:
        yield server


@pytest.fixture
def smtp() -> Iterator[SmtpCapture]:
    with smtp_capture() as capture:
        yield capture


@pytest.fixture
async def desk(db: Database, clock: ManualClock, dovecot: Dovecot, smtp: SmtpCapture) -> AsyncIterator[SupportDesk]:
    await asyncio.to_thread(_empty_mailbox, dovecot)
    settings = make_settings(
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_tls="none",
        support_address=f"Provider Support <{SUPPORT}>",
        public_base_url="https://module.example",
    )
    imap = ImapAccount(dovecot.host, dovecot.port, dovecot.user, dovecot.password, tls="none")
    yield SupportDesk.build(settings, db, clock, SmtpMailer(settings), imap=imap)


def _imap(dovecot: Dovecot) -> imaplib.IMAP4:
    client = imaplib.IMAP4(dovecot.host, dovecot.port)
    client.login(dovecot.user, dovecot.password)
    return client


def _empty_mailbox(dovecot: Dovecot) -> None:
    client = _imap(dovecot)
    _, count = client.select("INBOX")
    if int(count[0] or 0):
        client.store("1:*", "+FLAGS", "\\Deleted")
        client.expunge()
    client.logout()


def mail(sender: str, subject: str, body: str, **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = SUPPORT
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="customer.example")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


async def deliver(dovecot: Dovecot, message: EmailMessage) -> None:
    def append() -> None:
        client = _imap(dovecot)
        status, _ = client.append("INBOX", None, None, message.as_bytes())
        assert status == "OK"
        client.logout()

    await asyncio.to_thread(append)


async def test_a_mail_becomes_a_ticket_and_the_thread_goes_on_by_mail(
    desk: SupportDesk, dovecot: Dovecot, smtp: SmtpCapture, people: People, db: Database
) -> None:
    first = mail("Hanako <hanako@sakura.example>", "予約通知が届きません", "昨日から通知が来ません。\n")
    first.add_attachment(b"\x89PNG\r\n\x1a\n1234", maintype="image", subtype="png", filename="画面.png")
    await deliver(dovecot, first)
    [created] = await desk.mail_in.poll()
    assert created.outcome == "ticket" and created.ticket_id is not None
    ticket = await desk.tickets.get(people.staff, created.ticket_id)
    # The sender has an account on one OA: the ticket is that OA's, with its context.
    assert (ticket.channel, ticket.bot_id, ticket.requester_account_id) == ("mail", BOT_A, people.operator_a.id)
    assert ticket.subject == "予約通知が届きません" and ticket.context is not None
    [message] = await desk.tickets.messages(people.operator_a, ticket.id)
    assert message.body == "昨日から通知が来ません。" and message.mail_message_id == first["Message-ID"]
    assert [(f.filename, f.content_type) for f in message.attachments] == [("画面.png", "image/png")]

    reply = await desk.tickets.reply(people.staff, ticket.id, "確認いたします。", status=TicketStatus.PENDING)
    [sent] = smtp.mails
    out = sent.message
    assert sent.envelope_to == ["hanako@sakura.example"]
    assert out["Subject"] == f"[#{ticket.id}] 予約通知が届きません"
    assert out["Message-ID"] == reply.mail_message_id and out["Message-ID"].endswith("@provider.example>")
    assert out["In-Reply-To"] == first["Message-ID"] and first["Message-ID"] in out["References"]
    assert SUPPORT in out["From"] and SUPPORT in out["Reply-To"]
    assert out.get_content().strip() == "確認いたします。"

    answer = mail(
        "hanako@sakura.example",
        f"Re: {out['Subject']}",
        "ありがとうございます。\n\nOn Fri, Support wrote:\n> 確認いたします。\n",
        In_Reply_To=out["Message-ID"],
        References=f"{first['Message-ID']} {out['Message-ID']}",
    )
    await deliver(dovecot, answer)
    [threaded] = await desk.mail_in.poll()
    assert (threaded.outcome, threaded.ticket_id) == ("reply", ticket.id)
    bodies = [m.body for m in await desk.tickets.messages(people.staff, ticket.id)]
    assert bodies == ["昨日から通知が来ません。", "確認いたします。", "ありがとうございます。"]
    assert (await desk.tickets.get(people.staff, ticket.id)).status == TicketStatus.OPEN  # pending → open


async def test_auto_replies_and_bounces_make_no_ticket(desk: SupportDesk, dovecot: Dovecot, db: Database) -> None:
    await deliver(dovecot, mail("hanako@sakura.example", "不在", "休暇中です", Auto_Submitted="auto-replied"))
    await deliver(dovecot, mail("news@vendor.example", "News", "sale", Precedence="bulk"))
    await deliver(dovecot, mail("MAILER-DAEMON@mx.example", "Undelivered", "550 no such user"))
    results = await desk.mail_in.poll()
    assert [r.outcome for r in results] == ["ignored"] * 3
    assert [r.reason for r in results] == ["Auto-Submitted: auto-replied", "Precedence: bulk", "sender mailer-daemon"]
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(SupportTicketRow)) == 0


async def test_reading_is_uid_tracked_and_a_mail_read_twice_is_stored_once(
    desk: SupportDesk, dovecot: Dovecot, db: Database
) -> None:
    await deliver(dovecot, mail("someone@shop.example", "Question", "How do I attach?"))
    assert [r.outcome for r in await desk.mail_in.poll()] == ["ticket"]
    assert await desk.mail_in.poll() == []  # nothing new since the last UID
    async with db.transaction() as session:  # as if the mailbox's progress was lost (a new UIDVALIDITY)
        await session.execute(delete(SupportMailboxRow))
    assert [(r.outcome, r.reason) for r in await desk.mail_in.poll()] == [("ignored", "stored already")]
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(SupportMessageRow)) == 1


async def test_a_subject_tag_threads_only_for_the_tickets_people(
    desk: SupportDesk, dovecot: Dovecot, people: People
) -> None:
    await deliver(dovecot, mail("someone@shop.example", "Question", "How do I attach?"))
    [created] = await desk.mail_in.poll()
    tag = f"[#{created.ticket_id}]"
    await deliver(dovecot, mail("someone@shop.example", f"Re: {tag} Question", "Sorry, lost the thread"))
    await deliver(dovecot, mail("stranger@elsewhere.example", f"{tag} hijack", "Let me in"))
    own, stranger = await desk.mail_in.poll()
    assert (own.outcome, own.ticket_id) == ("reply", created.ticket_id)
    assert stranger.outcome == "ticket" and stranger.ticket_id != created.ticket_id
