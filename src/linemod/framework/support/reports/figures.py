"""The report's figures, from the tickets created in a range of days (Japan time), on the SLA engine's
calendar and targets:

- first response: business time from creation to the first public staff reply;
- resolution: business time from creation to solved, less the time pending on the customer (the SLA
  engine's resolution clock stops then too);
- SLA hit rate: of the first-response and resolution targets decided so far (met, or breached: met late,
  overdue, or overdue when it paused), the share met in time; targets still running count in neither;
- CSAT: good / (good + bad) of the rated tickets;
- the backlog: tickets unresolved now by status and age, whatever the range;
- per staff member: by the ticket's assignee now; per plan: by the OA's plan when the ticket was opened.

Medians and 90th percentiles interpolate between the closest ranks (numpy's default): the median of
1, 2, 3, 4 is 2.5, the 90th percentile of 1 to 10 is 9.1.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from linemod.framework.console.params import BadParameter, parse_day
from linemod.framework.i18n import N_
from linemod.framework.storage.database import Database
from linemod.framework.storage.models import Account
from linemod.framework.support.business_hours import DAY_MS, JST, MINUTE_MS
from linemod.framework.support.records import SupportTicketRow
from linemod.framework.support.sla import SlaPolicies, Target, dues
from linemod.framework.support.states import UNRESOLVED, Csat, Priority, TicketStatus
from linemod.framework.support.ticket_records import marks_of

MAX_DAYS = 366
DEFAULT_DAYS = 30
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    (N_("Under 1 day"), 0, 1),
    (N_("1–3 days"), 1, 3),
    (N_("3–7 days"), 3, 7),
    (N_("7 days or more"), 7, None),
)
BACKLOG_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.ON_HOLD)
BAD_RANGE = N_("Choose a range of at most 366 days whose start is not after its end.")
BAD_DATE = N_("“%(value)s” is not a date. Write dates as YYYY-MM-DD.")


@dataclass(frozen=True)
class DateRange:
    """Whole days in Japan time, both ends included."""

    start: date
    end: date

    @property
    def start_ms(self) -> int:
        return _midnight_ms(self.start)

    @property
    def end_ms(self) -> int:
        """The first instant after the range."""
        return _midnight_ms(self.end + timedelta(days=1))

    @classmethod
    def parse(cls, start_text: str | None, end_text: str | None, today: date) -> DateRange:
        """The range the page's query asks for (the last 30 days when it asks for none); `BadParameter`,
        a 400 page, for anything else."""
        end = _day(end_text) if end_text else today
        start = _day(start_text) if start_text else end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end or (end - start).days >= MAX_DAYS:
            raise BadParameter(BAD_RANGE)
        return cls(start, end)


def _day(text: str) -> date:
    day = parse_day(text.strip())
    if day is None:
        raise BadParameter(BAD_DATE, value=text[:40])
    return day


def _midnight_ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=JST).timestamp() * 1000)


def today_in_japan(now_ms: int) -> date:
    return datetime.fromtimestamp(now_ms / 1000, JST).date()


def percentile(values: Sequence[float], share: float) -> float | None:
    """The `share` quantile (0 to 1) by linear interpolation between the closest ranks; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Durations:
    """Business minutes: how many, the median and the 90th percentile."""

    count: int
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, minutes: Sequence[float]) -> Durations:
        return cls(len(minutes), percentile(minutes, 0.5), percentile(minutes, 0.9))


@dataclass
class Group:
    """The figures of a set of tickets (all of them, one staff member's, one plan's)."""

    key: str
    label: str
    translate: bool = False  # `label` is a message ID ("Unassigned"), not a name (an email, a plan code)
    tickets: int = 0
    first_response_minutes: list[float] = field(default_factory=list)
    resolution_minutes: list[float] = field(default_factory=list)
    sla_met: int = 0
    sla_breached: int = 0
    csat_good: int = 0
    csat_bad: int = 0

    @property
    def first_response(self) -> Durations:
        return Durations.of(self.first_response_minutes)

    @property
    def resolution(self) -> Durations:
        return Durations.of(self.resolution_minutes)

    @property
    def sla_rate(self) -> float | None:
        decided = self.sla_met + self.sla_breached
        return self.sla_met / decided if decided else None

    @property
    def csat(self) -> float | None:
        rated = self.csat_good + self.csat_bad
        return self.csat_good / rated if rated else None


@dataclass(frozen=True)
class Report:
    range: DateRange
    now_ms: int
    backlog: dict[TicketStatus, list[int]]  # per status, tickets per age bucket
    overall: Group
    by_staff: list[Group]
    by_plan: list[Group]

    @property
    def backlog_total(self) -> int:
        return sum(sum(counts) for counts in self.backlog.values())


UNASSIGNED = N_("Unassigned")
NO_PLAN = N_("No plan")


def add_ticket(group: Group, row: SupportTicketRow, policies: SlaPolicies, now_ms: int) -> None:
    calendar = policies.calendar
    group.tickets += 1
    if row.first_response_at_ms is not None:
        group.first_response_minutes.append(
            calendar.business_ms_between(row.created_at_ms, row.first_response_at_ms) / MINUTE_MS
        )
    if row.solved_at_ms is not None:
        open_ms = calendar.business_ms_between(row.created_at_ms, row.solved_at_ms) - row.pending_business_ms
        group.resolution_minutes.append(max(open_ms, 0) / MINUTE_MS)
    targets = policies.targets(row.plan_code, Priority(row.priority))
    for due in dues(marks_of(row), targets, calendar):
        if due.target == Target.NEXT_RESPONSE:
            continue  # its history is in the messages, not in the row: not reported
        if due.met_at_ms is None and row.status == TicketStatus.CLOSED.value:
            continue  # closed without it (e.g. spam): its clock stopped, neither met nor breached
        if due.breached(now_ms):
            group.sla_breached += 1
        elif due.met_at_ms is not None:
            group.sla_met += 1
    if row.csat_rating == Csat.GOOD.value:
        group.csat_good += 1
    elif row.csat_rating == Csat.BAD.value:
        group.csat_bad += 1


def backlog_of(rows: Iterable[SupportTicketRow], now_ms: int) -> dict[TicketStatus, list[int]]:
    found = {status: [0] * len(AGE_BUCKETS) for status in BACKLOG_STATUSES}
    for row in rows:
        age_days = (now_ms - row.created_at_ms) / DAY_MS
        for index, (_label, low, high) in enumerate(AGE_BUCKETS):
            if age_days >= low and (high is None or age_days < high):
                found[TicketStatus(row.status)][index] += 1
                break
    return found


async def build_report(db: Database, policies: SlaPolicies, now_ms: int, days: DateRange) -> Report:
    async with db.session() as session:
        rows = list(
            await session.scalars(
                select(SupportTicketRow)
                .where(SupportTicketRow.created_at_ms >= days.start_ms, SupportTicketRow.created_at_ms < days.end_ms)
                .order_by(SupportTicketRow.id)
            )
        )
        unresolved = list(
            await session.scalars(
                select(SupportTicketRow).where(SupportTicketRow.status.in_([s.value for s in UNRESOLVED]))
            )
        )
        staff_ids = {row.assignee_id for row in rows if row.assignee_id is not None}
        emails: dict[int, str] = {}
        if staff_ids:
            found = await session.execute(select(Account.id, Account.email).where(Account.id.in_(staff_ids)))
            emails = {account_id: email for account_id, email in found}
    overall = Group("all", N_("All tickets"), translate=True)
    by_staff: dict[str, Group] = {}
    by_plan: dict[str, Group] = {}
    for row in rows:
        add_ticket(overall, row, policies, now_ms)
        staff_key = str(row.assignee_id) if row.assignee_id is not None else ""
        if staff_key not in by_staff:
            label = emails.get(int(staff_key), f"#{staff_key}") if staff_key else UNASSIGNED
            by_staff[staff_key] = Group(staff_key, label, translate=not staff_key)
        add_ticket(by_staff[staff_key], row, policies, now_ms)
        plan_key = row.plan_code or ""
        if plan_key not in by_plan:
            by_plan[plan_key] = Group(plan_key, plan_key or NO_PLAN, translate=not plan_key)
        add_ticket(by_plan[plan_key], row, policies, now_ms)
    return Report(
        range=days,
        now_ms=now_ms,
        backlog=backlog_of(unresolved, now_ms),
        overall=overall,
        by_staff=sorted(by_staff.values(), key=lambda g: (g.key == "", g.label)),
        by_plan=sorted(by_plan.values(), key=lambda g: (g.key == "", g.label)),
    )
