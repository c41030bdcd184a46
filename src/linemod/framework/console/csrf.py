"""CSRF protection of the consoles: a token every form and htmx request must send back on POST.

The token is an HMAC of the session token (signed in) or of a random per-browser cookie (signed out), under
the app's signing secret. Another site can make a browser send its cookies but cannot read a page to learn
the token, nor compute it. Forms carry it in a hidden `csrf_token` field; htmx sends it as `X-CSRF-Token`
(the console layout puts it in `hx-headers`). Signing in switches the binding, so a token from before
sign-in is no good after it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from starlette.requests import Request

FIELD = "csrf_token"
HEADER = "x-csrf-token"
ANON_COOKIE = "linemod_console_anon"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfRejected(Exception):
    """An unsafe request without the right token."""


def token_for(secret: str, binding: str) -> str:
    digest = hmac.new(secret.encode(), f"linemod-csrf|{binding}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def new_anon_id() -> str:
    return secrets.token_urlsafe(32)


async def submitted_token(request: Request) -> str | None:
    """The token an unsafe request carries: the htmx header, else the form field."""
    sent = request.headers.get(HEADER)
    if sent:
        return sent
    content_type = request.headers.get("content-type", "")
    if "form" not in content_type:
        return None
    form = await request.form()  # cached by Starlette: the route reads the same parsed form
    value = form.get(FIELD)
    return value if isinstance(value, str) else None


async def check(request: Request, expected: str) -> None:
    if request.method in SAFE_METHODS:
        return
    sent = await submitted_token(request)
    if not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfRejected()
