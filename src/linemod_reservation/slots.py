"""The shop's calendar as plain rules: which days are open, which slots a day has, which can still be booked.

Nothing here touches the database or LINE, so every rule is testable with a number for "now".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

JST = timezone(timedelta(hours=9), "JST")
WEEKDAYS = range(7)  # 0 = Monday, as `date.weekday()`


def zone(name: str) -> tzinfo:
    """The shop's time zone; Japan's fixed +09:00 when the system has no tz database (Japan has no DST)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return JST


def parse_day(value: str) -> date:
    return date.fromisoformat(value)


def parse_time(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def minutes_of(value: str) -> int:
    t = parse_time(value)
    return t.hour * 60 + t.minute


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class ShopRules:
    """A shop's settings, read once per request. `hours[weekday]` is `(opens, closes)` or None (closed)."""

    timezone: str = "Asia/Tokyo"
    slot_minutes: int = 60
    capacity: int = 8
    lead_minutes: int = 60
    max_party: int = 6
    days_ahead: int = 60
    hours: dict[int, tuple[str, str] | None] = field(default_factory=dict)
    holidays: frozenset[str] = frozenset()

    @property
    def tz(self) -> tzinfo:
        return zone(self.timezone)

    def local(self, now_ms: int) -> datetime:
        return datetime.fromtimestamp(now_ms / 1000, self.tz)

    def today(self, now_ms: int) -> date:
        return self.local(now_ms).date()

    def last_day(self, now_ms: int) -> date:
        return self.today(now_ms) + timedelta(days=self.days_ahead)

    def is_open(self, day: date) -> bool:
        return day.isoformat() not in self.holidays and self.hours.get(day.weekday()) is not None

    def starts(self, day: date) -> list[str]:
        """Every slot start of `day` (a slot must end by closing time), open or not yet past."""
        if not self.is_open(day):
            return []
        opens, closes = self.hours[day.weekday()]  # type: ignore[misc]
        first, last = minutes_of(opens), minutes_of(closes)
        return [hhmm(m) for m in range(first, last - self.slot_minutes + 1, self.slot_minutes)]

    def instant_ms(self, day: date | str, start: str) -> int:
        """UNIX ms of a slot's start."""
        d = parse_day(day) if isinstance(day, str) else day
        return int(datetime.combine(d, parse_time(start), self.tz).timestamp() * 1000)

    def bookable(self, day: date, now_ms: int, *, lead: bool = True) -> list[str]:
        """Slot starts of `day` a customer may still book: within the booking window and, with `lead`,
        at least `lead_minutes` from now (the console books phoned-in customers without the lead time)."""
        today = self.today(now_ms)
        if day < today or day > self.last_day(now_ms):
            return []
        earliest = now_ms + (self.lead_minutes * 60_000 if lead else 0)
        return [s for s in self.starts(day) if self.instant_ms(day, s) >= earliest]

    def reminder_ms(self, day: date | str, hour: int = 10) -> int:
        """When the day-before reminder goes out: `hour` o'clock (shop time) on the previous day."""
        d = parse_day(day) if isinstance(day, str) else day
        return int(datetime.combine(d - timedelta(days=1), time(hour), self.tz).timestamp() * 1000)


def default_hours() -> dict[int, tuple[str, str] | None]:
    """A new shop: open 11:00-21:00 every day but Tuesday (the owner changes it in the console)."""
    return {wd: (None if wd == 1 else ("11:00", "21:00")) for wd in WEEKDAYS}
