"""LINE Official Account Manager, as far as a module's world needs it.

For each OA: its chats, and a chat view where an operator reads the conversation and answers
(seed step 2: the module sees nothing of it); the OA's settings (response setting, chat mode),
suspend, resume and delete; the attached module with its scopes; chat-control state per chat.
"""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from linemod.emulator.errors import ControlError
from linemod.emulator.http.requests import platform_of
from linemod.emulator.http.routes_attach import SCOPE_LABELS
from linemod.emulator.pages import chat_view
from linemod.emulator.pages.chat_rows import PersonChatRow, newest_first
from linemod.emulator.pages.i18n import Translator, language_of
from linemod.emulator.pages.rendering import PREFIX, PageError, PageRoute, poll_shortcut, render
from linemod.emulator.pages.routes_manager_groups import group_chats
from linemod.emulator.platform.commands import AccountDeletion, AccountPatch, build
from linemod.emulator.platform.entities import OfficialAccount
from linemod.emulator.platform.world import Platform

router = APIRouter(prefix=f"{PREFIX}/manager", route_class=PageRoute, include_in_schema=False)


def channel_label(platform: Platform, account: OfficialAccount, channel_id: str | None) -> str | None:
    if channel_id is None:
        return None
    if channel_id == account.primary_channel_id:
        return "Messaging API"
    channel = platform.module_channels.get(channel_id)
    return channel.name if channel else channel_id


def _control(platform: Platform, account: OfficialAccount, person: str) -> dict[str, Any]:
    described = platform.chat_control.describe(account, person)
    active = described["active_channel_id"]
    return {**described, "label": channel_label(platform, account, active if isinstance(active, str) else None)}


def _chats(platform: Platform, account: OfficialAccount) -> list[PersonChatRow]:
    """Every person who is a friend of the OA or ever talked with it, newest conversation first."""
    people = dict.fromkeys(account.friends)
    people.update(dict.fromkeys(p for (bot, p) in platform.chats if bot == account.bot_id))
    rows = []
    for person_id in people:
        person = platform.people.get(person_id)
        if person is None:
            continue
        entries = platform.chats.get((account.bot_id, person_id), [])
        friendship = account.friends.get(person_id)
        rows.append(PersonChatRow(
            person=person,
            last=entries[-1] if entries else None,
            friend=bool(friendship and friendship.friend and not friendship.blocked),
            blocked=bool(friendship and friendship.blocked),
            control=_control(platform, account, person_id),
        ))
    return newest_first(rows)


def _modules(platform: Platform, account: OfficialAccount, lang: str) -> list[dict[str, Any]]:
    index = 0 if lang == "ja" else 1
    return [{
        "channel": channel,
        "attachment": attachment,
        "scopes": [(s, SCOPE_LABELS.get(s, (s, s))[index]) for s in attachment.scopes],
    } for channel, attachment in platform.attached_modules(account.bot_id)]


@router.get("")
async def manager_home(request: Request) -> Response:
    platform = platform_of(request)
    rows = [{
        "account": a,
        "friends": sum(1 for f in a.friends.values() if f.friend and not f.blocked),
        "modules": [c.name for c, _ in platform.attached_modules(a.bot_id)],
    } for a in platform.accounts.values()]
    return render(request, "pages/manager_home.html", {"rows": rows})


@router.get("/{bot_id}")
async def account_page(request: Request, bot_id: str) -> Response:
    platform = platform_of(request)
    account = platform.account(bot_id)
    menu = platform.richmenus.menus.get(account.default_richmenu_id or "")
    return render(request, "pages/manager_account.html", {
        "account": account,
        "primary": platform.primary_of(account),
        "chats": _chats(platform, account),
        "groups": group_chats(platform, account),
        "modules": _modules(platform, account, language_of(request)),
        "default_menu": menu.public() if menu else None,
        "usage": platform.messaging.usage_this_month(bot_id),
    })


def _chat_state(platform: Platform, account: OfficialAccount, person: str) -> dict[str, Any]:
    control = _control(platform, account, person)
    friendship = account.friends.get(person)
    count = len(platform.chats.get((account.bot_id, person), []))
    seed = f"{count}|{control}|{friendship}|{account.status}|{account.chat_mode}"
    return {"control": control, "count": count, "key": hashlib.sha1(seed.encode()).hexdigest()[:12],
            "friend": bool(friendship and friendship.friend and not friendship.blocked),
            "blocked": bool(friendship and friendship.blocked)}


def _label_of(request: Request, platform: Platform, account: OfficialAccount) -> Any:
    """Names the sender under each OA-side bubble: the module, the Messaging API, or an operator."""
    t = Translator(language_of(request))

    def label(bubble: chat_view.Bubble) -> str | None:
        if bubble.sender == "user":
            return None
        if bubble.sender == "operator":
            return t("manager.operator")
        return chat_view.sender_name(platform, account, bubble)
    return label


@router.get("/{bot_id}/chats/{user_id}")
async def chat_page(request: Request, bot_id: str, user_id: str) -> Response:
    platform = platform_of(request)
    account = platform.account(bot_id)
    person = platform.person(user_id)
    return render(request, "pages/manager_chat.html", {
        "account": account,
        "person": person,
        "chats": _chats(platform, account),
        "bubbles": chat_view.bubbles(platform, account, user_id, viewer="oa"),
        "state": _chat_state(platform, account, user_id),
        "ids": platform.ids_seen(account, user_id),
        "channels": platform.module_channels,
        "label_of": _label_of(request, platform, account),
        "base": f"{PREFIX}/manager/{bot_id}/chats/{user_id}",
        "interactive": False,
    })


@router.get("/{bot_id}/chats/{user_id}/updates")
async def chat_updates(request: Request, bot_id: str, user_id: str) -> Response:
    platform = platform_of(request)
    account = platform.account(bot_id)
    platform.person(user_id)
    state = _chat_state(platform, account, user_id)
    shortcut, seen = poll_shortcut(request, state)
    if shortcut is not None:
        return shortcut
    entries = platform.chats.get((bot_id, user_id), [])
    return render(request, "pages/manager_updates.html", {
        "account": account,
        "bubbles": chat_view.bubbles(platform, account, user_id, viewer="oa", start=seen),
        "person": platform.people[user_id],
        "previous": entries[seen - 1] if 0 < seen <= len(entries) else None,
        "state": state,
        "label_of": _label_of(request, platform, account),
        "base": f"{PREFIX}/manager/{bot_id}/chats/{user_id}",
        "interactive": False,
    })


@router.post("/{bot_id}/chats/{user_id}/send")
async def operator_send(request: Request, bot_id: str, user_id: str) -> Response:
    platform = platform_of(request)
    account = platform.account(bot_id)
    if account.chat_mode != "chat":
        raise PageError(409, "error.chat_off")
    text = (await request.form()).get("text")
    if not isinstance(text, str) or not text.strip():
        raise PageError(400, "error.empty_message")
    platform.users.operator_message(bot_id, user_id, text)
    return Response(status_code=204, headers={"HX-Trigger": "chat-changed"})


@router.post("/{bot_id}/chats/{user_id}/takeover")
async def take_over(request: Request, bot_id: str, user_id: str) -> Response:
    platform = platform_of(request)
    platform.chat_control.operator_take_over(platform.account(bot_id), platform.person(user_id).user_id)
    return Response(status_code=204, headers={"HX-Refresh": "true"})


@router.post("/{bot_id}/chats/{user_id}/handback")
async def hand_back(request: Request, bot_id: str, user_id: str) -> Response:
    platform = platform_of(request)
    platform.chat_control.operator_hand_back(platform.account(bot_id), platform.person(user_id).user_id)
    return Response(status_code=204, headers={"HX-Refresh": "true"})


def _back(bot_id: str, saved: str) -> Response:
    return RedirectResponse(f"{PREFIX}/manager/{bot_id}?saved={saved}#settings", status_code=303)


@router.post("/{bot_id}/settings")
async def save_settings(request: Request, bot_id: str) -> Response:
    platform = platform_of(request)
    form = await request.form()
    name = form.get("display_name")
    platform.setup.update_account(bot_id, build(
        AccountPatch,
        display_name=name if isinstance(name, str) and name.strip() else platform.account(bot_id).display_name,
        chat_mode=form.get("chat_mode"),
        webhook_enabled=form.get("webhook_enabled") == "on",
    ))
    return _back(bot_id, "settings")


@router.post("/{bot_id}/suspend")
async def suspend(request: Request, bot_id: str) -> Response:
    platform_of(request).suspend(bot_id)
    return _back(bot_id, "suspended")


@router.post("/{bot_id}/resume")
async def resume(request: Request, bot_id: str) -> Response:
    platform_of(request).resume(bot_id)
    return _back(bot_id, "resumed")


@router.post("/{bot_id}/delete")
async def delete(request: Request, bot_id: str) -> Response:
    form = await request.form()
    if form.get("confirm") != "on":
        raise PageError(400, "error.confirm_delete")
    raw = form.get("purge_after_seconds")
    try:
        seconds = float(raw) if isinstance(raw, str) and raw.strip() else None
    except ValueError:
        raise ControlError(400, "purge_after_seconds must be a number") from None
    deletion = build(AccountDeletion, purge_after_seconds=seconds)  # not NaN, not negative, not eons
    platform_of(request).delete(bot_id, deletion.purge_after_seconds)
    return _back(bot_id, "deleted")
