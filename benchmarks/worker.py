"""Worker benchmark: how fast stored webhook events are handled, and what each costs in CPU.

    .venv/bin/python benchmarks/worker.py                          # SQLite and PostgreSQL
    .venv/bin/python benchmarks/worker.py --engines sqlite --events 5000 --profile
    .venv/bin/python benchmarks/worker.py --backlog 1000,10000,30000,100000 --rounds 3   # the backlog curve

Stores `--events` message events spread over `--chats` chats (through the intake's own writer), then runs
one `Worker` in this process with a handler that does what a small module does per event: reads and
changes the chat state. Prints events handled per second and the process CPU time per event (the figure
that decides how much of a core the in-process worker takes from the webhook intake in `linemod serve`).

The backlog curve's plot needs matplotlib (`pip install -e '.[bench]'`).

`--backlog` measures the same at several queue depths: for each depth B it tops the queue up to B + W
waiting events (W = `--window`), times the worker handling W of them (so B to B + W are waiting throughout),
stops it and deletes what is left. Depths are interleaved over `--rounds` rounds, each round in a shifted
order, in one database that keeps every done row and every dead row version of the run (on PostgreSQL
autovacuum is off for the queue table unless `--autovacuum on`: the figures must not depend on when it
runs). Prints medians and ranges, each also as a ratio to the smallest depth of the same round, and writes
the curve to `--plot` (PNG).

Deleting what is left leaves dead rows no deployment makes: after a 100,000 depth, 100,000 deleted rows sit in
the table and its indexes until vacuum. `--drain` reads the same curve off one worker emptying a full queue
instead: each round stores the deepest depth + W events (and a lead-in of 1,000, so that the worker's start-up
falls outside the first window), starts one worker and lets it handle them all, timing the W events handled
while B + W down to B were waiting, for every depth B on the way down. Nothing is deleted; the dead rows are
those the worker's own claims and completions leave (two per event), so a later round runs on every earlier
round's, as a deployment without vacuum would.

    .venv/bin/python benchmarks/worker.py --engines postgres --backlog 1000,10000,30000,100000 --drain
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import secrets
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_databases import drop_schema, fresh_database

SECRET = "8c570fa6dd201bb328f1c1eac23a96d8"
BOT = "U" + "c" * 32
DRAIN_LEAD_IN = 1000  # events a draining worker handles before the first timed window (--drain)
EVENTS_PER_WEBHOOK = 50  # how LINE batches events under load; storing a 100,000 backlog stays quick


def message_event(n: int, chats: int) -> dict[str, Any]:
    return {
        "type": "message",
        "mode": "active",
        "timestamp": 1_700_000_000_000 + n,
        "webhookEventId": f"01WORKER{n:012d}{secrets.token_hex(3).upper()}",
        "deliveryContext": {"isRedelivery": False},
        "replyToken": secrets.token_hex(16),
        "source": {"type": "user", "userId": f"U{n % chats:032x}"},
        "message": {"id": str(n), "type": "text", "text": "hello", "quoteToken": "q"},
    }


def webhook_body(first: int, count: int, chats: int) -> bytes:
    events = [message_event(n, chats) for n in range(first, first + count)]
    return json.dumps({"destination": BOT, "events": events}).encode()


class Bench:
    """A module app with one counting handler, on a fresh database, and a worker started and stopped at will."""

    def __init__(self, url: str, schema: str | None, args: argparse.Namespace) -> None:
        from linemod.framework.app import ModuleApp
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
            # Storing the backlog is set-up, not what is measured: on a busy machine a batch of 1,000 events
            # may take longer than the intake's deadline for one webhook.
            intake_db_timeout_ms=60_000,
        )
        self.args = args
        self.app = ModuleApp(settings)
        self.handled = 0
        self.target = 0
        self.reached = asyncio.Event()
        self.stored = 0
        self.marks: dict[int, tuple[float, float] | None] = {}  # handled count -> (wall, CPU) once reached

        @self.app.on_message()
        async def count(ctx: Any, event: Any) -> None:
            ctx.state["seen"] = ctx.state.get("seen", 0) + 1
            self.handled += 1
            if self.handled in self.marks:
                self.marks[self.handled] = (time.perf_counter(), time.process_time())
            if self.handled >= self.target:
                self.reached.set()

    async def open(self) -> Any:
        runtime = await self.app.start(workers=False)
        await runtime.db.upgrade()
        await runtime.tenants.record_attach(BOT, ["message:send", "message:receive"])
        return runtime

    async def store(self, count: int) -> None:
        from linemod.framework.queue.intake import compute_signature

        intake = self.app.runtime.intake  # type: ignore[union-attr]
        per_gather = EVENTS_PER_WEBHOOK * 20
        for start in range(self.stored, self.stored + count, per_gather):
            end = min(self.stored + count, start + per_gather)
            bodies = [
                webhook_body(n, min(EVENTS_PER_WEBHOOK, end - n), self.args.chats)
                for n in range(start, end, EVENTS_PER_WEBHOOK)
            ]
            await asyncio.gather(*(intake.receive(b, compute_signature(SECRET, b)) for b in bodies))
        self.stored += count

    async def handle(self, count: int, profiler: cProfile.Profile | None = None) -> tuple[float, float]:
        """Start a worker, time it handling `count` events, stop it. Returns (events/s, µs CPU per event)."""
        self.handled, self.target = 0, count
        self.reached.clear()
        cpu, wall = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        await self.app.start(workers=True)
        await asyncio.wait_for(self.reached.wait(), timeout=900)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if profiler:
            profiler.disable()
        assert self.app.worker is not None
        await self.app.worker.stop()
        self.app.worker = None
        return count / wall, 1e6 * cpu / count

    async def drain(self, count: int, marks: set[int]) -> dict[int, tuple[float, float]]:
        """Start a worker, let it handle `count` events, stop it. Returns {handled: (wall, CPU)} at each mark."""
        self.handled, self.target = 0, count
        self.marks = {mark: None for mark in marks if mark > 0}
        self.reached.clear()
        start = (time.perf_counter(), time.process_time())
        await self.app.start(workers=True)
        await asyncio.wait_for(self.reached.wait(), timeout=1800)
        assert self.app.worker is not None
        await self.app.worker.stop()
        self.app.worker = None
        reached = {mark: at for mark, at in self.marks.items() if at is not None}
        self.marks = {}
        return {0: start, **reached}

    async def waiting(self) -> int:
        runtime = self.app.runtime
        assert runtime is not None
        counts = await runtime.events.counts()
        return counts.get("pending", 0) + counts.get("running", 0)


async def single(url: str, schema: str | None, args: argparse.Namespace) -> dict[str, float]:
    bench = Bench(url, schema, args)
    await bench.open()
    await bench.store(args.events)
    profiler = cProfile.Profile() if args.profile else None
    events_per_s, cpu_us = await bench.handle(args.events, profiler)
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
    await bench.app.stop()
    return {"events_per_s": events_per_s, "cpu_us_per_event": cpu_us}


async def open_for_curve(url: str, schema: str | None, args: argparse.Namespace) -> tuple[Bench, Any]:
    """A bench for a backlog curve, and its runtime; on PostgreSQL with autovacuum off for the queue table
    unless `--autovacuum on`: the figures must not depend on when it runs."""
    from sqlalchemy import text

    bench = Bench(url, schema, args)
    runtime = await bench.open()
    if runtime.db.is_postgres and args.autovacuum == "off":
        async with runtime.db.transaction() as session:
            await session.execute(text("ALTER TABLE events SET (autovacuum_enabled = false)"))
    return bench, runtime


def print_figures(round_no: int, depth: int, figures: tuple[float, float]) -> None:
    events_per_s, cpu_us = figures
    print(f"  round {round_no + 1} depth {depth:>7,}: {events_per_s:6.0f} events/s {cpu_us:5.0f} µs CPU")


async def backlog_curve(url: str, schema: str | None, args: argparse.Namespace) -> dict[int, list[tuple[float, float]]]:
    """{depth: [(events/s, µs CPU per event) per round]}."""
    from sqlalchemy import text

    bench, runtime = await open_for_curve(url, schema, args)
    depths: list[int] = args.backlog
    results: dict[int, list[tuple[float, float]]] = {depth: [] for depth in depths}
    for round_no in range(args.rounds):
        shift = round_no % len(depths)
        for depth in depths[shift:] + depths[:shift]:
            await bench.store(depth + args.window - await bench.waiting())
            results[depth].append(await bench.handle(args.window))
            async with runtime.db.transaction() as session:  # what is left waiting, for the next depth
                await session.execute(text("DELETE FROM events WHERE status IN ('pending', 'running')"))
            print_figures(round_no, depth, results[depth][-1])
    if runtime.db.is_postgres:
        await print_table_stats(runtime.db)
    await bench.app.stop()
    return results


async def drain_curve(url: str, schema: str | None, args: argparse.Namespace) -> dict[int, list[tuple[float, float]]]:
    """The backlog curve read off one worker draining a full queue: {depth: [(events/s, µs CPU per event)]}."""
    bench, runtime = await open_for_curve(url, schema, args)
    depths: list[int] = args.backlog
    # The deepest window starts once the worker has handled a lead-in: its start-up is not what is measured.
    top = depths[-1] + args.window + DRAIN_LEAD_IN
    # The window of depth B: from B + W waiting down to B, counted in events handled since the drain began.
    spans = {depth: (top - depth - args.window, top - depth) for depth in depths}
    results: dict[int, list[tuple[float, float]]] = {depth: [] for depth in depths}
    for round_no in range(args.rounds):
        await bench.store(top - await bench.waiting())
        at = await bench.drain(top, {mark for span in spans.values() for mark in span})
        if left := await bench.waiting():  # the next round would start from a queue that is not full depth
            raise SystemExit(f"the drain left {left} events waiting: more were stored than handled")
        for depth in sorted(depths, reverse=True):
            (wall0, cpu0), (wall1, cpu1) = at[spans[depth][0]], at[spans[depth][1]]
            results[depth].append((args.window / (wall1 - wall0), 1e6 * (cpu1 - cpu0) / args.window))
            print_figures(round_no, depth, results[depth][-1])
    if runtime.db.is_postgres:
        await print_table_stats(runtime.db)
    await bench.app.stop()
    return results


async def print_table_stats(db: Any) -> None:
    from sqlalchemy import text

    async with db.session() as session:
        row = (
            await session.execute(
                text(
                    "SELECT n_tup_upd, n_tup_hot_upd, n_live_tup, n_dead_tup, autovacuum_count, "
                    "pg_total_relation_size(relid) AS size FROM pg_stat_user_tables "
                    "WHERE relname = 'events' AND schemaname = current_schema()"
                )
            )
        ).one()
    hot = row.n_tup_hot_upd / row.n_tup_upd if row.n_tup_upd else 0.0
    print(
        f"  events table: {row.n_tup_upd:,} updates, {hot:.0%} HOT, {row.n_live_tup:,} live and "
        f"{row.n_dead_tup:,} dead rows, {row.size / 2**20:.0f} MiB with indexes, "
        f"{row.autovacuum_count} autovacuum runs"
    )


def summarise(engine: str, results: dict[int, list[tuple[float, float]]]) -> None:
    depths = sorted(results)
    base = depths[0]
    print(f"{engine}: median (range) over {len(results[base])} rounds; ratio to the {base:,} depth of the same round")
    for depth in depths:
        rates = [r for r, _ in results[depth]]
        cpus = [c for _, c in results[depth]]
        ratios = [r / b for (r, _), (b, _) in zip(results[depth], results[base], strict=True)]
        print(
            f"  {depth:>7,} waiting: {statistics.median(rates):6.0f} events/s ({min(rates):.0f}-{max(rates):.0f})"
            f"  ratio {statistics.median(ratios):4.2f} ({min(ratios):.2f}-{max(ratios):.2f})"
            f"  {statistics.median(cpus):5.0f} µs CPU/event ({min(cpus):.0f}-{max(cpus):.0f})"
        )


Curves = dict[str, dict[int, list[tuple[float, float]]]]


def save(curves: Curves, path: Path) -> None:
    path.write_text(json.dumps({engine: {str(d): r for d, r in results.items()} for engine, results in curves.items()}))


def load(path: Path) -> Curves:
    data = json.loads(path.read_text())
    return {e: {int(d): [(r, c) for r, c in rounds] for d, rounds in results.items()} for e, results in data.items()}


def plot(curves: Curves, args: argparse.Namespace) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (rate_ax, cpu_ax) = plt.subplots(1, 2, figsize=(11, 4.2))
    drawn = [(curves, args.label, "-")]
    if args.compare:
        drawn.append((load(args.compare), args.compare_label, "--"))
    for which, label, style in drawn:
        for engine, results in which.items():
            depths = sorted(results)
            for ax, index in ((rate_ax, 0), (cpu_ax, 1)):
                values = [[r[index] for r in results[d]] for d in depths]
                medians = [statistics.median(v) for v in values]
                below = [m - min(v) for m, v in zip(medians, values, strict=True)]
                above = [max(v) - m for m, v in zip(medians, values, strict=True)]
                name = f"{engine}, {label}" if label else engine
                ax.errorbar(depths, medians, yerr=[below, above], marker="o", capsize=4, linestyle=style, label=name)
    rate_ax.set(xscale="log", xlabel="events waiting", ylabel="events/s, one worker process", ylim=(0, None))
    cpu_ax.set(xscale="log", xlabel="events waiting", ylabel="µs of worker CPU per event", ylim=(0, None))
    for ax in (rate_ax, cpu_ax):
        ax.grid(True, alpha=0.3)
        ax.legend()
    fig.suptitle(f"Worker throughput by backlog: median and range of {args.rounds} rounds, window {args.window:,}")
    fig.tight_layout()
    fig.savefig(args.plot, dpi=110)
    print(f"plot written to {args.plot}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--profile", action="store_true", help="print the cProfile of the handling phase")
    parser.add_argument(
        "--backlog", type=lambda s: sorted(int(d) for d in s.split(",")), help="queue depths, e.g. 1000,100000"
    )
    parser.add_argument("--window", type=int, default=3000, help="events handled per measurement (--backlog)")
    parser.add_argument(
        "--drain",
        action="store_true",
        help="read the backlog curve off one worker draining a full queue (--backlog), deleting nothing",
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--autovacuum", choices=("off", "on"), default="off")
    parser.add_argument("--plot", type=Path, default=Path("worker-backlog.png"))
    parser.add_argument("--save", type=Path, help="write the backlog curve's figures to this JSON file")
    parser.add_argument("--compare", type=Path, help="also draw the curve saved (--save) by another run")
    parser.add_argument("--label", default="", help="this run's name in the plot's legend")
    parser.add_argument("--compare-label", default="compared")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="linemod-worker-bench-"))
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    curves: Curves = {}
    if args.backlog:
        print(
            f"backlog curve: {args.window:,} events handled at each depth, {args.chats} chats, one worker, "
            f"concurrency {args.concurrency}"
        )
    else:
        print(f"{args.events} message events over {args.chats} chats, one worker, concurrency {args.concurrency}")
    for engine in engines:
        url, schema = fresh_database(engine, workdir, "worker")
        try:
            if args.backlog:
                curve = drain_curve if args.drain else backlog_curve
                curves[engine] = asyncio.run(curve(url, schema, args))
            else:
                result = asyncio.run(single(url, schema, args))
        finally:
            if schema:
                asyncio.run(drop_schema(schema))
        if args.backlog:
            summarise(engine, curves[engine])
        else:
            print(
                f"{engine:9} {result['events_per_s']:8.0f} events/s handled   "
                f"{result['cpu_us_per_event']:7.0f} µs CPU per event"
            )
    if curves:
        if args.save:
            save(curves, args.save)
        plot(curves, args)


if __name__ == "__main__":
    main()
