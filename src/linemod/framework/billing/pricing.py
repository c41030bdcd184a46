"""Pure pricing: from a subscription's price terms, periods and usage, the billable lines.

Nothing here reads the database or the clock, so the invoice engine, plan-change previews and tests get the
same answer from the same inputs: the preview of a plan change is, by construction, what applying it
charges. Plan fees are charged in advance (the period that starts), usage in arrears (the period that
ended); a partial period is prorated by day against the whole period of the anchor's calendar.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from linemod.framework.billing.catalog import INTERVAL_MONTHS, Interval, Plan, UsageCharge
from linemod.framework.billing.coupons import Coupon
from linemod.framework.billing.lines import BillableLine, TaxRate
from linemod.framework.billing.periods import Period, full_period, prorate


@dataclass(frozen=True)
class PriceTerms:
    """Everything one price version charges: the snapshot a subscription keeps while the catalog moves on."""

    plan_code: str
    plan_name_ja: str
    plan_name_en: str
    interval: Interval
    amount_yen: int
    tax_rate_percent: TaxRate
    initial_fee_yen: int = 0
    initial_fee_tax_rate_percent: TaxRate = 10
    usage: tuple[UsageCharge, ...] = ()
    meter_names: Mapping[str, tuple[str, str]] = field(default_factory=dict, hash=False)
    """Per meter, its (Japanese, English) name for line descriptions."""

    @property
    def interval_months(self) -> int:
        return INTERVAL_MONTHS[self.interval]

    @classmethod
    def of(cls, plan: Plan, interval: str, meter_names: Mapping[str, tuple[str, str]]) -> PriceTerms:
        price = plan.price(interval)
        return cls(
            plan_code=plan.code,
            plan_name_ja=plan.name_ja,
            plan_name_en=plan.name_en,
            interval=price.interval,
            amount_yen=price.amount_yen,
            tax_rate_percent=price.tax_rate_percent,
            initial_fee_yen=plan.initial_fee_yen,
            initial_fee_tax_rate_percent=plan.initial_fee_tax_rate_percent,
            usage=plan.usage,
            meter_names={u.meter: meter_names.get(u.meter, (u.meter, u.meter)) for u in plan.usage},
        )

    def economic_json(self) -> dict[str, Any]:
        """What is charged (not what it is called): a change here is a new price version."""
        return {
            "interval": self.interval,
            "amount_yen": self.amount_yen,
            "tax_rate_percent": self.tax_rate_percent,
            "initial_fee_yen": self.initial_fee_yen,
            "initial_fee_tax_rate_percent": self.initial_fee_tax_rate_percent,
            "usage": [u.to_json() for u in self.usage],
        }

    @property
    def fingerprint(self) -> str:
        canonical = json.dumps(self.economic_json(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def to_json(self) -> dict[str, Any]:
        names = {"plan_code": self.plan_code, "plan_name_ja": self.plan_name_ja, "plan_name_en": self.plan_name_en}
        return {**names, **self.economic_json(), "meter_names": {k: list(v) for k, v in self.meter_names.items()}}

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> PriceTerms:
        return cls(
            plan_code=value["plan_code"],
            plan_name_ja=value["plan_name_ja"],
            plan_name_en=value["plan_name_en"],
            interval=value["interval"],
            amount_yen=int(value["amount_yen"]),
            tax_rate_percent=value["tax_rate_percent"],
            initial_fee_yen=int(value["initial_fee_yen"]),
            initial_fee_tax_rate_percent=value["initial_fee_tax_rate_percent"],
            usage=tuple(UsageCharge.from_json(u) for u in value["usage"]),
            meter_names={k: (v[0], v[1]) for k, v in value.get("meter_names", {}).items()},
        )


def _fee_names(terms: PriceTerms) -> tuple[str, str]:
    if terms.interval == "year":
        return f"{terms.plan_name_ja} 年額料金", f"{terms.plan_name_en} annual fee"
    return f"{terms.plan_name_ja} 月額料金", f"{terms.plan_name_en} monthly fee"


def fee_lines(terms: PriceTerms, anchor: date, period: Period) -> list[BillableLine]:
    """The plan fee for `period` (in advance): the full price for a whole period, else prorated by day."""
    full = full_period(anchor, terms.interval_months, period.start)
    ja, en = _fee_names(terms)
    amount = terms.amount_yen
    if period != full:
        amount = prorate(terms.amount_yen, period, full)
        ja, en = f"{ja}（日割り {period.days}/{full.days}日）", f"{en} (prorated {period.days}/{full.days} days)"
    return [BillableLine(ja, en, 1, amount, terms.tax_rate_percent, period.start, period.last_day)]


def credit_lines(terms: PriceTerms, anchor: date, unused: Period) -> list[BillableLine]:
    """A credit for the `unused` days of a period whose fee was charged (a plan change, a prorated detach)."""
    full = full_period(anchor, terms.interval_months, unused.start)
    amount = prorate(terms.amount_yen, unused, full)
    if amount == 0:
        return []
    ja, en = _fee_names(terms)
    days = f"{unused.days}/{full.days}"
    return [
        BillableLine(
            f"{ja} 未使用分（日割り {days}日）",
            f"Unused {en} (prorated {days} days)",
            1,
            -amount,
            terms.tax_rate_percent,
            unused.start,
            unused.last_day,
        )
    ]


def initial_fee_lines(terms: PriceTerms) -> list[BillableLine]:
    if terms.initial_fee_yen == 0:
        return []
    ja, en = f"{terms.plan_name_ja} 初期費用", f"{terms.plan_name_en} initial fee"
    return [BillableLine(ja, en, 1, terms.initial_fee_yen, terms.initial_fee_tax_rate_percent)]


def usage_lines(terms: PriceTerms, period: Period, usage: Mapping[str, int]) -> list[BillableLine]:
    """The usage charges of `period` (in arrears) from each meter's aggregated quantity."""
    lines: list[BillableLine] = []
    for charge in terms.usage:
        name_ja, name_en = terms.meter_names.get(charge.meter, (charge.meter, charge.meter))
        lines.extend(charge_lines(charge, usage.get(charge.meter, 0), period, name_ja, name_en))
    return lines


def charge_lines(charge: UsageCharge, quantity: int, period: Period, name_ja: str, name_en: str) -> list[BillableLine]:
    """One usage charge: per unit, graduated (a line per tier reached) or volume (the tier of the total)."""
    billable = max(0, quantity - charge.included)
    rate = charge.tax_rate_percent

    def line(ja: str, en: str, qty: int, unit: int) -> BillableLine:
        return BillableLine(ja, en, qty, unit, rate, period.start, period.last_day)

    beyond_ja = f"（無料{charge.included:,}件超過分）" if charge.included else ""
    beyond_en = f" (beyond {charge.included:,} included)" if charge.included else ""
    lines: list[BillableLine] = []
    if billable == 0:
        return lines
    if charge.model == "per_unit":
        lines.append(
            line(f"{name_ja} 従量料金{beyond_ja}", f"{name_en} usage{beyond_en}", billable, charge.unit_price_yen)
        )
    elif charge.model == "graduated":
        lower = 0
        for tier in charge.tiers:
            upper = billable if tier.up_to is None else min(billable, tier.up_to)
            if upper <= lower:
                break
            span_ja = f"{lower + 1:,}〜{upper:,}件" if tier.up_to is not None else f"{lower + 1:,}件〜"
            span_en = f"{lower + 1:,}-{upper:,}" if tier.up_to is not None else f"{lower + 1:,}+"
            lines.append(
                line(
                    f"{name_ja} 従量料金（{span_ja}）",
                    f"{name_en} usage ({span_en})",
                    upper - lower,
                    tier.unit_price_yen,
                )
            )
            if tier.flat_yen:
                lines.append(line(f"{name_ja} 段階基本料金", f"{name_en} tier flat fee", 1, tier.flat_yen))
            lower = upper
    else:
        tier = next(t for t in charge.tiers if t.up_to is None or billable <= t.up_to)
        lines.append(
            line(f"{name_ja} 従量料金{beyond_ja}", f"{name_en} usage{beyond_en}", billable, tier.unit_price_yen)
        )
        if tier.flat_yen:
            lines.append(line(f"{name_ja} 段階基本料金", f"{name_en} tier flat fee", 1, tier.flat_yen))
    return [item for item in lines if item.amount_yen != 0]


def discount_lines(lines: Sequence[BillableLine], coupon: Coupon) -> list[BillableLine]:
    """The coupon's discount on `lines`, one negative line per tax rate (invoices total tax per rate).

    A percent coupon takes its share of each rate's net, rounded down to the yen (a net credit, after a
    downgrade, is reduced the same way: the customer paid the discounted price). An amount coupon takes at
    most the positive net, from the 10 % lines first."""
    ja = f"クーポン割引（{coupon.name_ja or coupon.code}）"
    en = f"Coupon discount ({coupon.name_en or coupon.code})"
    nets: dict[TaxRate, int] = {}
    for item in lines:
        nets[item.tax_rate_percent] = nets.get(item.tax_rate_percent, 0) + item.amount_yen
    result: list[BillableLine] = []
    remaining = coupon.value
    for rate in sorted(nets, reverse=True):
        net = nets[rate]
        if coupon.kind == "percent":
            off = net * coupon.value // 100 if net >= 0 else -((-net) * coupon.value // 100)
        else:
            off = min(remaining, max(net, 0))
            remaining -= off
        if off:
            result.append(BillableLine(ja, en, 1, -off, rate))
    return result


def billable_lines(
    terms: PriceTerms,
    anchor: date,
    *,
    fee_period: Period | None = None,
    usage_period: Period | None = None,
    usage: Mapping[str, int] | None = None,
    credit_period: Period | None = None,
    credit_terms: PriceTerms | None = None,
    credit_anchor: date | None = None,
    initial_fee: bool = False,
    coupon: Coupon | None = None,
) -> list[BillableLine]:
    """The lines of one charge of a subscription on `terms` (its anchor `anchor`):

    - `credit_period`: unused days of a period already charged, on `credit_terms` (default: `terms`) with
      `credit_anchor` (default: `anchor`), as a negative line (plan change, prorated detach);
    - `fee_period`: the plan fee in advance, prorated by day when it is not a whole period;
    - `initial_fee`: the plan's one-time fee;
    - `usage_period` and `usage` (aggregated quantity per meter): usage charges in arrears;
    - `coupon`: a discount on fees, credits and usage (not on the initial fee), one line per tax rate.
    """
    discountable: list[BillableLine] = []
    if credit_period is not None:
        discountable += credit_lines(credit_terms or terms, credit_anchor or anchor, credit_period)
    if fee_period is not None:
        discountable += fee_lines(terms, anchor, fee_period)
    if usage_period is not None:
        discountable += usage_lines(terms, usage_period, usage or {})
    lines = list(discountable)
    if initial_fee:
        lines += initial_fee_lines(terms)
    if coupon is not None:
        lines += discount_lines(discountable, coupon)
    return lines


@dataclass(frozen=True)
class SubscriptionTerms:
    """What a subscription is billed on: its price version's terms, its anchor date, and its coupon while it
    still applies (`BillingService.subscription_terms()` reads them)."""

    terms: PriceTerms
    anchor: date
    coupon: Coupon | None = None


def period_lines(
    subscription: SubscriptionTerms,
    period: Period,
    usage: Mapping[str, int] | None = None,
    *,
    initial_fee: bool = False,
) -> list[BillableLine]:
    """The billable lines of `subscription` for `period`, for the invoice engine: the plan fee (prorated by
    day when `period` is part of one of the anchor's periods), the initial fee when asked, the usage charges
    of `usage` (each meter's aggregate over `period`: after included quantities, by tier), and the coupon's
    discount as negative lines."""
    return billable_lines(
        subscription.terms,
        subscription.anchor,
        fee_period=period,
        usage_period=period if usage is not None else None,
        usage=usage,
        initial_fee=initial_fee,
        coupon=subscription.coupon,
    )
