"""The `fanout` case of benchmarks/emulator.py: emulator CPU per delivered webhook as OAs and receivers grow.

Goal (issue 17): flat, within 20 %, from 1 to 1,000 OAs and from 1 to 50 receivers. Each receiver is a port
of its own (a module channel's webhook URL); the ports are served by a few separate processes (plain asyncio
HTTP/1.1 with keep-alive, answering 200 at once, so the receivers never limit the emulator). The emulator
runs in its own process, fresh for every shape, and its CPU time is read from /proc around the load.

Each delivery is caused by one `POST /_emulator/load/messages` (one user message to one OA), so the figure
includes handling that injection: a cost that is the same for every shape. Injections run `--inflight` at a
time, each to a different OA where there are enough; the receivers count the POSTs that reach them, and the
figure is emulator CPU divided by the webhooks the receivers counted (events per POST is printed: batching
would make a shape look cheaper than it is).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import aiohttp
import httpx

from emulator import cpu_seconds, free_port, process

RECEIVERS_SCRIPT = """
import asyncio, sys

posts = 0


async def serve(reader, writer):
    global posts
    try:
        while True:
            head = await reader.readuntil(b"\\r\\n\\r\\n")
            length = 0
            for line in head.split(b"\\r\\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            if head.startswith(b"GET /count"):
                body = str(posts).encode()
            else:
                posts += 1
                body = b"{}"
            writer.write(b"HTTP/1.1 200 OK\\r\\ncontent-type: application/json\\r\\ncontent-length: %d\\r\\n\\r\\n%s"
                         % (len(body), body))
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        pass
    finally:
        writer.close()


async def main(count):
    servers = [await asyncio.start_server(serve, "127.0.0.1", 0, backlog=1024) for _ in range(count)]
    print(" ".join(str(s.sockets[0].getsockname()[1]) for s in servers), flush=True)
    await asyncio.Event().wait()


asyncio.run(main(int(sys.argv[1])))
"""

RECEIVER_PROCESSES = 4


@contextmanager
def receivers(count: int) -> Iterator[list[int]]:
    """`count` receiving ports spread over up to four processes; yields the ports. Each process binds its own
    ports (port 0), so that no two receivers can be handed the same one."""
    shares = [len(range(i, count, RECEIVER_PROCESSES)) for i in range(min(RECEIVER_PROCESSES, count))]
    procs = []
    ports: list[int] = []
    try:
        for share in shares:
            proc = subprocess.Popen([sys.executable, "-c", RECEIVERS_SCRIPT, str(share)],
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            procs.append(proc)
            assert proc.stdout is not None
            line = proc.stdout.readline().split()
            if len(line) != share:
                raise RuntimeError("a receiver process did not start")
            ports.extend(int(port) for port in line)
        yield ports
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=10)


def first_port_of_each_process(ports: list[int]) -> list[int]:
    """`receivers` yields each process's ports in a run; the first of each run."""
    out, start = [], 0
    count = len(ports)
    for i in range(min(RECEIVER_PROCESSES, count)):
        out.append(ports[start])
        start += len(range(i, count, RECEIVER_PROCESSES))
    return out


def posts_received(ports: list[int]) -> int:
    """Webhook POSTs counted by every receiver process (one port per process is enough to ask)."""
    total = 0
    for port in first_port_of_each_process(ports):
        total += int(httpx.get(f"http://127.0.0.1:{port}/count", timeout=10).text)
    return total


def attach(http: httpx.Client, channel: dict[str, str], bot_id: str) -> None:
    url = (
        f"/module/auth/v1/authorize?response_type=code&client_id={channel['channel_id']}"
        "&redirect_uri=https%3A%2F%2Fbench.example%2Fcb&scope=message%3Asend%20message%3Areceive&state=s1"
    )
    redirect = http.post(
        "/_emulator/authorize",
        json={"authorize_url": str(http.base_url).rstrip("/") + url, "bot_id": bot_id, "decision": "approve"},
    ).json()["redirect_url"]
    http.post(
        "/module/auth/v1/token",
        data={"grant_type": "authorization_code", "code": httpx.URL(redirect).params["code"],
              "redirect_uri": "https://bench.example/cb"},
        auth=(channel["channel_id"], channel["channel_secret"]),
    ).raise_for_status()


def populate(base: str, ports: list[int], accounts: int) -> tuple[list[str], str]:
    """One module channel per receiving port, `accounts` OAs attached round-robin, one user befriending all."""
    with httpx.Client(base_url=base, timeout=30) as http:
        channels = [
            http.post("/_emulator/module-channels", json={
                "name": f"bench{i}", "webhook_url": f"http://127.0.0.1:{port}/webhook",
                "redirect_uris": ["https://bench.example/cb"]}).json()
            for i, port in enumerate(ports)
        ]
        person = http.post("/_emulator/users", json={"display_name": "bench user"}).json()["user_id"]
        bots = []
        for index in range(accounts):
            bot_id = http.post("/_emulator/accounts", json={"display_name": f"Bench OA {index}"}).json()["bot_id"]
            attach(http, channels[index % len(channels)], bot_id)
            http.post(f"/_emulator/accounts/{bot_id}/friends", json={"user_id": person}).raise_for_status()
            bots.append(bot_id)
        http.post("/_emulator/deliveries/flush", json={"timeout_seconds": 60}).raise_for_status()
    return bots, person


async def inject(base: str, bots: list[str], person: str, messages: int, inflight: int) -> int:
    """`messages` one-message injections, `inflight` at a time, OAs taken in turn; returns events made."""
    events = 0
    next_index = 0
    async with aiohttp.ClientSession(base, connector=aiohttp.TCPConnector(limit=inflight)) as session:

        async def worker() -> None:
            nonlocal events, next_index
            while next_index < messages:
                bot_id = bots[next_index % len(bots)]
                next_index += 1
                async with session.post("/_emulator/load/messages",
                                        json={"bot_id": bot_id, "user_ids": [person], "count": 1}) as response:
                    events += (await response.json())["webhook_events"]

        await asyncio.gather(*(worker() for _ in range(min(inflight, len(bots)))))
    return events


def measure(accounts: int, receiving: int, messages: int, inflight: int, rounds: int) -> dict[str, float]:
    emulator_port = free_port()
    base = f"http://127.0.0.1:{emulator_port}"
    command = [os.path.join(os.path.dirname(sys.executable), "linemod"), "emulator", "--port", str(emulator_port),
               "--no-rate-limits"]
    per_webhook: list[float] = []
    batching: list[float] = []
    with ExitStack() as stack:
        ports = stack.enter_context(receivers(receiving))
        emulator = stack.enter_context(process(command, f"{base}/_emulator/clock"))
        bots, person = populate(base, ports, accounts)
        asyncio.run(inject(base, bots, person, min(messages, 500), inflight))  # warm-up: every connection opened
        httpx.post(f"{base}/_emulator/deliveries/flush", json={"timeout_seconds": 60}, timeout=70)
        for _ in range(rounds):
            posts_before = posts_received(ports)
            cpu_before = cpu_seconds(emulator.pid)
            events = asyncio.run(inject(base, bots, person, messages, inflight))
            flushed = httpx.post(f"{base}/_emulator/deliveries/flush", json={"timeout_seconds": 60}, timeout=70)
            if flushed.status_code != 200:
                raise RuntimeError(f"deliveries did not finish: {flushed.text}")
            cpu = cpu_seconds(emulator.pid) - cpu_before
            posts = posts_received(ports) - posts_before
            per_webhook.append(cpu / posts * 1e6)
            batching.append(events / posts)
    return {"median": statistics.median(per_webhook), "low": min(per_webhook), "high": max(per_webhook),
            "events_per_post": statistics.median(batching)}


SHAPES = [(1, 1), (10, 1), (100, 1), (1000, 1), (50, 10), (1000, 10), (50, 50), (1000, 50)]


def run(messages: int, inflight: int, rounds: int, plot: str, label: str) -> None:
    results: dict[tuple[int, int], dict[str, float]] = {}
    for accounts, receiving in SHAPES:
        started = time.perf_counter()
        results[(accounts, receiving)] = measure(accounts, receiving, messages, inflight, rounds)
        figure = results[(accounts, receiving)]
        print(f"  measured {accounts} OAs / {receiving} receivers in {time.perf_counter() - started:.0f} s: "
              f"{figure['median']:,.0f} us", flush=True)
    reference = results[SHAPES[0]]["median"]
    print(f"\nfanout ({label}): emulator CPU per delivered webhook, {rounds} rounds of {messages} injections, "
          f"{inflight} in flight; ratio to 1 OA / 1 receiver ({reference:,.0f} us), median (range)  goal <= 1.20")
    print(f"{'OAs':>6} {'receivers':>10} {'ratio':>7} {'range':>13} {'us/webhook':>11} {'events/POST':>12}")
    for (accounts, receiving), figure in results.items():
        print(f"{accounts:>6} {receiving:>10} {figure['median'] / reference:>7.2f} "
              f"{figure['low'] / reference:>6.2f}-{figure['high'] / reference:<6.2f} "
              f"{figure['median']:>11,.0f} {figure['events_per_post']:>12.2f}")
    write_plot(results, reference, plot, label)


def write_plot(results: dict[tuple[int, int], dict[str, float]], reference: float, path: str, label: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5))
    for receiving in sorted({r for _, r in results}):
        shapes = sorted((a, r) for a, r in results if r == receiving)
        xs = [a for a, _ in shapes]
        medians = [results[s]["median"] / reference for s in shapes]
        errors = [[results[s]["median"] / reference - results[s]["low"] / reference for s in shapes],
                  [results[s]["high"] / reference - results[s]["median"] / reference for s in shapes]]
        ax.errorbar(xs, medians, yerr=errors, marker="o", capsize=3, label=f"{receiving} receiver(s)")
    ax.axhline(1.2, color="grey", linestyle="--", linewidth=1, label="goal: 1.20")
    ax.set_xscale("log")
    ax.set_xlabel("OAs")
    ax.set_ylabel("emulator CPU per webhook / 1 OA, 1 receiver")
    ax.set_title(f"Emulator CPU per delivered webhook ({label})")
    ax.legend()
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=100)
    print(f"plot: {path}")
