"""Japanese consumption tax on an invoice: computed once per invoice per tax rate, never per line.

The invoice system allows one rounding of the tax per rate on each document (消費税法施行令 70条の10, NTA
Q&A on the invoice system 問57): rounding every line and summing would make three lines of ¥1,005 at 10 %
¥300 of tax instead of ¥301. Which way to round is the issuer's choice (floor is the common one).

All amounts are integer yen; fractions only exist inside `round_fraction`, as a numerator and a denominator.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum, StrEnum


class TaxRate(IntEnum):
    """The consumption tax rates in percent: standard, and reduced (food and drink, newspapers)."""

    STANDARD = 10
    REDUCED = 8


class Rounding(StrEnum):
    """How the tax of one rate is rounded to the yen."""

    FLOOR = "floor"  # 切り捨て
    HALF_UP = "half_up"  # 四捨五入
    CEIL = "ceil"  # 切り上げ


def round_fraction(numerator: int, denominator: int, rounding: Rounding) -> int:
    """numerator / denominator rounded to an integer, exactly (no float ever touches a yen amount)."""
    if denominator <= 0:
        raise ValueError("the denominator must be positive")
    if rounding is Rounding.FLOOR:
        return numerator // denominator
    if rounding is Rounding.CEIL:
        return -((-numerator) // denominator)
    # Half away from zero, as 四捨五入 is understood for negative amounts too.
    magnitude = (2 * abs(numerator) + denominator) // (2 * denominator)
    return magnitude if numerator >= 0 else -magnitude


def tax_on_net(net: int, rate: int, rounding: Rounding) -> int:
    """The tax on a tax-exclusive amount."""
    return round_fraction(net * rate, 100, rounding)


def tax_included_in(gross: int, rate: int, rounding: Rounding) -> int:
    """The tax contained in a tax-inclusive amount: gross × rate / (100 + rate)."""
    return round_fraction(gross * rate, 100 + rate, rounding)


@dataclass(frozen=True)
class RateTotals:
    """What one tax rate adds up to on a document: the amounts without and with tax, and the tax."""

    rate: int
    net: int
    tax: int
    gross: int


def totals_per_rate(
    amounts: Iterable[tuple[int, int]], *, prices_include_tax: bool, rounding: Rounding
) -> tuple[RateTotals, ...]:
    """Sum `(rate, amount)` pairs per rate, then compute each rate's tax once; highest rate first.

    With `prices_include_tax` the amounts are gross: the tax included is taken out of each rate's total.
    Otherwise they are net and the tax is added on each rate's total."""
    sums: dict[int, int] = {}
    for rate, amount in amounts:
        if rate not in (TaxRate.STANDARD, TaxRate.REDUCED):
            raise ValueError(f"unsupported tax rate {rate} %: use 10 or 8")
        sums[int(rate)] = sums.get(int(rate), 0) + amount
    totals = []
    for rate in sorted(sums, reverse=True):
        amount = sums[rate]
        if prices_include_tax:
            tax = tax_included_in(amount, rate, rounding)
            totals.append(RateTotals(rate=rate, net=amount - tax, tax=tax, gross=amount))
        else:
            tax = tax_on_net(amount, rate, rounding)
            totals.append(RateTotals(rate=rate, net=amount, tax=tax, gross=amount + tax))
    return tuple(totals)
