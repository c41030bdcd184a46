"""Automations on a manual clock: a reminder while pending, auto-solve, auto-close, CSAT on solve, SLA
warnings and escalation at a breach, and retries of replies whose mail failed."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from linemod.framework.accounts.mailer import Mail
from linemod.framework.clock import ManualClock
from linemod.framework.storage.database import Database
from linemod.framework.support.business_hours import BusinessCalendar, jst_ms
from linemod.framework.support.desk import SupportDesk
from linemod.framework.support.sla import SlaPolicies, SlaTargets
from linemod.framework.support.states import Csat, Priority, TicketStatus
from tests.framework.helpers import make_settings
from tests.framework.support.builders import BOT_A
from tests.framework.support.conftest import People

DAY = 24 * 3600


@dataclass
class ListMailer:
    mails: list[Mail] = field(default_factory=list)
    failing: bool = False

    async def send(self, mail: Mail) -> None:
        if self.failing:
            raise ConnectionError("SMTP server down")
        self.mails.append(mail)


@pytest.fixture
def mailer() -> ListMailer:
    return ListMailer()


def build(db: Database, clock: ManualClock, mailer: ListMailer, policies: SlaPolicies | None = None) -> SupportDesk:
    settings = make_settings(support_address="support@provider.example", public_base_url="https://module.example")
    return SupportDesk.build(settings, db, clock, mailer, policies=policies)


async def test_pending_reminder_then_auto_solve_with_csat_then_auto_close(
    db: Database, clock: ManualClock, mailer: ListMailer, people: People
) -> None:
    desk = build(db, clock, mailer)
    tickets = desk.tickets
    ticket = await tickets.open(people.operator_a, bot_id=BOT_A, subject="設定", body="教えてください")
    await tickets.reply(people.staff, ticket.id, "画面を送ってください", status=TicketStatus.PENDING)
    assert [m.subject for m in mailer.mails] == [f"[#{ticket.id}] 設定"]
    clock.advance(3 * DAY - 60)
    await desk.automations.run()
    assert len(mailer.mails) == 1  # not three days yet
    clock.advance(60)
    await desk.automations.run()
    await desk.automations.run()  # a second sweep does not remind twice
    reminder = mailer.mails[-1]
    assert len(mailer.mails) == 2 and reminder.subject == f"[#{ticket.id}] ご返信をお待ちしています"
    assert "3 日経過" in reminder.body and "7 日後" in reminder.body
    clock.advance(7 * DAY)
    await desk.automations.run()
    assert (await tickets.get(people.staff, ticket.id)).status == TicketStatus.SOLVED
    csat = mailer.mails[-1]
    assert csat.to == "hanako@sakura.example" and "サポートはいかがでしたか" in csat.subject
    token = csat.body.split("token=", 1)[1].split("&", 1)[0]
    rated = await tickets.rate_with_token(token, Csat.GOOD)
    assert rated.csat_rating == "good"
    clock.advance(4 * DAY)
    await desk.automations.run()
    assert (await tickets.get(people.staff, ticket.id)).status == TicketStatus.CLOSED
    actions = [e.action for e in await tickets.audit_log(people.staff, ticket.id)]
    assert actions[-6:] == ["reminder", "status", "auto_solve", "csat", "status", "auto_close"]


async def test_a_customer_answer_stops_the_reminder_and_the_auto_solve(
    db: Database, clock: ManualClock, mailer: ListMailer, people: People
) -> None:
    desk = build(db, clock, mailer)
    ticket = await desk.tickets.open(people.operator_a, bot_id=BOT_A, subject="s", body="b")
    await desk.tickets.reply(people.staff, ticket.id, "a", status=TicketStatus.PENDING)
    clock.advance(2 * DAY)
    await desk.tickets.reply(people.operator_a, ticket.id, "here")
    clock.advance(30 * DAY)
    await desk.automations.run()
    assert (await desk.tickets.get(people.staff, ticket.id)).status == TicketStatus.OPEN


async def test_sla_warning_before_and_escalation_at_a_breach(
    db: Database, clock: ManualClock, mailer: ListMailer, people: People
) -> None:
    clock._now = jst_ms(2027, 1, 8, 17, 30)  # Friday; Monday is 成人の日
    policies = SlaPolicies(
        default={Priority.NORMAL: SlaTargets(first_response=240)},
        calendar=BusinessCalendar.weekdays(),
        warn_before_minutes=30,
        escalate_to=people.other_staff.id,
    )
    desk = build(db, clock, mailer, policies)
    ticket = await desk.tickets.open(people.operator_a, bot_id=BOT_A, subject="止まった", body="b")
    assert ticket.first_response_due_ms == jst_ms(2027, 1, 12, 12, 30)
    await desk.tickets.assign(people.staff, ticket.id, people.staff.id)
    clock._now = jst_ms(2027, 1, 12, 11, 59)
    await desk.automations.run()
    assert mailer.mails == []  # 31 business minutes left
    clock._now = jst_ms(2027, 1, 12, 12, 0)
    await desk.automations.run()
    await desk.automations.run()
    [warning] = mailer.mails
    assert warning.to == "staff@provider.example" and warning.subject == f"SLA期限間近: [#{ticket.id}] の初回応答"
    assert "2027-01-12 12:30" in warning.body
    clock._now = jst_ms(2027, 1, 12, 12, 31)
    await desk.automations.run()
    await desk.automations.run()  # escalated once, not again for the earlier due time of "high"
    escalated = await desk.tickets.get(people.staff, ticket.id)
    assert (escalated.priority, escalated.assignee_id) == (Priority.HIGH, people.other_staff.id)
    assert mailer.mails[-1].to == "lead@provider.example" and mailer.mails[-1].subject.startswith("SLA超過")
    assert len(mailer.mails) == 2
    log = await desk.tickets.audit_log(people.staff, ticket.id)
    assert [e.action for e in log if e.action.startswith("sla")] == ["sla_warning", "sla_breach"]


async def test_a_reply_whose_mail_failed_is_sent_by_the_sweep_with_the_same_message_id(
    db: Database, clock: ManualClock, mailer: ListMailer, people: People
) -> None:
    desk = build(db, clock, mailer)
    ticket = await desk.tickets.open(people.operator_a, bot_id=BOT_A, subject="s", body="b")
    mailer.failing = True
    reply = await desk.tickets.reply(people.staff, ticket.id, "answer")
    assert mailer.mails == []
    mailer.failing = False
    await desk.automations.run()
    await desk.automations.run()
    [sent] = mailer.mails
    assert sent.headers["Message-ID"] == reply.mail_message_id
    [_, stored] = await desk.tickets.messages(people.staff, ticket.id)
    assert stored.mail_state == "sent"


async def test_with_reminders_off_a_pending_ticket_is_solved_counting_from_the_start_of_the_wait(
    db: Database, clock: ManualClock, mailer: ListMailer, people: People
) -> None:
    settings = make_settings(support_pending_reminder_days=0, support_auto_solve_days=5)
    desk = SupportDesk.build(settings, db, clock, mailer)
    ticket = await desk.tickets.open(people.operator_a, bot_id=BOT_A, subject="s", body="b")
    await desk.tickets.set_status(people.staff, ticket.id, TicketStatus.PENDING)
    clock.advance(5 * DAY - 1)
    await desk.automations.run()
    assert (await desk.tickets.get(people.staff, ticket.id)).status == TicketStatus.PENDING
    clock.advance(1)
    await desk.automations.run()
    assert (await desk.tickets.get(people.staff, ticket.id)).status == TicketStatus.SOLVED
    assert "ご返信をお待ちしています" not in " ".join(m.subject for m in mailer.mails)
