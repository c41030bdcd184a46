"""Pure pricing: periods on the anchor's calendar, daily proration, usage models, coupons per tax rate."""

from __future__ import annotations

from datetime import date

import pytest

from linemod.framework.billing.catalog import Plan, Price, Tier, UsageCharge
from linemod.framework.billing.coupons import Coupon
from linemod.framework.billing.lines import BillableLine, subtotal_yen
from linemod.framework.billing.periods import Period, add_months, day_of, full_period, period_from, prorate, start_ms
from linemod.framework.billing.pricing import (
    PriceTerms,
    SubscriptionTerms,
    billable_lines,
    charge_lines,
    discount_lines,
    period_lines,
)

NAMES = {"reservation.created": ("予約", "Reservations")}


def terms(amount: int = 3000, interval: str = "month", **plan: object) -> PriceTerms:
    price = Price("month", amount) if interval == "month" else Price("year", amount)
    return PriceTerms.of(Plan("basic", "ベーシック", "Basic", (price,), **plan), interval, NAMES)  # type: ignore[arg-type]


def test_days_are_japanese_days() -> None:
    assert day_of(start_ms(date(2025, 6, 1))) == date(2025, 6, 1)
    assert day_of(start_ms(date(2025, 6, 1)) - 1) == date(2025, 5, 31)  # 23:59:59.999 JST is still May


def test_an_anchor_on_the_31st_renews_on_the_last_day_of_short_months() -> None:
    anchor = date(2025, 1, 31)
    assert add_months(anchor, 1) == date(2025, 2, 28)
    assert full_period(anchor, 1, date(2025, 3, 15)) == Period(date(2025, 2, 28), date(2025, 3, 31))
    assert full_period(anchor, 1, date(2025, 2, 27)) == Period(date(2025, 1, 31), date(2025, 2, 28))
    assert full_period(anchor, 12, date(2026, 1, 30)) == Period(date(2025, 1, 31), date(2026, 1, 31))


def test_the_first_period_runs_to_the_anchor_and_is_prorated_by_day_rounded_down() -> None:
    period = period_from(date(2025, 6, 1), 1, date(2025, 6, 10))
    assert period == Period(date(2025, 6, 10), date(2025, 7, 1)) and period.days == 21
    assert prorate(3000, period, full_period(date(2025, 6, 1), 1, date(2025, 6, 10))) == 2100
    assert prorate(1000, Period(date(2025, 6, 10), date(2025, 6, 11)), Period(date(2025, 6, 1), date(2025, 7, 1))) == 33


def test_a_plan_change_on_the_10th_of_a_30_day_month_credits_21_days_and_charges_21_days() -> None:
    old, new = terms(3000), terms(6000)
    anchor = date(2025, 6, 1)
    unused = Period(date(2025, 6, 10), date(2025, 7, 1))
    lines = billable_lines(new, anchor, fee_period=unused, credit_period=unused, credit_terms=old)
    assert [(line.unit_price_yen, line.period_start, line.period_end) for line in lines] == [
        (-2100, date(2025, 6, 10), date(2025, 6, 30)),
        (4200, date(2025, 6, 10), date(2025, 6, 30)),
    ]
    assert "日割り 21/30日" in lines[1].description_ja and "prorated 21/30 days" in lines[1].description_en
    assert subtotal_yen(lines) == 2100


def test_a_period_across_a_month_boundary_on_an_anniversary_anchor_is_whole() -> None:
    anchor = date(2025, 6, 20)
    period = full_period(anchor, 1, date(2025, 7, 5))
    assert period == Period(date(2025, 6, 20), date(2025, 7, 20))
    [fee] = billable_lines(terms(3000), anchor, fee_period=period)
    assert fee.unit_price_yen == 3000 and fee.period_end == date(2025, 7, 19)


def usage_charge(model: str, **kw: object) -> UsageCharge:
    return UsageCharge("reservation.created", model, **kw)  # type: ignore[arg-type]


PERIOD = Period(date(2025, 6, 1), date(2025, 7, 1))
TIERS = (Tier(100, 10), Tier(200, 5, flat_yen=300), Tier(None, 2))


@pytest.mark.parametrize(
    ("charge", "quantity", "expected"),
    [
        (usage_charge("per_unit", unit_price_yen=10, included=100), 150, [(50, 10)]),
        (usage_charge("per_unit", unit_price_yen=10, included=100), 80, []),
        (usage_charge("graduated", tiers=TIERS), 250, [(100, 10), (100, 5), (1, 300), (50, 2)]),
        (usage_charge("graduated", tiers=TIERS, included=50), 120, [(70, 10)]),
        (usage_charge("volume", tiers=TIERS), 150, [(150, 5), (1, 300)]),
        (usage_charge("volume", tiers=TIERS), 250, [(250, 2)]),
    ],
)
def test_usage_charges_after_the_included_quantity(charge: UsageCharge, quantity: int, expected: list) -> None:
    lines = charge_lines(charge, quantity, PERIOD, "予約", "Reservations")
    assert [(line.quantity, line.unit_price_yen) for line in lines] == expected


def test_a_percent_coupon_discounts_fees_and_usage_per_tax_rate_but_not_the_initial_fee() -> None:
    usage = (UsageCharge.per_unit("reservation.created", 10, tax_rate_percent=8),)
    plan_terms = terms(3000, initial_fee_yen=5000, usage=usage)
    coupon = Coupon("half", "percent", 50)
    lines = billable_lines(
        plan_terms,
        date(2025, 6, 1),
        fee_period=PERIOD,
        usage_period=PERIOD,
        usage={"reservation.created": 33},
        initial_fee=True,
        coupon=coupon,
    )
    discounts = [(line.unit_price_yen, line.tax_rate_percent) for line in lines if line.unit_price_yen < 0]
    assert discounts == [(-1500, 10), (-165, 8)]
    assert subtotal_yen(lines) == 3000 + 5000 + 330 - 1500 - 165


def test_an_amount_coupon_takes_at_most_the_net_starting_with_the_10_percent_lines() -> None:
    lines = [BillableLine("a", "a", 1, 1000, 10), BillableLine("b", "b", 1, 500, 8)]
    assert [(d.unit_price_yen, d.tax_rate_percent) for d in discount_lines(lines, Coupon("c", "amount", 1200))] == [
        (-1000, 10),
        (-200, 8),
    ]
    assert [d.unit_price_yen for d in discount_lines(lines, Coupon("c", "amount", 9999))] == [-1000, -500]


def test_coupon_durations_count_charged_periods() -> None:
    assert Coupon("x", "percent", 10, "once").applications("month") == 1
    assert Coupon("x", "percent", 10, "repeating", 3).applications("month") == 3
    assert Coupon("x", "percent", 10, "repeating", 3).applications("year") == 1
    assert Coupon("x", "percent", 10, "forever").applications("month") is None


def test_price_terms_survive_json_and_fingerprint_only_what_is_charged() -> None:
    original = terms(3000, usage=(usage_charge("graduated", tiers=TIERS),))
    assert PriceTerms.from_json(original.to_json()) == original
    renamed = PriceTerms.of(
        Plan("basic", "新名称", "New name", (Price.monthly(3000),), usage=original.usage), "month", NAMES
    )
    assert renamed.fingerprint == original.fingerprint
    assert terms(3300).fingerprint != original.fingerprint


def test_the_lines_of_a_subscription_for_a_period_are_what_the_invoice_engine_gets() -> None:
    usage = (UsageCharge.per_unit("reservation.created", 10, included=100),)
    subscription = SubscriptionTerms(terms(6000, usage=usage), date(2025, 6, 1), Coupon("ten", "percent", 10))
    lines = period_lines(subscription, Period(date(2025, 6, 20), date(2025, 7, 1)), {"reservation.created": 150})
    assert [(line.description_en, line.quantity, line.unit_price_yen) for line in lines] == [
        ("Basic monthly fee (prorated 11/30 days)", 1, 2200),
        ("Reservations usage (beyond 100 included)", 50, 10),
        ("Coupon discount (ten)", 1, -270),
    ]
    assert {(line.period_start, line.period_end) for line in lines[:2]} == {(date(2025, 6, 20), date(2025, 6, 30))}
