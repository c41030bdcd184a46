"""Reading form-encoded bodies and HTTP Basic credentials."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import parse_qsl

from fastapi import Request

from linemod.emulator.errors import OAuthError
from linemod.emulator.http.requests import raw_body


async def form_body(request: Request) -> dict[str, str]:
    """The form as the last value per key; anything but urlencoded is refused the OAuth way."""
    content_type = request.headers.get("content-type", "")
    if "application/x-www-form-urlencoded" not in content_type.lower():
        raise OAuthError(400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded")
    raw = await raw_body(request)
    try:
        return dict(parse_qsl(raw.decode(), keep_blank_values=True))
    except UnicodeDecodeError:
        raise OAuthError(400, "invalid_request", "The body is not valid UTF-8") from None


def client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str] | None:
    """The token call's Basic credentials, or None to take `client_id`/`client_secret` from the form.

    LINE's Node.js SDK (`@line/bot-sdk` 11) cannot send Basic: it puts the channel's credentials in the form
    and an `Authorization: Bearer ...` header beside them. The form's credentials are valid, so with both of
    them present any other scheme is ignored rather than refused."""
    header = request.headers.get("authorization")
    scheme = header.partition(" ")[0].lower() if header else ""
    if scheme and scheme != "basic" and form.get("client_id") and form.get("client_secret"):
        return None
    return basic_credentials(request)


def basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        raise OAuthError(400, "invalid_client", "Unsupported Authorization scheme")
    try:
        user, sep, secret = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError(400, "invalid_client", "Malformed Basic credentials") from None
    if not sep:
        raise OAuthError(400, "invalid_client", "Malformed Basic credentials")
    return user, secret
