"""Whole-platform snapshots for `GET/PUT /_emulator/state`: plain JSON, stable across restarts."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from linemod.emulator.errors import ControlError
from linemod.emulator.platform.entities import (
    Attachment,
    ChatControl,
    ChatEntry,
    Friendship,
    ModuleChannel,
    OfficialAccount,
    Person,
    PrimaryChannel,
)

if TYPE_CHECKING:
    from linemod.emulator.platform.world import Platform

FORMAT = "linemod-emulator-state/1"


def export_state(platform: Platform) -> dict[str, Any]:
    cc = platform.chat_control
    return {
        "format": FORMAT,
        "clock": {"now_ms": platform.clock.now_ms(), "offset_ms": platform.clock.offset_ms},
        "identity_salt": platform.identity.salt,
        "module_channels": [asdict(c) for c in platform.module_channels.values()],
        "primary_channels": [asdict(c) for c in platform.primary_channels.values()],
        "accounts": [asdict(a) for a in platform.accounts.values()],
        "people": [asdict(p) for p in platform.people.values()],
        "attachments": [asdict(a) for a in platform.attachments.values()],
        "chats": [{"bot_id": b, "user_id": u, "entries": [asdict(e) for e in entries]}
                  for (b, u), entries in platform.chats.items()],
        "chat_control": [{"bot_id": b, "user_id": u, **asdict(c)} for (b, u), c in cc.overrides.items()],
        "tokens": platform.tokens.export(),
        "attach": platform.attach.export(),
        "messaging": platform.messaging.export(),
        "richmenus": platform.richmenus.export(),
        "users": platform.users.export(),
    }


def import_state(platform: Platform, data: Any) -> None:
    """Replaces all state with `data`; on a malformed snapshot nothing changes."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ControlError(400, f"not a snapshot (expected format {FORMAT})")
    fresh = type(platform)(platform.settings, platform.clock)
    try:
        fresh._init_state(data.get("identity_salt"))
        for c in data.get("module_channels", []):
            fresh.module_channels[c["channel_id"]] = ModuleChannel(**c)
        for c in data.get("primary_channels", []):
            fresh.primary_channels[c["channel_id"]] = PrimaryChannel(**c)
        for a in data.get("accounts", []):
            a = dict(a)
            a["friends"] = {k: Friendship(**v) for k, v in a.get("friends", {}).items()}
            fresh.accounts[a["bot_id"]] = OfficialAccount(**a)
        for p in data.get("people", []):
            fresh.people[p["user_id"]] = Person(**p)
        for a in data.get("attachments", []):
            fresh.attachments[(a["channel_id"], a["bot_id"])] = Attachment(**a)
        for chat in data.get("chats", []):
            fresh.chats[(chat["bot_id"], chat["user_id"])] = [ChatEntry(**e) for e in chat["entries"]]
        for c in data.get("chat_control", []):
            c = dict(c)
            key = (c.pop("bot_id"), c.pop("user_id"))
            fresh.chat_control.overrides[key] = ChatControl(**c)
        fresh.tokens.load(data.get("tokens", {}))
        fresh.attach.load(data.get("attach", {}))
        fresh.messaging.load(data.get("messaging", {}))
        fresh.richmenus.load(data.get("richmenus", {}))
        fresh.users.load(data.get("users", {}))
        offset = int(data.get("clock", {}).get("offset_ms", 0))
    except (KeyError, TypeError, ValueError) as exc:
        raise ControlError(400, f"malformed snapshot: {exc}") from None
    # Swap area by area so the HTTP layer's reference to `platform` stays valid.
    sink = platform.sink
    platform.__dict__.update({k: v for k, v in fresh.__dict__.items() if k not in ("sink", "clock", "settings")})
    for area in (platform.tokens, platform.attach, platform.chat_control, platform.webhooks, platform.messaging,
                 platform.richmenus, platform.module_api, platform.extras, platform.users):
        area.platform = platform
    platform.sink = sink
    platform.rate_limiter.clock = platform.clock
    platform.clock.set_offset_ms(offset)
