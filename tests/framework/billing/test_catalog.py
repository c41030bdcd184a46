"""The catalog declared in code: checked with errors that say what to write, warned (never refused) under
¥3,000 a month, and versioned in the database: a changed price is a new version, sold subscriptions keep
theirs."""

from __future__ import annotations

import dataclasses
import warnings

import pytest
from sqlalchemy import select

from linemod.framework.app import ModuleApp
from linemod.framework.billing.catalog import CatalogError, CatalogWarning, Limit, Price, Tier, UsageCharge
from linemod.framework.billing.catalog_sync import price_versions
from linemod.framework.billing.records import BillingPlanRow
from linemod.framework.clock import ManualClock
from tests.framework.billing.helpers import START, billing_app, subscription
from tests.framework.helpers import BOT, Running, attached_event, make_settings


def declare(**plan: object) -> None:
    app = ModuleApp(make_settings())
    values: dict[str, object] = {"name_ja": "標準", "name_en": "Standard", "prices": [Price.monthly(5000)]}
    app.billing.plan("standard", **{**values, **plan})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        ({"prices": []}, r"needs prices=\[Price\.monthly"),
        ({"prices": [Price.monthly(5000), Price.monthly(6000)]}, "one price per interval"),
        ({"name_en": ""}, "needs a name_en"),
        ({"initial_fee_yen": 1.5}, "whole number of yen"),
        ({"entitlements": "reminders"}, "list of names"),
        ({"limits": {"seats": 3}}, r"Limit\(value"),
        ({"usage": [UsageCharge.per_unit("a", 1), UsageCharge.per_unit("a", 2)]}, "charges a meter twice"),
    ],
)
def test_a_plan_that_cannot_be_billed_is_refused_with_what_to_write(plan: dict, message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        declare(**plan)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Price.monthly(5000, 5), "10 .standard. or 8"),  # type: ignore[arg-type]
        (lambda: Price("week", 100), "'month' or 'year'"),  # type: ignore[arg-type]
        (lambda: UsageCharge.graduated("m", [Tier(10, 5)]), "up_to=None"),
        (lambda: UsageCharge.volume("m", [Tier(10, 5), Tier(5, 4), Tier(None, 3)]), "strictly increasing"),
        (lambda: Limit(5, kind="strict"), "'soft' or 'hard'"),  # type: ignore[arg-type]
    ],
)
def test_prices_tiers_and_limits_are_checked_when_declared(build: object, message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        build()  # type: ignore[operator]


def test_coupons_and_meters_are_checked_when_declared() -> None:
    app = ModuleApp(make_settings())
    with pytest.raises(CatalogError, match="exactly one"):
        app.billing.coupon("x", percent=10, amount_yen=100)
    with pytest.raises(CatalogError, match="months=3"):
        app.billing.coupon("x", percent=10, duration="repeating")
    with pytest.raises(CatalogError, match="at most 100"):
        app.billing.coupon("x", percent=150)
    with pytest.raises(CatalogError, match="framework's own"):
        app.billing.meter("line.messages.push")
    with pytest.raises(CatalogError, match="aggregation"):
        app.billing.meter("m", aggregation="avg")  # type: ignore[arg-type]
    app.billing.meter("m")
    with pytest.raises(CatalogError, match="twice"):
        app.billing.meter("m")


def test_a_monthly_price_under_3000_yen_warns_and_is_accepted() -> None:
    with pytest.warns(CatalogWarning, match="under ¥3,000"):
        declare(prices=[Price.monthly(2980)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        declare(prices=[Price.monthly(3000), Price.annual(30000)])  # the rule is on monthly prices only


async def test_an_undeclared_meter_stops_the_start_with_the_declaration_to_add(db) -> None:  # type: ignore[no-untyped-def]
    app = ModuleApp(make_settings(), database=db)
    app.billing.plan(
        "p",
        name_ja="p",
        name_en="p",
        prices=[Price.monthly(3000)],
        usage=[UsageCharge.per_unit("reservation.created", 10)],
    )
    with pytest.raises(CatalogError, match=r"undeclared meter 'reservation\.created'.*app\.billing\.meter"):
        await app.start(workers=False)


async def test_a_changed_price_is_a_new_version_and_sold_subscriptions_keep_theirs(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(START)
    async with Running(billing_app(db, clock)) as run:
        await run.post_webhook([attached_event(ts=clock.now_ms())])
        await run.drain()
    sold = (await subscription(db, BOT)).price_id

    # the same code again, then a renamed plan: still version 1 (names are not what was sold)
    await restart(db, clock)
    await restart(db, clock, redeclared(billing_app(db, clock), "basic", name_en="Basic (new)"))
    async with db.session() as session:
        assert [v.version for v in await price_versions(session, "basic", "month")] == [1]
        assert (await session.get(BillingPlanRow, "basic")).name_en == "Basic (new)"

    # a new amount: version 2; the subscription sold at version 1 keeps it, new ones get version 2
    await restart(db, clock, redeclared(billing_app(db, clock), "basic", prices=(Price.monthly(3500),)))
    async with db.session() as session:
        versions = await price_versions(session, "basic", "month")
        assert [(v.version, v.amount_yen, v.superseded_at_ms is not None) for v in versions] == [
            (1, 3000, True),
            (2, 3500, False),
        ]
        assert versions[0].id == sold
        assert sorted(row.code for row in await session.scalars(select(BillingPlanRow))) == ["basic", "pro"]
    assert (await subscription(db, BOT)).price_id == sold


def redeclared(app: ModuleApp, code: str, **changes: object) -> ModuleApp:
    """The app with plan `code` declared with `changes` (the next release of the module's code)."""
    plans = app.billing.catalog.plans
    plans[code] = dataclasses.replace(plans[code], **changes)  # type: ignore[arg-type]
    return app


async def restart(db: object, clock: ManualClock, app: ModuleApp | None = None) -> None:
    app = app or billing_app(db, clock)  # type: ignore[arg-type]
    await app.start(workers=False, intake=False)
    await app.stop()
