"""Emulator throughput: push requests answered per second, webhook events delivered per second.

Goal (issue 2): the emulator is never the bottleneck of a module's load test: at least 3,000
push/s and 10,000 delivered events/s with batching on a 2-core machine. The emulator runs in its
own process (`linemod emulator --no-rate-limits`), as does the receiver that answers 200 at once;
the load comes from this process over loopback.

    python benchmarks/emulator.py [--seconds 10] [--concurrency 64] [--events 50000]

The `fanout` case (issue 17, benchmarks/emulator_fanout.py) measures emulator CPU per delivered webhook from
1 to 1,000 OAs and from 1 to 50 receivers, as ratios to 1 OA and 1 receiver, and writes a plot:

    python benchmarks/emulator.py --case fanout [--messages 3000] [--inflight 32] [--rounds 3] [--plot PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import aiohttp
import httpx

RECEIVER = """
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"{}"})
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 60  # a shared, busy machine starts processes slowly
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc): what the emulator itself spent,
    whatever else the machine was doing."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def process(args: list[str], url: str, cwd: str | None = None) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(url)
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def setup(base: str, receiver_url: str) -> dict[str, str]:
    with httpx.Client(base_url=base, timeout=30) as http:
        channel = http.post(
            "/_emulator/module-channels",
            json={"name": "bench", "webhook_url": receiver_url, "redirect_uris": ["https://bench.example/cb"]},
        ).json()
        account = http.post("/_emulator/accounts", json={"display_name": "Bench OA"}).json()
        people = [http.post("/_emulator/users", json={"display_name": f"user{i}"}).json() for i in range(50)]
        url = (
            f"{base}/module/auth/v1/authorize?response_type=code&client_id={channel['channel_id']}"
            "&redirect_uri=https%3A%2F%2Fbench.example%2Fcb&scope=message%3Asend%20message%3Areceive&state=s1"
        )
        redirect = http.post(
            "/_emulator/authorize", json={"authorize_url": url, "bot_id": account["bot_id"], "decision": "approve"}
        ).json()["redirect_url"]
        code = httpx.URL(redirect).params["code"]
        http.post(
            "/module/auth/v1/token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": "https://bench.example/cb"},
            auth=(channel["channel_id"], channel["channel_secret"]),
        ).raise_for_status()
        token = http.post(
            "/oauth2/v3/token",
            data={
                "grant_type": "client_credentials",
                "client_id": channel["channel_id"],
                "client_secret": channel["channel_secret"],
            },
        ).json()
        seen = []
        for person in people:
            ids = http.post(
                f"/_emulator/accounts/{account['bot_id']}/friends", json={"user_id": person["user_id"]}
            ).json()["ids"]
            seen.append(ids[channel["channel_id"]])
        http.post("/_emulator/deliveries/flush", json={"timeout_seconds": 30})
    return {
        "bot_id": account["bot_id"],
        "token": token["access_token"],
        "users": ",".join(seen),
        "people": ",".join(p["user_id"] for p in people),
    }


async def push_load(base: str, ctx: dict[str, str], seconds: float, concurrency: int) -> tuple[int, int, float]:
    users = ctx["users"].split(",")
    headers = {
        "Authorization": f"Bearer {ctx['token']}",
        "X-Line-Bot-Id": ctx["bot_id"],
        "Content-Type": "application/json",
    }
    ok = failed = 0
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(base, connector=connector) as session:

        async def worker(index: int) -> None:
            nonlocal ok, failed
            n = 0
            while time.perf_counter() < deadline:
                body = json.dumps(
                    {"to": users[(index + n) % len(users)], "messages": [{"type": "text", "text": "bench"}]}
                )
                async with session.post("/v2/bot/message/push", data=body, headers=headers) as response:
                    await response.read()
                    if response.status == 200:
                        ok += 1
                    else:
                        failed += 1
                n += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        elapsed = time.perf_counter() - started
    return ok, failed, elapsed


WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = '{"to":"%(to)s","messages":[{"type":"text","text":"bench"}]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(token)s"
wrk.headers["X-Line-Bot-Id"] = "%(bot)s"
"""


def push_load_wrk(base: str, ctx: dict[str, str], seconds: float, concurrency: int) -> tuple[int, int, float]:
    """wrk (C, one thread) leaves the other core to the emulator; Python clients saturate first."""
    script = os.path.join(os.environ.get("TMPDIR", "/tmp"), "linemod_bench_push.lua")
    with open(script, "w") as handle:
        handle.write(WRK_SCRIPT % {"to": ctx["users"].split(",")[0], "token": ctx["token"], "bot": ctx["bot_id"]})
    out = subprocess.run(
        ["wrk", "-t1", f"-c{concurrency}", f"-d{int(seconds)}s", "-s", script, f"{base}/v2/bot/message/push"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    failed = int(bad.group(1)) if bad else 0
    return total - failed, failed, float(int(seconds))


def delivery_load(base: str, ctx: dict[str, str], events: int) -> tuple[int, float]:
    people = ctx["people"].split(",")
    with httpx.Client(base_url=base, timeout=120) as http:
        http.post("/_emulator/deliveries/flush", json={"timeout_seconds": 30})
        started = time.perf_counter()
        made = 0
        chunk = 5000
        while made < events:
            count = min(chunk, events - made)
            http.post(
                "/_emulator/load/messages", json={"bot_id": ctx["bot_id"], "user_ids": people, "count": count}
            ).raise_for_status()
            made += count
        flushed = http.post("/_emulator/deliveries/flush", json={"timeout_seconds": 110})
        elapsed = time.perf_counter() - started
        if flushed.status_code != 200:
            raise RuntimeError(f"deliveries did not finish: {flushed.text}")
    return made, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--case", choices=["throughput", "fanout"], default="throughput")
    parser.add_argument("--messages", type=int, default=3000, help="fanout: injections per round")
    parser.add_argument("--inflight", type=int, default=32, help="fanout: injections in flight")
    parser.add_argument("--rounds", type=int, default=3, help="fanout: measured rounds per shape")
    parser.add_argument("--plot", default="emulator_fanout.png", help="fanout: where the PNG plot goes")
    parser.add_argument("--label", default="this checkout", help="fanout: names the run in the output")
    args = parser.parse_args()
    if args.case == "fanout":
        from emulator_fanout import run

        run(args.messages, args.inflight, args.rounds, args.plot, args.label)
        return

    emulator_port, receiver_port = free_port(), free_port()
    base = f"http://127.0.0.1:{emulator_port}"
    receiver_url = f"http://127.0.0.1:{receiver_port}/webhook"
    bindir = os.path.dirname(sys.executable)
    workdir = os.environ.get("TMPDIR", "/tmp")
    with open(os.path.join(workdir, "linemod_bench_receiver.py"), "w") as handle:
        handle.write(RECEIVER)
    receiver_cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "linemod_bench_receiver:app",
        "--port",
        str(receiver_port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    emulator_cmd = [os.path.join(bindir, "linemod"), "emulator", "--port", str(emulator_port), "--no-rate-limits"]
    with (
        process(receiver_cmd, f"http://127.0.0.1:{receiver_port}/", cwd=workdir),
        process(emulator_cmd, f"{base}/_emulator/clock") as emulator,
    ):
        ctx = setup(base, receiver_url)
        cpu_before = cpu_seconds(emulator.pid)
        if shutil.which("wrk"):
            client = "wrk"
            ok, failed, elapsed = push_load_wrk(base, ctx, args.seconds, args.concurrency)
        else:
            client = "aiohttp (install Debian's wrk for a client that is not the bottleneck)"
            ok, failed, elapsed = asyncio.run(push_load(base, ctx, args.seconds, args.concurrency))
        print(
            f"push: {ok / elapsed:,.0f} requests/s answered 200 ({ok} ok, {failed} other, "
            f"{args.concurrency} concurrent, {elapsed:.1f} s, client {client})  goal >= 3,000/s"
        )
        cpu = cpu_seconds(emulator.pid) - cpu_before
        print(
            f"push: {cpu / max(ok, 1) * 1e6:,.0f} us of emulator CPU per request, i.e. "
            f"{ok / cpu:,.0f} requests/s per fully available core (the emulator is one process, one core)"
        )
        cpu_before = cpu_seconds(emulator.pid)
        made, elapsed = delivery_load(base, ctx, args.events)
        print(
            f"webhooks: {made / elapsed:,.0f} events/s delivered ({made} events, batched, {elapsed:.1f} s "
            f"from first injection to last delivery)  goal >= 10,000/s"
        )
        cpu = cpu_seconds(emulator.pid) - cpu_before
        print(
            f"webhooks: {cpu / made * 1e6:,.0f} us of emulator CPU per event, i.e. "
            f"{made / cpu:,.0f} events/s per fully available core"
        )


if __name__ == "__main__":
    main()
