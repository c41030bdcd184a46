"""The inspector: webhook deliveries and LINE API calls, newest first and filterable, and the clock.

It reads the same logs the control API serves (`GET /_emulator/deliveries`, `/_emulator/requests`);
the clock's "advance" does what `POST /_emulator/clock/advance` does.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from linemod.emulator.errors import ControlError
from linemod.emulator.http.requests import platform_of
from linemod.emulator.pages.rendering import PREFIX, PageError, PageRoute, render
from linemod.emulator.platform.commands import ClockAdvance, build
from linemod.emulator.platform.world import Platform

router = APIRouter(prefix=f"{PREFIX}/inspector", route_class=PageRoute, include_in_schema=False)

LIMITS = (50, 100, 500)
DELIVERY_STATES = ("pending", "delivered", "failed")
STATUS_CLASSES = ("2xx", "4xx", "5xx")


def event_label(event: dict[str, Any]) -> str:
    """`message.text`, `module.attached`, `botSuspended`…: what an event is, in one word."""
    kind = str(event.get("type", "?"))
    inner = event.get(kind) if kind in ("message", "module") else None
    if isinstance(inner, dict) and inner.get("type"):
        return f"{kind}.{inner['type']}"
    return kind


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit", "100")
    return int(raw) if raw.isdigit() and int(raw) in LIMITS else 100


def _names(platform: Platform) -> dict[str, str]:
    """Display names of channels and OAs, so that tables show people's words, not only IDs."""
    names = {c.channel_id: c.name for c in platform.module_channels.values()}
    for account in platform.accounts.values():
        names[account.bot_id] = account.display_name
        if account.primary_channel_id:
            names[account.primary_channel_id] = f"{account.display_name} (Messaging API)"
    return names


def _common(request: Request, platform: Platform) -> dict[str, Any]:
    return {
        "names": _names(platform),
        "filters": dict(request.query_params),
        "limit_options": [(str(n), str(n)) for n in LIMITS if n != 100],
        "now_ms": platform.clock.now_ms(),
        "offset_ms": platform.clock.offset_ms,
        "account_options": [(a.bot_id, a.display_name) for a in platform.accounts.values()],
        "channel_options": [(c.channel_id, c.name) for c in platform.module_channels.values()]
        + [(a.primary_channel_id, f"{a.display_name} (Messaging API)") for a in platform.accounts.values()
           if a.primary_channel_id],
    }


@router.get("")
async def deliveries(request: Request) -> Response:
    platform = platform_of(request)
    q = request.query_params
    state, event = q.get("state") or None, (q.get("event") or "").strip().lower()
    limit = _limit(request)
    channel_id, bot_id = q.get("channel_id"), q.get("bot_id")
    rows = []
    # Walks the dispatcher's log itself: its `list()` filters only by channel and OA.
    for delivery in reversed(request.app.state.dispatcher.log.values()):
        if (channel_id and delivery.channel_id != channel_id) or (bot_id and delivery.bot_id != bot_id):
            continue
        if state in DELIVERY_STATES and delivery.state != state:
            continue
        labels = [event_label(e) for e in delivery.body.get("events", [])]
        if event and not any(event in label.lower() for label in labels):
            continue
        rows.append({**delivery.public(), "labels": labels or ["(verify)"]})
        if len(rows) >= limit:
            break
    return render(request, "pages/inspector_deliveries.html", {
        **_common(request, platform), "rows": rows, "tab": "deliveries",
        "state_options": [(s, s) for s in DELIVERY_STATES],
    })


@router.get("/requests")
async def requests(request: Request) -> Response:
    platform = platform_of(request)
    q = request.query_params
    method, path = (q.get("method") or "").upper(), (q.get("path") or "").strip()
    channel_id, bot_id, status = q.get("channel_id"), q.get("bot_id"), q.get("status")
    limit = _limit(request)
    rows = []
    for entry in reversed(request.app.state.request_log.entries):
        if method and entry["method"] != method:
            continue
        if path and path not in entry["path"]:
            continue
        if channel_id and entry.get("channel_id") != channel_id:
            continue
        if bot_id and entry.get("bot_id") != bot_id:
            continue
        if status in STATUS_CLASSES and str(entry.get("status_code", 0))[0] != status[0]:
            continue
        rows.append(entry)
        if len(rows) >= limit:
            break
    return render(request, "pages/inspector_requests.html", {
        **_common(request, platform), "rows": rows, "tab": "requests",
        "status_options": [(s, s) for s in STATUS_CLASSES],
        "method_options": [(m, m) for m in ("GET", "POST", "PUT", "PATCH", "DELETE")],
    })


@router.post("/clock/advance")
async def advance_clock(request: Request) -> Response:
    platform = platform_of(request)
    form = await request.form()
    raw = form.get("seconds")
    try:
        seconds = build(ClockAdvance, seconds=float(raw) if isinstance(raw, str) else 0.0).seconds
    except (ValueError, ControlError):  # not a number, not positive, not finite, or over a century
        raise PageError(400, "error.seconds") from None
    # The same as the control API's advance: timers that fell due fire now.
    platform.advance_clock(seconds)
    request.app.state.dispatcher.fire_due()
    back = str(form.get("next") or f"{PREFIX}/inspector")
    parts = urlsplit(back)
    if parts.scheme or parts.netloc or not parts.path.startswith(PREFIX):
        back = f"{PREFIX}/inspector"  # never an open redirect
    return RedirectResponse(back, status_code=303)
