"""One pure-ASGI middleware for what every LINE API answer shares.

`X-Line-Request-Id` on every answer, the 2 MB body limit (413), injected faults, and the request
log. Written as raw ASGI rather than `BaseHTTPMiddleware` because it sits on the hot path of
load tests.
"""

from __future__ import annotations

import json
import re
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from linemod.emulator import ids
from linemod.emulator.clock import Clock

CONTROL_PREFIX = "/_emulator"
UNLOGGED_PREFIXES = (CONTROL_PREFIX, "/static", "/favicon.ico", "/docs", "/openapi.json", "/_pages")


@dataclass
class Fault:
    id: str
    method: str
    path: str
    status: int
    remaining: int
    body: Any = None
    pattern: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        self.pattern = template_pattern(self.path)

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "method": self.method, "path": self.path, "status": self.status,
                "remaining": self.remaining, "body": self.body}


def template_pattern(template: str) -> re.Pattern[str]:
    """`/v2/bot/richmenu/{richMenuId}` matches `/v2/bot/richmenu/richmenu-1` and nothing longer."""
    parts = re.split(r"(\{[^}/]+\})", template)
    regex = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{regex}$")


class Faults:
    def __init__(self) -> None:
        self.items: list[Fault] = []

    def add(self, method: str, path: str, status: int, count: int, body: Any) -> Fault:
        fault = Fault(ids.opaque_token(12), method.upper(), path, status, count, body)
        self.items.append(fault)
        return fault

    def clear(self) -> None:
        self.items.clear()

    def take(self, method: str, path: str) -> Fault | None:
        for fault in self.items:
            if fault.remaining > 0 and fault.method == method and fault.pattern.match(path):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self.items.remove(fault)
                return fault
        return None


class RequestLog:
    def __init__(self, size: int) -> None:
        self.entries: deque[dict[str, Any]] = deque(maxlen=size)

    def add(self, entry: dict[str, Any]) -> None:
        self.entries.append(entry)

    def newest(self, limit: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for entry in reversed(self.entries):
            if len(out) >= limit:
                break
            out.append(entry)
        return out

    def clear(self) -> None:
        self.entries.clear()


class LineApiMiddleware:
    def __init__(self, app: ASGIApp, *, clock: Clock, faults: Faults, log: RequestLog, max_body: int) -> None:
        self.app = app
        self.clock = clock
        self.faults = faults
        self.log = log
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        request_id = ids.request_id()
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        status_holder = [0]
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder[0] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-line-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        if path == "/" or path.startswith(UNLOGGED_PREFIXES):
            await self.app(scope, receive, send_with_id)
            return

        method: str = scope["method"]
        try:
            length = next((int(v) for k, v in scope["headers"] if k == b"content-length"), 0)
        except ValueError:
            length = 0
        fault = self.faults.take(method, path) if self.faults.items else None
        if length > self.max_body:
            await _json(send_with_id, 413, {"message": "Request entity too large"})
        elif fault is not None:
            body = fault.body if fault.body is not None else {"message": f"Injected fault ({fault.status})"}
            await _json(send_with_id, fault.status, body)
        else:
            await self.app(scope, _limited(receive, self.max_body), send_with_id)
        self.log.add({
            "at": self.clock.now_ms(),
            "method": method,
            "path": path,
            "channel_id": state.get("channel_id"),
            "bot_id": state.get("bot_id"),
            "status_code": status_holder[0],
            "request_id": request_id,
            "duration_ms": round((time.perf_counter() - started) * 1000, 3),
            "fault": fault.id if fault else None,
        })


class BodyTooLarge(Exception):
    pass


def _limited(receive: Receive, limit: int) -> Receive:
    """Counts streamed bytes too: a chunked body has no Content-Length to check up front."""
    seen = [0]

    async def wrapped() -> Message:
        message = await receive()
        if message["type"] == "http.request":
            seen[0] += len(message.get("body", b""))
            if seen[0] > limit:
                raise BodyTooLarge()
        return message

    return wrapped


async def _json(send: Send, status: int, body: Any) -> None:
    raw = json.dumps(body, ensure_ascii=False).encode()
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())],
    })
    await send({"type": "http.response.body", "body": raw})
