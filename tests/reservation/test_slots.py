"""The shop's calendar rules, with a number for "now" (no database, no LINE)."""

from __future__ import annotations

from datetime import date, datetime

from linemod_reservation.slots import JST, ShopRules, default_hours, zone

# Friday 2027-01-15 10:30 in Tokyo
NOW = int(datetime(2027, 1, 15, 10, 30, tzinfo=JST).timestamp() * 1000)
RULES = ShopRules(hours=default_hours(), holidays=frozenset({"2027-01-20"}))


def test_a_day_has_one_slot_per_slot_length_ending_by_closing_time() -> None:
    assert RULES.starts(date(2027, 1, 16)) == [f"{h}:00" for h in range(11, 21)]
    half_hours = ShopRules(slot_minutes=90, hours={5: ("11:00", "15:00")})
    assert half_hours.starts(date(2027, 1, 16)) == ["11:00", "12:30"]


def test_closed_weekdays_and_holidays_have_no_slots() -> None:
    assert RULES.starts(date(2027, 1, 19)) == []  # a Tuesday
    assert RULES.starts(date(2027, 1, 20)) == []  # a holiday


def test_today_the_lead_time_hides_slots_that_start_too_soon() -> None:
    assert RULES.bookable(date(2027, 1, 15), NOW)[0] == "12:00"  # 11:00 is 30 minutes away (lead: 60)
    assert RULES.bookable(date(2027, 1, 15), NOW, lead=False)[0] == "11:00"  # the console may


def test_days_outside_the_booking_window_are_not_bookable() -> None:
    assert RULES.bookable(date(2027, 1, 14), NOW) == []
    assert RULES.bookable(date(2027, 3, 30), NOW) == []  # more than 60 days ahead


def test_the_reminder_goes_out_at_ten_the_day_before_in_shop_time() -> None:
    expected = int(datetime(2027, 1, 16, 10, 0, tzinfo=JST).timestamp() * 1000)
    assert RULES.reminder_ms("2027-01-17") == expected


def test_an_unknown_time_zone_falls_back_to_japan() -> None:
    assert zone("Nowhere/Nothing") is JST
