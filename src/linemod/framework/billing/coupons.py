"""Coupons: a percent or an amount off charged periods, for one period, a number of months, or forever.

A subscription keeps the coupon's terms as they were when it was redeemed, and counts the charged periods
it has left (`applications`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from linemod.framework.billing.catalog import INTERVAL_MONTHS, CatalogError, Interval, check_code, check_yen

CouponKind = Literal["percent", "amount"]
CouponDuration = Literal["once", "repeating", "forever"]


@dataclass(frozen=True)
class Coupon:
    """A discount: `percent` (1-100) or `amount` (yen) off each charged period's fees and usage; `duration`
    once (the next charged period), repeating (`months` months' worth of periods) or forever."""

    code: str
    kind: CouponKind
    value: int
    duration: CouponDuration = "once"
    months: int | None = None
    name_ja: str = ""
    name_en: str = ""

    def __post_init__(self) -> None:
        check_code("a coupon", self.code)
        if self.kind == "percent":
            check_yen(f"coupon {self.code}'s percent", self.value, minimum=1)
            if self.value > 100:
                raise CatalogError(f"coupon {self.code}: a percent discount is at most 100, not {self.value}")
        elif self.kind == "amount":
            check_yen(f"coupon {self.code}'s amount", self.value, minimum=1)
        else:
            raise CatalogError(f"coupon {self.code} is 'percent' or 'amount', not {self.kind!r}")
        if self.duration == "repeating":
            if self.months is None:
                raise CatalogError(f"coupon {self.code} repeats: say for how many months (months=3)")
            check_yen(f"coupon {self.code}'s months", self.months, minimum=1)
        elif self.duration in ("once", "forever"):
            if self.months is not None:
                raise CatalogError(f"coupon {self.code}: months= goes only with duration='repeating'")
        else:
            raise CatalogError(f"coupon {self.code}'s duration is once, repeating or forever, not {self.duration!r}")

    def applications(self, interval: Interval) -> int | None:
        """How many charged periods it discounts on a plan of `interval` (None: all of them)."""
        if self.duration == "forever":
            return None
        if self.duration == "once":
            return 1
        months = self.months or 1
        return -(-months // INTERVAL_MONTHS[interval])  # a 3-month coupon still discounts one annual period

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "kind": self.kind,
            "value": self.value,
            "duration": self.duration,
            "months": self.months,
            "name_ja": self.name_ja,
            "name_en": self.name_en,
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Coupon:
        return cls(**{k: value[k] for k in ("code", "kind", "value", "duration", "months", "name_ja", "name_en")})
