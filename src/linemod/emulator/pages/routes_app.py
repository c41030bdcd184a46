"""The LINE app as one person sees it: the chat list, an OA's chat, its rich menu and every tap.

The chat page polls `…/updates` every second (and at once after the person does something): the
answer is 204 while nothing changed, else the new bubbles plus out-of-band replacements of the
parts that may have changed (quick replies, rich menu, banners), so what the person is typing or
picking is never redrawn under them.
"""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from linemod.emulator.http.requests import platform_of
from linemod.emulator.pages import chat_view, samples
from linemod.emulator.pages.chat_rows import AccountChatRow, GroupChatRow, group_row, newest_first
from linemod.emulator.pages.rendering import PREFIX, PageError, PageRoute, poll_shortcut, render
from linemod.emulator.pages.uploads import upload_messages
from linemod.emulator.platform.entities import OfficialAccount
from linemod.emulator.platform.user_messages import user_message
from linemod.emulator.platform.world import Platform

router = APIRouter(prefix=PREFIX, route_class=PageRoute, include_in_schema=False)

CHANGED = {"HX-Trigger": "chat-changed"}


def _chat_list(platform: Platform, person: str | None) -> list[AccountChatRow]:
    """Every OA, as the person's chat list shows it: newest conversation first."""
    rows = []
    for account in platform.accounts.values():
        entries = [e for e in platform.chats.get((account.bot_id, person or ""), []) if e.delivered]
        friendship = account.friends.get(person or "")
        rows.append(AccountChatRow(
            account=account,
            last=entries[-1] if entries else None,
            friend=bool(friendship and friendship.friend and not friendship.blocked),
            blocked=bool(friendship and friendship.blocked),
        ))
    return newest_first(rows)


def _group_list(platform: Platform, person: str | None) -> list[GroupChatRow]:
    """The groups and rooms the person is in, newest conversation first."""
    return newest_first([group_row(platform, group) for group in platform.groups.of_person(person or "")])


def _state(platform: Platform, account: OfficialAccount, person: str) -> dict[str, Any]:
    """Everything on the chat screen besides the bubbles, and a short key that changes with it."""
    friendship = account.friends.get(person)
    menu = platform.richmenus.current_for(account, person)  # a copy: safe to annotate
    for index, area in enumerate(menu["areas"] if menu else []):
        area["action"]["_ref"] = f"rm:{index}"
    now = platform.clock.now_ms()
    loading = platform.extras.loading_until.get((account.bot_id, person), 0) > now
    read_up_to = platform.users.read_up_to.get((account.bot_id, person), 0)
    quick = chat_view.quick_reply(platform, account, person)
    state = {
        "friend": bool(friendship and friendship.friend and not friendship.blocked),
        "blocked": bool(friendship and friendship.blocked),
        "status": account.status,
        "menu": menu,
        "loading": loading,
        "read_up_to": read_up_to,
        "quick_replies": quick,
        "count": len(platform.chats.get((account.bot_id, person), [])),
    }
    seed = "|".join(str(state[k]) for k in ("friend", "blocked", "status", "loading", "read_up_to", "count"))
    seed += "|" + str(menu.get("richMenuId") if menu else None) + account.display_name
    state["key"] = hashlib.sha1(seed.encode()).hexdigest()[:12]
    return state


def _chat(request: Request, bot_id: str, user_id: str) -> tuple[Platform, OfficialAccount]:
    platform = platform_of(request)
    account = platform.account(bot_id)
    platform.person(user_id)
    return platform, account


@router.get("/app")
async def app_home(request: Request) -> Response:
    platform = platform_of(request)
    chosen = request.query_params.get("user")
    if chosen not in platform.people:
        chosen = next(iter(platform.people), None)
    return render(request, "pages/app_home.html", {
        "people": list(platform.people.values()),
        "me": platform.people.get(chosen or ""),
        "chats": _chat_list(platform, chosen),
        "group_chats": _group_list(platform, chosen),
    })


@router.get("/app/{bot_id}/{user_id}")
async def chat_page(request: Request, bot_id: str, user_id: str) -> Response:
    platform, account = _chat(request, bot_id, user_id)
    platform.stats.open_chat(bot_id, user_id)  # the user sees the chat: impressions (choice 40)
    return render(request, "pages/app_chat.html", {
        "account": account,
        "me": platform.people[user_id],
        "people": list(platform.people.values()),
        "chats": _chat_list(platform, user_id),
        "bubbles": chat_view.bubbles(platform, account, user_id, viewer="user"),
        "state": _state(platform, account, user_id),
        "ids": platform.ids_seen(account, user_id),
        "channels": platform.module_channels,
        "stickers": samples.STICKERS,
        "base": f"{PREFIX}/app/{bot_id}/{user_id}",
        "interactive": True,
    })


@router.get("/app/{bot_id}/{user_id}/updates")
async def chat_updates(request: Request, bot_id: str, user_id: str) -> Response:
    platform, account = _chat(request, bot_id, user_id)
    state = _state(platform, account, user_id)
    shortcut, seen = poll_shortcut(request, state)
    if shortcut is not None:
        return shortcut
    platform.stats.open_chat(bot_id, user_id)  # new bubbles shown in the open chat
    entries = platform.chats.get((bot_id, user_id), [])
    previous = next((e for e in reversed(entries[:seen]) if e.delivered), None)
    return render(request, "pages/app_updates.html", {
        "account": account,
        "bubbles": chat_view.bubbles(platform, account, user_id, viewer="user", start=seen),
        "previous": previous,
        "state": state,
        "menu_changed": request.query_params.get("rm", "") != (state["menu"] or {}).get("richMenuId", ""),
        "base": f"{PREFIX}/app/{bot_id}/{user_id}",
        "interactive": True,
    })


@router.post("/app/{bot_id}/{user_id}/send")
async def send(request: Request, bot_id: str, user_id: str) -> Response:
    platform, _ = _chat(request, bot_id, user_id)
    form = await request.form()
    text, package, sticker = form.get("text"), form.get("package_id"), form.get("sticker_id")
    if isinstance(package, str) and isinstance(sticker, str) and package and sticker:
        sticker_message = user_message({"type": "sticker", "packageId": package, "stickerId": sticker})
        platform.users.send(bot_id, user_id, sticker_message)
    elif isinstance(text, str) and text.strip():
        platform.users.send(bot_id, user_id, user_message({"type": "text", "text": text}))
    else:
        raise PageError(400, "error.empty_message")
    return Response(status_code=204, headers=CHANGED)


@router.post("/app/{bot_id}/{user_id}/upload")
async def upload(request: Request, bot_id: str, user_id: str) -> Response:
    """A photo, video, voice message or file picked in the composer."""
    platform, _ = _chat(request, bot_id, user_id)
    for message in await upload_messages(request):
        platform.users.send(bot_id, user_id, message)
    return Response(status_code=204, headers=CHANGED)


@router.post("/app/{bot_id}/{user_id}/act")
async def act(request: Request, bot_id: str, user_id: str) -> Response:
    """A tap on an action the person can see: a message's button, a quick reply, a rich menu area."""
    platform, account = _chat(request, bot_id, user_id)
    form = await request.form()
    ref = str(form.get("ref") or "")
    if ref.startswith("rm:") and ref[3:].isdigit():
        action = platform.richmenus.area_action(account, user_id, int(ref[3:]))
        shown = platform.richmenus.current_for(account, user_id)
        if action is not None and shown is not None:
            platform.stats.note_richmenu(shown["richMenuId"], user_id, "click", int(ref[3:]))
    else:
        action = chat_view.find_action(platform.chats.get((bot_id, user_id), []), ref)
        if action is not None and action.get("type") == "uri" and isinstance(action.get("uri"), str):
            platform.stats.click_from_app(bot_id, user_id, ref.rpartition(":")[0], action["uri"])
    if action is None:
        raise PageError(404, "error.action_gone")
    kind = action.get("type")
    if kind == "location":
        platform.users.send(bot_id, user_id, samples.SAMPLE_LOCATION)
    elif kind in ("camera", "cameraRoll"):
        platform.users.send(bot_id, user_id, samples.sample_photo_message())
    else:
        params = None
        picked = form.get("picked")
        if kind == "datetimepicker" and isinstance(picked, str) and picked:
            params = {chat_view.picker_mode(action): picked[:16]}  # an <input> may add seconds; LINE sends minutes
        platform.users.perform(bot_id, user_id, action, params)
    return Response(status_code=204, headers=CHANGED)


@router.post("/app/{bot_id}/{user_id}/follow")
async def follow(request: Request, bot_id: str, user_id: str) -> Response:
    platform, _ = _chat(request, bot_id, user_id)
    platform.users.follow(bot_id, user_id)
    return RedirectResponse(f"{PREFIX}/app/{bot_id}/{user_id}", status_code=303)


@router.post("/app/{bot_id}/{user_id}/block")
async def block(request: Request, bot_id: str, user_id: str) -> Response:
    platform, _ = _chat(request, bot_id, user_id)
    platform.users.block(bot_id, user_id)
    return RedirectResponse(f"{PREFIX}/app/{bot_id}/{user_id}", status_code=303)


@router.get("/richmenu/{rich_menu_id}/image")
async def richmenu_image(request: Request, rich_menu_id: str) -> Response:
    found = platform_of(request).richmenus.image_of(rich_menu_id)
    if found is None:
        raise PageError(404, "error.not_found")
    # An uploaded rich menu image can never be replaced (LINE refuses a second upload).
    return Response(found[0], media_type=found[1], headers={"Cache-Control": "private, max-age=86400"})


@router.get("/content/{message_id}")
async def message_content(request: Request, message_id: str) -> Response:
    """What a person sent (the LINE app shows its own photos, videos and files from the phone)."""
    found = platform_of(request).users.content.items.get(message_id)
    if found is None or found.blob is None:
        raise PageError(404, "error.not_found")
    return Response(found.blob, media_type=found.media_type, headers={"Cache-Control": "private, max-age=86400"})


@router.get("/content/{message_id}/preview")
async def message_content_preview(request: Request, message_id: str) -> Response:
    found = platform_of(request).users.content.items.get(message_id)
    if found is None or found.preview is None:
        raise PageError(404, "error.not_found")
    return Response(found.preview, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=86400"})
