"""Subscriptions follow LINE's lifecycle events and the app's clock (webhooks through the real intake, jobs
through the real queue, time moved with a ManualClock)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from linemod.framework.billing.events import BillingEvent
from linemod.framework.billing.jobs import SWEEP_JOB
from linemod.framework.clock import ManualClock
from linemod.framework.context import JobContext
from linemod.framework.line.apis import LineApis
from tests.framework.billing.helpers import DAY, START, amounts, billing_app, charges, history, subscription
from tests.framework.helpers import BOT, Running, attached_event, base_event, detached_event


class RecordingLine(LineApis):
    """LINE's Detach API, recorded instead of called."""

    detached: list[str]

    async def start(self) -> None:
        self.detached = []

    async def close(self) -> None:
        pass

    async def detach(self, bot_id: str) -> None:
        self.detached.append(bot_id)


async def post(run: Running, clock: ManualClock, *events: dict[str, Any]) -> None:
    assert (await run.post_webhook(list(events))).status_code == 200
    await run.drain()


async def advance(run: Running, clock: ManualClock, days: float) -> None:
    clock.advance(days * DAY)
    await run.drain()


def attach(clock: ManualClock, **kw: Any) -> dict[str, Any]:
    return attached_event(ts=clock.now_ms(), **kw)


async def test_attach_starts_a_30_day_trial_recorded_in_the_ledger_and_the_history(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(START)
    async with Running(billing_app(db, clock)) as run:
        await post(run, clock, attach(clock))
        sub = await subscription(db, BOT)
        assert (sub.status, sub.plan_code, sub.interval) == ("trialing", "basic", "month")
        assert sub.trial_ends_at_ms == START + 30 * DAY * 1000
        assert await history(db, BOT) == [(None, "trialing", "attached")]
        assert await charges(db, BOT) == []


@pytest.mark.parametrize(
    ("trial_end", "payment_method", "status", "reason"),
    [
        ("invoice", None, "active", "trial_ended"),
        ("cancel", None, "ended", "trial_ended"),
        ("pause", None, "paused", "trial_ended"),
        ("detach", None, "ended", "trial_ended"),
        ("auto", None, "paused", "trial_ended"),
        ("auto", "card", "active", "trial_ended"),
    ],
)
async def test_the_trial_end_does_what_the_policy_says(db, trial_end, payment_method, status, reason) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(START)
    line = RecordingLine(make_line_settings(), clock)
    app = billing_app(db, clock, line=line, trial_end=trial_end)
    async with Running(app) as run:
        await post(run, clock, attach(clock))
        if payment_method:
            await set_payment_method(app, payment_method)
        await advance(run, clock, 30)
        sub = await subscription(db, BOT)
        assert (sub.status, (await history(db, BOT))[-1][2]) == (status, reason)
        if status == "active":
            # the trial ended on 2025-07-05: the first period runs to 2025-08-01, prorated 27/31 days
            assert (sub.period_start, sub.period_end) == (date(2025, 7, 5), date(2025, 8, 1))
            [(why, lines)] = await charges(db, BOT)
            assert why == "trial_ended" and amounts(lines) == [3000 * 27 // 31]
        else:
            assert await charges(db, BOT) == []
        assert line.detached == ([BOT] if trial_end == "detach" else [])
        if trial_end == "detach":
            assert (await run.runtime.tenants.get(BOT)).state == "detached"


async def set_payment_method(app: Any, method: str) -> None:
    """What the payment side reports when a card is saved."""
    async with app.transaction() as tx:
        await app.runtime.billing.changes.set_payment_method(tx.db, BOT, method)


def make_line_settings() -> Any:
    from tests.framework.helpers import make_settings

    return make_settings()


async def test_a_trial_paused_for_want_of_a_card_activates_when_one_is_added(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(START)
    app = billing_app(db, clock)
    async with Running(app) as run:
        await post(run, clock, attach(clock))
        await advance(run, clock, 31)
        assert (await subscription(db, BOT)).status == "paused"
        await set_payment_method(app, "card")
        sub = await subscription(db, BOT)
        assert sub.status == "active" and sub.period_start == date(2025, 7, 6)
        assert [r for _f, _t, r in await history(db, BOT)] == ["attached", "trial_ended", "payment_method_added"]


async def test_no_second_trial_after_detach_and_reattach_the_same_account_comes_back(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(START)
    async with Running(billing_app(db, clock)) as run:
        await post(run, clock, attach(clock))
        await advance(run, clock, 2)
        await post(run, clock, detached_event(ts=clock.now_ms(), reason="bot_deleted"))
        assert (await subscription(db, BOT)).status == "ended"
        await advance(run, clock, 1)
        await post(run, clock, attach(clock))
        sub = await subscription(db, BOT)
        assert sub.status == "active" and sub.trial_ends_at_ms is None
        assert await history(db, BOT) == [
            (None, "trialing", "attached"),
            ("trialing", "ended", "bot_deleted"),
            ("ended", "active", "attached"),
        ]
        [(why, lines)] = await charges(db, BOT)  # from 2025-06-08 to the 1st: 23 of June's 30 days
        assert why == "attached" and amounts(lines) == [2300]


async def test_a_redelivered_attached_event_or_a_reauthorization_changes_nothing(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(START)
    async with Running(billing_app(db, clock)) as run:
        await post(run, clock, attach(clock))
        clock.advance(60)
        await post(run, clock, attach(clock, scopes=("message:send", "message:receive", "profile:read")))
        assert await history(db, BOT) == [(None, "trialing", "attached")]


async def test_suspension_pauses_billing_and_resumption_restores_it(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(START)
    async with Running(billing_app(db, clock, trial_end="invoice")) as run:
        await post(run, clock, attach(clock))
        await advance(run, clock, 30)  # active from 2025-07-05, paid to 2025-08-01
        await post(run, clock, base_event("botSuspended", ts=clock.now_ms()))
        assert (await subscription(db, BOT)).status == "paused"
        await advance(run, clock, 30)  # 2025-08-04: the renewal on 08-01 charged nothing while paused
        assert [why for why, _ in await charges(db, BOT)] == ["trial_ended"]
        await post(run, clock, base_event("botResumed", ts=clock.now_ms()))
        sub = await subscription(db, BOT)
        assert (sub.status, sub.period_start, sub.period_end) == ("active", date(2025, 8, 4), date(2025, 9, 1))
        assert [r for _f, _t, r in await history(db, BOT)][-2:] == ["suspended", "resumed"]
        assert amounts((await charges(db, BOT))[-1][1]) == [3000 * 28 // 31]


async def test_detach_ends_the_subscription_with_a_final_usage_charge(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(START)
    app = billing_app(db, clock, trial_days=0)
    async with Running(app) as run:
        await post(run, clock, attach(clock))
        async with app.transaction() as tx:
            await tx.billing_for(BOT).change_plan("pro")  # needs scopes this OA lacks
        assert (await subscription(db, BOT)).plan_code == "basic"
        await post(run, clock, detached_event(ts=clock.now_ms(), reason="bot_deleted"))
        sub = await subscription(db, BOT)
        assert (sub.status, sub.ended_reason) == ("ended", "bot_deleted")


async def test_billing_events_reach_on_billing_handlers_through_the_queue(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(START)
    app = billing_app(db, clock, trial_end="invoice")
    seen: list[tuple[str, str | None, Any]] = []

    @app.on_billing("trial.started", "trial.ending", "trial.ended", "subscription.activated", "charge.created")
    async def on_billing(jctx: JobContext, event: BillingEvent) -> None:
        seen.append((event.type, event.status, event.data.get("days_left")))
        assert jctx.tenant is not None and jctx.tenant.bot_id == event.bot_id == BOT

    async with Running(app) as run:
        await post(run, clock, attach(clock))
        await advance(run, clock, 23)
        await advance(run, clock, 4)
        await advance(run, clock, 3)
    # one job per event: the events of one change (the last three) may run in any order
    assert seen[:3] == [
        ("trial.started", "trialing", None),
        ("trial.ending", "trialing", 7),
        ("trial.ending", "trialing", 3),
    ]
    assert sorted(seen[3:]) == [
        ("charge.created", "active", None),
        ("subscription.activated", "active", None),
        ("trial.ended", "active", None),
    ]


async def test_the_sweep_gives_oas_attached_before_billing_their_trial(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(START)
    app = billing_app(db, clock)
    async with Running(app) as run:
        await run.runtime.tenants.record_attach(BOT, ["message:send", "message:receive"])  # no event came
        async with app.transaction() as tx:
            await tx.schedule(SWEEP_JOB, key="sweep-now")
        await run.drain()
        assert await history(db, BOT) == [(None, "trialing", "backfill")]
        async with app.transaction() as tx:
            await tx.schedule(SWEEP_JOB, key="sweep-again")
        await run.drain()
        assert len(await history(db, BOT)) == 1


def test_on_billing_needs_known_event_types() -> None:
    app = billing_app(None, ManualClock(START))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="needs the event type"):

        @app.on_billing  # type: ignore[arg-type]
        async def bare(jctx: JobContext, event: BillingEvent) -> None: ...

    with pytest.raises(ValueError, match=r"unknown billing event type 'trial\.end'"):
        app.on_billing("trial.end")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="async"):
        app.on_billing("trial.ending")(lambda jctx, event: None)  # type: ignore[arg-type]
