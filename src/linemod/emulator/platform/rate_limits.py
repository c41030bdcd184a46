"""LINE's documented rate limits as token buckets (docs/emulator-behaviour.md: rules 28–29).

A bucket per (channel, bot, method, path template): for Messaging API channels the bot is the
channel's own OA, for modules it is the OA in the bot-ID header, so a module attached to N OAs
has N buckets per endpoint. Buckets refill continuously on the emulator clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from linemod.emulator.clock import Clock
from linemod.emulator.errors import RATE_LIMITED, LineApiError

PER_SECOND = 1.0
PER_HOUR = 3600.0

# (method, path template) -> (requests, per seconds). Anything absent gets DEFAULT.
DEFAULT = (2000, PER_SECOND)
LIMITS: dict[tuple[str, str], tuple[int, float]] = {
    ("POST", "/v2/bot/message/multicast"): (200, PER_SECOND),
    ("POST", "/v2/bot/message/broadcast"): (60, PER_HOUR),
    ("POST", "/v2/bot/message/narrowcast"): (60, PER_HOUR),
    ("POST", "/v2/bot/chat/loading/start"): (100, PER_SECOND),
    ("POST", "/v2/oauth/accessToken"): (370, PER_SECOND),
    ("POST", "/v2/bot/richmenu"): (100, PER_HOUR),
    ("DELETE", "/v2/bot/richmenu/{richMenuId}"): (100, PER_HOUR),
}


@dataclass
class Bucket:
    capacity: float
    refill_per_ms: float
    tokens: float
    updated_ms: int


class RateLimiter:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.buckets: dict[tuple[str, str | None, str, str], Bucket] = {}

    def check(self, channel_id: str, bot_id: str | None, method: str, template: str) -> None:
        """Takes one token or raises 429."""
        key = (channel_id, bot_id, method, template)
        now = self.clock.now_ms()
        bucket = self.buckets.get(key)
        if bucket is None:
            count, period = LIMITS.get((method, template), DEFAULT)
            bucket = Bucket(count, count / (period * 1000), float(count), now)
            self.buckets[key] = bucket
        elapsed = now - bucket.updated_ms
        if elapsed > 0:
            bucket.tokens = min(bucket.capacity, bucket.tokens + elapsed * bucket.refill_per_ms)
            bucket.updated_ms = now
        if bucket.tokens < 1:
            raise LineApiError(429, RATE_LIMITED)
        bucket.tokens -= 1

    def clear(self) -> None:
        self.buckets.clear()
