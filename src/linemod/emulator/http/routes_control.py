"""The control API under /_emulator/: setup, the OA admin and LY Corporation, time, deliveries,
faults and state (what end users and operators do is in `routes_control_chats`).

Bodies are pydantic models, so `/_emulator/docs` shows each one's schema; a body that does not
fit its model is a 400 `{"message"}` (see `app.py`), never a 500.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qsl, urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from linemod.emulator.errors import ConsentError, ControlError
from linemod.emulator.http.control_api import ADMIN, ERROR_RESPONSES, SETUP, TOOLS, JsonBodyRoute
from linemod.emulator.http.control_bodies import Authorize, DeliveriesFlush, FaultSpec, WebhookTest
from linemod.emulator.http.requests import platform_of
from linemod.emulator.platform.attach import RedirectError
from linemod.emulator.platform.commands import (
    AccountDeletion,
    AccountPatch,
    ClockAdvance,
    ModuleChannelPatch,
    NewAccount,
    NewModuleChannel,
    NewPerson,
    PublicKey,
)
from linemod.emulator.platform.snapshot import Snapshot, export_state, import_state

router = APIRouter(prefix="/_emulator", route_class=JsonBodyRoute, responses=ERROR_RESPONSES)

Limit = Annotated[int, Query(ge=1, description="most entries answered")]

# ---- setup -------------------------------------------------------------------------------------


@router.post("/reset", tags=[SETUP])
async def reset(request: Request) -> JSONResponse:
    platform_of(request).reset()
    request.app.state.dispatcher.clear()
    request.app.state.faults.clear()
    request.app.state.request_log.clear()
    return JSONResponse({})


@router.post("/module-channels", status_code=201, tags=[SETUP])
async def create_module_channel(request: Request, spec: NewModuleChannel) -> JSONResponse:
    channel = platform_of(request).setup.create_module_channel(spec)
    return JSONResponse(channel.public(), status_code=201)


@router.get("/module-channels", tags=[SETUP])
async def list_module_channels(request: Request) -> JSONResponse:
    return JSONResponse({"module_channels": [c.public() for c in platform_of(request).module_channels.values()]})


@router.patch("/module-channels/{channel_id}", tags=[SETUP])
async def update_module_channel(request: Request, channel_id: str, patch: ModuleChannelPatch) -> JSONResponse:
    channel = platform_of(request).setup.update_module_channel(channel_id, patch)
    return JSONResponse(channel.public())


@router.post("/module-channels/{channel_id}/public-keys", status_code=201, tags=[SETUP])
async def register_public_key(request: Request, channel_id: str, key: PublicKey) -> JSONResponse:
    kid = platform_of(request).setup.register_public_key(channel_id, key)
    return JSONResponse({"kid": kid}, status_code=201)


@router.post("/module-channels/{channel_id}/webhook-test", tags=[SETUP])
async def module_webhook_test(request: Request, channel_id: str, body: WebhookTest | None = None) -> JSONResponse:
    """Rule 59 (docs/emulator-behaviour.md): the connectivity check with an empty `events` list."""
    platform = platform_of(request)
    channel = platform.module_channels.get(channel_id)
    if channel is None:
        raise ControlError(404, f"module channel {channel_id} not found")
    if not channel.webhook_url:
        raise ControlError(409, "the channel has no webhook URL")
    bot_id = (body.bot_id if body else None) or next(
        (a.bot_id for a in platform.attachments.values() if a.channel_id == channel_id), None)
    if bot_id is None:
        raise ControlError(409, "the channel is attached to no account; pass bot_id")
    return JSONResponse(await request.app.state.dispatcher.connectivity_check(channel, bot_id))


@router.post("/accounts", status_code=201, tags=[SETUP])
async def create_account(request: Request, spec: NewAccount) -> JSONResponse:
    platform = platform_of(request)
    account = platform.setup.create_account(spec)
    return JSONResponse(account.public(platform.primary_of(account)), status_code=201)


@router.get("/accounts", tags=[SETUP])
async def list_accounts(request: Request) -> JSONResponse:
    platform = platform_of(request)
    return JSONResponse({"accounts": [a.public(platform.primary_of(a)) for a in platform.accounts.values()]})


@router.get("/accounts/{bot_id}", tags=[SETUP])
async def get_account(request: Request, bot_id: str) -> JSONResponse:
    platform = platform_of(request)
    account = platform.account(bot_id)
    out = account.public(platform.primary_of(account))
    out["attachments"] = [
        {"channel_id": a.channel_id, "scopes": a.scopes, "attached_at_ms": a.attached_at_ms}
        for a in platform.attachments_of_account(bot_id)
    ]
    return JSONResponse(out)


@router.patch("/accounts/{bot_id}", tags=[ADMIN])
async def update_account(request: Request, bot_id: str, patch: AccountPatch) -> JSONResponse:
    platform = platform_of(request)
    account = platform.setup.update_account(bot_id, patch)
    return JSONResponse(account.public(platform.primary_of(account)))


@router.post("/users", status_code=201, tags=[SETUP])
async def create_user(request: Request, spec: NewPerson) -> JSONResponse:
    person = platform_of(request).setup.create_person(spec)
    return JSONResponse(person.public(), status_code=201)


@router.get("/users", tags=[SETUP])
async def list_users(request: Request) -> JSONResponse:
    return JSONResponse({"users": [p.public() for p in platform_of(request).people.values()]})


# ---- the OA admin and LY Corporation -----------------------------------------------------------


@router.post("/authorize", tags=[ADMIN])
async def authorize(request: Request, body: Authorize) -> JSONResponse:
    platform = platform_of(request)
    parts = urlsplit(body.authorize_url)
    if parts.path != "/module/auth/v1/authorize":
        raise ControlError(400, "authorize_url must be a /module/auth/v1/authorize URL")
    try:
        auth = platform.attach.begin(dict(parse_qsl(parts.query, keep_blank_values=True)))
    except RedirectError as exc:
        return JSONResponse({"redirect_url": exc.url})
    except ConsentError as exc:
        raise ControlError(400, exc.message) from None
    approve = body.decision == "approve"
    if approve and body.bot_id not in platform.accounts:
        platform.attach.requests.pop(auth.id, None)
        raise ControlError(400, "bot_id must name an existing account")
    return JSONResponse({"redirect_url": platform.attach.decide(auth, body.bot_id, approve=approve)})


@router.post("/accounts/{bot_id}/suspend", tags=[ADMIN])
async def suspend(request: Request, bot_id: str) -> JSONResponse:
    platform_of(request).suspend(bot_id)
    return JSONResponse({})


@router.post("/accounts/{bot_id}/resume", tags=[ADMIN])
async def resume(request: Request, bot_id: str) -> JSONResponse:
    platform_of(request).resume(bot_id)
    return JSONResponse({})


@router.post("/accounts/{bot_id}/delete", tags=[ADMIN])
async def delete(request: Request, bot_id: str, body: AccountDeletion | None = None) -> JSONResponse:
    platform_of(request).delete(bot_id, body.purge_after_seconds if body else None)
    return JSONResponse({})


# ---- time, deliveries, faults, state -----------------------------------------------------------


@router.get("/clock", tags=[TOOLS])
async def clock(request: Request) -> JSONResponse:
    return JSONResponse({"now_ms": platform_of(request).clock.now_ms()})


@router.post("/clock/advance", tags=[TOOLS])
async def advance(request: Request, body: ClockAdvance) -> JSONResponse:
    now = platform_of(request).advance_clock(body.seconds)
    request.app.state.dispatcher.fire_due()
    return JSONResponse({"now_ms": now})


@router.post("/deliveries/flush", tags=[TOOLS])
async def flush(request: Request, body: DeliveriesFlush | None = None) -> JSONResponse:
    timeout = (body or DeliveriesFlush()).timeout_seconds
    pending = await request.app.state.dispatcher.flush(timeout)
    return JSONResponse({"pending": pending}, status_code=504 if pending else 200)


@router.get("/deliveries", tags=[TOOLS])
async def deliveries(request: Request, channel_id: str | None = None, bot_id: str | None = None,
                     limit: Limit = 100) -> JSONResponse:
    items = request.app.state.dispatcher.list(channel_id, bot_id, limit)
    return JSONResponse({"deliveries": items})


@router.get("/requests", tags=[TOOLS])
async def requests_log(request: Request, limit: Limit = 100) -> JSONResponse:
    return JSONResponse({"requests": request.app.state.request_log.newest(limit)})


@router.post("/faults", status_code=201, tags=[TOOLS])
async def add_fault(request: Request, spec: FaultSpec) -> JSONResponse:
    fault = request.app.state.faults.add(spec.method, spec.path, spec.status, spec.count, spec.body)
    return JSONResponse({"id": fault.id}, status_code=201)


@router.get("/faults", tags=[TOOLS])
async def list_faults(request: Request) -> JSONResponse:
    return JSONResponse({"faults": [f.public() for f in request.app.state.faults.items]})


@router.delete("/faults", tags=[TOOLS])
async def clear_faults(request: Request) -> JSONResponse:
    request.app.state.faults.clear()
    return JSONResponse({})


@router.get("/state", tags=[TOOLS])
async def get_state(request: Request) -> JSONResponse:
    return JSONResponse(export_state(platform_of(request)))


@router.put("/state", tags=[TOOLS])
async def put_state(request: Request, snapshot: Snapshot) -> JSONResponse:
    import_state(platform_of(request), snapshot)
    return JSONResponse({})
