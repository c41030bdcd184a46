"""SLA targets per plan and priority on the business calendar; resolution stops while pending."""

from __future__ import annotations

from linemod.framework.clock import ManualClock
from linemod.framework.storage.database import Database
from linemod.framework.support.business_hours import BusinessCalendar, jst_ms
from linemod.framework.support.sla import SlaMarks, SlaPolicies, SlaTargets, Target, due_of, dues
from linemod.framework.support.states import Priority, TicketStatus
from linemod.framework.support.tickets import TicketService
from tests.framework.support.builders import BOT_A
from tests.framework.support.conftest import People

CALENDAR = BusinessCalendar.weekdays()
FOUR_HOURS = SlaTargets(first_response=240, next_response=120, resolution=480)


def test_first_response_due_over_a_weekend_and_a_holiday() -> None:
    [first, resolution] = dues(SlaMarks(created_at_ms=jst_ms(2027, 1, 8, 17, 30)), FOUR_HOURS, CALENDAR)
    assert (first.target, first.due_ms) == (Target.FIRST_RESPONSE, jst_ms(2027, 1, 12, 12, 30))
    assert not first.breached(jst_ms(2027, 1, 12, 12, 30)) and first.breached(jst_ms(2027, 1, 12, 12, 31))
    assert resolution.due_ms == jst_ms(2027, 1, 12, 16, 30)  # 30 min on Friday, 7.5 hours on Tuesday


def test_resolution_stops_while_pending_and_goes_on_from_where_it_was() -> None:
    created = jst_ms(2027, 1, 8, 10, 0)  # 8 business hours to resolve
    pending_from, pending_to = jst_ms(2027, 1, 8, 12, 0), jst_ms(2027, 1, 12, 10, 0)
    paused = due_of(dues(SlaMarks(created, pending_since_ms=pending_from), FOUR_HOURS, CALENDAR), Target.RESOLUTION)
    assert paused is not None and paused.paused and paused.due_ms is None and not paused.breached(pending_to)
    # 2 hours used on Friday; 7 open hours spent pending (Fri 12–18, Tue 9–10); 6 left from Tue 10:00.
    spent = CALENDAR.business_ms_between(pending_from, pending_to)
    assert spent == 7 * 3_600_000
    resumed = due_of(dues(SlaMarks(created, pending_business_ms=spent), FOUR_HOURS, CALENDAR), Target.RESOLUTION)
    assert resumed is not None and resumed.due_ms == jst_ms(2027, 1, 12, 16, 0)


def test_next_response_runs_from_the_customers_message_once_first_response_is_met() -> None:
    marks = SlaMarks(
        jst_ms(2027, 1, 13, 9, 0),
        first_response_at_ms=jst_ms(2027, 1, 13, 10, 0),
        awaiting_reply_since_ms=jst_ms(2027, 1, 13, 17, 0),
    )
    following = due_of(dues(marks, FOUR_HOURS, CALENDAR), Target.NEXT_RESPONSE)
    assert following is not None and following.due_ms == jst_ms(2027, 1, 14, 10, 0)


def test_policies_per_plan_and_priority() -> None:
    policies = SlaPolicies(plans={"pro": {Priority.HIGH: SlaTargets(first_response=30)}})
    assert policies.targets("pro", Priority.HIGH).first_response == 30
    assert policies.targets("pro", Priority.LOW) == policies.default[Priority.LOW]
    assert policies.targets(None, Priority.HIGH) == policies.default[Priority.HIGH]


async def test_a_ticket_keeps_its_due_times_as_it_moves(db: Database, people: People) -> None:
    clock = ManualClock(jst_ms(2027, 1, 8, 10, 0))
    policies = SlaPolicies(default={Priority.NORMAL: FOUR_HOURS}, calendar=CALENDAR)
    tickets = TicketService(db, clock, policies)
    ticket = await tickets.open(people.operator_a, bot_id=BOT_A, subject="s", body="b")
    assert ticket.first_response_due_ms == jst_ms(2027, 1, 8, 14, 0)
    assert ticket.resolution_due_ms == jst_ms(2027, 1, 8, 18, 0)
    clock.advance(2 * 3600)  # Friday 12:00
    await tickets.reply(people.staff, ticket.id, "please send a screenshot", status=TicketStatus.PENDING)
    paused = await tickets.get(people.staff, ticket.id)
    assert paused.first_response_due_ms is None and paused.resolution_due_ms is None
    clock._now = jst_ms(2027, 1, 12, 10, 0)
    await tickets.reply(people.operator_a, ticket.id, "here it is")
    resumed = await tickets.get(people.staff, ticket.id)
    assert resumed.status == TicketStatus.OPEN
    assert resumed.resolution_due_ms == jst_ms(2027, 1, 12, 16, 0)
    assert resumed.next_response_due_ms == jst_ms(2027, 1, 12, 12, 0)
