"""Handlers, jobs and code outside them read the time from the framework's clock, never the wall clock: a
test (or the demo following the emulator) that replaces the clock moves everyone's "now" together."""

from __future__ import annotations

from typing import Any

from linemod.framework.app import ModuleApp
from linemod.framework.clock import ManualClock, SystemClock
from tests.framework.helpers import BOT, Running, attached_event, make_settings, message_event, wait_for

LONG_AGO_MS = 1_000_000_000_000  # 2001: far from any wall clock reading


async def test_handlers_and_jobs_read_the_apps_clock(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(LONG_AGO_MS)
    app = ModuleApp(make_settings(), database=db, clock=clock)
    seen: dict[str, Any] = {}

    @app.on_message(text="now")
    async def now(ctx, event) -> None:  # type: ignore[no-untyped-def]
        seen["handler"] = ctx.now_ms()
        seen["handler_clock"] = ctx.clock
        await ctx.schedule("stamp", {})

    @app.job("stamp")
    async def stamp(jctx, payload) -> None:  # type: ignore[no-untyped-def]
        seen["job"] = jctx.now_ms()
        seen["job_clock"] = jctx.clock

    async with Running(app) as run:
        await run.post_webhook([attached_event(), message_event("now")])
        await wait_for(lambda: "job" in seen)
    assert seen["handler"] == seen["job"] == LONG_AGO_MS
    assert seen["handler_clock"] is clock and seen["job_clock"] is clock


async def test_a_moved_clock_moves_the_handlers_now(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(LONG_AGO_MS)
    app = ModuleApp(make_settings(), database=db, clock=clock)
    readings: list[int] = []

    @app.on_message(text="now")
    async def now(ctx, event) -> None:  # type: ignore[no-untyped-def]
        readings.append(ctx.now_ms())

    async with Running(app) as run:
        await run.post_webhook([attached_event(), message_event("now")])
        await wait_for(lambda: len(readings) == 1)
        clock.advance(86_400)
        await run.post_webhook([message_event("now")])
        await wait_for(lambda: len(readings) == 2)
    assert readings == [LONG_AGO_MS, LONG_AGO_MS + 86_400_000]


async def test_outside_handlers_app_clock_and_app_jobs_share_the_runtimes_clock(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(LONG_AGO_MS)
    app = ModuleApp(make_settings(), database=db, clock=clock)
    assert app.clock is clock  # readable before the app starts (a console page rendered early, a script)
    async with Running(app, workers=False) as run:
        assert run.runtime.clock is app.clock
        async with app.transaction() as tx:
            assert await tx.schedule("later", {"n": 1}, delay_seconds=60, key="later:1", bot_id=BOT)
        [job] = await run.runtime.jobs.list("pending", 10)
    assert job.run_at_ms == LONG_AGO_MS + 60_000


def test_without_a_clock_the_app_runs_on_the_wall_clock() -> None:
    app = ModuleApp(make_settings())
    assert isinstance(app.clock, SystemClock)
    assert app.clock is app.clock  # one clock for the whole app, handed to the runtime at start
