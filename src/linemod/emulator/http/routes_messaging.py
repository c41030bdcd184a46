"""api.line.me and api-data.line.me Messaging API endpoints, as modules and Primary Channels use them."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from linemod.emulator.errors import Detail, LineApiError, forbidden, validation_error
from linemod.emulator.http.requests import (
    json_body,
    line_caller,
    platform_of,
    request_id_of,
    retry_key_of,
)
from linemod.emulator.http.routing import LineRouter
from linemod.emulator.platform.entities import PrimaryChannel
from linemod.emulator.validation.fields import Fields
from linemod.emulator.validation.messages import validate_messages

router = LineRouter()
SEND = "message:send"
ENDPOINT_MAX_LENGTH = 500  # TestWebhookEndpointRequest.endpoint in LINE's messaging-api.yml


@router.post("/v2/bot/message/reply")
async def reply(request: Request) -> JSONResponse:
    caller = line_caller(request, scope=SEND)
    body = await json_body(request)
    platform = platform_of(request)
    with platform.stats.recording("reply", request_id_of(request), caller.bot_id):
        result = platform.messaging.reply(caller, body)
    return JSONResponse(result)


async def _send_with_retry_key(request: Request, kind: str) -> JSONResponse:
    """push/multicast/broadcast/narrowcast share the retry-key rules 66–69 (docs/emulator-behaviour.md)."""
    caller = line_caller(request, scope=SEND, retry_key_allowed=True)
    messaging = platform_of(request).messaging
    key = retry_key_of(request)
    messaging.check_retry_key(caller, key)
    body = await json_body(request)
    # Again after the await: a request with the same key may have been accepted meanwhile. From
    # here to accept_retry_key nothing yields, so overlapping retries run "only once" (rule 67).
    messaging.check_retry_key(caller, key)
    request_id = request_id_of(request)
    with platform_of(request).stats.recording(kind, request_id, caller.bot_id):
        if kind == "push":
            result = messaging.push(caller, body)
        elif kind == "multicast":
            result = messaging.multicast(caller, body)
        elif kind == "broadcast":
            result = messaging.broadcast(caller, body)
        else:
            result = messaging.narrowcast(caller, body, request_id)
    messaging.accept_retry_key(caller, key, request_id, result.get("sentMessages") if kind == "push" else None)
    return JSONResponse(result, status_code=202 if kind == "narrowcast" else 200)


@router.post("/v2/bot/message/push")
async def push(request: Request) -> JSONResponse:
    return await _send_with_retry_key(request, "push")


@router.post("/v2/bot/message/multicast")
async def multicast(request: Request) -> JSONResponse:
    return await _send_with_retry_key(request, "multicast")


@router.post("/v2/bot/message/broadcast")
async def broadcast(request: Request) -> JSONResponse:
    return await _send_with_retry_key(request, "broadcast")


@router.post("/v2/bot/message/narrowcast")
async def narrowcast(request: Request) -> JSONResponse:
    return await _send_with_retry_key(request, "narrowcast")


@router.get("/v2/bot/message/progress/narrowcast")
async def narrowcast_progress(request: Request) -> JSONResponse:
    line_caller(request, scope=SEND)
    return JSONResponse(platform_of(request).messaging.narrowcast_progress(request.query_params.get("requestId")))


@router.post("/v2/bot/message/validate/{kind}")
async def validate(request: Request, kind: str) -> JSONResponse:
    if kind not in ("reply", "push", "multicast", "narrowcast", "broadcast"):
        raise LineApiError(404, "Not found")
    line_caller(request, scope=SEND)
    body = await json_body(request)
    validate_messages(body.get("messages") if isinstance(body, dict) else None)
    return JSONResponse({})


@router.get("/v2/bot/message/quota")
async def quota(request: Request) -> JSONResponse:
    line_caller(request, scope=SEND)
    limit = platform_of(request).settings.monthly_message_limit
    return JSONResponse({"type": "none"} if limit is None else {"type": "limited", "value": limit})


@router.get("/v2/bot/message/quota/consumption")
async def quota_consumption(request: Request) -> JSONResponse:
    caller = line_caller(request, scope=SEND)
    account = caller.require_account()
    return JSONResponse({"totalUsage": platform_of(request).messaging.usage_this_month(account.bot_id)})


@router.post("/v2/bot/chat/loading/start")
async def loading(request: Request) -> JSONResponse:
    caller = line_caller(request, scope=SEND)
    body = await json_body(request)
    return JSONResponse(platform_of(request).extras.loading(caller, body), status_code=202)


@router.get("/v2/bot/profile/{userId}")
async def profile(request: Request, userId: str) -> JSONResponse:
    caller = line_caller(request, scope="profile:read")
    return JSONResponse(platform_of(request).extras.profile(caller, userId))


@router.post("/v2/bot/user/{userId}/linkToken")
async def link_token(request: Request, userId: str) -> JSONResponse:
    caller = line_caller(request)  # rule 27: no scope needed
    return JSONResponse(platform_of(request).extras.link_token(caller, userId))


@router.post("/v2/bot/message/markAsRead")
async def mark_as_read_old(request: Request) -> JSONResponse:
    caller = line_caller(request, scope="message:mark_as_read")
    body = await json_body(request)
    return JSONResponse(platform_of(request).extras.mark_as_read_old(caller, body))


@router.post("/v2/bot/chat/markAsRead")
async def mark_as_read(request: Request) -> JSONResponse:
    caller = line_caller(request, scope="message:mark_as_read")
    body = await json_body(request)
    return JSONResponse(platform_of(request).extras.mark_as_read_token(caller, body))


@router.get("/v2/bot/message/{messageId}/content")
async def content(request: Request, messageId: str) -> Response:
    caller = line_caller(request, scope="message:receive")
    blob, media_type = platform_of(request).users.content.content(caller, messageId)
    return Response(blob, media_type=media_type)


@router.get("/v2/bot/message/{messageId}/content/preview")
async def content_preview(request: Request, messageId: str) -> Response:
    caller = line_caller(request, scope="message:receive")
    blob, media_type = platform_of(request).users.content.preview(caller, messageId)
    return Response(blob, media_type=media_type)


@router.get("/v2/bot/message/{messageId}/content/transcoding")
async def content_transcoding(request: Request, messageId: str) -> JSONResponse:
    caller = line_caller(request, scope="message:receive")
    return JSONResponse(platform_of(request).users.content.transcoding(caller, messageId))


def _primary_only(request: Request) -> PrimaryChannel:
    """Webhook-endpoint APIs belong to a Messaging API channel; modules get 403 (choice 4)."""
    caller = line_caller(request, bot_required=False)
    if not isinstance(caller.channel, PrimaryChannel):
        raise forbidden()
    return caller.channel


@router.get("/v2/bot/channel/webhook/endpoint")
async def get_webhook_endpoint(request: Request) -> JSONResponse:
    channel = _primary_only(request)
    return JSONResponse({"endpoint": channel.webhook_url or "", "active": channel.webhook_enabled})


@router.put("/v2/bot/channel/webhook/endpoint")
async def set_webhook_endpoint(request: Request) -> JSONResponse:
    channel = _primary_only(request)
    body = await json_body(request)
    endpoint = body.get("endpoint") if isinstance(body, dict) else None
    if not isinstance(endpoint, str) or (not endpoint.startswith("https://") and "127.0.0.1" not in endpoint):
        raise LineApiError(400, "Invalid webhook endpoint URL")
    channel.webhook_url = endpoint
    return JSONResponse({})


@router.post("/v2/bot/channel/webhook/test")
async def test_webhook_endpoint(request: Request) -> JSONResponse:
    channel = _primary_only(request)
    url = _endpoint_to_test(await json_body(request, required=False)) or channel.webhook_url
    if not url:
        raise LineApiError(400, "The webhook endpoint is not set")
    probe = PrimaryChannel(channel.channel_id, channel.channel_secret, channel.bot_id, url)
    result = await request.app.state.dispatcher.connectivity_check(probe, channel.bot_id)
    result["timestamp"] = _iso_now(request)
    return JSONResponse(result)


def _endpoint_to_test(body: Any) -> str | None:
    """`TestWebhookEndpointRequest.endpoint`: an optional string of at most 500 characters (null or empty
    means the channel's own URL)."""
    if not isinstance(body, dict):
        raise LineApiError(400, "The request body could not be parsed as JSON (line: 1, column: 1)")
    details: list[Detail] = []
    endpoint = Fields(body, "", details).string("endpoint", max_len=ENDPOINT_MAX_LENGTH)
    if details:
        raise validation_error(details)
    return endpoint or None


def _iso_now(request: Request) -> str:
    import datetime as dt

    now = platform_of(request).clock.now_s()
    return dt.datetime.fromtimestamp(now, dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
