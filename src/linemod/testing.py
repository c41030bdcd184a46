"""What module authors test their own modules with: a manual clock, signed webhooks, a running app.

```python
from linemod.testing import ManualClock, RunningApp, attached_event, message_event

async def test_hello(tmp_path):
    settings = Settings(channel_secret="s", database_url=f"sqlite+aiosqlite:///{tmp_path}/t.db")
    app = create_app(settings, clock=ManualClock())   # your module's factory
    async with RunningApp(app, upgrade=True) as run:
        await run.post_webhook([attached_event()])     # the OA (BOT_ID) attaches
        answer = await run.post_webhook([message_event("hello")])
        assert answer.status_code == 200
        await run.drain()                               # every stored event handled: now assert
```

The builders make the JSON LINE sends (the same shapes as the official webhook schema); `signature()` signs
a body as LINE does, so a test goes through the real intake, signature check included.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from linemod.framework.clock import ManualClock
from linemod.framework.queue.intake import compute_signature

if TYPE_CHECKING:
    import httpx

    from linemod.framework.app import ModuleApp

__all__ = [
    "BOT_ID",
    "ManualClock",
    "RunningApp",
    "attached_event",
    "base_event",
    "detached_event",
    "follow_event",
    "message_event",
    "postback_event",
    "signature",
    "signed_headers",
    "unfollow_event",
    "user_id",
    "webhook_body",
]

BOT_ID = "U" + "1" * 32
"""The bot user ID the builders use unless told otherwise."""
JsonObject = dict[str, Any]
_counter = itertools.count(1)


def signature(channel_secret: str, body: bytes) -> str:
    """The `x-line-signature` LINE sends with `body`: Base64(HMAC-SHA256(channel secret, raw body))."""
    return compute_signature(channel_secret, body)


def signed_headers(channel_secret: str, body: bytes) -> dict[str, str]:
    """The headers of a webhook request carrying `body`."""
    return {"x-line-signature": signature(channel_secret, body), "content-type": "application/json"}


def webhook_body(events: Sequence[JsonObject], destination: str = BOT_ID) -> bytes:
    """A webhook request body: `{"destination": ..., "events": [...]}`."""
    return json.dumps({"destination": destination, "events": list(events)}, ensure_ascii=False).encode()


def user_id(n: int = 1) -> str:
    """A user ID in LINE's shape (U + 32 hex digits), distinct per `n`."""
    return f"U{n:032x}"


def _event_id() -> str:
    return f"01TEST{next(_counter):012d}{secrets.token_hex(4).upper()}"


def base_event(event_type: str, *, ts: int | None = None, mode: str = "active", **fields: Any) -> JsonObject:
    """The fields every webhook event has (type, mode, timestamp, webhookEventId, deliveryContext) plus
    `fields`. `ts` defaults to the wall clock; pass the app clock's `now_ms()` under a `ManualClock`."""
    event: JsonObject = {
        "type": event_type,
        "mode": mode,
        "timestamp": ts if ts is not None else time.time_ns() // 1_000_000,
        "webhookEventId": _event_id(),
        "deliveryContext": {"isRedelivery": False},
    }
    event.update(fields)
    return event


def _user_source(user: str | None) -> JsonObject:
    return {"type": "user", "userId": user or user_id()}


def _reply_token(mode: str) -> JsonObject:
    return {"replyToken": secrets.token_hex(16)} if mode == "active" else {}  # standby events carry none


def message_event(text: str, *, user: str | None = None, mode: str = "active", ts: int | None = None) -> JsonObject:
    """A text message from `user` in a one-to-one chat."""
    message = {"id": str(next(_counter)), "type": "text", "text": text, "quoteToken": secrets.token_hex(8)}
    return base_event("message", mode=mode, ts=ts, source=_user_source(user), message=message, **_reply_token(mode))


def postback_event(
    data: str, *, user: str | None = None, params: JsonObject | None = None, mode: str = "active", ts: int | None = None
) -> JsonObject:
    """A postback (a button with `data` was tapped); `params` for date and time pickers."""
    postback: JsonObject = {"data": data, **({"params": params} if params else {})}
    return base_event("postback", mode=mode, ts=ts, source=_user_source(user), postback=postback, **_reply_token(mode))


def follow_event(*, user: str | None = None, mode: str = "active", ts: int | None = None) -> JsonObject:
    """`user` added the OA as a friend."""
    follow = {"isUnblocked": False}
    return base_event("follow", mode=mode, ts=ts, source=_user_source(user), follow=follow, **_reply_token(mode))


def unfollow_event(*, user: str | None = None, mode: str = "active", ts: int | None = None) -> JsonObject:
    """`user` blocked the OA."""
    return base_event("unfollow", mode=mode, ts=ts, source=_user_source(user))


def attached_event(
    bot_id: str = BOT_ID, scopes: Sequence[str] = ("message:send", "message:receive"), ts: int | None = None
) -> JsonObject:
    """The module was attached to OA `bot_id` with `scopes`."""
    return base_event("module", ts=ts, module={"type": "attached", "botId": bot_id, "scopes": list(scopes)})


def detached_event(bot_id: str = BOT_ID, reason: str = "bot_deleted", ts: int | None = None) -> JsonObject:
    """The module was detached from OA `bot_id`."""
    return base_event("module", ts=ts, module={"type": "detached", "botId": bot_id, "reason": reason})


class RunningApp:
    """A started `ModuleApp` with an HTTP client talking to its ASGI app in-process (no port).

    `upgrade=True` migrates the database first (the framework's tables and every registered history);
    `workers=False` stores webhooks without handling them (to assert on what was stored).
    """

    def __init__(self, app: ModuleApp, *, workers: bool = True, upgrade: bool = False) -> None:
        self.app = app
        self.workers = workers
        self.upgrade = upgrade

    async def __aenter__(self) -> RunningApp:
        import httpx

        if self.upgrade:
            await self.app.upgrade_database()
        self.asgi = self.app.asgi()
        await self.app.start(workers=self.workers)
        self.http: httpx.AsyncClient = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.asgi), base_url="http://module.test"
        )
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.http.aclose()
        await self.app.stop()

    async def post_webhook(self, events: Sequence[JsonObject], destination: str = BOT_ID) -> httpx.Response:
        """POST a webhook signed with the app's channel secret, as LINE would; returns the answer."""
        body = webhook_body(events, destination)
        headers = signed_headers(self.app.settings.channel_secret, body)
        return await self.http.post(self.app.settings.webhook_path, content=body, headers=headers)

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait until no stored event or due job is pending or running (retries waiting for their backoff
        count as pending); raises `TimeoutError` after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            if await self.app.queue_idle():
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"events or jobs were still waiting after {timeout} s")
            await asyncio.sleep(0.02)
