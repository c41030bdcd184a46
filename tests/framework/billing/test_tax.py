"""Consumption tax is rounded once per document per rate, in the direction the issuer chose."""

from __future__ import annotations

import pytest

from linemod.framework.billing.invoicing.documents import DocumentKind, Invoice, InvoiceLine
from linemod.framework.billing.invoicing.tax import (
    RateTotals,
    Rounding,
    round_fraction,
    tax_included_in,
    totals_per_rate,
)
from tests.framework.billing.builders import ISSUER, SHOP


def invoice(lines: list[InvoiceLine], **options: object) -> Invoice:
    return Invoice(DocumentKind.INVOICE, ISSUER, SHOP, tuple(lines), **options)  # type: ignore[arg-type]


def test_three_lines_of_1005_yen_at_10_percent_carry_301_yen_of_tax_not_300() -> None:
    lines = [InvoiceLine(f"item {n}", 1, 1005) for n in range(3)]
    per_line_floor = sum(line.amount * 10 // 100 for line in lines)
    assert per_line_floor == 300  # what rounding each line would give, and must not
    document = invoice(lines)
    assert document.totals == (RateTotals(rate=10, net=3015, tax=301, gross=3316),)
    assert (document.total_net, document.total_tax, document.total_gross) == (3015, 301, 3316)


def test_mixed_rates_are_totalled_and_rounded_separately_highest_rate_first() -> None:
    document = invoice(
        [
            InvoiceLine("月額", 1, 1005),
            InvoiceLine("お弁当", 3, 333, tax_rate=8),
            InvoiceLine("追加", 2, 1005),
            InvoiceLine("お茶", 1, 129, tax_rate=8),
        ]
    )
    # 10 %: 3,015 → 301.5 → 301; 8 %: 1,128 → 90.24 → 90.
    assert document.totals == (
        RateTotals(rate=10, net=3015, tax=301, gross=3316),
        RateTotals(rate=8, net=1128, tax=90, gross=1218),
    )
    assert document.total_tax == 391
    assert document.total_gross == 4534


@pytest.mark.parametrize(
    ("rounding", "tax_10", "tax_8"),
    [(Rounding.FLOOR, 301, 90), (Rounding.HALF_UP, 302, 90), (Rounding.CEIL, 302, 91)],
)
def test_the_rounding_direction_is_the_issuers_choice(rounding: Rounding, tax_10: int, tax_8: int) -> None:
    document = invoice(
        [InvoiceLine("月額", 3, 1005), InvoiceLine("お弁当", 1, 1128, tax_rate=8)], rounding=rounding
    )
    assert [(totals.rate, totals.tax) for totals in document.totals] == [(10, tax_10), (8, tax_8)]


def test_tax_inclusive_prices_take_the_tax_out_of_each_rates_total_once() -> None:
    # Three lines of ¥1,100 tax included: 3,300 × 10/110 = 300 exactly; three of ¥1,105: 3,315 × 10/110 = 301.36.
    document = invoice([InvoiceLine(f"item {n}", 1, 1105) for n in range(3)], prices_include_tax=True)
    assert document.totals == (RateTotals(rate=10, net=3014, tax=301, gross=3315),)
    per_line = sum(tax_included_in(1105, 10, Rounding.FLOOR) for _ in range(3))
    assert per_line == 300
    reduced = totals_per_rate([(8, 1080), (8, 1)], prices_include_tax=True, rounding=Rounding.FLOOR)
    assert reduced == (RateTotals(rate=8, net=1001, tax=80, gross=1081),)


def test_rounding_is_exact_integer_arithmetic_in_every_direction() -> None:
    assert [round_fraction(n, 10, Rounding.FLOOR) for n in (15, -15, 14)] == [1, -2, 1]
    assert [round_fraction(n, 10, Rounding.CEIL) for n in (15, -15, 10)] == [2, -1, 1]
    assert [round_fraction(n, 10, Rounding.HALF_UP) for n in (15, 14, -15, -14)] == [2, 1, -2, -1]
    # A large amount stays exact where a float would not.
    assert round_fraction(10**17 * 3 + 5, 10, Rounding.HALF_UP) == 3 * 10**16 + 1


def test_only_the_standard_and_reduced_rates_exist() -> None:
    with pytest.raises(ValueError, match="unsupported tax rate"):
        totals_per_rate([(5, 100)], prices_include_tax=False, rounding=Rounding.FLOOR)
    with pytest.raises(ValueError, match="unsupported tax rate"):
        InvoiceLine("x", 1, 100, tax_rate=5)


def test_yen_amounts_are_integers() -> None:
    with pytest.raises(TypeError, match="int"):
        InvoiceLine("x", 1, 100.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="positive"):
        InvoiceLine("x", 0, 100)
