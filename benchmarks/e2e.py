"""End to end, as a LINE user feels it: a user's text message sent through the emulator → the webhook → the
module → its reply → the reply recorded in the user's chat on the emulator.

    .venv/bin/python benchmarks/e2e.py                                  # SQLite and PostgreSQL, 3 rounds
    .venv/bin/python benchmarks/e2e.py --engines sqlite --rounds 1 --seconds 3

The servers, each in a process of its own, one at a time, interleaved round after round:
  linemod (sqlite|postgres)  the README's echo module under `linemod serve` (in-process workers); PostgreSQL
                             gets a fresh schema in 127.0.0.1:5432/test
  sdk                        the line-bot-sdk pattern: FastAPI, `WebhookParser`, `AsyncMessagingApi`, replying
                             inside the webhook request (`e2e_servers.py`)
  floor                      replies inside the request without verifying or parsing: the reference every figure
                             is divided by, in the same round (the machine is shared and drifts)

For each: saturation throughput (replies recorded per second with `--in-flight` users waiting for their answer
before sending again) and the server's CPU per message; p50/p95/p99 from send to reply recorded at a fixed
`--rate`; `--burst` messages from one user at once, the time until all are answered; replies missing and
duplicated. Goals for linemod: at least the sdk pattern's throughput on both engines, p99 < 100 ms at 200
messages/s, a burst of 30 from one user answered within 0.5 s, nothing missing or duplicated.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bench_databases import drop_schema, fresh_database
from e2e_load import (
    BENCHMARKS,
    SCOPES,
    World,
    bursts,
    closed_loop,
    free_port,
    linemod_command,
    open_loop,
    start_process,
    stop_process,
)

FLOOR = "floor"
SDK = "sdk"


async def prepare_linemod_database(url: str, schema: str | None, bot_ids: list[str]) -> None:
    """The framework's tables, and every attached OA a tenant as `TenantStore.record_attach` leaves it (in
    one transaction: 10,000 OAs one by one would take minutes)."""
    import json
    import time

    from sqlalchemy import insert

    from linemod.framework.storage.database import Database
    from linemod.framework.storage.models import Tenant, TenantState

    db = Database(url, schema=schema)
    now = int(time.time() * 1000)
    scopes = json.dumps(sorted(SCOPES.split()))
    rows = [{"bot_id": bot_id, "state": TenantState.ATTACHED, "scopes_json": scopes, "attached_at_ms": now,
             "created_at_ms": now, "updated_at_ms": now} for bot_id in bot_ids]
    try:
        await db.upgrade()
        async with db.transaction() as session:
            await session.execute(insert(Tenant), rows)
    finally:
        await db.dispose()


@asynccontextmanager
async def running(kind: str, world: World, workdir: Path) -> AsyncIterator[tuple[str, int]]:
    """Starts one server (`linemod:sqlite`, `linemod:postgres`, `sdk` or `floor`) with the channel's webhook
    pointed at it; yields (label, pid)."""
    await world.restart_emulator()
    port = free_port()
    channel, schema = world.channel, None
    if kind.startswith("linemod:"):
        engine, _, baseline = kind.split(":", 1)[1].partition(":")
        url, schema = fresh_database(engine, workdir, "e2e")
        await prepare_linemod_database(url, schema, world.bot_ids)
        env = {"LINEMOD_CHANNEL_ID": channel["channel_id"], "LINEMOD_CHANNEL_SECRET": channel["channel_secret"],
               "LINEMOD_LINE_BASE_URL": world.url, "LINEMOD_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
               "LINEMOD_DATABASE_URL": url, **({"LINEMOD_DATABASE_SCHEMA": schema} if schema else {})}
        command = [linemod_command(), "serve", "echo:app", "--port", str(port)]
        src = Path(baseline) if baseline else None
        process = start_process(command, port, kind, env=env, cwd=BENCHMARKS, src=src)
        label = f"linemod serve ({engine}{', baseline' if baseline else ''})"
    else:
        command = [sys.executable, str(BENCHMARKS / "e2e_servers.py"), kind, "--port", str(port),
                   "--channel-id", channel["channel_id"], "--channel-secret", channel["channel_secret"],
                   "--line-url", world.url]
        process = start_process(command, port, kind)
        label = {SDK: "sdk: WebhookParser + AsyncMessagingApi", FLOOR: "floor: reply, no checks"}[kind]
    try:
        await asyncio.sleep(0.5)  # the lifespan: tokens, database pools
        await world.point_webhook_at(f"http://127.0.0.1:{port}/webhook")
        yield label, process.pid
    finally:
        stop_process(process)
        if schema:
            await drop_schema(schema)


async def measure(kind: str, world: World, workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    async with running(kind, world, workdir) as (label, pid):
        await closed_loop(world, args.in_flight, min(1.0, args.seconds / 2), pid)  # warm-up: connections, caches
        result: dict[str, Any] = {"kind": kind, "server": label}
        result.update(await closed_loop(world, args.in_flight, args.seconds, pid))
        result.update(await open_loop(world, args.rate, args.seconds))
        result.update(await bursts(world, args.burst, args.bursts))
    result["missing"] = result["closed_missing"] + result["open_missing"] + result["burst_missing"]
    result["duplicated"] = result["closed_duplicated"] + result["open_duplicated"] + result["burst_duplicated"]
    return result


async def run(args: argparse.Namespace) -> list[list[dict[str, Any]]]:
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    baselines = [f"linemod:{engines[0]}:{args.baseline_src}"] if args.baseline_src else []
    kinds = [f"linemod:{e}" for e in engines] + baselines + [SDK, FLOOR]
    world = World(args.oas, args.users)
    workdir = Path(tempfile.mkdtemp(prefix="linemod-e2e-"))
    rounds: list[list[dict[str, Any]]] = []
    try:
        await world.build()
        for number in range(args.rounds):
            results = [await measure(kind, world, workdir, args) for kind in kinds]
            report(results, args, f"round {number + 1} of {args.rounds}")
            rounds.append(results)
    finally:
        await world.close()
    return rounds


def report(results: list[dict[str, Any]], args: argparse.Namespace, title: str) -> None:
    floor = dict(next(r for r in results if r["kind"] == FLOOR))
    floor["per_s"] = floor["per_s"] or float("nan")  # a floor that answered nothing in time: no shares
    print(f"\n{title}: {args.oas} OAs, {args.users} users; max = {args.in_flight} messages in flight; latency = "
          f"{args.rate:.0f} messages/s for {args.seconds:.0f} s; burst = {args.burst} from one user\n")
    header = (f"{'server':40} {'replies/s':>9} {'% floor':>7} {'CPU µs':>7} {'p50 ms':>7} {'p95 ms':>7} "
              f"{'p99 ms':>7} {'p99/fl':>6} {'burst ms':>8} {'missing':>7} {'dup':>4} {'emu µs':>6}")
    print(header)
    print("-" * len(header))
    for r in results:
        print(f"{r['server']:40} {r['per_s']:9.0f} {100 * r['per_s'] / floor['per_s']:6.0f}% {r['cpu_us']:7.0f} "
              f"{r['p50_ms']:7.1f} {r['p95_ms']:7.1f} {r['p99_ms']:7.1f} {r['p99_ms'] / floor['p99_ms']:5.1f}x "
              f"{r['burst_ms']:8.0f} {r['missing']:7d} {r['duplicated']:4d} {r['emulator_cpu_us']:6.0f}")
    sys.stdout.flush()


def spread(values: list[float], fmt: str = ".0f") -> str:
    return f"{statistics.median(values):{fmt}} ({min(values):{fmt}}-{max(values):{fmt}})"


def summarize(rounds: list[list[dict[str, Any]]], args: argparse.Namespace) -> dict[str, dict[str, list[float]]]:
    """Medians and ranges across rounds; every share against the floor (or the sdk) of its own round."""
    print(f"\nsummary of {len(rounds)} round(s): median (min-max)\n")
    table: dict[str, dict[str, list[float]]] = {}
    for results in rounds:
        floor = next(r for r in results if r["kind"] == FLOOR)
        sdk = next(r for r in results if r["kind"] == SDK)
        if not floor["per_s"] or not sdk["per_s"]:
            print("a reference answered nothing within the window: round left out of the summary")
            continue
        for r in results:
            row = table.setdefault(r["server"], {})
            for key, value in (("per_s", r["per_s"]), ("share", 100 * r["per_s"] / floor["per_s"]),
                               ("vs_sdk", 100 * r["per_s"] / sdk["per_s"]), ("cpu_us", r["cpu_us"]),
                               ("p99_ms", r["p99_ms"]), ("p99_floor", r["p99_ms"] / floor["p99_ms"]),
                               ("p50_ms", r["p50_ms"]), ("burst_ms", r["burst_ms"]),
                               ("burst_worst_ms", r["burst_worst_ms"]), ("missing", r["missing"]),
                               ("duplicated", r["duplicated"])):
                row.setdefault(key, []).append(value)
    for name, row in table.items():
        print(f"{name:40} {spread(row['per_s'])} replies/s = {spread(row['share'])} % of floor, "
              f"{spread(row['vs_sdk'])} % of sdk; CPU {spread(row['cpu_us'])} µs/message")
        print(f"{'':40} p50 {spread(row['p50_ms'], '.1f')} ms, p99 {spread(row['p99_ms'], '.1f')} ms "
              f"({spread(row['p99_floor'], '.1f')} x floor) at {args.rate:.0f}/s; burst of {args.burst} "
              f"{spread(row['burst_ms'])} ms (worst {max(row['burst_worst_ms']):.0f}); "
              f"missing {sum(row['missing']):.0f}, duplicated {sum(row['duplicated']):.0f}")
    for name, row in table.items():
        if name.startswith("linemod"):
            ok = (statistics.median(row["vs_sdk"]) >= 100 and statistics.median(row["p99_ms"]) < 100
                  and statistics.median(row["burst_ms"]) <= 500 and not sum(row["missing"] + row["duplicated"]))
            print(f"goal for {name} (≥ sdk's throughput, p99 < 100 ms at {args.rate:.0f}/s, burst of "
                  f"{args.burst} ≤ 0.5 s, nothing missing or duplicated): {'met' if ok else 'NOT met'}")
    return table


def plot(table: dict[str, dict[str, list[float]]], args: argparse.Namespace, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(table)
    figure, axes = plt.subplots(1, 3, figsize=(13, 4.2))
    for ax, key, title in ((axes[0], "share", "saturation throughput, % of floor"),
                           (axes[1], "p99_ms", f"p99 ms from send to reply, {args.rate:.0f} messages/s"),
                           (axes[2], "burst_ms", f"burst of {args.burst} from one user, ms until all answered")):
        medians = [statistics.median(table[n][key]) for n in names]
        lows = [m - min(table[n][key]) for n, m in zip(names, medians, strict=True)]
        highs = [max(table[n][key]) - m for n, m in zip(names, medians, strict=True)]
        ax.barh(names, medians, xerr=[lows, highs], color=["#06c755" if n.startswith("linemod") else "#999"
                                                            for n in names])
        ax.set_title(title, fontsize=9)
        ax.invert_yaxis()
        ax.tick_params(labelsize=8)
    axes[1].axvline(100, color="#c00", linestyle="--", linewidth=1)
    axes[2].axvline(500, color="#c00", linestyle="--", linewidth=1)
    for ax in axes[1:]:
        ax.set_yticklabels([])
    figure.suptitle(f"End to end through the emulator: {args.oas} OAs, {args.users} users, median and range of "
                    f"{len(next(iter(table.values()))['share'])} round(s)", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    print(f"\nplot: {path}")


def main(argv: list[str] | None = None) -> dict[str, dict[str, list[float]]]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", default="sqlite,postgres", help="linemod's engines: sqlite, postgres or both")
    parser.add_argument("--oas", type=int, default=10, help="OAs attached to the module channel")
    parser.add_argument("--users", type=int, default=200, help="users, each in a chat with one OA")
    parser.add_argument("--in-flight", type=int, default=32, help="messages in flight for the saturation figure")
    parser.add_argument("--rate", type=float, default=200.0, help="messages per second for the latency figure")
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each measurement")
    parser.add_argument("--burst", type=int, default=30, help="messages one user sends at once")
    parser.add_argument("--bursts", type=int, default=3, help="bursts per server and round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every server, interleaved")
    parser.add_argument("--plot", type=Path, default=Path("e2e.png"), help="where to write the PNG plot")
    parser.add_argument("--baseline-src", type=Path, help="also run linemod (first engine) imported from this "
                        "`src` directory, e.g. a checkout from before a change, in the same rounds")
    args = parser.parse_args(argv)
    rounds = asyncio.run(run(args))
    table = summarize(rounds, args)
    if table:
        plot(table, args, args.plot)
    return table


if __name__ == "__main__":
    main()
