"""Worker benchmark: how fast stored webhook events are handled, and what each costs in CPU.

    .venv/bin/python benchmarks/worker.py                          # SQLite and PostgreSQL
    .venv/bin/python benchmarks/worker.py --engines sqlite --events 5000 --profile

Stores `--events` message events spread over `--chats` chats (through the intake's own writer), then runs
one `Worker` in this process with a handler that does what a small module does per event: reads and
changes the chat state. Prints events handled per second and the process CPU time per event (the figure
that decides how much of a core the in-process worker takes from the webhook intake in `linemod serve`).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_databases import drop_schema, fresh_database

SECRET = "8c570fa6dd201bb328f1c1eac23a96d8"
BOT = "U" + "c" * 32


def webhook_body(n: int, chats: int) -> bytes:
    event = {
        "type": "message",
        "mode": "active",
        "timestamp": 1_700_000_000_000 + n,
        "webhookEventId": f"01WORKER{n:012d}{secrets.token_hex(3).upper()}",
        "deliveryContext": {"isRedelivery": False},
        "replyToken": secrets.token_hex(16),
        "source": {"type": "user", "userId": f"U{n % chats:032x}"},
        "message": {"id": str(n), "type": "text", "text": "hello", "quoteToken": "q"},
    }
    return json.dumps({"destination": BOT, "events": [event]}).encode()


async def run(url: str, schema: str | None, args: argparse.Namespace) -> dict[str, float]:
    from linemod.framework.app import ModuleApp
    from linemod.framework.queue.intake import compute_signature
    from linemod.framework.settings import Settings

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        channel_id="1234567890",
        channel_secret=SECRET,
        database_url=url,
        database_schema=schema,
        reconcile_interval_seconds=0,
        line_base_url="http://127.0.0.1:9",
        worker_concurrency=args.concurrency,
    )
    app = ModuleApp(settings)
    handled = 0
    finished = asyncio.Event()

    @app.on_message()
    async def count(ctx: Any, event: Any) -> None:
        nonlocal handled
        ctx.state["seen"] = ctx.state.get("seen", 0) + 1
        handled += 1
        if handled >= args.events:
            finished.set()

    runtime = await app.start(workers=False)
    await runtime.db.upgrade()
    await runtime.tenants.record_attach(BOT, ["message:send", "message:receive"])
    for start in range(0, args.events, 500):
        bodies = [webhook_body(n, args.chats) for n in range(start, min(args.events, start + 500))]
        await asyncio.gather(*(runtime.intake.receive(b, compute_signature(SECRET, b)) for b in bodies))

    profiler = cProfile.Profile() if args.profile else None
    cpu, wall = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    await app.start(workers=True)
    await asyncio.wait_for(finished.wait(), timeout=600)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if profiler:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
    await app.stop()
    return {"events_per_s": args.events / wall, "cpu_us_per_event": 1e6 * cpu / args.events}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--profile", action="store_true", help="print the cProfile of the handling phase")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="linemod-worker-bench-"))
    print(f"{args.events} message events over {args.chats} chats, one worker, concurrency {args.concurrency}")
    for engine in [e.strip() for e in args.engines.split(",") if e.strip()]:
        url, schema = fresh_database(engine, workdir, "worker")
        try:
            result = asyncio.run(run(url, schema, args))
        finally:
            if schema:
                asyncio.run(drop_schema(schema))
        print(
            f"{engine:9} {result['events_per_s']:8.0f} events/s handled   "
            f"{result['cpu_us_per_event']:7.0f} µs CPU per event"
        )


if __name__ == "__main__":
    main()
