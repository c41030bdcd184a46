"""The reports' figures against values worked out by hand from tickets made here, on the default SLA
calendar (Monday to Friday 9:00-18:00 Japan time, holidays closed) and targets (normal priority: first
response 540 business minutes, resolution 2,700).

Friday 2027-01-08 10:00, three tickets are opened; Monday the 11th is a holiday (成人の日).
- T1 (staff): answered 11:00 (first response 60 min), solved 13:00 (resolution 180 min), rated good.
- T2 (lead, plan "pro"): answered 17:00 and set pending (420 min); the customer answers Tuesday 10:00 (pending
  for Fri 17-18 and Tue 9-10: 120 min); solved Tuesday 12:00: Fri 10-18 and Tue 9-12 are 660 min open, less
  120 pending: 540 min; rated bad.
- T3 (unassigned): never answered; its first response was due Tuesday 10:00 (480 min Friday, 60 Tuesday): at
  the report's time, Tuesday 12:00, breached; its resolution is not due yet (undecided).
- T5 (unassigned) is closed unanswered at 10:30 (spam): its targets count neither as met nor as breached.
- T4, opened Tuesday 11:00, is outside the range but in the backlog.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import update

from linemod.framework.clock import ManualClock
from linemod.framework.storage.database import Database
from linemod.framework.support.business_hours import jst_ms
from linemod.framework.support.records import SupportTicketRow
from linemod.framework.support.reports.figures import (
    DateRange,
    build_report,
    percentile,
)
from linemod.framework.support.sla import SlaPolicies
from linemod.framework.support.states import Csat, TicketStatus
from linemod.framework.support.tickets import TicketService
from tests.framework.support.conftest import People


def test_percentiles_interpolate_between_ranks() -> None:
    assert percentile([4, 1, 3, 2], 0.5) == 2.5
    assert percentile(list(range(1, 11)), 0.9) == 9.1
    assert percentile([7], 0.9) == 7
    assert percentile([], 0.5) is None


async def test_report_figures_match_the_hand_computed_ones(
    db: Database, clock: ManualClock, tickets: TicketService, people: People
) -> None:
    staff, lead = people.staff, people.other_staff
    t1 = await tickets.open(people.operator_a, subject="予約が入らない", body="助けてください")
    t2 = await tickets.open(people.operator_b, subject="請求について", body="請求書の宛名")
    await tickets.open(people.operator_a, subject="質問", body="質問です")  # T3
    t5 = await tickets.open(people.operator_a, subject="広告", body="広告です")
    async with db.transaction() as session:
        await session.execute(update(SupportTicketRow).where(SupportTicketRow.id == t2.id).values(plan_code="pro"))
    await tickets.assign(staff, t1.id, staff.id)
    await tickets.assign(staff, t2.id, lead.id)

    move(clock, jst_ms(2027, 1, 8, 10, 30))
    await tickets.set_status(staff, t5.id, TicketStatus.CLOSED)
    move(clock, jst_ms(2027, 1, 8, 11, 0))
    await tickets.reply(staff, t1.id, "こうしてください")
    move(clock, jst_ms(2027, 1, 8, 13, 0))
    await tickets.set_status(staff, t1.id, TicketStatus.SOLVED)
    await tickets.rate(people.operator_a, t1.id, Csat.GOOD)
    move(clock, jst_ms(2027, 1, 8, 17, 0))
    await tickets.reply(lead, t2.id, "宛名を教えてください", status=TicketStatus.PENDING)
    move(clock, jst_ms(2027, 1, 12, 10, 0))
    await tickets.reply(people.operator_b, t2.id, "株式会社さくらです")
    move(clock, jst_ms(2027, 1, 12, 11, 0))
    await tickets.open(people.operator_a, subject="別件", body="別の質問")  # T4
    move(clock, jst_ms(2027, 1, 12, 12, 0))
    await tickets.set_status(lead, t2.id, TicketStatus.SOLVED)
    await tickets.rate(people.operator_b, t2.id, Csat.BAD, "遅い")

    days = DateRange.parse("2027-01-08", "2027-01-08", date(2027, 1, 12))
    report = await build_report(db, SlaPolicies(), clock.now_ms(), days)

    overall = report.overall
    assert overall.tickets == 4
    assert (overall.first_response.count, overall.first_response.median, overall.first_response.p90) == (2, 240, 384)
    assert (overall.resolution.count, overall.resolution.median, overall.resolution.p90) == (2, 360, 504)
    assert (overall.sla_met, overall.sla_breached, overall.sla_rate) == (4, 1, 0.8)
    assert (overall.csat_good, overall.csat_bad, overall.csat) == (1, 1, 0.5)

    staff_rows = {group.label: group for group in report.by_staff}
    assert set(staff_rows) == {staff.email, lead.email, "Unassigned"}
    mine = staff_rows[staff.email]
    assert (mine.tickets, mine.first_response.median, mine.resolution.median, mine.sla_rate, mine.csat) == (
        1,
        60,
        180,
        1.0,
        1.0,
    )
    theirs = staff_rows[lead.email]
    assert (theirs.first_response.median, theirs.resolution.median, theirs.sla_rate, theirs.csat) == (
        420,
        540,
        1.0,
        0.0,
    )
    nobody = staff_rows["Unassigned"]
    assert (nobody.tickets, nobody.first_response.count, nobody.sla_met, nobody.sla_breached) == (2, 0, 0, 1)

    plans = {group.key: group for group in report.by_plan}
    assert set(plans) == {"pro", ""}
    assert (plans["pro"].tickets, plans["pro"].resolution.median) == (1, 540)
    assert (plans[""].tickets, plans[""].first_response.median, plans[""].sla_rate) == (3, 60, 2 / 3)

    # now: T3 new since Friday 10:00 (4 days 2 hours: "3-7 days"), T4 new since 11:00 ("under 1 day")
    assert report.backlog[TicketStatus.NEW] == [1, 0, 1, 0]
    assert report.backlog_total == 2


def move(clock: ManualClock, to_ms: int) -> None:
    clock.advance((to_ms - clock.now_ms()) / 1000)
