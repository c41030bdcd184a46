"""What each subscription status allows (`ctx.billing.allows`, `ctx.billing.limit`), and what the payment
side's reports do to it."""

from __future__ import annotations

from typing import Any

import pytest

from linemod.framework.billing.catalog import CatalogError
from linemod.framework.billing.events import BillingEvent
from linemod.framework.clock import ManualClock
from tests.framework.billing.helpers import DAY, START, billing_app, subscription
from tests.framework.helpers import BOT, Running, attached_event, base_event, detached_event, message_event

ALL_SCOPES = ("message:send", "message:receive", "profile:read")


async def allowed(app: Any) -> tuple[str, bool, bool]:
    async with app.transaction() as tx:
        billing = tx.billing_for(BOT)
        info = await billing.subscription()
        return info.status, await billing.allows("booking"), await billing.allows("reminders")


async def report(app: Any, what: str) -> None:
    async with app.transaction() as tx:
        await getattr(app.runtime.billing.changes, what)(tx.db, BOT)


async def test_entitlements_follow_the_status(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(START)
    app = billing_app(db, clock, trial_end="invoice", restricted_entitlements=["booking"])
    events: list[tuple[str, str | None]] = []

    @app.on_billing("payment.failed", "payment.succeeded", "subscription.restricted")
    async def seen(jctx: Any, event: BillingEvent) -> None:
        events.append((event.type, event.status))

    async with Running(app) as run:
        await run.post_webhook([attached_event(ts=clock.now_ms(), scopes=ALL_SCOPES)])
        await run.drain()
        async with app.transaction() as tx:
            await tx.billing_for(BOT).change_plan("pro")
        assert await allowed(app) == ("trialing", True, True)
        clock.advance(30 * DAY)
        await run.drain()
        assert await allowed(app) == ("active", True, True)
        await report(app, "payment_failed")
        assert await allowed(app) == ("past_due", True, True)  # dunning is retrying: keep serving
        await report(app, "restrict")
        assert await allowed(app) == ("restricted", True, False)  # the configured fallback set
        await report(app, "payment_succeeded")
        assert await allowed(app) == ("active", True, True)
        async with app.transaction() as tx:
            await tx.billing_for(BOT).cancel_at_period_end()
        assert await allowed(app) == ("canceling", True, True)
        async with app.transaction() as tx:
            await tx.billing_for(BOT).resume()
        await run.post_webhook([base_event("botSuspended", ts=clock.now_ms())])
        await run.drain()
        assert await allowed(app) == ("paused", False, False)
        await run.post_webhook([detached_event(ts=clock.now_ms() + 1)])
        await run.drain()
        assert await allowed(app) == ("ended", False, False)
    assert sorted(events) == [
        ("payment.failed", "active"),
        ("payment.succeeded", "restricted"),
        ("subscription.restricted", "restricted"),
    ]


async def test_what_paused_grants_is_configurable(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(START)
    app = billing_app(db, clock, grants={"paused": "plan"})
    async with Running(app) as run:
        await run.post_webhook([attached_event(ts=clock.now_ms()), base_event("botSuspended", ts=clock.now_ms() + 1)])
        await run.drain()
        assert await allowed(app) == ("paused", True, False)


async def test_a_hard_limit_is_reached_by_the_meters_count_this_month(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(START)
    app = billing_app(db, clock, trial_end="invoice")
    answers: list[tuple[int, int | None, bool]] = []

    @app.on_message()
    async def reserve(ctx: Any, event: Any) -> None:
        limit = await ctx.billing.limit("reservations_per_month")
        if limit.hard and limit.reached:
            answers.append((limit.used, limit.remaining, False))
            return
        await ctx.meter("reservation.created")
        answers.append((limit.used, limit.remaining, True))

    async with Running(app) as run:
        await run.post_webhook([attached_event(ts=clock.now_ms())])
        for n in range(5):
            await run.post_webhook([message_event(f"book {n}", ts=clock.now_ms())])
        await run.drain()
        assert answers == [(0, 3, True), (1, 2, True), (2, 1, True), (3, 0, False), (3, 0, False)]
        clock.advance(30 * DAY)  # July: a new month, a new count (and the trial is over: active)
        await run.drain()
        await run.post_webhook([message_event("book", ts=clock.now_ms())])
        await run.drain()
        assert answers[-1] == (0, 3, True)
        async with app.transaction() as tx:
            status = await tx.billing_for(BOT).limit("reservations_per_month", used=7)
        assert (status.limit, status.exceeded, status.kind) == (3, True, "hard")


async def test_unknown_names_fail_loudly(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(START)
    app = billing_app(db, clock)
    async with Running(app) as run:
        await run.post_webhook([attached_event(ts=clock.now_ms())])
        await run.drain()
        async with app.transaction() as tx:
            with pytest.raises(CatalogError, match="remiders"):
                await tx.billing_for(BOT).allows("remiders")
            with pytest.raises(CatalogError, match="declared"):
                await tx.billing_for(BOT).limit("seats")
        assert (await subscription(db, BOT)).status == "trialing"
