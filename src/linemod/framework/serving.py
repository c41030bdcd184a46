"""What uvicorn is told when it serves a module app (`linemod serve`, `linemod demo`): which peers may say,
in `X-Forwarded-For`, who the client is.

The client IP is what the consoles' sign-in and mail limits count by. uvicorn's own defaults believe that
header from loopback (or from whatever its FORWARDED_ALLOW_IPS variable lists), so on a host without a
proxy anyone could name a new IP on every request. Here only the setting `forwarded_allow_ips` counts.
"""

from __future__ import annotations

from typing import TypedDict

from linemod.framework.settings import Settings


class ProxyOptions(TypedDict):
    """Keyword arguments of `uvicorn.Config` and `uvicorn.run`."""

    proxy_headers: bool
    forwarded_allow_ips: list[str]


def proxy_options(settings: Settings) -> ProxyOptions:
    """Proxy headers read only when `forwarded_allow_ips` lists someone, and only from those peers. The list
    is always passed, even empty: uvicorn reads its FORWARDED_ALLOW_IPS variable only when it gets none."""
    trusted = list(settings.forwarded_allow_ips)
    return ProxyOptions(proxy_headers=bool(trusted), forwarded_allow_ips=trusted)
