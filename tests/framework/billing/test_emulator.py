"""End to end on the emulator: an OA attaches through LINE's consent screen, its subscription starts, the
messages the module sends are metered by kind, the OA's quota is read, and a provider-side detach ends it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from linebot.v3.messaging import TextMessage
from sqlalchemy import select

from linemod.framework.app import ModuleApp
from linemod.framework.billing.catalog import Price
from linemod.framework.billing.jobs import QUOTA_JOB
from linemod.framework.billing.records import BillingLineQuotaRow, BillingUsageRow
from linemod.framework.settings import Settings
from linemod_reservation.clock import FollowingClock
from tests.framework.billing.helpers import charges, history, subscription
from tests.framework.helpers import wait_for
from tests.framework.test_e2e_emulator import World


def billed_module(settings: Settings, clock: FollowingClock | None = None) -> ModuleApp:
    app = ModuleApp(settings, clock=clock)
    app.billing.meter("conversation.turns", aggregation="count")
    app.billing.plan(
        "standard", name_ja="スタンダード", name_en="Standard", prices=[Price.monthly(5000)], entitlements=["chat"]
    )

    @app.on_message()
    async def answer(ctx: Any, event: Any) -> None:
        await ctx.meter("conversation.turns")
        await ctx.reply(TextMessage(text="hello"))
        await ctx.push(TextMessage(text="and a push"))

    return app


@pytest.fixture
def world(line_emulator: str, db: Any) -> Iterator[World]:
    w = World(line_emulator, db, module=billed_module)
    with w.server:
        yield w
    w.browser.close()
    w.emu.close()


async def usage(db: Any) -> dict[str, list[int]]:
    async with db.session() as session:
        rows = await session.scalars(select(BillingUsageRow).order_by(BillingUsageRow.id))
        found: dict[str, list[int]] = {}
        for row in rows:
            found.setdefault(row.meter, []).append(row.value)
        return found


async def test_attach_meter_messages_read_the_quota_and_detach(world: World, db: Any) -> None:
    world.attach()
    await wait_for(lambda: _status(db, world.bot_id, "trialing"))
    world.say("hi")
    await wait_for(lambda: world.texts_from_module().count("and a push") == 1)
    found = await wait_for(lambda: _usage_with(db, "line.messages.push"))
    assert found == {"conversation.turns": [1], "line.messages.reply": [1], "line.messages.push": [1]}

    # the periodic quota read, run now in the server's worker
    scheduler = world.app.runtime.scheduler
    asyncio.run_coroutine_threadsafe(scheduler.schedule(QUOTA_JOB), world.server_loop()).result(10)
    reading = await wait_for(lambda: _quota(db, world.bot_id))
    assert (reading.quota_type, reading.quota_value, reading.total_usage) == ("none", None, 1)  # replies are free

    # the provider detaches the OA (LINE's Detach API): the subscription ends with the tenant
    done = asyncio.run_coroutine_threadsafe(world.app.detach(world.bot_id), world.server_loop())
    done.result(10)
    # whichever comes first ends it: the Detach API's answer, or the `detached` event LINE sends after it
    sub = await subscription(db, world.bot_id)
    assert sub.status == "ended" and sub.ended_reason in ("provider_detach", "detached")
    assert [reason for _f, _t, reason in await history(db, world.bot_id)] == ["attached", sub.ended_reason]


async def test_the_emulators_clock_ends_the_trial(line_emulator: str, db: Any) -> None:
    """The module's clock follows the emulator's (as `linemod demo` runs it): moving the emulator 31 days on
    ends the trial, here by activating the subscription and charging its first period."""
    clock = FollowingClock()

    def module(settings: Settings) -> ModuleApp:
        app = billed_module(settings, clock)
        app.billing.configure(trial_end="invoice")
        return app

    world = World(line_emulator, db, module=module)
    try:
        with world.server:
            world.attach()
            await wait_for(lambda: _status(db, world.bot_id, "trialing"))
            moved = world.control("POST", "/_emulator/clock/advance", json={"seconds": 31 * 86_400})
            clock.catch_up(moved["now_ms"])
            await wait_for(lambda: _status(db, world.bot_id, "active"))
            [(why, lines)] = await charges(db, world.bot_id)
            [fee] = lines  # to the 1st of next month: prorated unless the trial happened to end on a 1st
            assert why == "trial_ended" and 0 < fee.amount_yen <= 5000 and fee.period_end is not None
            assert (fee.period_end + timedelta(days=1)).day == 1
    finally:
        world.browser.close()
        world.emu.close()


async def _status(db: Any, bot_id: str, status: str) -> bool:
    try:
        return (await subscription(db, bot_id)).status == status
    except AssertionError:
        return False


async def _usage_with(db: Any, meter: str) -> dict[str, list[int]] | None:
    found = await usage(db)
    return found if meter in found else None


async def _quota(db: Any, bot_id: str) -> BillingLineQuotaRow | None:
    async with db.session() as session:
        return (await session.scalars(select(BillingLineQuotaRow).where(BillingLineQuotaRow.bot_id == bot_id))).first()
