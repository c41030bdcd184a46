"""Set-up forms: create OAs, people and module channels, start an attach, reset everything.

The same rules as the control API's `POST /_emulator/accounts`, `/users` and `/module-channels`
apply (they call the same `Platform` methods); a refused form shows the platform's reason.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from linemod.emulator.http.requests import platform_of
from linemod.emulator.pages.rendering import PREFIX, PageError, PageRoute, render
from linemod.emulator.platform.attach import KNOWN_SCOPES
from linemod.emulator.platform.commands import (
    BRAND_TYPES,
    CHAT_MODES,
    REGIONS,
    NewAccount,
    NewModuleChannel,
    NewPerson,
    build,
)

router = APIRouter(prefix=f"{PREFIX}/setup", route_class=PageRoute, include_in_schema=False)

DEFAULT_SCOPES = ("message:send", "message:receive", "account:manage")
LANGUAGES = ("ja", "en", "zh-TW", "th", "id", "ko")


def _text(form: FormData, key: str) -> str:
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


def _created(kind: str, ident: str) -> Response:
    return RedirectResponse(f"{PREFIX}/setup?{urlencode({'created': kind, 'id': ident})}#{kind}", status_code=303)


@router.get("")
async def setup_page(request: Request) -> Response:
    platform = platform_of(request)
    return render(request, "pages/setup.html", {
        "accounts": list(platform.accounts.values()),
        "people": list(platform.people.values()),
        "module_channels": list(platform.module_channels.values()),
        "primary_of": platform.primary_of,
        "brand_types": BRAND_TYPES, "regions": REGIONS, "chat_modes": CHAT_MODES, "languages": LANGUAGES,
        "scopes": KNOWN_SCOPES, "default_scopes": DEFAULT_SCOPES,
        "created": request.query_params.get("created"), "created_id": request.query_params.get("id"),
    })


@router.post("/accounts")
async def create_account(request: Request) -> Response:
    form = await request.form()
    data: dict[str, Any] = {
        "display_name": _text(form, "display_name"),
        "brand_type": _text(form, "brand_type") or "verified",
        "region": _text(form, "region") or "JP",
        "chat_mode": _text(form, "chat_mode") or "chat",
    }
    if _text(form, "basic_id"):
        data["basic_id"] = _text(form, "basic_id")
    if form.get("primary") == "on":
        data["primary_channel"] = {"webhook_url": _text(form, "primary_webhook_url") or None}
    account = platform_of(request).setup.create_account(build(NewAccount, **data))
    return _created("account", account.bot_id)


@router.post("/people")
async def create_person(request: Request) -> Response:
    form = await request.form()
    person = platform_of(request).setup.create_person(build(
        NewPerson, display_name=_text(form, "display_name"), language=_text(form, "language") or "ja"))
    return _created("person", person.user_id)


@router.post("/module-channels")
async def create_module_channel(request: Request) -> Response:
    form = await request.form()
    uris = [line.strip() for line in _text(form, "redirect_uris").splitlines() if line.strip()]
    channel = platform_of(request).setup.create_module_channel(build(
        NewModuleChannel,
        name=_text(form, "name"),
        description=_text(form, "description"),
        webhook_url=_text(form, "webhook_url") or None,
        redirect_uris=uris,
        default_active=form.get("default_active") == "on",
        webhook_enabled=form.get("webhook_enabled") == "on",
        redelivery=form.get("redelivery") == "on",
    ))
    return _created("module", channel.channel_id)


@router.get("/attach/{channel_id}")
async def start_attach(request: Request, channel_id: str) -> Response:
    """Builds the authorize URL a module would, and sends the browser to the consent screen."""
    platform = platform_of(request)
    channel = platform.module_channels.get(channel_id)
    if channel is None:
        raise PageError(404, "error.not_found")
    q = request.query_params
    redirect_uri = q.get("redirect_uri") or (channel.redirect_uris[0] if channel.redirect_uris else "")
    scopes = [s for s in q.getlist("scope") if s in KNOWN_SCOPES] or list(DEFAULT_SCOPES)
    params = {"response_type": "code", "client_id": channel_id, "redirect_uri": redirect_uri,
              "scope": " ".join(scopes), "state": secrets.token_hex(8)}
    for key in ("region", "brand_type", "basic_search_id"):
        if q.get(key):
            params[key] = q[key]
    return RedirectResponse(f"/module/auth/v1/authorize?{urlencode(params)}", status_code=303)


@router.post("/reset")
async def reset(request: Request) -> Response:
    form = await request.form()
    if form.get("confirm") != "on":
        raise PageError(400, "error.confirm_reset")
    # What `POST /_emulator/reset` does.
    platform_of(request).reset()
    request.app.state.dispatcher.clear()
    request.app.state.faults.clear()
    request.app.state.request_log.clear()
    return RedirectResponse(f"{PREFIX}/setup", status_code=303)
