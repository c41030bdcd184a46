"""Real HTTP servers on loopback for end-to-end tests: the emulator, and webhook receivers."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _ThreadServer(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the test process owns its signals
        pass


@contextmanager
def serve(app: Any, port: int | None = None, **options: Any) -> Iterator[str]:
    """Runs an ASGI app under uvicorn in a thread; yields its base URL once it answers. `options` go to
    `uvicorn.Config` (`timeout_keep_alive`, say; `ssl_certfile` and `ssl_keyfile` serve https)."""
    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on",
                            access_log=False, **options)
    server = _ThreadServer(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("server did not start")
        time.sleep(0.02)
    try:
        yield f"{'https' if options.get('ssl_certfile') else 'http'}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    raw: bytes

    @property
    def body(self) -> dict[str, Any]:
        return json.loads(self.raw)

    @property
    def events(self) -> list[dict[str, Any]]:
        return list(self.body["events"])


@dataclass
class WebhookReceiver:
    """Records every POST; answers with `status` (or sleeps `delay` seconds first)."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    status: int = 200
    delay: float = 0.0
    statuses: list[int] = field(default_factory=list)  # answered in turn before falling back to `status`

    def events(self, path: str | None = None) -> list[dict[str, Any]]:
        return [e for r in self.received if path is None or r.path == path for e in r.events]

    def clear(self) -> None:
        self.received.clear()


def receiver_app(receiver: WebhookReceiver) -> Starlette:
    async def hook(request: Request) -> Response:
        raw = await request.body()
        receiver.received.append(Received(request.url.path, dict(request.headers), raw))
        if receiver.delay:
            await asyncio.sleep(receiver.delay)
        status = receiver.statuses.pop(0) if receiver.statuses else receiver.status
        return JSONResponse({}, status_code=status)

    return Starlette(routes=[Route("/{path:path}", hook, methods=["POST"])])


@contextmanager
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    with serve(receiver_app(receiver)) as url:
        receiver.url = url
        yield receiver


class Emulator:
    """A thin client of the control API, for tests that play the platform's other parties."""

    def __init__(self, base_url: str) -> None:
        self.url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=15)

    def call(self, method: str, path: str, expect: int | None = None, **kwargs: Any) -> Any:
        response = self.http.request(method, path, **kwargs)
        if expect is not None:
            assert response.status_code == expect, (response.status_code, response.text)
        return response.json() if response.content else None

    def reset(self) -> None:
        self.call("POST", "/_emulator/reset", expect=200)

    def module_channel(self, webhook_url: str | None, **extra: Any) -> dict[str, Any]:
        body = {"name": "Reservation", "webhook_url": webhook_url,
                "redirect_uris": ["https://module.example/callback"], **extra}
        return self.call("POST", "/_emulator/module-channels", json=body, expect=201)  # type: ignore[no-any-return]

    def account(self, **extra: Any) -> dict[str, Any]:
        body = {"display_name": "Cafe Sakura", **extra}
        return self.call("POST", "/_emulator/accounts", json=body, expect=201)  # type: ignore[no-any-return]

    def person(self, name: str = "Hanako") -> dict[str, Any]:
        return self.call("POST", "/_emulator/users", json={"display_name": name}, expect=201)  # type: ignore[no-any-return]

    def flush(self) -> None:
        """Waits until every queued webhook has been delivered or has failed for good; assert after this."""
        self.call("POST", "/_emulator/deliveries/flush", json={"timeout_seconds": 10}, expect=200)

    def advance(self, seconds: float) -> int:
        return int(self.call("POST", "/_emulator/clock/advance", json={"seconds": seconds}, expect=200)["now_ms"])
