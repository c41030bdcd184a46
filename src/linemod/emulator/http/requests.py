"""Reading LINE API requests: JSON bodies, forms, the caller, rate limits, as LINE answers them."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from linemod.emulator.errors import LineApiError, unauthorized
from linemod.emulator.http.json_depth import LINE_API_MAX_DEPTH, nests_deeper_than
from linemod.emulator.http.middleware import BodyTooLarge
from linemod.emulator.platform.world import Caller, Platform

RETRY_KEY_HEADER = "x-line-retry-key"


def platform_of(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


async def raw_body(request: Request) -> bytes:
    try:
        return await request.body()
    except BodyTooLarge:
        raise LineApiError(413, "Request entity too large") from None


async def json_body(request: Request, *, required: bool = True) -> Any:
    """The request's JSON, or LINE's own 415/400 answers when it is not JSON (nested too deeply included)."""
    raw = await raw_body(request)
    if not raw.strip():
        if required:
            raise LineApiError(400, "The request body could not be parsed as JSON (line: 1, column: 1)")
        return {}
    content_type = request.headers.get("content-type", "")
    if content_type and "json" not in content_type.lower():
        raise LineApiError(415, f"The content type, {content_type}, is not supported")
    if nests_deeper_than(raw, LINE_API_MAX_DEPTH):
        raise LineApiError(400, "The request body could not be parsed as JSON (line: -, column: -)")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        line = getattr(exc, "lineno", "-")
        column = getattr(exc, "colno", "-")
        message = f"The request body could not be parsed as JSON (line: {line}, column: {column})"
        raise LineApiError(400, message) from None


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization")
    if not header:
        raise unauthorized()
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized()
    return token.strip()


def line_caller(request: Request, *, scope: str | None = None, bot_required: bool = True,
                rate_key: str | None = None, retry_key_allowed: bool = False) -> Caller:
    """Authenticates the caller and binds it to the OA it acts for.

    Order follows what a client can observe on the real platform: token (401), bot-ID header and
    attachment (403), scope (403), then the rate limit of this endpoint (429).
    """
    platform = platform_of(request)
    if not retry_key_allowed and RETRY_KEY_HEADER in request.headers:
        raise LineApiError(400, "X-Line-Retry-Key is not supported for this API")  # rule 66
    channel = platform.tokens.authenticate(bearer_token(request))
    request.state.channel_id = channel.channel_id
    # Endpoints that take no bot-ID header (detach, bot list: "The bot-ID header" in docs/emulator-behaviour.md)
    # ignore one if sent.
    header = request.headers.get(platform.settings.bot_id_header) if bot_required else None
    caller = platform.caller_for(channel, header, bot_required=bot_required)
    if caller.account is not None:
        request.state.bot_id = caller.account.bot_id
    platform.require_scope(caller, scope)
    if platform.settings.rate_limits:
        route = request.scope.get("route")
        template = rate_key or (route.path if route is not None else request.url.path)
        platform.rate_limiter.check(channel.channel_id, caller.bot_id, request.method, template)
    return caller


def request_id_of(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", ""))


def retry_key_of(request: Request) -> str | None:
    return request.headers.get(RETRY_KEY_HEADER)
