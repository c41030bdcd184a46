"""The catalog in the database: written at every app start from what the code declares.

Plans are updated in place (names, entitlements, limits, scopes: what the code can do is the code's).
Prices never are: when the amount, tax rate, initial fee or usage charges of a plan's price differ from its
latest version, a new version is added and the old one marked superseded. Subscriptions point at the
version they were sold at and keep it until their plan is changed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.billing.catalog import Catalog, Limit, Plan
from linemod.framework.billing.pricing import PriceTerms
from linemod.framework.billing.records import BillingPlanRow, BillingPriceRow
from linemod.framework.clock import Clock
from linemod.framework.storage.database import Database

INSERT_PRICE = (
    "INSERT INTO billing_prices (plan_code, interval, version, amount_yen, tax_rate_percent, terms_json, fingerprint, "
    "created_at_ms) VALUES (:plan_code, :interval, :version, :amount_yen, :tax_rate_percent, :terms_json, "
    ":fingerprint, :created_at_ms) ON CONFLICT (plan_code, interval, version) DO NOTHING"
)


@dataclass(frozen=True)
class PlanRules:
    """What a plan allows, as declared (or, for a plan the code no longer declares, as last declared)."""

    code: str
    entitlements: frozenset[str]
    limits: Mapping[str, Limit] = field(hash=False)
    required_scopes: frozenset[str]

    @classmethod
    def of(cls, plan: Plan) -> PlanRules:
        return cls(plan.code, plan.entitlements, dict(plan.limits), plan.required_scopes)

    @classmethod
    def of_row(cls, row: BillingPlanRow) -> PlanRules:
        limits = {name: Limit(**values) for name, values in json.loads(row.limits_json).items()}
        return cls(
            row.code,
            frozenset(json.loads(row.entitlements_json)),
            limits,
            frozenset(json.loads(row.required_scopes_json)),
        )


@dataclass(frozen=True)
class CurrentPrice:
    price_id: int
    terms: PriceTerms


@dataclass
class SyncedCatalog:
    """The declared catalog with the database IDs of its current price versions."""

    catalog: Catalog
    prices: dict[tuple[str, str], CurrentPrice]
    rules: dict[str, PlanRules]

    def current(self, plan_code: str, interval: str) -> CurrentPrice:
        plan = self.catalog.plan(plan_code)
        plan.price(interval)  # a clear error when the plan has no price of that interval
        return self.prices[(plan_code, interval)]

    def rules_of(self, plan_code: str) -> PlanRules:
        rules = self.rules.get(plan_code)
        if rules is None:
            raise LookupError(f"plan {plan_code!r} was never declared")
        return rules


def meter_names(catalog: Catalog) -> dict[str, tuple[str, str]]:
    return {m.name: (m.name_ja or m.name, m.name_en or m.name) for m in catalog.meters.values()}


async def sync_catalog(db: Database, catalog: Catalog, clock: Clock) -> SyncedCatalog:
    """Write the declared catalog (one transaction; on PostgreSQL, processes starting together take turns)."""
    catalog.check()
    names = meter_names(catalog)
    now = clock.now_ms()
    prices: dict[tuple[str, str], CurrentPrice] = {}
    async with db.transaction() as session:
        if db.is_postgres:
            await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('linemod:billing-catalog'))"))
        stored = {row.code: row for row in await session.scalars(select(BillingPlanRow))}
        for plan in catalog.plans.values():
            _write_plan(session, stored.get(plan.code), plan, now)
            for price in plan.prices:
                terms = PriceTerms.of(plan, price.interval, names)
                prices[(plan.code, price.interval)] = await _current_version(session, terms, now)
        for code, row in stored.items():
            if code not in catalog.plans and row.declared:
                row.declared = False
                row.updated_at_ms = now
        await session.flush()
        rules = {row.code: PlanRules.of_row(row) for row in await session.scalars(select(BillingPlanRow))}
    rules.update({plan.code: PlanRules.of(plan) for plan in catalog.plans.values()})
    return SyncedCatalog(catalog, prices, rules)


def _write_plan(session: AsyncSession, row: BillingPlanRow | None, plan: Plan, now: int) -> None:
    limits = {
        name: {"value": lim.value, "meter": lim.meter, "kind": lim.kind, "window": lim.window}
        for name, lim in plan.limits.items()
    }
    values = {
        "name_ja": plan.name_ja,
        "name_en": plan.name_en,
        "entitlements_json": json.dumps(sorted(plan.entitlements)),
        "limits_json": json.dumps(limits, sort_keys=True),
        "required_scopes_json": json.dumps(sorted(plan.required_scopes)),
        "is_default": plan.default,
        "declared": True,
    }
    if row is None:
        session.add(BillingPlanRow(code=plan.code, updated_at_ms=now, **values))
        return
    if any(getattr(row, key) != value for key, value in values.items()):
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_at_ms = now


async def _current_version(session: AsyncSession, terms: PriceTerms, now: int) -> CurrentPrice:
    """The price version matching `terms`: the latest if its economic terms are the same (names refreshed in
    place, they are not what was sold), else a new version."""
    latest = await _latest(session, terms.plan_code, terms.interval)
    if latest is not None and latest.fingerprint == terms.fingerprint:
        stored = json.loads(latest.terms_json)
        if stored != terms.to_json():
            latest.terms_json = json.dumps(terms.to_json(), ensure_ascii=False)
        return CurrentPrice(latest.id, terms)
    version = (latest.version if latest is not None else 0) + 1
    await session.execute(
        text(INSERT_PRICE),
        {
            "plan_code": terms.plan_code,
            "interval": terms.interval,
            "version": version,
            "amount_yen": terms.amount_yen,
            "tax_rate_percent": terms.tax_rate_percent,
            "terms_json": json.dumps(terms.to_json(), ensure_ascii=False),
            "fingerprint": terms.fingerprint,
            "created_at_ms": now,
        },
    )
    if latest is not None and latest.superseded_at_ms is None:
        latest.superseded_at_ms = now
    created = await _latest(session, terms.plan_code, terms.interval)
    assert created is not None
    return CurrentPrice(created.id, PriceTerms.from_json(json.loads(created.terms_json)))


async def _latest(session: AsyncSession, plan_code: str, interval: str) -> BillingPriceRow | None:
    stmt = (
        select(BillingPriceRow)
        .where(BillingPriceRow.plan_code == plan_code, BillingPriceRow.interval == interval)
        .order_by(BillingPriceRow.version.desc())
        .limit(1)
    )
    return (await session.scalars(stmt)).first()


async def price_versions(session: AsyncSession, plan_code: str, interval: str) -> list[BillingPriceRow]:
    """Every version of a plan's price for an interval, oldest first."""
    stmt = (
        select(BillingPriceRow)
        .where(BillingPriceRow.plan_code == plan_code, BillingPriceRow.interval == interval)
        .order_by(BillingPriceRow.version)
    )
    return list(await session.scalars(stmt))
