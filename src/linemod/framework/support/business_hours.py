"""Business hours: when the provider's staff work, so that SLA targets ("4 business hours") count only those
minutes. Pure functions of UNIX ms over a calendar: weekday opening hours in Japan time, Japan's public
holidays (`jpholiday`, which also knows the substitute holidays and the 国民の休日 sandwiched between two
holidays), and the provider's own closed days (year-end, a company holiday).

Japan has had no daylight saving time since 1951, so JST is a fixed UTC+9 and a day always has 24 hours.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone

import jpholiday

JST = timezone(timedelta(hours=9), "JST")
MINUTE_MS = 60_000
DAY_MS = 24 * 60 * MINUTE_MS
MAX_DAYS = 3 * 366  # no SLA target reaches further; a calendar open on no day at all fails instead of looping

Intervals = tuple[tuple[time, time], ...]


def _weekday_hours(open_at: time, close_at: time) -> dict[int, Intervals]:
    return {weekday: ((open_at, close_at),) for weekday in range(5)}


@dataclass(frozen=True)
class BusinessCalendar:
    """Opening hours per weekday (0 = Monday; a missing weekday is closed), one or more intervals a day
    (a lunch break is two), in Japan time. `japanese_holidays` closes Japan's public holidays;
    `closed_days` closes the provider's own. The default is Monday to Friday, 9:00 to 18:00."""

    hours: Mapping[int, Intervals] = field(default_factory=lambda: _weekday_hours(time(9), time(18)))
    closed_days: frozenset[date] = frozenset()
    japanese_holidays: bool = True

    def __post_init__(self) -> None:
        for weekday, intervals in self.hours.items():
            if weekday not in range(7):
                raise ValueError(f"weekday {weekday} is not 0 (Monday) to 6 (Sunday)")
            for start, end in intervals:
                if not start < end:
                    raise ValueError(f"opening hours {start}–{end} end before they start (overnight is two days)")
        if not any(self.hours.values()):
            raise ValueError("a business calendar needs opening hours on at least one weekday")

    @classmethod
    def weekdays(
        cls, open_at: time = time(9), close_at: time = time(18), *, closed_days: Iterable[date] = ()
    ) -> BusinessCalendar:
        """Monday to Friday from `open_at` to `close_at`, closed on Japan's holidays and on `closed_days`."""
        return cls(_weekday_hours(open_at, close_at), frozenset(closed_days))

    def is_open_day(self, day: date) -> bool:
        if day in self.closed_days or not self.hours.get(day.weekday()):
            return False
        return not (self.japanese_holidays and jpholiday.is_holiday(day))

    def windows(self, day: date) -> list[tuple[int, int]]:
        """The open intervals of `day`, as [start, end) in UNIX ms (none on a closed day)."""
        if not self.is_open_day(day):
            return []
        return [(_at(day, start), _at(day, end)) for start, end in self.hours[day.weekday()]]

    def _windows_from(self, start_ms: int) -> Iterator[tuple[int, int]]:
        day = datetime.fromtimestamp(start_ms / 1000, tz=JST).date()
        for _ in range(MAX_DAYS):
            for window_start, window_end in self.windows(day):
                if window_end > start_ms:
                    yield max(window_start, start_ms), window_end
            day += timedelta(days=1)

    def business_ms_between(self, start_ms: int, end_ms: int) -> int:
        """Open time between two instants, in ms (0 when `end_ms` is not after `start_ms`)."""
        total = 0
        if end_ms <= start_ms:
            return 0
        for window_start, window_end in self._windows_from(start_ms):
            if window_start >= end_ms:
                break
            total += min(window_end, end_ms) - window_start
        return total

    def business_minutes_between(self, start_ms: int, end_ms: int) -> int:
        """Whole open minutes between two instants (a minute not complete does not count)."""
        return self.business_ms_between(start_ms, end_ms) // MINUTE_MS

    def add_business_ms(self, start_ms: int, amount_ms: int) -> int:
        """The instant `amount_ms` of open time after `start_ms`. Started outside opening hours, the count
        starts at the next opening; 0 is `start_ms` itself."""
        if amount_ms < 0:
            raise ValueError("business time is added forwards only")
        if amount_ms == 0:
            return start_ms
        left = amount_ms
        for window_start, window_end in self._windows_from(start_ms):
            if window_end - window_start >= left:
                return window_start + left
            left -= window_end - window_start
        raise ValueError(f"the calendar has not {amount_ms} ms of open time in {MAX_DAYS} days")

    def add_business_minutes(self, start_ms: int, minutes: int) -> int:
        """The instant `minutes` business minutes after `start_ms` (e.g. an SLA target's due time)."""
        return self.add_business_ms(start_ms, minutes * MINUTE_MS)

    def next_open_ms(self, start_ms: int) -> int:
        """`start_ms` when open then, else the next opening."""
        for window_start, _window_end in self._windows_from(start_ms):
            return window_start
        raise ValueError(f"the calendar does not open in {MAX_DAYS} days")


def _at(day: date, moment: time) -> int:
    return int(datetime.combine(day, moment, tzinfo=JST).astimezone(UTC).timestamp() * 1000)


def jst_ms(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    """UNIX ms of a wall-clock time in Japan (for configuration and tests)."""
    return int(datetime(year, month, day, hour, minute, tzinfo=JST).timestamp() * 1000)
