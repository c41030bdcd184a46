"""Shared set-up for the rich menu tests: one OA, one attached module, one friend."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pytest
from PIL import Image

from linemod.emulator.errors import LineApiError
from linemod.emulator.platform.commands import NewAccount, NewModuleChannel, NewPerson, NewPrimaryChannel
from linemod.emulator.platform.entities import Attachment, Friendship, ModuleChannel, OfficialAccount
from linemod.emulator.platform.world import Caller, Platform

SCOPES = ["message:send", "message:receive", "account:manage"]


@dataclass
class World:
    platform: Platform
    module: ModuleChannel
    account: OfficialAccount
    caller: Caller
    person: str
    seen: str  # the person's user ID as the module sees it


def png(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (30, 160, 90)).save(buf, "PNG")
    return buf.getvalue()


def jpeg(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(buf, "JPEG")
    return buf.getvalue()


def menu(width: int = 2500, height: int = 843, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "size": {"width": width, "height": height},
        "selected": False,
        "name": "Nice rich menu",
        "chatBarText": "Tap to open",
        "areas": [
            {"bounds": {"x": 0, "y": 0, "width": width // 2, "height": height},
             "action": {"type": "postback", "data": "action=buy&itemid=123"}},
            {"bounds": {"x": width // 2, "y": 0, "width": width - width // 2, "height": height},
             "action": {"type": "richmenuswitch", "richMenuAliasId": "page-2", "data": "to-2"}},
        ],
    }
    body.update(over)
    return body


def befriend(platform: Platform, account: OfficialAccount, name: str = "Hanako") -> str:
    person = platform.setup.create_person(NewPerson(display_name=name)).user_id
    account.friends[person] = Friendship(friend=True, since_ms=platform.clock.now_ms())
    return person


def make_world() -> World:
    platform = Platform()
    module = platform.setup.create_module_channel(NewModuleChannel(name="Booking module"))
    account = platform.setup.create_account(NewAccount(display_name="Cafe", primary_channel=NewPrimaryChannel()))
    platform.attachments[(module.channel_id, account.bot_id)] = Attachment(
        module.channel_id, account.bot_id, list(SCOPES), platform.clock.now_ms()
    )
    person = befriend(platform, account)
    seen = platform.seen_id(module, account.bot_id, person)
    return World(platform, module, account, Caller(module, account), person, seen)


def error(call: Any, *args: Any) -> LineApiError:
    with pytest.raises(LineApiError) as caught:
        call(*args)
    return caught.value


def detail_list(exc: LineApiError) -> list[tuple[str | None, str]]:
    return [(d.property, d.message) for d in exc.details]


def ready_menu(w: World, **over: Any) -> str:
    """A menu with its image uploaded, ready to be linked or set as default."""
    rich_menu_id = w.platform.richmenus.create(w.caller, menu(**over))
    w.platform.richmenus.upload_image(w.caller, rich_menu_id, "image/png", png(2500, 843))
    return rich_menu_id
