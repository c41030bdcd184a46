"""The OA Manager's view of the groups and multi-person chats its OA is in: who is in each, and the
conversation with every member's bubbles under their name, read-only (choice 50).

The page polls `…/updates` as the one-to-one chat does (`routes_manager.py`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from linemod.emulator.http.requests import platform_of
from linemod.emulator.pages import chat_view
from linemod.emulator.pages.chat_rows import GroupChatRow, group_row, newest_first
from linemod.emulator.pages.i18n import Translator, language_of
from linemod.emulator.pages.rendering import PREFIX, PageError, PageRoute, poll_shortcut, render
from linemod.emulator.platform.entities import OfficialAccount
from linemod.emulator.platform.groups import Group
from linemod.emulator.platform.world import Platform

router = APIRouter(prefix=f"{PREFIX}/manager", route_class=PageRoute, include_in_schema=False)


def group_chats(platform: Platform, account: OfficialAccount) -> list[GroupChatRow]:
    """Every group and room the OA is in, newest conversation first."""
    groups = [platform.groups.get(account.bot_id, group_id) for group_id in platform.groups.chats_of(account.bot_id)]
    return newest_first([group_row(platform, group) for group in groups])


def _group(request: Request, bot_id: str, group_id: str) -> tuple[Platform, OfficialAccount, Group]:
    platform = platform_of(request)
    account = platform.account(bot_id)
    group = platform.groups.of_account(account.bot_id, group_id)
    if group is None:
        raise PageError(404, "error.not_found")
    return platform, account, group


def _state(platform: Platform, account: OfficialAccount, group: Group) -> dict[str, Any]:
    count = len(platform.chats.get((group.bot_id, group.group_id), []))
    names = [platform.people[p].display_name for p in group.members if p in platform.people]
    seed = f"{count}|{account.status}|{','.join(group.members)}|{','.join(names)}"
    return {"count": count, "key": hashlib.sha1(seed.encode()).hexdigest()[:12]}


def _bubbles(platform: Platform, account: OfficialAccount, group: Group, start: int) -> list[chat_view.Bubble]:
    """The conversation from `start` on, each member's bubble with the member's name (its avatar too)."""
    shown = chat_view.bubbles(platform, account, group.group_id, viewer="oa", start=start)
    for bubble in shown:
        if bubble.sender == "user":  # a member's bubble: `channel_id` holds the member's user ID
            person = platform.people.get(bubble.channel_id or "")
            bubble.label = person.display_name if person is not None else "?"
    return shown


def _label_of(request: Request, platform: Platform, account: OfficialAccount) -> Callable[[chat_view.Bubble], str]:
    """Names the sender of each bubble: the member who wrote it, or the channel that sent it for the OA."""
    t = Translator(language_of(request))

    def label(bubble: chat_view.Bubble) -> str:
        if bubble.sender == "user":
            return bubble.label or "?"
        if bubble.sender == "operator":
            return t("manager.operator")
        return chat_view.sender_name(platform, account, bubble)
    return label


def _context(request: Request, platform: Platform, account: OfficialAccount, group: Group,
             start: int = 0) -> dict[str, Any]:
    return {
        "account": account,
        "row": group_row(platform, group),
        "bubbles": _bubbles(platform, account, group, start),
        "state": _state(platform, account, group),
        "label_of": _label_of(request, platform, account),
        "base": f"{PREFIX}/manager/{account.bot_id}/groups/{group.group_id}",
        "interactive": False,
    }


@router.get("/{bot_id}/groups/{group_id}")
async def group_page(request: Request, bot_id: str, group_id: str) -> Response:
    platform, account, group = _group(request, bot_id, group_id)
    context = _context(request, platform, account, group)
    context["groups"] = group_chats(platform, account)
    return render(request, "pages/manager_group.html", context)


@router.get("/{bot_id}/groups/{group_id}/updates")
async def group_updates(request: Request, bot_id: str, group_id: str) -> Response:
    platform, account, group = _group(request, bot_id, group_id)
    shortcut, seen = poll_shortcut(request, _state(platform, account, group))
    if shortcut is not None:
        return shortcut
    context = _context(request, platform, account, group, start=seen)
    entries = platform.chats.get((bot_id, group_id), [])
    context["previous"] = entries[seen - 1] if 0 < seen <= len(entries) else None
    return render(request, "pages/manager_group_updates.html", context)
