"""CSRF protection for the pages' forms: a per-browser random token, double-submitted.

The token lives in an HttpOnly, SameSite=Strict cookie and is also written into every page (a
hidden `csrf_token` field in plain forms, an `X-CSRF-Token` header on htmx requests). A POST must
carry both and they must match: another site can make the browser send the cookie, but it cannot
read the page to learn the value. The emulator is a local tool, and the check costs nothing.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request
from starlette.responses import Response

COOKIE = "linemod_csrf"
HEADER = "x-csrf-token"
FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfError(Exception):
    """A state-changing request without a matching token."""


def token_of(request: Request) -> tuple[str, bool]:
    """The browser's token, and whether it is new (then `remember` must set the cookie)."""
    existing = request.cookies.get(COOKIE)
    if existing and len(existing) >= 32:
        return existing, False
    return secrets.token_urlsafe(32), True


def remember(response: Response, token: str) -> None:
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/")


async def check(request: Request) -> None:
    """Raises CsrfError unless an unsafe request double-submits the cookie's token."""
    if request.method in SAFE_METHODS:
        return
    cookie = request.cookies.get(COOKIE)
    sent = request.headers.get(HEADER)
    if not sent:
        form = await request.form()
        value = form.get(FIELD)
        sent = value if isinstance(value, str) else None
    if not cookie or not sent or not hmac.compare_digest(cookie.encode(), sent.encode()):
        raise CsrfError()
