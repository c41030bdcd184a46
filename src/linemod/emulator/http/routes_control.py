"""The control API under /_emulator/ (contract: shared/spec/emulator-control-api.md).

Tests, scripts and the simulator pages play every party that is not the module through these:
LY Corporation's staff, the OA admin, the operator and the end users.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from linemod.emulator.errors import ConsentError, ControlError
from linemod.emulator.http.requests import platform_of, raw_body
from linemod.emulator.platform.attach import RedirectError
from linemod.emulator.platform.snapshot import export_state, import_state

router = APIRouter(prefix="/_emulator", tags=["control"])


async def _body(request: Request, *, required: bool = True) -> dict[str, Any]:
    raw = await raw_body(request)
    if not raw.strip():
        if required:
            raise ControlError(400, "a JSON body is required")
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise ControlError(400, "the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ControlError(400, "the body must be a JSON object")
    return data


def _int_query(request: Request, name: str, default: int) -> int:
    value = request.query_params.get(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ControlError(400, f"{name} must be an integer") from None
    if number < 1:
        raise ControlError(400, f"{name} must be at least 1")
    return number


# ---- setup -------------------------------------------------------------------------------------

@router.post("/reset")
async def reset(request: Request) -> JSONResponse:
    platform_of(request).reset()
    request.app.state.dispatcher.clear()
    request.app.state.faults.clear()
    request.app.state.request_log.clear()
    return JSONResponse({})


@router.post("/module-channels", status_code=201)
async def create_module_channel(request: Request) -> JSONResponse:
    channel = platform_of(request).create_module_channel(await _body(request))
    return JSONResponse(channel.public(), status_code=201)


@router.get("/module-channels")
async def list_module_channels(request: Request) -> JSONResponse:
    return JSONResponse({"module_channels": [c.public() for c in platform_of(request).module_channels.values()]})


@router.patch("/module-channels/{channel_id}")
async def update_module_channel(request: Request, channel_id: str) -> JSONResponse:
    channel = platform_of(request).update_module_channel(channel_id, await _body(request))
    return JSONResponse(channel.public())


@router.post("/module-channels/{channel_id}/public-keys", status_code=201)
async def register_public_key(request: Request, channel_id: str) -> JSONResponse:
    kid = platform_of(request).register_public_key(channel_id, await _body(request))
    return JSONResponse({"kid": kid}, status_code=201)


@router.post("/module-channels/{channel_id}/webhook-test")
async def module_webhook_test(request: Request, channel_id: str) -> JSONResponse:
    """Rule 59: the connectivity check with an empty `events` list."""
    platform = platform_of(request)
    channel = platform.module_channels.get(channel_id)
    if channel is None:
        raise ControlError(404, f"module channel {channel_id} not found")
    if not channel.webhook_url:
        raise ControlError(409, "the channel has no webhook URL")
    body = await _body(request, required=False)
    bot_id = body.get("bot_id") or next(
        (a.bot_id for a in platform.attachments.values() if a.channel_id == channel_id), None)
    if bot_id is None:
        raise ControlError(409, "the channel is attached to no account; pass bot_id")
    return JSONResponse(await request.app.state.dispatcher.connectivity_check(channel, bot_id))


@router.post("/accounts", status_code=201)
async def create_account(request: Request) -> JSONResponse:
    platform = platform_of(request)
    account = platform.create_account(await _body(request))
    return JSONResponse(account.public(platform.primary_of(account)), status_code=201)


@router.get("/accounts")
async def list_accounts(request: Request) -> JSONResponse:
    platform = platform_of(request)
    return JSONResponse({"accounts": [a.public(platform.primary_of(a)) for a in platform.accounts.values()]})


@router.get("/accounts/{bot_id}")
async def get_account(request: Request, bot_id: str) -> JSONResponse:
    platform = platform_of(request)
    account = platform.account(bot_id)
    out = account.public(platform.primary_of(account))
    out["attachments"] = [
        {"channel_id": a.channel_id, "scopes": a.scopes, "attached_at_ms": a.attached_at_ms}
        for a in platform.attachments_of_account(bot_id)
    ]
    return JSONResponse(out)


@router.patch("/accounts/{bot_id}")
async def update_account(request: Request, bot_id: str) -> JSONResponse:
    platform = platform_of(request)
    account = platform.update_account(bot_id, await _body(request))
    return JSONResponse(account.public(platform.primary_of(account)))


@router.post("/users", status_code=201)
async def create_user(request: Request) -> JSONResponse:
    person = platform_of(request).create_person(await _body(request))
    return JSONResponse(person.public(), status_code=201)


@router.get("/users")
async def list_users(request: Request) -> JSONResponse:
    return JSONResponse({"users": [p.public() for p in platform_of(request).people.values()]})


# ---- end users and the operator ----------------------------------------------------------------

@router.post("/accounts/{bot_id}/friends")
async def add_friend(request: Request, bot_id: str) -> JSONResponse:
    body = await _body(request)
    user_id = body.get("user_id")
    if not isinstance(user_id, str):
        raise ControlError(400, "user_id is required")
    return JSONResponse(platform_of(request).users.follow(bot_id, user_id))


@router.delete("/accounts/{bot_id}/friends/{user_id}")
async def block(request: Request, bot_id: str, user_id: str) -> JSONResponse:
    platform_of(request).users.block(bot_id, user_id)
    return JSONResponse({})


@router.get("/accounts/{bot_id}/users/{user_id}")
async def relationship(request: Request, bot_id: str, user_id: str) -> JSONResponse:
    return JSONResponse(platform_of(request).users.relationship(bot_id, user_id))


@router.post("/accounts/{bot_id}/chats/{user_id}/messages", status_code=202)
async def user_message(request: Request, bot_id: str, user_id: str) -> JSONResponse:
    result = platform_of(request).users.send(bot_id, user_id, await _body(request))
    return JSONResponse(result, status_code=202)


@router.post("/accounts/{bot_id}/chats/{user_id}/postback", status_code=202)
async def user_postback(request: Request, bot_id: str, user_id: str) -> JSONResponse:
    body = await _body(request)
    result = platform_of(request).users.postback(bot_id, user_id, body.get("data"), body.get("params"),
                                                 body.get("display_text"))
    return JSONResponse(result, status_code=202)


@router.post("/accounts/{bot_id}/chats/{user_id}/richmenu-tap", status_code=202)
async def richmenu_tap(request: Request, bot_id: str, user_id: str) -> JSONResponse:
    platform = platform_of(request)
    body = await _body(request)
    area = body.get("area")
    if not isinstance(area, int) or isinstance(area, bool) or area < 0:
        raise ControlError(400, "area must be a non-negative integer")
    account = platform.account(bot_id)
    platform.person(user_id)
    action = platform.richmenus.area_action(account, user_id, area)
    if action is None:
        raise ControlError(404, "the user has no rich menu, or it has no such area")
    return JSONResponse(platform.users.perform(bot_id, user_id, action, body.get("params")), status_code=202)


@router.post("/accounts/{bot_id}/chats/{user_id}/actions", status_code=202)
async def perform_action(request: Request, bot_id: str, user_id: str) -> JSONResponse:
    """Taps an action object (template button, quick reply, Flex button) as the LINE app would."""
    body = await _body(request)
    action = body.get("action")
    if not isinstance(action, dict):
        raise ControlError(400, "action must be an action object")
    return JSONResponse(platform_of(request).users.perform(bot_id, user_id, action, body.get("params")),
                        status_code=202)


@router.get("/accounts/{bot_id}/chats/{user_id}/messages")
async def chat_messages(request: Request, bot_id: str, user_id: str) -> JSONResponse:
    platform = platform_of(request)
    platform.account(bot_id)
    platform.person(user_id)
    since = request.query_params.get("since")
    try:
        since_ms = int(since) if since is not None else None
    except ValueError:
        raise ControlError(400, "since must be milliseconds") from None
    entries = platform.chats.get((bot_id, user_id), [])
    return JSONResponse({"messages": [e.public() for e in entries if since_ms is None or e.timestamp >= since_ms]})


@router.get("/accounts/{bot_id}/chats/{user_id}/richmenu")
async def chat_richmenu(request: Request, bot_id: str, user_id: str) -> JSONResponse:
    platform = platform_of(request)
    account = platform.account(bot_id)
    platform.person(user_id)
    menu = platform.richmenus.current_for(account, user_id)
    if menu is None:
        raise ControlError(404, "the user sees no rich menu")
    return JSONResponse(menu)


@router.get("/accounts/{bot_id}/chats/{user_id}/control")
async def chat_control_state(request: Request, bot_id: str, user_id: str) -> JSONResponse:
    platform = platform_of(request)
    account = platform.account(bot_id)
    platform.person(user_id)
    return JSONResponse(platform.chat_control.describe(account, user_id))


@router.post("/accounts/{bot_id}/chats/{user_id}/takeover")
async def operator_take_over(request: Request, bot_id: str, user_id: str) -> JSONResponse:
    """An operator takes the chat over in the OA Manager: the Active module gets `deactivated`."""
    platform = platform_of(request)
    account = platform.account(bot_id)
    platform.person(user_id)
    platform.chat_control.operator_take_over(account, user_id)
    return JSONResponse(platform.chat_control.describe(account, user_id))


@router.post("/accounts/{bot_id}/chats/{user_id}/handback")
async def operator_hand_back(request: Request, bot_id: str, user_id: str) -> JSONResponse:
    """The operator hands the chat back: it returns to the OA's default (the Default-Active module)."""
    platform = platform_of(request)
    account = platform.account(bot_id)
    platform.person(user_id)
    platform.chat_control.operator_hand_back(account, user_id)
    return JSONResponse(platform.chat_control.describe(account, user_id))


@router.post("/accounts/{bot_id}/chats/{user_id}/operator-messages", status_code=202)
async def operator_message(request: Request, bot_id: str, user_id: str) -> JSONResponse:
    body = await _body(request)
    return JSONResponse(platform_of(request).users.operator_message(bot_id, user_id, body.get("text")),
                        status_code=202)


@router.post("/load/messages", status_code=202)
async def load_messages(request: Request) -> JSONResponse:
    """Many user messages in one call, for load tests: `count` texts spread over `user_ids`."""
    platform = platform_of(request)
    body = await _body(request)
    bot_id, user_ids, count = body.get("bot_id"), body.get("user_ids"), body.get("count", 1)
    if not isinstance(bot_id, str) or not isinstance(user_ids, list) or not user_ids:
        raise ControlError(400, "bot_id and a non-empty user_ids list are required")
    if not isinstance(count, int) or not 1 <= count <= 100_000:
        raise ControlError(400, "count must be between 1 and 100000")
    text = str(body.get("text") or "load")
    events = 0
    for index in range(count):
        result = platform.users.send(bot_id, user_ids[index % len(user_ids)], {"type": "text", "text": text})
        events += len(result["webhook_event_ids"])
    return JSONResponse({"messages": count, "webhook_events": events}, status_code=202)


# ---- the OA admin and LY Corporation -----------------------------------------------------------

@router.post("/authorize")
async def authorize(request: Request) -> JSONResponse:
    platform = platform_of(request)
    body = await _body(request)
    url = body.get("authorize_url")
    decision = body.get("decision")
    if not isinstance(url, str) or decision not in ("approve", "deny"):
        raise ControlError(400, "authorize_url and decision (approve or deny) are required")
    parts = urlsplit(url)
    if parts.path != "/module/auth/v1/authorize":
        raise ControlError(400, "authorize_url must be a /module/auth/v1/authorize URL")
    try:
        auth = platform.attach.begin(dict(parse_qsl(parts.query, keep_blank_values=True)))
    except RedirectError as exc:
        return JSONResponse({"redirect_url": exc.url})
    except ConsentError as exc:
        raise ControlError(400, exc.message) from None
    bot_id = body.get("bot_id")
    if decision == "approve" and bot_id not in platform.accounts:
        platform.attach.requests.pop(auth.id, None)
        raise ControlError(400, "bot_id must name an existing account")
    return JSONResponse({"redirect_url": platform.attach.decide(auth, bot_id, approve=decision == "approve")})


@router.post("/accounts/{bot_id}/suspend")
async def suspend(request: Request, bot_id: str) -> JSONResponse:
    platform_of(request).suspend(bot_id)
    return JSONResponse({})


@router.post("/accounts/{bot_id}/resume")
async def resume(request: Request, bot_id: str) -> JSONResponse:
    platform_of(request).resume(bot_id)
    return JSONResponse({})


@router.post("/accounts/{bot_id}/delete")
async def delete(request: Request, bot_id: str) -> JSONResponse:
    body = await _body(request, required=False)
    seconds = body.get("purge_after_seconds")
    if seconds is not None and (not isinstance(seconds, int | float) or isinstance(seconds, bool)):
        raise ControlError(400, "purge_after_seconds must be a number")
    platform_of(request).delete(bot_id, seconds)
    return JSONResponse({})


# ---- time, deliveries, faults, state -----------------------------------------------------------

@router.get("/clock")
async def clock(request: Request) -> JSONResponse:
    return JSONResponse({"now_ms": platform_of(request).clock.now_ms()})


@router.post("/clock/advance")
async def advance(request: Request) -> JSONResponse:
    platform = platform_of(request)
    seconds = (await _body(request)).get("seconds")
    if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds <= 0:
        raise ControlError(400, "seconds must be a number greater than 0")
    now = platform.clock.advance(seconds)
    platform.tick()
    request.app.state.dispatcher.fire_due()
    return JSONResponse({"now_ms": now})


@router.post("/deliveries/flush")
async def flush(request: Request) -> JSONResponse:
    body = await _body(request, required=False)
    timeout = body.get("timeout_seconds", 10)
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
        raise ControlError(400, "timeout_seconds must be a positive number")
    pending = await request.app.state.dispatcher.flush(float(timeout))
    return JSONResponse({"pending": pending}, status_code=504 if pending else 200)


@router.get("/deliveries")
async def deliveries(request: Request) -> JSONResponse:
    params = request.query_params
    items = request.app.state.dispatcher.list(params.get("channel_id"), params.get("bot_id"),
                                              _int_query(request, "limit", 100))
    return JSONResponse({"deliveries": items})


@router.get("/requests")
async def requests_log(request: Request) -> JSONResponse:
    entries = request.app.state.request_log.newest(_int_query(request, "limit", 100))
    return JSONResponse({"requests": entries})


@router.post("/faults", status_code=201)
async def add_fault(request: Request) -> JSONResponse:
    body = await _body(request)
    method, path, status = body.get("method"), body.get("path"), body.get("status")
    count = body.get("count", 1)
    if not isinstance(method, str) or not isinstance(path, str) or not path.startswith("/"):
        raise ControlError(400, "method and path (a LINE API path template) are required")
    if not isinstance(status, int) or not 400 <= status <= 599:
        raise ControlError(400, "status must be an HTTP error status (400-599)")
    if not isinstance(count, int) or count < 1:
        raise ControlError(400, "count must be a positive integer")
    fault = request.app.state.faults.add(method, path, status, count, body.get("body"))
    return JSONResponse({"id": fault.id}, status_code=201)


@router.get("/faults")
async def list_faults(request: Request) -> JSONResponse:
    return JSONResponse({"faults": [f.public() for f in request.app.state.faults.items]})


@router.delete("/faults")
async def clear_faults(request: Request) -> JSONResponse:
    request.app.state.faults.clear()
    return JSONResponse({})


@router.get("/state")
async def get_state(request: Request) -> JSONResponse:
    return JSONResponse(export_state(platform_of(request)))


@router.put("/state")
async def put_state(request: Request) -> JSONResponse:
    import_state(platform_of(request), await _body(request))
    return JSONResponse({})
