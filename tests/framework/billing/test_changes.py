"""Plan changes (preview = apply, proration by day, re-authorization for scopes), cancellation at period
end and its revocation, renewals with usage, final charges, coupons."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from linemod.framework.billing.changes import BillingStateError, PlanChangePreview, ReauthorizationRequired
from linemod.framework.billing.periods import start_ms
from linemod.framework.clock import ManualClock
from tests.framework.billing.helpers import DAY, amounts, billing_app, charges, history, subscription
from tests.framework.helpers import BOT, Running, attached_event, detached_event, message_event, user_id

JUNE_10 = start_ms(date(2025, 6, 10)) + 9 * 3600 * 1000  # 09:00 JST on the 10th of a 30-day month
ALL_SCOPES = ("message:send", "message:receive", "profile:read")


async def started(run: Running, clock: ManualClock, scopes: tuple[str, ...] = ALL_SCOPES) -> None:
    """Attached on 2025-06-01 without a trial: a whole June is paid."""
    clock.advance(-9 * DAY)
    assert (await run.post_webhook([attached_event(ts=clock.now_ms(), scopes=scopes)])).status_code == 200
    await run.drain()
    clock.advance(9 * DAY)


async def test_a_plan_change_on_the_10th_previews_exactly_what_applying_it_charges(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(JUNE_10)
    app = billing_app(db, clock, trial_days=0)
    async with Running(app) as run:
        await started(run, clock)
        async with app.transaction() as tx:
            preview = await tx.billing_for(BOT).preview_plan_change("pro")
        assert isinstance(preview, PlanChangePreview)
        assert (await subscription(db, BOT)).plan_code == "basic"  # a preview writes nothing
        assert amounts(list(preview.lines)) == [-3000 * 21 // 30, 6000 * 21 // 30]  # 21 of June's 30 days
        assert [line.period_start for line in preview.lines] == [date(2025, 6, 10)] * 2
        assert preview.period is not None and preview.period.end == date(2025, 7, 1)
        async with app.transaction() as tx:
            applied = await tx.billing_for(BOT).change_plan("pro")
        assert applied == preview
        _first, (why, lines) = await charges(db, BOT)
        assert why == "plan_change" and lines == list(preview.lines)
        sub = await subscription(db, BOT)
        assert (sub.plan_code, sub.period_end) == ("pro", date(2025, 7, 1))
        assert (await history(db, BOT))[-1] == ("active", "active", "plan_changed")


async def test_an_interval_change_credits_the_month_and_charges_the_year_from_today(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(JUNE_10)
    app = billing_app(db, clock, trial_days=0)
    async with Running(app) as run:
        await started(run, clock)
        async with app.transaction() as tx:
            applied = await tx.billing_for(BOT).change_plan("basic", "year")
        assert isinstance(applied, PlanChangePreview) and applied.period is not None
        assert (applied.period.start, applied.period.end) == (date(2025, 6, 10), date(2026, 6, 1))
        assert amounts(list(applied.lines)) == [-2100, 30000 * 356 // 365]


async def test_a_plan_needing_scopes_the_oa_did_not_grant_asks_for_reauthorization(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(JUNE_10)
    app = billing_app(db, clock, trial_days=0)
    async with Running(app) as run:
        await started(run, clock, scopes=("message:send", "message:receive"))
        async with app.transaction() as tx:
            answer = await tx.billing_for(BOT).change_plan("pro")
        assert isinstance(answer, ReauthorizationRequired)
        assert answer.missing_scopes == {"profile:read"}
        assert answer.url == f"http://127.0.0.1:8000/attach/start?bot_id={BOT}&add_scope=profile%3Aread"
        assert (await subscription(db, BOT)).plan_code == "basic" and len(await charges(db, BOT)) == 1


async def test_during_the_trial_a_plan_change_charges_nothing(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(JUNE_10)
    app = billing_app(db, clock)
    async with Running(app) as run:
        await run.post_webhook([attached_event(ts=clock.now_ms(), scopes=ALL_SCOPES)])
        await run.drain()
        async with app.transaction() as tx:
            applied = await tx.billing_for(BOT).change_plan("pro")
        assert isinstance(applied, PlanChangePreview) and applied.lines == () and applied.period is None
        sub = await subscription(db, BOT)
        assert (sub.status, sub.plan_code) == ("trialing", "pro") and await charges(db, BOT) == []


async def test_cancel_at_period_end_then_resume_then_cancel_for_good(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(JUNE_10)
    app = billing_app(db, clock, trial_days=0)
    async with Running(app) as run:
        await started(run, clock)
        async with app.transaction() as tx:
            await tx.billing_for(BOT).cancel_at_period_end()
        assert (await subscription(db, BOT)).status == "canceling"
        async with app.transaction() as tx:
            await tx.billing_for(BOT).resume()
            info = await tx.billing_for(BOT).subscription()
        assert info is not None and info.status == "active" and not info.cancel_at_period_end
        async with app.transaction() as tx:
            await tx.billing_for(BOT).cancel_at_period_end()
        clock.advance(21 * DAY)  # 2025-07-01: the period ends, nothing more is charged
        await run.drain()
        sub = await subscription(db, BOT)
        assert (sub.status, sub.ended_reason) == ("ended", "canceled")
        assert [why for why, _ in await charges(db, BOT)] == ["attached"]
        assert [(f, t) for f, t, _r in await history(db, BOT)] == [
            (None, "active"),
            ("active", "canceling"),
            ("canceling", "active"),
            ("active", "canceling"),
            ("canceling", "ended"),
        ]
        with pytest.raises(BillingStateError):
            async with app.transaction() as tx:
                await tx.billing_for(BOT).resume()


async def test_renewals_charge_the_next_period_and_the_ended_periods_usage(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(JUNE_10)
    app = billing_app(db, clock, trial_days=0)

    @app.on_message()
    async def reserve(ctx: Any, event: Any) -> None:
        await ctx.meter("reservation.created")

    async with Running(app) as run:
        await started(run, clock)
        async with app.transaction() as tx:
            await tx.billing_for(BOT).change_plan("pro")
        events = [message_event(f"r{i}", user=user_id(i % 5), ts=clock.now_ms()) for i in range(130)]
        assert (await run.post_webhook(events)).status_code == 200
        await run.drain()
        clock.advance(21 * DAY)  # 2025-07-01 09:00
        await run.drain()
        why, lines = (await charges(db, BOT))[-1]
        assert why == "renewal"
        assert [(line.quantity, line.unit_price_yen, line.period_start) for line in lines] == [
            (1, 6000, date(2025, 7, 1)),  # July's fee, in advance
            (30, 10, date(2025, 6, 1)),  # June's reservations beyond the 100 included, in arrears
        ]
        sub = await subscription(db, BOT)
        assert (sub.period_start, sub.period_end, sub.usage_since) == (
            date(2025, 7, 1),
            date(2025, 8, 1),
            date(2025, 7, 1),
        )


@pytest.mark.parametrize(("policy", "expected"), [("none", []), ("usage", [20]), ("prorated", [-4000, 20])])
async def test_the_final_charge_at_detach_follows_the_policy(db, policy, expected) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(JUNE_10)
    app = billing_app(db, clock, trial_days=0, final_invoice=policy)
    async with Running(app) as run:
        await started(run, clock)
        async with app.transaction() as tx:
            await tx.billing_for(BOT).change_plan("pro")
            for n in range(102):
                await tx.meter("reservation.created", key=f"r{n}", bot_id=BOT)
        # detached on 2025-06-10: the 10th is used, 20 paid days of the pro plan remain
        assert (await run.post_webhook([detached_event(ts=clock.now_ms())])).status_code == 200
        await run.drain()
        finals = [lines for why, lines in await charges(db, BOT) if why == "final"]
        assert [amounts(lines) for lines in finals] == ([expected] if expected else [])
        assert (await subscription(db, BOT)).status == "ended"


async def test_a_coupon_discounts_the_next_charged_periods(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(JUNE_10)
    app = billing_app(db, clock, trial_days=0)
    app.billing.coupon("launch", percent=20, duration="repeating", months=2, name_ja="開始記念", name_en="Launch")
    async with Running(app) as run:
        await started(run, clock)
        async with app.transaction() as tx:
            await tx.billing_for(BOT).redeem_coupon("launch")
        for _month in range(3):
            clock.advance(31 * DAY)
            await run.drain()
        renewals = [amounts(lines) for why, lines in await charges(db, BOT) if why == "renewal"]
        assert renewals == [[3000, -600], [3000, -600], [3000]]


async def test_a_change_rolled_back_leaves_no_event_and_no_history(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(JUNE_10)
    app = billing_app(db, clock, trial_days=0)
    seen: list[str] = []

    @app.on_billing("subscription.canceling")
    async def canceling(jctx: Any, event: Any) -> None:
        seen.append(event.type)

    async with Running(app) as run:
        await started(run, clock)
        with pytest.raises(RuntimeError, match="changed my mind"):
            async with app.transaction() as tx:
                await tx.billing_for(BOT).cancel_at_period_end()
                raise RuntimeError("changed my mind")
        await run.drain()
        assert seen == [] and (await subscription(db, BOT)).status == "active"
        assert [r for _f, _t, r in await history(db, BOT)] == ["attached"]
        async with app.transaction() as tx:
            await tx.billing_for(BOT).cancel_at_period_end()
        await run.drain()
        assert seen == ["subscription.canceling"]
