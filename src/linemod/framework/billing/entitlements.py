"""`ctx.billing`: what the OA's subscription allows, its limits and usage, and the changes an operator asks
for, inside the unit of work's transaction (`ctx`, `jctx`, `cx`, `tx`).

What a status grants is the policy's (`BillingPolicy.grants`): the plan's entitlements while trialing,
active, canceling or past due; the restricted set when restricted; nothing when paused or ended. An OA with no
subscription yet (attached before billing was deployed, until the sweep starts its trial) gets the default
plan's. With no plan declared at all, billing is not in use and everything is allowed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.billing.catalog import Aggregation, CatalogError, LimitKind
from linemod.framework.billing.changes import PlanChangePreview, ReauthorizationRequired
from linemod.framework.billing.periods import Period, add_months, day_of, month_start, start_ms
from linemod.framework.billing.states import SubscriptionStatus

if TYPE_CHECKING:
    from linemod.framework.billing.records import BillingSubscriptionRow
    from linemod.framework.billing.service import BillingService

S = SubscriptionStatus


@dataclass(frozen=True)
class SubscriptionInfo:
    """A snapshot of an OA's subscription. `period_end` is the last paid day (None while trialing)."""

    bot_id: str
    status: SubscriptionStatus
    plan_code: str
    interval: str
    price_id: int
    trial_ends_at_ms: int | None
    period_start: date | None
    period_end: date | None
    cancel_at_period_end: bool

    @classmethod
    def of(cls, row: BillingSubscriptionRow) -> SubscriptionInfo:
        status = S(row.status)
        return cls(
            bot_id=row.bot_id,
            status=status,
            plan_code=row.plan_code,
            interval=row.interval,
            price_id=row.price_id,
            trial_ends_at_ms=row.trial_ends_at_ms,
            period_start=row.period_start,
            period_end=Period(row.period_start, row.period_end).last_day
            if row.period_start and row.period_end and row.period_end > row.period_start
            else None,
            cancel_at_period_end=status is S.CANCELING,
        )


@dataclass(frozen=True)
class LimitStatus:
    """A plan limit against its use. `limit` None: no limit (the plan sets none, or billing is not in use).
    `reached`: nothing more fits (used >= limit); `exceeded`: over it. A "hard" limit is the module's to
    enforce (refuse when `reached`); a "soft" one to report."""

    name: str
    limit: int | None
    used: int
    kind: LimitKind

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(0, self.limit - self.used)

    @property
    def reached(self) -> bool:
        return self.limit is not None and self.used >= self.limit

    @property
    def exceeded(self) -> bool:
        return self.limit is not None and self.used > self.limit

    @property
    def hard(self) -> bool:
        return self.kind == "hard"


class BillingAccess:
    """Billing for one OA in one unit of work (`ctx.billing`). Reads are cached for the unit; changes are
    written in its transaction."""

    def __init__(
        self,
        service: BillingService,
        db: Callable[[], AsyncSession],
        bot_id: str,
        *,
        before_read: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._service = service
        self._db = db
        self._before_read = before_read
        self.bot_id = bot_id
        self._row: BillingSubscriptionRow | None = None
        self._loaded = False

    async def _sub(self) -> BillingSubscriptionRow | None:
        if not self._loaded:
            self._row = await self._service.subscription_row(self._db(), self.bot_id)
            self._loaded = True
        return self._row

    def _changed(self) -> None:
        self._loaded = False

    async def subscription(self) -> SubscriptionInfo | None:
        """The OA's subscription, or None if it has none (yet)."""
        row = await self._sub()
        return SubscriptionInfo.of(row) if row is not None else None

    async def entitlements(self) -> frozenset[str]:
        """The feature names the subscription grants now."""
        catalog = self._service.catalog
        if not catalog.catalog.plans:
            return catalog.catalog.entitlement_names(self._service.policy.restricted_entitlements)
        row = await self._sub()
        if row is None:
            return catalog.catalog.default_plan.entitlements
        grant = self._service.policy.grant(S(row.status))
        if grant == "plan":
            return catalog.rules_of(row.plan_code).entitlements
        if grant == "restricted":
            return self._service.policy.restricted_entitlements
        return frozenset()

    async def allows(self, feature: str) -> bool:
        """Whether the subscription grants `feature` now (a name declared in some plan's entitlements)."""
        if not self._service.catalog.catalog.plans:
            return True  # no plan declared: billing is not in use
        known = self._service.catalog.catalog.entitlement_names(self._service.policy.restricted_entitlements)
        if feature not in known:
            raise CatalogError(f"no plan declares entitlement {feature!r}; declared: {sorted(known)}")
        return feature in await self.entitlements()

    async def limit(self, name: str, *, used: int | None = None) -> LimitStatus:
        """Limit `name` of the current plan against its use: `used` when given, else the limit's meter over its
        window (the JST calendar month, or the current period)."""
        catalog = self._service.catalog
        if name not in catalog.catalog.limit_names():
            raise CatalogError(f"no plan declares limit {name!r}; declared: {sorted(catalog.catalog.limit_names())}")
        row = await self._sub()
        plan = row.plan_code if row is not None else catalog.catalog.default_plan.code
        declared = catalog.rules_of(plan).limits.get(name)
        grant = self._service.policy.grant(S(row.status)) if row is not None else "plan"
        if declared is None:
            return LimitStatus(name, None, used or 0, "soft")
        if used is None:
            if declared.meter is None:
                raise CatalogError(f"limit {name} counts no meter: pass used= (what the module counts itself)")
            window = self._window(row, declared.window)
            used = await self.usage(declared.meter, start_ms=window.start_ms, end_ms=window.end_ms)
        # restricted keeps the plan's limits (its entitlements say what still works); paused or ended: nothing fits
        value = declared.value if grant != "none" else 0
        return LimitStatus(name, value, used, declared.kind)

    def _window(self, row: BillingSubscriptionRow | None, window: str) -> Period:
        today = day_of(self._service.clock.now_ms())
        if window == "period" and row is not None:
            if row.status == S.TRIALING and row.trial_ends_at_ms is not None:
                return Period(day_of(row.started_at_ms), max(day_of(row.trial_ends_at_ms), today) + timedelta(days=1))
            if row.period_start is not None and row.period_end is not None and row.period_end > today:
                return Period(row.period_start, row.period_end)
        first = month_start(today)
        return Period(first, add_months(first, 1))

    async def usage(
        self,
        meter: str,
        *,
        start_ms: int | None = None,
        end_ms: int | None = None,
        aggregation: Aggregation | None = None,
    ) -> int:
        """The meter's usage over [start_ms, end_ms) (default: this JST calendar month so far), by its declared
        aggregation unless `aggregation` names another."""
        now = self._service.clock.now_ms()
        if start_ms is None:
            start_ms = start_ms_of_month(now)
        if end_ms is None:
            end_ms = now + 1
        if self._before_read is not None:
            await self._before_read()  # what this unit metered counts too
        return await self._service.metering.aggregate(self._db(), self.bot_id, meter, start_ms, end_ms, aggregation)

    async def adjust_usage(
        self, meter: str, delta: int, *, note: str, key: str | None = None, at_ms: int | None = None
    ) -> bool:
        """Correct a count or sum meter by `delta` (an adjustment record; nothing is deleted). Idempotent on
        `key` when given."""
        now = self._service.clock.now_ms()
        return await self._service.metering.adjust(
            self._db(),
            self.bot_id,
            meter,
            delta,
            key=key or f"{now}:{id(self)}",
            note=note,
            occurred_at_ms=at_ms if at_ms is not None else now,
            now_ms=now,
        )

    async def void_usage(self, meter: str, key: str, *, note: str) -> bool:
        """Cancel the usage record written with `key` (a void record; the original stays)."""
        now = self._service.clock.now_ms()
        return await self._service.metering.void(self._db(), self.bot_id, meter, key, note=note, now_ms=now)

    async def preview_plan_change(
        self, plan_code: str, interval: str | None = None
    ) -> PlanChangePreview | ReauthorizationRequired:
        """The lines changing to `plan_code` now would charge (nothing is written)."""
        return await self._service.changes.preview_plan_change(self._db(), self.bot_id, plan_code, interval)

    async def change_plan(
        self, plan_code: str, interval: str | None = None
    ) -> PlanChangePreview | ReauthorizationRequired:
        """Change plan now, prorated by day; returns what was charged (or the re-authorization needed)."""
        self._changed()
        return await self._service.changes.change_plan(self._db(), self.bot_id, plan_code, interval)

    async def cancel_at_period_end(self) -> None:
        """End the subscription when its paid period (or trial) ends."""
        self._changed()
        await self._service.changes.cancel_at_period_end(self._db(), self.bot_id)

    async def resume(self) -> None:
        """Revoke `cancel_at_period_end` before the period ends."""
        self._changed()
        await self._service.changes.resume(self._db(), self.bot_id)

    async def redeem_coupon(self, code: str) -> None:
        """Apply a declared coupon from the next charged period on."""
        self._changed()
        await self._service.changes.redeem_coupon(self._db(), self.bot_id, code)


def start_ms_of_month(now_ms: int) -> int:
    return start_ms(month_start(day_of(now_ms)))
