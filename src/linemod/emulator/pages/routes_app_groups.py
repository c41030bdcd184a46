"""The LINE app's group chats and multi-person chats, as one member sees them: the members, every member's
bubbles with their name, and a composer that writes as that member (choices 34 and 36).

The page polls `…/updates` as the one-to-one chat does (`routes_app.py`).
"""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from linemod.emulator.http.requests import platform_of
from linemod.emulator.pages import chat_view, samples
from linemod.emulator.pages.rendering import PREFIX, PageError, PageRoute, poll_shortcut, render
from linemod.emulator.pages.uploads import upload_messages
from linemod.emulator.platform.commands import Postback, build
from linemod.emulator.platform.groups import Group
from linemod.emulator.platform.user_actions import picker_params
from linemod.emulator.platform.user_messages import user_message
from linemod.emulator.platform.world import Platform

router = APIRouter(prefix=PREFIX, route_class=PageRoute, include_in_schema=False)

CHANGED = {"HX-Trigger": "chat-changed"}


def _group(request: Request, bot_id: str, user_id: str, group_id: str) -> tuple[Platform, Group]:
    platform = platform_of(request)
    account = platform.account(bot_id)
    platform.person(user_id)
    group = platform.groups.of_account(account.bot_id, group_id)
    if group is None or user_id not in group.members:
        raise PageError(404, "error.not_found")
    return platform, group


def _state(platform: Platform, group: Group) -> dict[str, Any]:
    account = platform.accounts[group.bot_id]
    entries = platform.chats.get((group.bot_id, group.group_id), [])
    state: dict[str, Any] = {
        "friend": True, "blocked": False, "status": account.status, "menu": None, "loading": False,
        "read_up_to": 0, "count": len(entries),
        "quick_replies": chat_view.quick_reply(platform, account, group.group_id),
    }
    seed = f"{account.status}|{len(entries)}|{','.join(group.members)}"
    state["key"] = hashlib.sha1(seed.encode()).hexdigest()[:12]
    return state


def _context(request: Request, platform: Platform, group: Group, user_id: str, start: int = 0) -> dict[str, Any]:
    account = platform.accounts[group.bot_id]
    names = {p: platform.people[p].display_name for p in group.members if p in platform.people}
    shown = chat_view.bubbles(platform, account, group.group_id, viewer="user", start=start)
    for bubble in shown:
        speaker = bubble.channel_id if bubble.sender == "user" else None  # "user:<id>": the member
        bubble.mine = speaker == user_id
        bubble.label = None if bubble.mine or speaker is None else names.get(speaker, "?")
    return {
        "account": account,
        "group": group,
        "title": group.name if group.kind == "group" else ", ".join(names.values()),
        "members": [platform.people[p] for p in group.members if p in platform.people],
        "me": platform.people[user_id],
        "bubbles": shown,
        "state": _state(platform, group),
        "stickers": samples.STICKERS,
        "base": f"{PREFIX}/app/{group.bot_id}/{user_id}/chats/{group.group_id}",
        "interactive": True,
    }


@router.get("/app/{bot_id}/{user_id}/chats/{group_id}")
async def group_page(request: Request, bot_id: str, user_id: str, group_id: str) -> Response:
    platform, group = _group(request, bot_id, user_id, group_id)
    return render(request, "pages/app_group.html", _context(request, platform, group, user_id))


@router.get("/app/{bot_id}/{user_id}/chats/{group_id}/updates")
async def group_updates(request: Request, bot_id: str, user_id: str, group_id: str) -> Response:
    platform, group = _group(request, bot_id, user_id, group_id)
    shortcut, seen = poll_shortcut(request, _state(platform, group))
    if shortcut is not None:
        return shortcut
    context = _context(request, platform, group, user_id, start=seen)
    entries = platform.chats.get((bot_id, group_id), [])
    context["previous"] = entries[seen - 1] if seen else None
    return render(request, "pages/app_group_updates.html", context)


@router.post("/app/{bot_id}/{user_id}/chats/{group_id}/send")
async def group_send(request: Request, bot_id: str, user_id: str, group_id: str) -> Response:
    platform, _ = _group(request, bot_id, user_id, group_id)
    form = await request.form()
    text, package, sticker = form.get("text"), form.get("package_id"), form.get("sticker_id")
    if isinstance(package, str) and isinstance(sticker, str) and package and sticker:
        message = user_message({"type": "sticker", "packageId": package, "stickerId": sticker})
    elif isinstance(text, str) and text.strip():
        message = user_message({"type": "text", "text": text})
    else:
        raise PageError(400, "error.empty_message")
    platform.groups.send(bot_id, group_id, user_id, message)
    return Response(status_code=204, headers=CHANGED)


@router.post("/app/{bot_id}/{user_id}/chats/{group_id}/upload")
async def group_upload(request: Request, bot_id: str, user_id: str, group_id: str) -> Response:
    platform, _ = _group(request, bot_id, user_id, group_id)
    for message in await upload_messages(request):
        platform.groups.send(bot_id, group_id, user_id, message)
    return Response(status_code=204, headers=CHANGED)


@router.post("/app/{bot_id}/{user_id}/chats/{group_id}/act")
async def group_act(request: Request, bot_id: str, user_id: str, group_id: str) -> Response:
    """A member taps an action the OA sent to the group (a button, a quick reply, a datetime picker)."""
    platform, _ = _group(request, bot_id, user_id, group_id)
    form = await request.form()
    action = chat_view.find_action(platform.chats.get((bot_id, group_id), []), str(form.get("ref") or ""))
    if action is None:
        raise PageError(404, "error.action_gone")
    groups = platform.groups
    kind = action.get("type")
    if kind == "message":
        groups.send(bot_id, group_id, user_id, user_message({"type": "text", "text": action.get("text", "")}))
    elif kind == "location":
        groups.send(bot_id, group_id, user_id, samples.SAMPLE_LOCATION)
    elif kind in ("camera", "cameraRoll"):
        groups.send(bot_id, group_id, user_id, samples.sample_photo_message())
    elif kind in ("postback", "datetimepicker"):
        params = None
        picked = form.get("picked")
        if kind == "datetimepicker":
            chosen = {chat_view.picker_mode(action): picked[:16]} if isinstance(picked, str) and picked else None
            params = picker_params(action, chosen)
        shown = (action.get("displayText") or action.get("text")) if kind == "postback" else None
        tapped = build(Postback, data=action.get("data", ""), display_text=shown, params=params)
        groups.postback(bot_id, group_id, user_id, tapped)
    return Response(status_code=204, headers=CHANGED)


@router.post("/app/{bot_id}/{user_id}/chats/{group_id}/leave")
async def group_leave(request: Request, bot_id: str, user_id: str, group_id: str) -> Response:
    """The person leaves the group or room: `memberLeft`, and back to their chat list."""
    platform, _ = _group(request, bot_id, user_id, group_id)
    platform.groups.remove_member(bot_id, group_id, user_id)
    return RedirectResponse(f"{PREFIX}/app?user={user_id}", status_code=303)
