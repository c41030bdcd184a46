"""The machinery of the end-to-end benchmarks (`e2e.py`, `tenants.py`): an emulator process with N attached
OAs and M users, the servers under test in processes of their own, the user messages sent through the
emulator's control API, and the replies followed in the emulator's chat log.

A message's latency is the time from the benchmark sending the user's message to the emulator recording the
module's reply in the chat (the chat log's `timestamp`, the same machine's clock): what a LINE user waits for.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = Path(__file__).resolve().parent
REDIRECT = "https://bench.example/attach/callback"
SCOPES = "message:send message:receive"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc): what the server itself spent."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def linemod_command() -> str:
    """The `linemod` command of this virtualenv."""
    return str(Path(sys.executable).parent / "linemod")


def wait_for_port(port: int, process: subprocess.Popen[bytes], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"{what} did not start")


def start_process(command: list[str], port: int, what: str, env: dict[str, str] | None = None,
                  cwd: Path | None = None, src: Path | None = None) -> subprocess.Popen[bytes]:
    """`src`: where the process imports linemod from (another checkout's `src`, to compare with a baseline)."""
    environment = {**os.environ, "PYTHONPATH": f"{src or ROOT / 'src'}{os.pathsep}{BENCHMARKS}", **(env or {})}
    process = subprocess.Popen(command, env=environment, cwd=cwd)
    wait_for_port(port, process, what)
    return process


def stop_process(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass(frozen=True)
class Chat:
    bot_id: str
    user_id: str  # the person's global ID (what the control API takes)


@dataclass
class Phase:
    """One measurement: the messages it sent and what came back for them."""

    name: str
    tag: str
    sent_ms: dict[str, float] = field(default_factory=dict)
    replied_ms: dict[str, int] = field(default_factory=dict)
    replies: Counter[str] = field(default_factory=Counter)

    @property
    def missing(self) -> int:
        return len(self.sent_ms) - len(self.replied_ms)

    @property
    def duplicated(self) -> int:
        return sum(count - 1 for count in self.replies.values() if count > 1)

    def latencies_ms(self) -> list[float]:
        return sorted(self.replied_ms[text] - self.sent_ms[text] for text in self.replied_ms)


class ReplyWatcher:
    """Follows the emulator's chat log (`GET /_emulator/chat-log?after=`): one request sees every chat."""

    def __init__(self, session: aiohttp.ClientSession, world: World) -> None:
        self.session, self.world = session, world
        self.cursor = 0
        self.generation = 0  # counts emulator restarts (`restart`)
        self.phases: dict[str, Phase] = {}
        self.waiting: dict[str, asyncio.Future[None]] = {}
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._follow())

    async def stop(self) -> None:
        if self.task:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)

    async def _follow(self) -> None:
        while True:
            url, generation = self.world.url, self.generation
            try:
                async with self.session.get(f"{url}/_emulator/chat-log",
                                            params={"after": self.cursor, "limit": 5000}) as response:
                    page = await response.json()
            except (aiohttp.ClientError, TimeoutError):  # a busy or restarting emulator: ask again
                await asyncio.sleep(0.1)
                continue
            if generation != self.generation:  # asked before the emulator was replaced: positions mean nothing
                continue
            for entry in page["entries"]:
                if entry["from"].startswith("channel:") and entry["message"].get("type") == "text":
                    self._replied(entry["message"]["text"], entry["timestamp"])
            self.cursor = page["next"]
            if len(page["entries"]) < 5000:
                await asyncio.sleep(0.01)  # an idle poll costs the emulator ~0.35 ms of CPU

    def restart(self) -> None:
        """The emulator process was replaced: its chat log starts empty."""
        self.cursor, self.generation = 0, self.generation + 1

    def _replied(self, text: str, at_ms: int) -> None:
        phase = self.phases.get(text.split(" ", 1)[0])
        if phase is None:
            return
        phase.replies[text] += 1
        if text in phase.replied_ms:
            return
        phase.replied_ms[text] = at_ms
        waiter = self.waiting.pop(text, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def phase(self, name: str) -> Phase:
        tag = f"{name}-{secrets.token_hex(3)}"
        self.phases[tag] = Phase(name, tag)
        return self.phases[tag]

    def expect(self, text: str) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting[text] = future
        return future

    async def settle(self, phase: Phase, timeout: float = 10.0) -> None:
        """Waits until every message of the phase is answered, or nothing new came for `timeout` seconds;
        then a little longer, so that duplicates arriving late are counted too."""
        answered, quiet_since = len(phase.replied_ms), time.monotonic()
        while phase.missing and time.monotonic() - quiet_since < timeout:
            await asyncio.sleep(0.05)
            if len(phase.replied_ms) != answered:
                answered, quiet_since = len(phase.replied_ms), time.monotonic()
        await asyncio.sleep(0.3)


class World:
    """An emulator process with a module channel attached to N OAs, M users and their chats."""

    def __init__(self, oas: int, users: int) -> None:
        self.oas, self.users = oas, users
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [linemod_command(), "emulator", "--no-rate-limits", "--port", str(self.port)]
        self.process = start_process(command, self.port, "the emulator")
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=128))
        self.watcher = ReplyWatcher(self.session, self)
        self.snapshot: Any = None
        self.channel: dict[str, Any] = {}
        self.bot_ids: list[str] = []
        self.chats: list[Chat] = []
        self.burst_chat: Chat | None = None
        self._next = itertools.count()
        self._sequence = itertools.count()

    async def call(self, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
        async with self.session.request(method, f"{self.url}{path}", **kwargs) as response:
            body = await response.json(content_type=None)
            if response.status != expect:
                raise RuntimeError(f"{method} {path}: {response.status} {body}")
            return body

    async def build(self, concurrency: int = 16) -> None:
        """The channel (no webhook URL yet: setting up sends nothing), N OAs attached through the authorize
        call and the token endpoint, M users, and chats: OA i with user i mod M (and the reverse)."""
        self.channel = await self.call("POST", "/_emulator/module-channels", 201, json={
            "name": "e2e bench", "webhook_url": None, "redirect_uris": [REDIRECT]})
        limit = asyncio.Semaphore(concurrency)

        async def bounded(coroutine: Any) -> Any:
            async with limit:
                return await coroutine

        self.bot_ids = list(await asyncio.gather(*(bounded(self._attached_oa(i)) for i in range(self.oas))))
        people = await asyncio.gather(*(bounded(self.call("POST", "/_emulator/users", 201, json={
            "display_name": f"user {i}"})) for i in range(self.users + 1)))
        user_ids = [p["user_id"] for p in people]
        pairs = max(self.oas, self.users)
        self.chats = [Chat(self.bot_ids[i % self.oas], user_ids[i % self.users]) for i in range(pairs)]
        self.burst_chat = Chat(self.bot_ids[0], user_ids[-1])  # a user of their own, for the bursts
        await asyncio.gather(*(bounded(self.call("POST", f"/_emulator/accounts/{c.bot_id}/friends", json={
            "user_id": c.user_id})) for c in [*self.chats, self.burst_chat]))
        self.watcher.start()

    async def _attached_oa(self, index: int) -> str:
        account = await self.call("POST", "/_emulator/accounts", 201, json={"display_name": f"OA {index}"})
        query = {"response_type": "code", "client_id": self.channel["channel_id"], "redirect_uri": REDIRECT,
                 "scope": SCOPES, "state": secrets.token_hex(8)}
        answer = await self.call("POST", "/_emulator/authorize", json={
            "authorize_url": f"{self.url}/module/auth/v1/authorize?{urlencode(query)}",
            "bot_id": account["bot_id"], "decision": "approve"})
        code = parse_qs(urlsplit(answer["redirect_url"]).query)["code"][0]
        auth = aiohttp.BasicAuth(self.channel["channel_id"], self.channel["channel_secret"])
        await self.call("POST", "/module/auth/v1/token", data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}, auth=auth)
        return str(account["bot_id"])

    async def restart_emulator(self) -> None:
        """A fresh emulator process holding the same world (its state snapshot), so that nothing one server
        left behind (webhooks queued for it, a slowed delivery pool) reaches the next one."""
        if self.snapshot is None:  # the first server gets the emulator the world was built on, fresh
            self.snapshot = await self.call("GET", "/_emulator/state")
            return
        stop_process(self.process)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [linemod_command(), "emulator", "--no-rate-limits", "--port", str(self.port)]
        self.process = start_process(command, self.port, "the emulator")
        await self.call("PUT", "/_emulator/state", json=self.snapshot)
        self.watcher.restart()

    async def point_webhook_at(self, url: str | None) -> None:
        await self.call("PATCH", f"/_emulator/module-channels/{self.channel['channel_id']}", json={
            "webhook_url": url})

    def next_chat(self) -> Chat:
        return self.chats[next(self._next) % len(self.chats)]

    async def send(self, phase: Phase, chat: Chat, wait: bool = False) -> None:
        text = f"{phase.tag} {next(self._sequence)}"
        waiter = self.watcher.expect(text) if wait else None
        phase.sent_ms[text] = time.time() * 1000
        await self.call("POST", f"/_emulator/accounts/{chat.bot_id}/chats/{chat.user_id}/messages", 202,
                        json={"type": "text", "text": text})
        if waiter is not None:
            try:
                await asyncio.wait_for(waiter, timeout=5.0)
            except TimeoutError:
                self.watcher.waiting.pop(text, None)  # counted as missing when the phase settles

    async def close(self) -> None:
        await self.watcher.stop()
        await self.session.close()
        stop_process(self.process)


# ---- the three measurements -----------------------------------------------------------------------------


async def closed_loop(world: World, in_flight: int, seconds: float, pid: int) -> dict[str, float]:
    """Saturation: `in_flight` users each sending their next message as soon as the last one is answered.
    Throughput counts the replies recorded within the window; CPU is the server's own (and the emulator's),
    per answered message."""
    phase = world.watcher.phase("closed")
    cpu, emulator_cpu = cpu_seconds(pid), cpu_seconds(world.process.pid)
    start_ms = time.time() * 1000
    deadline = time.monotonic() + seconds

    async def user() -> None:
        while time.monotonic() < deadline:
            await world.send(phase, world.next_chat(), wait=True)

    await asyncio.gather(*(user() for _ in range(in_flight)))
    end_ms = start_ms + seconds * 1000
    await world.watcher.settle(phase)
    cpu, emulator_cpu = cpu_seconds(pid) - cpu, cpu_seconds(world.process.pid) - emulator_cpu
    within = sum(1 for at in phase.replied_ms.values() if at <= end_ms)
    answered = max(1, len(phase.replied_ms))
    return {"per_s": within / seconds, "cpu_us": 1e6 * cpu / answered, "emulator_cpu_us": 1e6 * emulator_cpu / answered,
            "closed_missing": phase.missing, "closed_duplicated": phase.duplicated}


async def open_loop(world: World, rate: float, seconds: float) -> dict[str, float]:
    """Latency at a fixed rate: messages sent on a schedule whatever the answers do (an open loop)."""
    phase = world.watcher.phase("open")
    total = int(rate * seconds)
    tasks = []
    start = time.perf_counter()
    for i in range(total):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(world.send(phase, world.next_chat())))
    await asyncio.gather(*tasks)
    sent_per_s = total / (time.perf_counter() - start)
    await world.watcher.settle(phase)
    latencies = phase.latencies_ms() or [float("nan")]
    return {"sent_per_s": sent_per_s, "p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95),
            "p99_ms": percentile(latencies, 99), "open_missing": phase.missing, "open_duplicated": phase.duplicated,
            "latencies_ms": latencies}


async def bursts(world: World, size: int, repeats: int) -> dict[str, float]:
    """`size` messages from one user at once: the time from the first send until every one is answered."""
    assert world.burst_chat is not None
    times, missing, duplicated = [], 0, 0
    for _ in range(repeats):
        phase = world.watcher.phase("burst")
        await asyncio.gather(*(world.send(phase, world.burst_chat) for _ in range(size)))
        await world.watcher.settle(phase, timeout=5.0)
        missing, duplicated = missing + phase.missing, duplicated + phase.duplicated
        if not phase.missing:
            times.append(max(phase.replied_ms.values()) - min(phase.sent_ms.values()))
    return {"burst_ms": statistics.median(times) if times else float("nan"),
            "burst_worst_ms": max(times) if times else float("nan"),
            "burst_missing": missing, "burst_duplicated": duplicated}


def percentile(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]
