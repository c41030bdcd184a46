"""Flat cost with tenants: the same end-to-end load spread over 1, 100, 1,000 and 10,000 attached OAs.

    .venv/bin/python benchmarks/tenants.py                       # SQLite, 1 / 100 / 1,000 / 10,000 OAs
    .venv/bin/python benchmarks/tenants.py --oas 1,100 --rounds 1 --seconds 3 --engine postgres

The emulator creates the OAs and attaches them to one module channel through its token endpoint; the README's
echo module runs under `linemod serve` with exactly that many tenants in a fresh database. Users send text
messages at `--rate`, spread over chats with every OA; printed for each count: the serve process's CPU per
message and p99 from send to reply recorded, each as a ratio to the 1-OA figure of the same round (rounds
interleave the counts), and pooled over the rounds. Goal: within 10 % of the 1-OA figure at 10,000 OAs,
pooled (one round's p99 moves by half with a single stall of the shared machine).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
from pathlib import Path
from typing import Any

from e2e import running
from e2e_load import Chat, World, cpu_seconds, open_loop, percentile


async def measure(world: World, chats: list[Chat], oas: int, kind: str, workdir: Path,
                  args: argparse.Namespace) -> dict[str, Any]:
    """One count: a server with `oas` tenants, the load spread over `chats` (with each of those OAs)."""
    every_chat, every_bot = world.chats, world.bot_ids
    world.chats, world.bot_ids = chats, every_bot[:oas]
    try:
        async with running(kind, world, workdir) as (_, pid):
            await open_loop(world, args.rate, min(2.0, args.seconds))  # warm-up: connections, code paths
            cpu = cpu_seconds(pid)
            result = await open_loop(world, args.rate, args.seconds)
            cpu = cpu_seconds(pid) - cpu
    finally:
        world.chats, world.bot_ids = every_chat, every_bot
    answered = max(1, int(args.rate * args.seconds) - result["open_missing"])
    return {"oas": oas, "cpu_us": 1e6 * cpu / answered, **result}


async def chats_per_count(world: World, counts: list[int], users: int) -> dict[int, list[Chat]]:
    """For N OAs: N chats (OA i with user i mod M) when N ≥ M, else M chats (user i with OA i mod N), so every
    count spreads the same load over all its OAs and at least all the users."""
    user_ids = [world.chats[i].user_id for i in range(users)]
    chats: dict[int, list[Chat]] = {}
    for n in counts:
        if n >= users:
            chats[n] = world.chats[:n]  # World.build made these: OA i with user i mod M
            continue
        chats[n] = [Chat(world.bot_ids[i % n], user_ids[i]) for i in range(users)]
        for chat in chats[n][n:]:
            await world.call("POST", f"/_emulator/accounts/{chat.bot_id}/friends", json={"user_id": chat.user_id})
    return chats


def variants(args: argparse.Namespace) -> list[tuple[str, str]]:
    """linemod as it is, and (`--baseline-src`) as imported from another checkout, in the same rounds."""
    now = [("", f"linemod:{args.engine}")]
    return now + ([(" (baseline)", f"linemod:{args.engine}:{args.baseline_src}")] if args.baseline_src else [])


async def run(args: argparse.Namespace) -> dict[str, list[list[dict[str, Any]]]]:
    """Rounds of results per variant ("" for linemod as it is, " (baseline)")."""
    counts = sorted(int(x) for x in args.oas.split(","))
    world = World(max(counts), args.users)
    workdir = Path(tempfile.mkdtemp(prefix="linemod-tenants-"))
    rounds: dict[str, list[list[dict[str, Any]]]] = {}
    try:
        print(f"attaching {max(counts)} OAs to the module channel on the emulator ...", flush=True)
        await world.build()
        chats = await chats_per_count(world, counts, args.users)
        for number in range(args.rounds):
            for label, kind in variants(args):
                results = [await measure(world, chats[n], n, kind, workdir, args) for n in counts]
                report(results, args, f"round {number + 1} of {args.rounds}{label}")
                rounds.setdefault(label, []).append(results)
    finally:
        await world.close()
    return rounds


def report(results: list[dict[str, Any]], args: argparse.Namespace, title: str) -> None:
    base = results[0]
    print(f"\n{title}: linemod serve ({args.engine}), {args.rate:.0f} messages/s for {args.seconds:.0f} s, "
          f"{args.users} users\n")
    header = (f"{'OAs':>6} {'CPU µs/msg':>10} {'x 1 OA':>7} {'p50 ms':>7} {'p99 ms':>7} {'x 1 OA':>7} "
              f"{'missing':>7} {'dup':>4}")
    print(header)
    print("-" * len(header))
    for r in results:
        print(f"{r['oas']:6d} {r['cpu_us']:10.0f} {r['cpu_us'] / base['cpu_us']:7.2f} {r['p50_ms']:7.1f} "
              f"{r['p99_ms']:7.1f} {r['p99_ms'] / base['p99_ms']:7.2f} {r['open_missing']:7d} "
              f"{r['open_duplicated']:4d}")


def summarize(rounds: list[list[dict[str, Any]]], label: str) -> dict[int, dict[str, list[float]]]:
    """Per count: the ratios of each round (to the fewest OAs of that round), and the pooled figures: every
    round's latencies in one p99 and every round's CPU over every round's messages. One round's p99 is its
    1 %'s slowest few messages, so a single stall moves it by half; the goal is judged on the pooled figures,
    whose reference is as large a sample as what it is compared with."""
    table: dict[int, dict[str, list[float]]] = {}
    for results in rounds:
        base = results[0]
        for r in results:
            row = table.setdefault(r["oas"], {})
            for key, value in (("cpu", r["cpu_us"] / base["cpu_us"]), ("p99", r["p99_ms"] / base["p99_ms"]),
                               ("cpu_us", r["cpu_us"]), ("p99_ms", r["p99_ms"]),
                               ("bad", r["open_missing"] + r["open_duplicated"])):
                row.setdefault(key, []).append(value)
            row.setdefault("latencies_ms", []).extend(r["latencies_ms"])
    for row in table.values():
        row["pooled_cpu_us"] = [statistics.mean(row["cpu_us"])]  # every round sends the same number
        row["pooled_p99_ms"] = [percentile(sorted(row["latencies_ms"]), 99)]
    fewest = table[min(table)]
    print(f"\nsummary{label} of {len(rounds)} round(s): per round, median (min-max) of the ratios to the fewest "
          "OAs in the same round; pooled, every round's messages together\n")
    for oas, row in table.items():
        cpu, p99 = row["cpu"], row["p99"]
        pooled_cpu = row["pooled_cpu_us"][0] / fewest["pooled_cpu_us"][0]
        pooled_p99 = row["pooled_p99_ms"][0] / fewest["pooled_p99_ms"][0]
        row["pooled_cpu"], row["pooled_p99"] = [pooled_cpu], [pooled_p99]
        print(f"{oas:6d} OAs: CPU {row['pooled_cpu_us'][0]:.0f} µs/message = {pooled_cpu:.2f} x {min(table)} "
              f"(per round {statistics.median(cpu):.2f}, {min(cpu):.2f}-{max(cpu):.2f}); "
              f"p99 {row['pooled_p99_ms'][0]:.1f} ms = {pooled_p99:.2f} x {min(table)} "
              f"(per round {statistics.median(p99):.2f}, {min(p99):.2f}-{max(p99):.2f}); "
              f"missing or duplicated {sum(row['bad']):.0f}")
    top = table[max(table)]
    ok = top["pooled_cpu"][0] <= 1.10 and top["pooled_p99"][0] <= 1.10
    print(f"goal{label} (pooled CPU per message and p99 at {max(table)} OAs within 10 % of {min(table)} OA): "
          f"{'met' if ok else 'NOT met'}")
    return table


def plot(tables: dict[str, dict[int, dict[str, list[float]]]], args: argparse.Namespace, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, ax = plt.subplots(figsize=(7, 4))
    for variant, table in tables.items():
        counts = sorted(table)
        for key, label, color in (("cpu", "CPU per message (serve process)", "#06c755"),
                                  ("p99", "p99 latency", "#333")):
            pooled = [table[n]["pooled_" + key][0] for n in counts]
            low = [max(0.0, m - min(table[n][key])) for n, m in zip(counts, pooled, strict=True)]
            high = [max(0.0, max(table[n][key]) - m) for n, m in zip(counts, pooled, strict=True)]
            ax.errorbar(counts, pooled, yerr=[low, high], marker="o", capsize=3, label=label + variant, color=color,
                        linestyle="--" if variant else "-", alpha=0.5 if variant else 1.0)
    ax.axhspan(0.9, 1.1, color="#06c755", alpha=0.1, label="goal: within 10 % of 1 OA")
    ax.set_xscale("log")
    ax.set_xlabel("attached OAs the load is spread over")
    ax.set_ylabel("ratio to the fewest OAs")
    ax.set_title(f"linemod serve ({args.engine}), {args.rate:.0f} messages/s: {args.rounds} rounds pooled; "
                 "bars: the range of single rounds' ratios", fontsize=9)
    ax.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    print(f"\nplot: {path}")


def main(argv: list[str] | None = None) -> dict[int, dict[str, list[float]]]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--oas", default="1,100,1000,10000", help="counts of attached OAs (comma-separated)")
    parser.add_argument("--engine", default="sqlite", choices=["sqlite", "postgres"])
    parser.add_argument("--users", type=int, default=100, help="users sending messages")
    parser.add_argument("--rate", type=float, default=100.0, help="messages per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each measurement")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of every count, interleaved")
    parser.add_argument("--plot", type=Path, default=Path("tenants.png"), help="where to write the PNG plot")
    parser.add_argument("--baseline-src", type=Path, help="also run linemod imported from this `src` directory "
                        "(e.g. a checkout from before a change), in the same rounds")
    args = parser.parse_args(argv)
    tables = {label: summarize(rounds, label) for label, rounds in asyncio.run(run(args)).items()}
    plot(tables, args, args.plot)
    return tables[""]


if __name__ == "__main__":
    main()
