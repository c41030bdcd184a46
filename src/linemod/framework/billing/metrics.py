"""Subscription figures per month for the provider's dashboard: MRR and ARR, new, churned and trialing OAs.

Read from the subscription history alone (every status change is a row, with the price it was on), so the
figures of a past month are what they were then, whatever happened since. A month's MRR is the monthly
value of the price of every subscription that was paying (active, past due, restricted or canceling) at the
month's end (or now, for the current month): an annual price counts a twelfth, rounded down to the yen
(money stays integer yen; a yen lost per annual subscriber is no figure anyone decides on). Coupons and usage
are left out: MRR is the recurring part of what the plans are worth. ARR is twelve times the MRR.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from linemod.framework.billing.periods import add_months, start_ms
from linemod.framework.billing.states import SubscriptionStatus

S = SubscriptionStatus
PAYING = frozenset({S.ACTIVE, S.PAST_DUE, S.RESTRICTED, S.CANCELING})
STARTS = frozenset({S.TRIALING, S.ACTIVE})


@dataclass(frozen=True)
class HistoryPoint:
    """One row of the subscription history, as the figures need it."""

    bot_id: str
    at_ms: int
    from_status: str | None
    to_status: str
    price_id: int


@dataclass(frozen=True)
class PriceValue:
    amount_yen: int
    interval: str  # "month" or "year"

    @property
    def monthly_yen(self) -> int:
        return self.amount_yen // 12 if self.interval == "year" else self.amount_yen


@dataclass(frozen=True)
class MonthFigures:
    month: date  # its first day
    mrr_yen: int
    new: int
    churned: int
    trialing: int

    @property
    def arr_yen(self) -> int:
        return self.mrr_yen * 12

    @property
    def label(self) -> str:
        return f"{self.month.year}-{self.month.month:02d}"


def last_months(today: date, count: int) -> list[date]:
    """The first days of the `count` months ending with `today`'s, oldest first."""
    first = date(today.year, today.month, 1)
    return [add_months(first, -back) for back in range(count - 1, -1, -1)]


def monthly_figures(
    history: Sequence[HistoryPoint], prices: Mapping[int, PriceValue], months: Sequence[date], now_ms: int
) -> list[MonthFigures]:
    """The figures of each month in `months` (first days, oldest first) from the whole history."""
    ordered = sorted(history, key=lambda point: point.at_ms)
    figures = []
    for month in months:
        begin, end = start_ms(month), min(start_ms(add_months(month, 1)), now_ms + 1)
        latest: dict[str, HistoryPoint] = {}
        new = churned = 0
        for point in ordered:
            if point.at_ms >= end:
                break
            latest[point.bot_id] = point
            if point.at_ms >= begin:
                starting = point.from_status in (None, S.ENDED) and point.to_status in STARTS
                new += starting
                churned += point.to_status == S.ENDED and point.from_status != S.ENDED
        mrr = sum(
            prices[point.price_id].monthly_yen
            for point in latest.values()
            if point.to_status in PAYING and point.price_id in prices
        )
        trialing = sum(point.to_status == S.TRIALING for point in latest.values())
        figures.append(MonthFigures(month, mrr, new, churned, trialing))
    return figures
