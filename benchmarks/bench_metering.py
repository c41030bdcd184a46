"""The worker's CPU per event with and without a `ctx.meter()` call (what `billing.py` measures first).

Stores `events` message events over `chats` chats, then runs one in-process worker with, in turn, a handler
that writes one row of its own through `ctx.db` (what a module that keeps data does per event), and a handler
that only changes `ctx.state` (no transaction of its own), each without and with
`await ctx.meter("reservation.created")`. A handler's usage is written with the event's "done": in the
batched completion when the handler opened no transaction, else in its transaction.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import time
from typing import Any

from worker import BOT, SECRET, webhook_body

MODES = ("state", "state+meter", "writes", "writes+meter")


async def run(
    url: str, schema: str | None, mode: str, args: argparse.Namespace, profiler: cProfile.Profile | None = None
) -> float:
    """CPU µs per event handled in `mode` (`args`: events, chats, concurrency); `profiler` runs while they are."""
    from sqlalchemy import text

    from linemod.framework.app import ModuleApp
    from linemod.framework.billing.catalog import Price
    from linemod.framework.queue.intake import WebhookRejected, compute_signature
    from linemod.framework.settings import Settings

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        channel_id="1234567890",
        channel_secret=SECRET,
        database_url=url,
        database_schema=schema,
        reconcile_interval_seconds=0,
        billing_sweep_interval_seconds=0,
        billing_quota_interval_seconds=0,
        line_base_url="http://127.0.0.1:9",
        worker_concurrency=args.concurrency,
    )
    app = ModuleApp(settings)
    app.billing.meter("reservation.created", aggregation="count")
    app.billing.plan("standard", name_ja="標準", name_en="Standard", prices=[Price.monthly(5000)])
    handled = 0
    finished = asyncio.Event()

    @app.on_message()
    async def handle(ctx: Any, event: Any) -> None:
        nonlocal handled
        if mode.startswith("state"):
            ctx.state["seen"] = ctx.state.get("seen", 0) + 1
        else:
            await ctx.db.execute(text("INSERT INTO bench_notes (event_id) VALUES (:e)"), {"e": event.webhook_event_id})
        if mode.endswith("+meter"):
            await ctx.meter("reservation.created")
        handled += 1
        if handled >= args.events:
            finished.set()

    await app.upgrade_database()
    runtime = await app.start(workers=False)
    async with runtime.db.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE bench_notes (event_id VARCHAR(64))"))
    await runtime.tenants.record_attach(BOT, ["message:send", "message:receive"])
    async def store(body: bytes) -> None:
        # On a machine loaded by other work the intake may answer 503 (its database deadline): send it again,
        # as LINE would.
        for _ in range(50):
            try:
                await runtime.intake.receive(body, compute_signature(SECRET, body))
                return
            except WebhookRejected as rejected:
                if rejected.status != 503:
                    raise
                await asyncio.sleep(0.2)
        raise RuntimeError("the intake kept answering 503")

    for start in range(0, args.events, 100):
        bodies = [webhook_body(n, args.chats) for n in range(start, min(args.events, start + 100))]
        await asyncio.gather(*(store(b) for b in bodies))
    cpu = time.process_time()
    if profiler:
        profiler.enable()
    await app.start(workers=True)
    await asyncio.wait_for(finished.wait(), timeout=600)
    if profiler:
        profiler.disable()
    cpu = time.process_time() - cpu
    await app.stop()
    return 1e6 * cpu / args.events
