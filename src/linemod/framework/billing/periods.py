"""Billing calendar: Japanese days, periods between anchor dates, and daily proration (日割り).

Billing days are calendar days in Japan (JST, UTC+9 all year: Japan has no daylight saving time), read from
the framework's clock. A period is [start, end): `end` is the first day of the next one. Periods follow an
anchor date: boundaries fall on the anchor's day of the month (clamped to short months: an anchor on the
31st renews on the 30th in April and on the 28th or 29th in February), every month or every twelve months.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

JST = timezone(timedelta(hours=9), "JST")
DAY_MS = 86_400_000


def day_of(ms: int) -> date:
    """The Japanese calendar day of UNIX time `ms`."""
    return datetime.fromtimestamp(ms / 1000, tz=JST).date()


def start_ms(day: date) -> int:
    """00:00 JST of `day`, as UNIX ms (when jobs for that day fall due)."""
    return int(datetime(day.year, day.month, day.day, tzinfo=JST).astimezone(UTC).timestamp() * 1000)


def add_months(day: date, months: int, anchor_day: int | None = None) -> date:
    """`day` moved by `months`, on `anchor_day` (default: `day`'s own) clamped to the month's length."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(anchor_day or day.day, last))


def month_start(day: date) -> date:
    return day.replace(day=1)


@dataclass(frozen=True, order=True)
class Period:
    """Days [start, end)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"a period ends after it starts: {self.start} .. {self.end}")

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def last_day(self) -> date:
        """The last day inside the period (what an invoice prints as the period's end)."""
        return self.end - timedelta(days=1)

    @property
    def start_ms(self) -> int:
        return start_ms(self.start)

    @property
    def end_ms(self) -> int:
        return start_ms(self.end)

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end

    def within(self, other: Period) -> bool:
        return other.start <= self.start and self.end <= other.end

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.last_day.isoformat()}"


def full_period(anchor: date, interval_months: int, day: date) -> Period:
    """The whole period of the anchor's calendar that contains `day`."""
    months = (day.year - anchor.year) * 12 + (day.month - anchor.month)
    k = months // interval_months
    start = add_months(anchor, k * interval_months, anchor.day)
    while start > day:  # `day` is before the anchor's day in its month
        k -= 1
        start = add_months(anchor, k * interval_months, anchor.day)
    end = add_months(anchor, (k + 1) * interval_months, anchor.day)
    while end <= day:
        k += 1
        start, end = end, add_months(anchor, (k + 1) * interval_months, anchor.day)
    return Period(start, end)


def period_from(anchor: date, interval_months: int, day: date) -> Period:
    """From `day` to the end of the anchor's period containing it (the first, possibly partial, period)."""
    return Period(day, full_period(anchor, interval_months, day).end)


def prorate(amount_yen: int, part: Period, full: Period) -> int:
    """`amount_yen` for the days of `part` out of `full` (日割り), rounded down to the yen: a customer is never
    charged, nor credited, a fraction of a day they did not have."""
    if not part.within(full):
        raise ValueError(f"{part} is not inside {full}")
    return amount_yen * part.days // full.days
