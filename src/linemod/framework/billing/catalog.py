"""The catalog a module declares in code: meters, plans with their prices, usage charges, entitlements and
limits, and coupons (`app.billing.plan(...)`, `app.billing.meter(...)`, `app.billing.coupon(...)`).

Every amount is whole yen, tax-exclusive, with its own consumption tax rate (10 or 8 %). A declaration is
checked when it is made (`CatalogError` says what is wrong and how to write it); references between
declarations (a plan's usage charge names a meter) are checked once all are made, when the app starts.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from linemod.framework.billing.lines import TaxRate

if TYPE_CHECKING:
    from linemod.framework.billing.coupons import Coupon

log = logging.getLogger("linemod.billing")

Interval = Literal["month", "year"]
Aggregation = Literal["count", "sum", "max", "unique_count", "last"]
UsageModel = Literal["per_unit", "graduated", "volume"]
LimitKind = Literal["soft", "hard"]
LimitWindow = Literal["month", "period"]

INTERVAL_MONTHS: dict[str, int] = {"month": 1, "year": 12}
AGGREGATIONS: tuple[str, ...] = ("count", "sum", "max", "unique_count", "last")
MARKETPLACE_MINIMUM_MONTHLY_YEN = 3000
"""One provider reports that LINE Marketplace requires a monthly fee of at least ¥3,000 (unconfirmed by LY):
a lower monthly price is declared with a warning, never refused."""
BUILTIN_METER_PREFIX = "line."
_CODE = re.compile(r"^[a-z0-9][a-z0-9_.:-]{0,63}$")


class CatalogError(ValueError):
    """A declaration the catalog cannot accept; the message says what to write instead."""


class CatalogWarning(UserWarning):
    """A declaration accepted but probably not what a Marketplace listing allows (e.g. under ¥3,000/month)."""


def check_code(what: str, value: object) -> str:
    if not isinstance(value, str) or not _CODE.match(value):
        raise CatalogError(
            f"{what} {value!r} is not a valid code: use 1-64 lower-case letters, digits and _ . : - "
            f"(e.g. 'standard', 'reservation.created')"
        )
    return value


def check_yen(what: str, value: object, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise CatalogError(f"{what} must be a whole number of yen (int), not {value!r}: JPY has no fractions")
    if value < minimum:
        raise CatalogError(f"{what} must be at least {minimum}, not {value}")
    return value


def check_rate(what: str, value: object) -> TaxRate:
    if value == 10 and not isinstance(value, bool):
        return 10
    if value == 8 and not isinstance(value, bool):
        return 8
    raise CatalogError(f"{what}: the tax rate is 10 (standard) or 8 (reduced), not {value!r}")


def _check_names(what: str, name_ja: object, name_en: object) -> None:
    for lang, name in (("name_ja", name_ja), ("name_en", name_en)):
        if not isinstance(name, str) or not name.strip():
            raise CatalogError(f"{what} needs a {lang} (invoices print Japanese, English is available)")


@dataclass(frozen=True)
class Price:
    """A recurring price: `amount_yen` per `interval`, tax-exclusive, at `tax_rate_percent`."""

    interval: Interval
    amount_yen: int
    tax_rate_percent: TaxRate = 10

    def __post_init__(self) -> None:
        if self.interval not in INTERVAL_MONTHS:
            raise CatalogError(f"a price's interval is 'month' or 'year', not {self.interval!r}")
        check_yen(f"the {self.interval}ly price", self.amount_yen)
        check_rate(f"the {self.interval}ly price", self.tax_rate_percent)

    @classmethod
    def monthly(cls, amount_yen: int, tax_rate_percent: TaxRate = 10) -> Price:
        return cls("month", amount_yen, tax_rate_percent)

    @classmethod
    def annual(cls, amount_yen: int, tax_rate_percent: TaxRate = 10) -> Price:
        return cls("year", amount_yen, tax_rate_percent)


@dataclass(frozen=True)
class Tier:
    """Units up to `up_to` (inclusive, counted after the included quantity; None: all the rest) cost
    `unit_price_yen` each, plus `flat_yen` once when any unit falls in the tier."""

    up_to: int | None
    unit_price_yen: int
    flat_yen: int = 0

    def __post_init__(self) -> None:
        if self.up_to is not None:
            check_yen("a tier's up_to", self.up_to, minimum=1)
        check_yen("a tier's unit price", self.unit_price_yen)
        check_yen("a tier's flat fee", self.flat_yen)


@dataclass(frozen=True)
class UsageCharge:
    """What a plan charges for a meter's usage in a billing period, after `included` free units.

    per_unit: every unit at `unit_price_yen`. graduated: each unit at the price of the tier it falls in.
    volume: every unit at the price of the tier the total falls in.
    """

    meter: str
    model: UsageModel
    unit_price_yen: int = 0
    tiers: tuple[Tier, ...] = ()
    included: int = 0
    tax_rate_percent: TaxRate = 10

    def __post_init__(self) -> None:
        check_code("a usage charge's meter", self.meter)
        check_yen(f"the included quantity of {self.meter}", self.included)
        check_rate(f"the usage charge on {self.meter}", self.tax_rate_percent)
        if self.model == "per_unit":
            check_yen(f"the unit price of {self.meter}", self.unit_price_yen)
            if self.tiers:
                raise CatalogError(f"a per-unit charge on {self.meter} takes unit_price_yen, not tiers")
        elif self.model in ("graduated", "volume"):
            _check_tiers(self.meter, self.tiers)
        else:
            raise CatalogError(f"a usage charge is per_unit, graduated or volume, not {self.model!r}")

    @classmethod
    def per_unit(
        cls, meter: str, unit_price_yen: int, *, included: int = 0, tax_rate_percent: TaxRate = 10
    ) -> UsageCharge:
        return cls(
            meter, "per_unit", unit_price_yen=unit_price_yen, included=included, tax_rate_percent=tax_rate_percent
        )

    @classmethod
    def graduated(
        cls, meter: str, tiers: Iterable[Tier], *, included: int = 0, tax_rate_percent: TaxRate = 10
    ) -> UsageCharge:
        return cls(meter, "graduated", tiers=tuple(tiers), included=included, tax_rate_percent=tax_rate_percent)

    @classmethod
    def volume(
        cls, meter: str, tiers: Iterable[Tier], *, included: int = 0, tax_rate_percent: TaxRate = 10
    ) -> UsageCharge:
        return cls(meter, "volume", tiers=tuple(tiers), included=included, tax_rate_percent=tax_rate_percent)

    def to_json(self) -> dict[str, Any]:
        return {
            "meter": self.meter,
            "model": self.model,
            "unit_price_yen": self.unit_price_yen,
            "tiers": [[t.up_to, t.unit_price_yen, t.flat_yen] for t in self.tiers],
            "included": self.included,
            "tax_rate_percent": self.tax_rate_percent,
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> UsageCharge:
        return cls(
            meter=value["meter"],
            model=value["model"],
            unit_price_yen=int(value["unit_price_yen"]),
            tiers=tuple(Tier(t[0], int(t[1]), int(t[2])) for t in value["tiers"]),
            included=int(value["included"]),
            tax_rate_percent=check_rate("a stored usage charge", value["tax_rate_percent"]),
        )


def _check_tiers(meter: str, tiers: tuple[Tier, ...]) -> None:
    if not tiers or not all(isinstance(t, Tier) for t in tiers):
        raise CatalogError(f"a tiered charge on {meter} needs tiers=[Tier(up_to=..., unit_price_yen=...), ...]")
    bounds = [t.up_to for t in tiers]
    if bounds[-1] is not None or None in bounds[:-1]:
        raise CatalogError(f"the last tier of {meter} must have up_to=None (all the rest), and only the last")
    finite = [b for b in bounds if b is not None]
    if finite != sorted(set(finite)):
        raise CatalogError(f"the tiers of {meter} must have strictly increasing up_to: {bounds}")


@dataclass(frozen=True)
class Limit:
    """A numeric limit of a plan. `meter`: what counts towards it (else the caller passes `used=`); `kind`:
    "soft" (report when exceeded) or "hard" (the module must refuse); `window`: the calendar month (JST) or the
    subscription's current billing period (the trial while trialing)."""

    value: int
    meter: str | None = None
    kind: LimitKind = "soft"
    window: LimitWindow = "month"

    def __post_init__(self) -> None:
        check_yen("a limit's value", self.value)
        if self.meter is not None:
            check_code("a limit's meter", self.meter)
        if self.kind not in ("soft", "hard"):
            raise CatalogError(f"a limit is 'soft' or 'hard', not {self.kind!r}")
        if self.window not in ("month", "period"):
            raise CatalogError(f"a limit's window is 'month' or 'period', not {self.window!r}")


@dataclass(frozen=True)
class Meter:
    """Something the module counts per OA (`ctx.meter(name, value)`), and how a period's records add up."""

    name: str
    aggregation: Aggregation = "sum"
    name_ja: str = ""
    name_en: str = ""

    def __post_init__(self) -> None:
        check_code("a meter", self.name)
        if self.aggregation not in AGGREGATIONS:
            raise CatalogError(f"meter {self.name}: aggregation is one of {AGGREGATIONS}, not {self.aggregation!r}")


@dataclass(frozen=True)
class Plan:
    """A plan: its prices (one per interval), an optional initial fee, usage charges, entitlements (feature
    flags), limits, and the LINE scopes its features need (a change to it asks the OA for any missing)."""

    code: str
    name_ja: str
    name_en: str
    prices: tuple[Price, ...]
    initial_fee_yen: int = 0
    initial_fee_tax_rate_percent: TaxRate = 10
    usage: tuple[UsageCharge, ...] = ()
    entitlements: frozenset[str] = frozenset()
    limits: Mapping[str, Limit] = field(default_factory=dict, hash=False)
    required_scopes: frozenset[str] = frozenset()
    default: bool = False

    def __post_init__(self) -> None:
        check_code("a plan", self.code)
        _check_names(f"plan {self.code}", self.name_ja, self.name_en)
        if not self.prices or not all(isinstance(p, Price) for p in self.prices):
            raise CatalogError(f"plan {self.code} needs prices=[Price.monthly(5000)] (and/or Price.annual(...))")
        intervals = [p.interval for p in self.prices]
        if len(set(intervals)) != len(intervals):
            raise CatalogError(f"plan {self.code} has two {intervals} prices: one price per interval")
        check_yen(f"plan {self.code}'s initial fee", self.initial_fee_yen)
        check_rate(f"plan {self.code}'s initial fee", self.initial_fee_tax_rate_percent)
        meters = [u.meter for u in self.usage]
        if len(set(meters)) != len(meters):
            raise CatalogError(f"plan {self.code} charges a meter twice: {meters}")
        for name in self.entitlements:
            check_code(f"plan {self.code}'s entitlement", name)
        for name, limit in self.limits.items():
            check_code(f"plan {self.code}'s limit", name)
            if not isinstance(limit, Limit):
                raise CatalogError(f"plan {self.code}: limit {name} must be a Limit(value, ...), not {limit!r}")
        for price in self.prices:
            if price.interval == "month" and price.amount_yen < MARKETPLACE_MINIMUM_MONTHLY_YEN:
                message = (
                    f"plan {self.code}'s monthly price ¥{price.amount_yen:,} is under ¥3,000, which LINE Marketplace "
                    f"reportedly requires (unconfirmed): check the listing rules with LY"
                )
                warnings.warn(message, CatalogWarning, stacklevel=4)
                log.warning("%s", message)

    def price(self, interval: str) -> Price:
        for price in self.prices:
            if price.interval == interval:
                return price
        raise CatalogError(f"plan {self.code} has no {interval}ly price (it has {[p.interval for p in self.prices]})")


class Catalog:
    """The declarations of one app, in declaration order."""

    def __init__(self) -> None:
        self.plans: dict[str, Plan] = {}
        self.meters: dict[str, Meter] = {}
        self.coupons: dict[str, Coupon] = {}

    def add_plan(self, plan: Plan) -> Plan:
        if plan.code in self.plans:
            raise CatalogError(f"plan {plan.code!r} is declared twice")
        if plan.default and any(p.default for p in self.plans.values()):
            raise CatalogError(f"plan {plan.code!r} and another are both default=True: one plan is the default")
        self.plans[plan.code] = plan
        return plan

    def add_meter(self, meter: Meter) -> Meter:
        if meter.name in self.meters:
            raise CatalogError(f"meter {meter.name!r} is declared twice")
        self.meters[meter.name] = meter
        return meter

    def add_coupon(self, coupon: Coupon) -> Coupon:
        if coupon.code in self.coupons:
            raise CatalogError(f"coupon {coupon.code!r} is declared twice")
        self.coupons[coupon.code] = coupon
        return coupon

    @property
    def default_plan(self) -> Plan:
        """The plan an attached OA starts on: the one declared default=True, else the first declared."""
        if not self.plans:
            raise CatalogError("no plan is declared: app.billing.plan(...) first")
        return next((p for p in self.plans.values() if p.default), next(iter(self.plans.values())))

    def plan(self, code: str) -> Plan:
        try:
            return self.plans[code]
        except KeyError:
            raise CatalogError(f"no plan {code!r}; declared: {sorted(self.plans)}") from None

    def meter(self, name: str) -> Meter:
        try:
            return self.meters[name]
        except KeyError:
            raise CatalogError(
                f"meter {name!r} is not declared: app.billing.meter({name!r}, aggregation='count'); "
                f"declared: {sorted(self.meters)}"
            ) from None

    def entitlement_names(self, extra: Iterable[str] = ()) -> frozenset[str]:
        return frozenset({name for plan in self.plans.values() for name in plan.entitlements} | set(extra))

    def limit_names(self) -> frozenset[str]:
        return frozenset({name for plan in self.plans.values() for name in plan.limits})

    def check(self) -> None:
        """Cross-references, once everything is declared (at app start): every meter a usage charge or a limit
        names is declared. Raises one `CatalogError` listing every problem."""
        problems = []
        for plan in self.plans.values():
            for charge in plan.usage:
                if charge.meter not in self.meters:
                    problems.append(f"plan {plan.code} charges undeclared meter {charge.meter!r}")
            for name, limit in plan.limits.items():
                if limit.meter is not None and limit.meter not in self.meters:
                    problems.append(f"plan {plan.code}'s limit {name} counts undeclared meter {limit.meter!r}")
        if problems:
            raise CatalogError("; ".join(problems) + " (declare them with app.billing.meter(...))")
