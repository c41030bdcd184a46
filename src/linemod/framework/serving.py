"""Serving a module over HTTP: the uvicorn configuration `linemod serve` runs, with deadlines for slow clients.

uvicorn closes a kept-alive connection that stays idle, but has no deadline for a request's headers or body:
a client sending one byte every few seconds keeps its connection, and a slot of the connection limit, for as
long as it likes (3,000 such connections all stayed open for 30 s and a webhook waited 5.4 s behind them). So
the HTTP protocol classes are uvicorn's own with a timer added: armed when a connection opens (or the first
byte of its next request arrives), moved to the body's deadline once the headers are complete, cancelled once
the body is. At the deadline the client gets a 408 and the connection is closed.

It also says which peers may tell, in `X-Forwarded-For`, who the client is. The client IP is what the consoles'
sign-in and mail limits count by; uvicorn's own defaults believe that header from loopback (or from whatever its
FORWARDED_ALLOW_IPS variable lists), so on a host without a proxy anyone could name a new IP on every request.
Here only the setting `forwarded_allow_ips` counts.

And how it stops (`ModuleServer`): SIGTERM starts a drain (`/healthz` answers 503 while requests are still
served, for `shutdown_drain_seconds`), then uvicorn's own graceful shutdown: the port closes, requests in
progress finish within `shutdown_grace_seconds`, the in-process worker finishes its handlers, and the process
exits with status 0 (uvicorn would re-raise the signal once done, which a service manager counts as a
crash of `linemod serve`).
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from types import FrameType
from typing import Any, TypedDict

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from linemod.framework.settings import Settings

_TOO_SLOW = b"The request was sent too slowly"
TIMEOUT_ANSWER = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(_TOO_SLOW), _TOO_SLOW)
)


class _RequestDeadlines(asyncio.Protocol):
    """Added in front of a uvicorn HTTP protocol class (see `protocol_with_deadlines`).

    It reads only what both of uvicorn's HTTP/1.1 implementations keep: `cycle`, the request in progress,
    replaced by a new one when a request's headers are complete, with `more_body` false once its body is in
    and `response_complete` once it is answered; and `transport`.
    """

    header_timeout: float
    body_timeout: float
    transport: asyncio.Transport
    cycle: Any
    _deadline: asyncio.TimerHandle | None = None
    _timing_body = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._set_deadline(self.header_timeout)

    def data_received(self, data: bytes) -> None:
        before = self.cycle
        if self._deadline is None and (before is None or before.response_complete):
            self._set_deadline(self.header_timeout)  # the first bytes of the next request on a kept-alive connection
        super().data_received(data)
        cycle = self.cycle
        if self.transport.get_protocol() is not self:  # upgraded (WebSocket): no longer HTTP's to time
            self._set_deadline(None)
        elif cycle is not before:  # a request's headers are complete
            self._set_deadline(self.body_timeout if cycle.more_body else None, body=True)
        elif self._timing_body and not cycle.more_body:
            self._set_deadline(None)

    def connection_lost(self, exc: Exception | None) -> None:
        self._set_deadline(None)
        super().connection_lost(exc)

    def _set_deadline(self, seconds: float | None, *, body: bool = False) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._timing_body = body and seconds is not None
        if seconds is not None:
            self._deadline = asyncio.get_running_loop().call_later(seconds, self._too_slow)

    def _too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if not (self._timing_body and self.cycle.response_started):  # no answer to this request on the way
            self.transport.write(TIMEOUT_ANSWER)
        # A handler still waiting for the body gets a disconnect when the connection is lost.
        self.transport.close()


def protocol_with_deadlines(
    header_timeout: float, body_timeout: float, base: type[asyncio.Protocol] | None = None
) -> type[asyncio.Protocol]:
    """uvicorn's HTTP/1.1 protocol class `base` with the request deadlines; by default httptools' when it is
    installed, as uvicorn's "auto" picks, else h11's."""
    if base is None:
        try:
            from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

            base = HttpToolsProtocol
        except ImportError:  # httptools is not installed
            base = H11Protocol
    attributes = {"header_timeout": header_timeout, "body_timeout": body_timeout}
    return type(f"{base.__name__}WithDeadlines", (_RequestDeadlines, base), attributes)


class ProxyOptions(TypedDict):
    """Keyword arguments of `uvicorn.Config` and `uvicorn.run`."""

    proxy_headers: bool
    forwarded_allow_ips: list[str]


def proxy_options(settings: Settings) -> ProxyOptions:
    """Proxy headers read only when `forwarded_allow_ips` lists someone, and only from those peers. The list
    is always passed, even empty: uvicorn reads its FORWARDED_ALLOW_IPS variable only when it gets none."""
    trusted = list(settings.forwarded_allow_ips)
    return ProxyOptions(proxy_headers=bool(trusted), forwarded_allow_ips=trusted)


def server_config(app: Any, settings: Settings, *, host: str, port: int, **options: Any) -> uvicorn.Config:
    """The uvicorn configuration of a module's ASGI app: request deadlines, the keep-alive timeout, the
    connection limit and the trusted proxies from `settings`; `options` are passed on to `uvicorn.Config`
    (`log_level`, ...)."""
    for name, value in proxy_options(settings).items():
        options.setdefault(name, value)
    options.setdefault("access_log", False)
    options.setdefault("http", protocol_with_deadlines(settings.header_timeout_seconds, settings.body_timeout_seconds))
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        timeout_keep_alive=settings.keep_alive_seconds,
        timeout_graceful_shutdown=max(1, round(settings.shutdown_grace_seconds)),
        # Past this many connections (or requests in progress), requests are answered 503 at once.
        limit_concurrency=settings.max_connections,
        **options,
    )


class ModuleServer(uvicorn.Server):
    """uvicorn's server, stopped the way a deployment with several processes needs (see the module's doc).

    The first SIGTERM or SIGINT calls `on_drain` (which makes `/healthz` answer 503) and, `drain_seconds`
    later, starts uvicorn's graceful shutdown; a second one during the drain starts it at once, and another
    SIGINT after that forces the exit, as in uvicorn.
    """

    def __init__(self, config: uvicorn.Config, *, drain_seconds: float, on_drain: Callable[[], None]) -> None:
        super().__init__(config)
        self.drain_seconds = drain_seconds
        self.on_drain = on_drain
        self._drain_ends: float | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # Not recorded in `_captured_signals`: a stop asked for by a signal and done gracefully is a clean exit.
        if self._drain_ends is None:
            self._drain_ends = time.monotonic() + self.drain_seconds
            self.on_drain()
            if self.drain_seconds > 0:
                return
        if self.should_exit and sig == signal.SIGINT:
            self.force_exit = True
        self.should_exit = True

    async def on_tick(self, counter: int) -> bool:
        if self._drain_ends is not None and time.monotonic() >= self._drain_ends:
            self.should_exit = True
        return await super().on_tick(counter)
