"""Per-OA business hours of the inbox and the automatic answer outside them.

The calendar is the help desk's `BusinessCalendar` (Japan time, Japan's holidays), with the OA's own hours.
Outside them, a user's message in an open inquiry is answered once by the framework (with the event's reply
token, so it costs the OA nothing), and again only after the OA has been open in between: a user who sends
five messages at night gets one answer, not five.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import time

from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.i18n import N_
from linemod.framework.support.business_hours import BusinessCalendar, Intervals
from linemod.framework.support.inbox.records import InboxSettingsRow

DEFAULT_AUTO_ANSWER = (
    "お問い合わせありがとうございます。ただいま営業時間外です。営業時間内に担当者より順にご返信いたします。"
)
DEFAULT_OPEN, DEFAULT_CLOSE = "09:00", "18:00"
MAX_AUTO_ANSWER = 1000
_HHMM = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")


@dataclass(frozen=True)
class InboxHours:
    """The OA's hours: weekday (0 = Monday) -> (open, close) as "HH:MM", a missing weekday closed."""

    hours: dict[int, tuple[str, str]]
    japanese_holidays: bool
    auto_answer: bool
    auto_answer_text: str

    @property
    def calendar(self) -> BusinessCalendar | None:
        """None when no weekday is open (then it is never business hours)."""
        if not self.hours:
            return None
        spans: dict[int, Intervals] = {day: ((_time(a), _time(b)),) for day, (a, b) in self.hours.items()}
        return BusinessCalendar(spans, japanese_holidays=self.japanese_holidays)

    def is_open(self, now_ms: int) -> bool:
        calendar = self.calendar
        return calendar is not None and calendar.next_open_ms(now_ms) == now_ms

    def answer_due(self, now_ms: int, last_answered_ms: int | None) -> bool:
        """Whether a user's message now gets the automatic answer."""
        if not self.auto_answer or not self.auto_answer_text.strip() or self.is_open(now_ms):
            return False
        if last_answered_ms is None:
            return True
        calendar = self.calendar
        return calendar is not None and calendar.business_ms_between(last_answered_ms, now_ms) > 0


def default_hours() -> InboxHours:
    """Weekdays 9:00 to 18:00, the automatic answer written but off: an OA turns it on once its hours are right
    (an answer saying "we are closed" while the shop is open would be worse than none)."""
    return InboxHours({d: (DEFAULT_OPEN, DEFAULT_CLOSE) for d in range(5)}, True, False, DEFAULT_AUTO_ANSWER)


async def hours_of(session: AsyncSession, bot_id: str) -> InboxHours:
    row = await session.get(InboxSettingsRow, bot_id)
    if row is None:
        return default_hours()
    hours = {int(day): (span[0], span[1]) for day, span in json.loads(row.hours_json).items()}
    return InboxHours(hours, row.japanese_holidays, row.auto_answer, row.auto_answer_text)


async def save_hours(session: AsyncSession, bot_id: str, hours: InboxHours, now_ms: int) -> None:
    row = await session.get(InboxSettingsRow, bot_id)
    if row is None:
        row = InboxSettingsRow(bot_id=bot_id)
        session.add(row)
    row.hours_json = json.dumps({str(d): list(span) for d, span in sorted(hours.hours.items())})
    row.japanese_holidays = hours.japanese_holidays
    row.auto_answer = hours.auto_answer
    row.auto_answer_text = hours.auto_answer_text
    row.updated_at_ms = now_ms


def parse_hours_form(form: dict[str, str]) -> tuple[InboxHours | None, dict[str, str]]:
    """The settings form: `open_N`/`close_N` ("HH:MM") and `closed_N` per weekday N, `holidays`,
    `auto_answer`, `auto_answer_text`. Returns the hours, or None and the errors by field."""
    errors: dict[str, str] = {}
    hours: dict[int, tuple[str, str]] = {}
    for day in range(7):
        if form.get(f"closed_{day}"):
            continue
        opens, closes = form.get(f"open_{day}", "").strip(), form.get(f"close_{day}", "").strip()
        if not _HHMM.fullmatch(opens) or not _HHMM.fullmatch(closes):
            errors[f"day_{day}"] = N_("Enter the times as HH:MM.")
        elif not opens < closes:
            errors[f"day_{day}"] = N_("The closing time must be after the opening time.")
        else:
            hours[day] = (opens, closes)
    text = form.get("auto_answer_text", "").strip()
    auto = bool(form.get("auto_answer"))
    if len(text) > MAX_AUTO_ANSWER:
        errors["auto_answer_text"] = N_("The automatic answer is too long.")
    elif auto and not text:
        errors["auto_answer_text"] = N_("Write the automatic answer, or turn it off.")
    if errors:
        return None, errors
    return InboxHours(hours, bool(form.get("holidays")), auto, text), {}


def _time(hhmm: str) -> time:
    hour, minute = hhmm.split(":")
    return time(int(hour), int(minute))
