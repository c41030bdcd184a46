"""Business minutes on a calendar of weekday hours, Japan's holidays and the provider's closed days."""

from __future__ import annotations

from datetime import date, time

import pytest

from linemod.framework.support.business_hours import BusinessCalendar, jst_ms

CALENDAR = BusinessCalendar.weekdays(time(9), time(18))


def test_friday_1730_plus_4_business_hours_over_a_weekend_and_a_monday_holiday_is_tuesday_1230() -> None:
    # 2027-01-08 is a Friday; 2027-01-11 (Monday) is 成人の日.
    due = CALENDAR.add_business_minutes(jst_ms(2027, 1, 8, 17, 30), 4 * 60)
    assert due == jst_ms(2027, 1, 12, 12, 30)
    assert CALENDAR.business_minutes_between(jst_ms(2027, 1, 8, 17, 30), due) == 240


def test_silver_week_closes_the_kokumin_no_kyujitsu_between_two_holidays() -> None:
    # 2026-09-21 敬老の日 (Mon), 2026-09-22 国民の休日 (Tue), 2026-09-23 秋分の日 (Wed): due Thursday.
    assert CALENDAR.add_business_minutes(jst_ms(2026, 9, 18, 17, 30), 240) == jst_ms(2026, 9, 24, 12, 30)


def test_a_count_started_outside_hours_starts_at_the_next_opening() -> None:
    saturday_night = jst_ms(2027, 1, 16, 23, 0)
    assert CALENDAR.add_business_minutes(saturday_night, 1) == jst_ms(2027, 1, 18, 9, 1)
    assert CALENDAR.next_open_ms(saturday_night) == jst_ms(2027, 1, 18, 9, 0)
    assert CALENDAR.add_business_minutes(saturday_night, 0) == saturday_night


def test_a_target_that_ends_exactly_at_closing_is_due_at_closing() -> None:
    assert CALENDAR.add_business_minutes(jst_ms(2027, 1, 13, 9, 0), 540) == jst_ms(2027, 1, 13, 18, 0)


def test_minutes_between_count_only_open_time_and_whole_minutes() -> None:
    assert CALENDAR.business_minutes_between(jst_ms(2027, 1, 13, 8, 0), jst_ms(2027, 1, 13, 9, 30)) == 30
    assert CALENDAR.business_minutes_between(jst_ms(2027, 1, 13, 17, 0), jst_ms(2027, 1, 14, 10, 0)) == 120
    assert CALENDAR.business_ms_between(jst_ms(2027, 1, 13, 9, 0), jst_ms(2027, 1, 13, 9, 0) + 59_999) == 59_999
    assert CALENDAR.business_minutes_between(jst_ms(2027, 1, 13, 9, 0), jst_ms(2027, 1, 13, 9, 0) + 59_999) == 0
    assert CALENDAR.business_minutes_between(jst_ms(2027, 1, 14), jst_ms(2027, 1, 13)) == 0


def test_the_providers_closed_days_and_a_lunch_break() -> None:
    calendar = BusinessCalendar(
        {weekday: ((time(9), time(12)), (time(13), time(18))) for weekday in range(5)},
        closed_days=frozenset({date(2027, 1, 12)}),
    )
    # Friday 17:30 + 4 h: 30 min Friday, Monday holiday, Tuesday closed, Wednesday 9–12 then 13:30.
    assert calendar.add_business_minutes(jst_ms(2027, 1, 8, 17, 30), 240) == jst_ms(2027, 1, 13, 13, 30)
    assert calendar.business_minutes_between(jst_ms(2027, 1, 13, 11, 0), jst_ms(2027, 1, 13, 14, 0)) == 120


def test_a_calendar_with_no_opening_hours_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one weekday"):
        BusinessCalendar({})
    with pytest.raises(ValueError, match="end before they start"):
        BusinessCalendar({0: ((time(18), time(9)),)})
