"""The control API answers only the developer's own tools, not a web page they happen to visit.

It can reset the platform, read every channel secret (`GET /_emulator/state`) and speak for any party, so
a page elsewhere must not drive it: a request whose browser marks it cross-site, or whose `Origin` is not
one of the allowed hosts, is refused; and a `Host` outside the allowed ones is refused too, which defeats
DNS rebinding (a page at evil.example re-pointed to 127.0.0.1 still sends `Host: evil.example`). The LINE
API paths and the simulator pages are not guarded here: modules call LINE from anywhere, and the pages
have their own CSRF tokens.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from linemod.emulator.http.middleware import CONTROL_PREFIX


class ControlGuard:
    """ASGI middleware over the control API (`/_emulator/...`)."""

    def __init__(self, app: ASGIApp, *, allowed_hosts: Collection[str]) -> None:
        self.app = app
        self.allowed = {host.lower() for host in allowed_hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(CONTROL_PREFIX + "/"):
            refused = self.refusal(dict(scope["headers"]))
            if refused is not None:
                body = json.dumps({"message": refused}).encode()
                headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
                await send({"type": "http.response.start", "status": 403, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    def refusal(self, headers: dict[bytes, bytes]) -> str | None:
        """Why this request may not use the control API, or None."""
        host = _hostname(headers.get(b"host", b"").decode("latin-1"))
        if not self._allowed(host):
            return f"linemod emulator: the control API does not answer for host {host!r} (allowed: {self._listed()})"
        if headers.get(b"sec-fetch-site", b"").lower() == b"cross-site":
            return "linemod emulator: the control API refuses requests from other sites"
        origin = headers.get(b"origin", b"").decode("latin-1")
        if origin and origin != "null" and not self._allowed(_hostname(urlsplit(origin).netloc)):
            return f"linemod emulator: the control API refuses requests from {origin}"
        return None

    def _allowed(self, host: str) -> bool:
        return "*" in self.allowed or host in self.allowed

    def _listed(self) -> str:
        return ", ".join(sorted(self.allowed))


def _hostname(netloc: str) -> str:
    """The host of a `Host` header or an origin's netloc, without port or IPv6 brackets, lower-case."""
    netloc = netloc.strip().lower()
    if netloc.startswith("["):
        return netloc[1 : netloc.find("]")] if "]" in netloc else netloc
    return netloc.rsplit(":", 1)[0] if netloc.count(":") == 1 else netloc
