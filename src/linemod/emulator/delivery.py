"""Sends webhooks: batched per (channel, OA), signed with the receiving channel's secret, 2-second
timeout, redelivery with `isRedelivery: true` on the emulator clock (docs/emulator-behaviour.md: rules 49–59).
The HTTP side, and the resend of a POST a receiver never read (choice 49), is `sender.py`.

Events of one channel and OA that become due in the same loop iteration share a POST (LINE does
batch, and it is what lets the emulator deliver tens of thousands of events per second); module
lifecycle events always travel alone (choice 23).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import hashlib
import hmac
import json
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from linemod.emulator import ids
from linemod.emulator.platform.entities import Channel
from linemod.emulator.sender import WebhookSender

if TYPE_CHECKING:
    from linemod.emulator.platform.world import Platform


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass
class Attempt:
    at: int
    status_code: int | None
    error: str | None
    duration_ms: float
    redelivery: bool = False
    # Choice 49: the connection broke before any byte of the answer, so the same POST went out again at once
    # on a fresh connection (the next attempt); not the receiver's failure, not a redelivery.
    resent: bool = False

    def public(self) -> dict[str, Any]:
        return {"at": self.at, "status_code": self.status_code, "error": self.error,
                "duration_ms": self.duration_ms, "redelivery": self.redelivery, "resent": self.resent}


@dataclass
class Delivery:
    id: str
    channel_id: str
    bot_id: str
    url: str
    body: dict[str, Any]
    raw: bytes
    signature: str
    attempts: list[Attempt] = field(default_factory=list)
    state: str = "pending"
    next_attempt_ms: int | None = None
    generation: int = 0  # the dispatcher's generation when queued; a reset starts a new one

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id, "channel_id": self.channel_id, "bot_id": self.bot_id, "url": self.url,
            "body": self.body, "signature": self.signature, "attempts": [a.public() for a in self.attempts],
            "state": self.state, "next_attempt_ms": self.next_attempt_ms,
        }


class WebhookDispatcher:
    """The platform's `WebhookSink`: queues, batches, sends and logs webhook deliveries."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.settings = platform.settings
        self.log: OrderedDict[str, Delivery] = OrderedDict()
        self._buffers: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._queue: asyncio.Queue[Delivery] | None = None
        self._scheduled: list[Delivery] = []
        self._workers: list[asyncio.Task[None]] = []
        self._sender: WebhookSender | None = None
        self._unfinished = 0
        self._generation = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._loop: asyncio.AbstractEventLoop | None = None
        # One POST at a time per (channel, OA), so a receiver sees that OA's events in the order
        # they happened; different channels and OAs still go out in parallel.
        self._lanes: dict[tuple[str, str], asyncio.Lock] = {}

    # ---- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue = asyncio.Queue()
        self._idle = asyncio.Event()
        self._idle.set() if self._unfinished == 0 else self._idle.clear()
        self._sender = WebhookSender(self.settings.webhook_concurrency, self.settings.webhook_timeout_seconds,
                                     self.settings.webhook_keepalive_seconds, ca_file=self.settings.webhook_ca_file)
        await self._sender.start()
        self._workers = [asyncio.create_task(self._work()) for _ in range(self.settings.webhook_concurrency)]

    async def stop(self) -> None:
        for worker in self._workers:
            worker.cancel()
        for worker in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        self._workers = []
        if self._sender is not None:
            await self._sender.stop()

    def clear(self) -> None:
        """Forgets the log and anything queued (control-API reset)."""
        self.log.clear()
        self._buffers.clear()
        self._scheduled.clear()
        if self._queue is not None:
            while not self._queue.empty():
                self._queue.get_nowait()
        self._unfinished = 0
        # A delivery already in flight finishes after the reset; its generation keeps it from
        # settling against the counters of the deliveries that come after.
        self._generation += 1
        self._idle.set()

    # ---- the sink ---------------------------------------------------------------------------

    def enqueue(self, channel: Channel, bot_id: str, events: list[dict[str, Any]], *, alone: bool) -> None:
        if not channel.webhook_url:
            return
        self._grow(len(events))
        if alone:
            self._submit(channel.channel_id, bot_id, events)
            return
        key = (channel.channel_id, bot_id)
        buffer = self._buffers.get(key)
        if buffer is None:
            self._buffers[key] = list(events)
            if self._loop is not None:
                self._loop.call_soon(self._drain, key)
            else:
                self._drain(key)
        else:
            buffer.extend(events)

    def _grow(self, count: int) -> None:
        self._unfinished += count
        self._idle.clear()

    def _shrink(self, count: int) -> None:
        self._unfinished -= count
        if self._unfinished <= 0:
            self._unfinished = 0
            self._idle.set()

    def _drain(self, key: tuple[str, str]) -> None:
        events = self._buffers.pop(key, [])
        size = self.settings.webhook_batch_size
        for start in range(0, len(events), size):
            self._submit(key[0], key[1], events[start:start + size])

    def _submit(self, channel_id: str, bot_id: str, events: list[dict[str, Any]]) -> None:
        channel = self.platform.channel(channel_id)
        if channel is None or not channel.webhook_url:
            self._shrink(len(events))
            return
        body = {"destination": bot_id, "events": events}
        raw = encode(body)
        delivery = Delivery(ids.opaque_token(16), channel_id, bot_id, channel.webhook_url, body, raw,
                            sign(channel.channel_secret, raw), generation=self._generation)
        self._remember(delivery)
        # Each event counts once toward "unfinished"; the delivery carries them until it settles.
        self._shrink(len(events))
        self._grow(1)
        if self._queue is not None:
            self._queue.put_nowait(delivery)

    def _remember(self, delivery: Delivery) -> None:
        self.log[delivery.id] = delivery
        while len(self.log) > self.settings.delivery_log_size:
            _, oldest = self.log.popitem(last=False)
            if oldest.state == "pending":
                self.log[oldest.id] = oldest  # never drop what is still in flight
                self.log.move_to_end(oldest.id, last=False)
                break

    # ---- sending ----------------------------------------------------------------------------

    async def _work(self) -> None:
        assert self._queue is not None
        while True:
            delivery = await self._queue.get()
            lane = self._lanes.setdefault((delivery.channel_id, delivery.bot_id), asyncio.Lock())
            try:
                async with lane:
                    await self._attempt(delivery)
            except Exception as exc:  # a bug here must not kill the worker and stall every webhook
                delivery.attempts.append(Attempt(self.platform.clock.now_ms(), None, f"unclassified: {exc}", 0))
                self._settle(delivery, "failed")

    async def _attempt(self, delivery: Delivery) -> None:
        assert self._sender is not None
        redelivery = any(not attempt.resent for attempt in delivery.attempts)
        raw, signature = delivery.raw, delivery.signature
        if redelivery:
            body = copy.deepcopy(delivery.body)
            for event in body["events"]:
                event["deliveryContext"] = {"isRedelivery": True}
                if "replyToken" in event:
                    self.platform.messaging.restart_reply_window(event["replyToken"])
            raw = encode(body)
            channel = self.platform.channel(delivery.channel_id)
            signature = sign(channel.channel_secret, raw) if channel else signature
        at = self.platform.clock.now_ms()
        outcomes = await self._sender.post(delivery.url, raw, signature)
        for index, sent in enumerate(outcomes):
            delivery.attempts.append(Attempt(at, sent.status_code, sent.error, sent.duration_ms, redelivery,
                                             resent=index < len(outcomes) - 1))
        outcome = outcomes[-1]
        if outcome.error is None:
            self._settle(delivery, "delivered")
            return
        channel = self.platform.channel(delivery.channel_id)
        retries_done = sum(1 for attempt in delivery.attempts if not attempt.resent) - 1
        backoff = self.settings.redelivery_backoff_seconds
        if delivery.generation != self._generation:
            delivery.state = "failed"
        elif channel is not None and channel.redelivery and retries_done < len(backoff):
            delivery.next_attempt_ms = self.platform.clock.now_ms() + int(backoff[retries_done] * 1000)
            self._scheduled.append(delivery)
        else:
            self._settle(delivery, "failed")

    def _settle(self, delivery: Delivery, state: str) -> None:
        delivery.state = state
        delivery.next_attempt_ms = None
        if delivery.generation == self._generation:
            self._shrink(1)

    def fire_due(self) -> None:
        """Queues redeliveries the emulator clock has made due (called on ticks and clock advances)."""
        if not self._scheduled or self._queue is None:
            return
        now = self.platform.clock.now_ms()
        due = [d for d in self._scheduled if d.next_attempt_ms is not None and d.next_attempt_ms <= now]
        for delivery in due:
            self._scheduled.remove(delivery)
            self._queue.put_nowait(delivery)

    # ---- observing --------------------------------------------------------------------------

    async def flush(self, timeout: float) -> int:
        """Waits until every queued delivery has settled; returns how many are still pending."""
        deadline = time.monotonic() + timeout
        while self._unfinished > 0:
            self.fire_due()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), timeout=min(remaining, 0.1))
        return self._unfinished

    def list(self, channel_id: str | None, bot_id: str | None, limit: int) -> list[dict[str, Any]]:
        out = []
        for delivery in reversed(self.log.values()):
            if channel_id and delivery.channel_id != channel_id:
                continue
            if bot_id and delivery.bot_id != bot_id:
                continue
            out.append(delivery.public())
            if len(out) >= limit:
                break
        return out

    async def connectivity_check(self, channel: Channel, bot_id: str) -> dict[str, Any]:
        """Rule 59: `{"destination", "events": []}`, answered synchronously like the console's Verify."""
        assert self._sender is not None
        raw = encode({"destination": bot_id, "events": []})
        outcome = (await self._sender.post(channel.webhook_url or "", raw, sign(channel.channel_secret, raw)))[-1]
        if outcome.status_code is None:
            # The console's Verify names no reason beyond these two; a broken connection cannot be connected to.
            reason = "request_timeout" if outcome.error == "request_timeout" else "could_not_connect"
            return {"success": False, "statusCode": 0, "reason": reason, "detail": outcome.detail}
        return {
            "success": outcome.error is None, "statusCode": outcome.status_code,
            "reason": "OK" if outcome.error is None else "error_status_code",
            "detail": f"{outcome.status_code} in {round(outcome.duration_ms)} ms",
        }
