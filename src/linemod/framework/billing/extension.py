"""`app.billing`: where a module declares what it sells, and how its subscriptions behave.

```python
app.billing.meter("reservation.created", aggregation="count", name_ja="予約", name_en="Reservations")
app.billing.plan(
    "standard", name_ja="スタンダード", name_en="Standard",
    prices=[Price.monthly(5_000), Price.annual(50_000)],
    initial_fee_yen=10_000,
    usage=[UsageCharge.per_unit("reservation.created", 20, included=300)],
    entitlements=["reminders"],
    limits={"reservations_per_month": Limit(1_000, meter="reservation.created", kind="hard")},
)
app.billing.coupon("launch", percent=20, duration="repeating", months=3)
app.billing.configure(trial_days=30, trial_end="auto")
```

Declarations happen at import time and are checked at once; nothing touches the database until the app
starts, when the catalog is written (`catalog_sync.py`) and billing starts following the OAs' lifecycle.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.exc import DBAPIError

from linemod.framework.billing.catalog import (
    Aggregation,
    Catalog,
    CatalogError,
    Limit,
    Meter,
    Plan,
    Price,
    UsageCharge,
)
from linemod.framework.billing.catalog_sync import sync_catalog
from linemod.framework.billing.coupons import Coupon, CouponDuration
from linemod.framework.billing.events import BillingHandler
from linemod.framework.billing.line_usage import BUILTIN_METERS
from linemod.framework.billing.lines import TaxRate
from linemod.framework.billing.policy import Anchor, BillingPolicy, FinalInvoice, Grant, OnSuspend, TrialEnd
from linemod.framework.billing.service import BillingService
from linemod.framework.runtime import Runtime


class Billing:
    """The module's catalog and billing policy (`app.billing`)."""

    def __init__(self) -> None:
        self.catalog = Catalog()
        self.policy = BillingPolicy()

    @property
    def enabled(self) -> bool:
        """Billing is in use once a plan or a meter is declared."""
        return bool(self.catalog.plans or self.catalog.meters)

    def plan(
        self,
        code: str,
        *,
        name_ja: str,
        name_en: str,
        prices: Iterable[Price],
        initial_fee_yen: int = 0,
        initial_fee_tax_rate_percent: TaxRate = 10,
        usage: Iterable[UsageCharge] = (),
        entitlements: Iterable[str] = (),
        limits: Mapping[str, Limit] | None = None,
        required_scopes: Iterable[str] = (),
        default: bool = False,
    ) -> Plan:
        """Declare a plan. `prices`: one per interval (`Price.monthly(5000)`, `Price.annual(50000)`), whole yen
        without tax; `usage`: charges on meters; `entitlements`: the feature names `ctx.billing.allows()`
        checks; `limits`: `ctx.billing.limit()`'s; `required_scopes`: the LINE scopes its features call with
        (a change to this plan asks the OA for any it has not granted); `default`: the plan an attached OA
        starts on (else the first declared)."""
        for what, value in (("entitlements", entitlements), ("required_scopes", required_scopes)):
            if isinstance(value, str):
                raise CatalogError(f"plan {code}: {what} is a list of names, not the string {value!r}")
        plan = Plan(
            code=code,
            name_ja=name_ja,
            name_en=name_en,
            prices=tuple(prices),
            initial_fee_yen=initial_fee_yen,
            initial_fee_tax_rate_percent=initial_fee_tax_rate_percent,
            usage=tuple(usage),
            entitlements=frozenset(entitlements),
            limits=dict(limits or {}),
            required_scopes=frozenset(required_scopes),
            default=default,
        )
        return self.catalog.add_plan(plan)

    def meter(self, name: str, *, aggregation: Aggregation = "sum", name_ja: str = "", name_en: str = "") -> Meter:
        """Declare a meter: what `ctx.meter(name, value)` records, and how a period's records add up ("count",
        "sum", "max", "unique_count", "last"). `name_ja`/`name_en` describe it on invoices."""
        if name.startswith("line."):
            raise CatalogError(f"meter names starting with 'line.' are the framework's own (not {name!r})")
        return self.catalog.add_meter(Meter(name, aggregation, name_ja, name_en))

    def coupon(
        self,
        code: str,
        *,
        percent: int | None = None,
        amount_yen: int | None = None,
        duration: CouponDuration = "once",
        months: int | None = None,
        name_ja: str = "",
        name_en: str = "",
    ) -> Coupon:
        """Declare a coupon: `percent` or `amount_yen` off each charged period, for `duration` "once",
        "repeating" (`months`) or "forever"."""
        if (percent is None) == (amount_yen is None):
            raise CatalogError(f"coupon {code} takes percent= or amount_yen=, exactly one")
        kind, value = ("percent", percent) if percent is not None else ("amount", amount_yen)
        return self.catalog.add_coupon(Coupon(code, kind, value, duration, months, name_ja, name_en))  # type: ignore[arg-type]

    def configure(
        self,
        *,
        trial_days: int | None = None,
        trial_end: TrialEnd | None = None,
        on_suspend: OnSuspend | None = None,
        final_invoice: FinalInvoice | None = None,
        anchor: Anchor | None = None,
        restricted_entitlements: Iterable[str] | None = None,
        grants: Mapping[str, Grant] | None = None,
    ) -> BillingPolicy:
        """Set the billing policy (what is not given stays as it was; `grants` entries merge, keyed by status
        name): see `BillingPolicy` for each option and its default. Returns the policy."""
        given: dict[str, Any] = {
            "trial_days": trial_days,
            "trial_end": trial_end,
            "on_suspend": on_suspend,
            "final_invoice": final_invoice,
            "anchor": anchor,
            "restricted_entitlements": restricted_entitlements,
            "grants": grants,
        }
        self.policy = self.policy.configured(**{k: v for k, v in given.items() if v is not None})
        return self.policy

    async def open(self, runtime: Runtime, handlers: Mapping[str, Sequence[BillingHandler]]) -> BillingService:
        """At app start: check and write the catalog, then follow the tenants' lifecycle."""
        for meter in BUILTIN_METERS:
            if meter.name not in self.catalog.meters:
                self.catalog.add_meter(meter)
        unknown = self.policy.restricted_entitlements - self.catalog.entitlement_names()
        if unknown and self.catalog.plans:
            raise CatalogError(f"restricted_entitlements names what no plan declares: {sorted(unknown)}")
        try:
            synced = await sync_catalog(runtime.db, self.catalog, runtime.clock)
        except DBAPIError as exc:
            raise RuntimeError(
                "billing could not write its catalog: are the billing tables there? Run `linemod db upgrade APP` "
                f"(or start with upgrade_on_start=True) first ({exc.orig})"
            ) from exc
        service = BillingService(
            catalog=synced,
            policy=self.policy,
            settings=runtime.settings,
            clock=runtime.clock,
            scheduler=runtime.scheduler,
            handlers=handlers,
            is_postgres=runtime.db.is_postgres,
            db=runtime.db,
        )
        runtime.tenants.listeners.append(service.on_tenant_change)
        runtime.billing = service
        return service
