"""Whole-platform snapshots for `GET/PUT /_emulator/state`: plain JSON, stable across restarts."""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, Field, StrictInt, StrictStr

from linemod.emulator.clock import LATEST_MS
from linemod.emulator.errors import ControlError
from linemod.emulator.platform.attachments import Attachments
from linemod.emulator.platform.entities import (
    Attachment,
    ChatControl,
    ChatEntry,
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
        "stats": platform.stats.export(),
        "audiences": platform.audiences.export(),
        "coupons": platform.coupons.export(),
        "memberships": platform.memberships.export(),
        "richmenu_batches": platform.richmenu_batches.export(),
    }


class SnapshotClock(BaseModel):
    now_ms: StrictInt | None = None  # informative: the offset is what a restore keeps
    offset_ms: Annotated[StrictInt, Field(ge=0)] = 0


class ChatLog(BaseModel):
    bot_id: StrictStr
    user_id: StrictStr
    entries: list[ChatEntry]


class ChatControlRow(BaseModel):
    bot_id: StrictStr
    user_id: StrictStr
    holder: StrictStr
    expire_at_ms: StrictInt | None = None
    acquired_at_ms: StrictInt = 0


class Snapshot(BaseModel):
    """`PUT /_emulator/state`: what `GET /_emulator/state` answered.

    The stored things are checked field by field; each area's own part (tokens, attach requests,
    messaging, rich menus, user uploads) is checked by the area as it loads it.
    """

    format: Literal["linemod-emulator-state/1"]  # FORMAT
    clock: SnapshotClock = SnapshotClock()
    identity_salt: StrictStr | None = None
    module_channels: list[ModuleChannel] = []
    primary_channels: list[PrimaryChannel] = []
    accounts: list[OfficialAccount] = []
    people: list[Person] = []
    attachments: list[Attachment] = []
    chats: list[ChatLog] = []
    chat_control: list[ChatControlRow] = []
    tokens: dict[str, Any] = {}
    attach: dict[str, Any] = {}
    messaging: dict[str, Any] = {}
    richmenus: dict[str, Any] = {}
    users: dict[str, Any] = {}
    stats: dict[str, Any] = {}
    audiences: dict[str, Any] = {}
    coupons: dict[str, Any] = {}
    memberships: dict[str, Any] = {}
    richmenu_batches: dict[str, Any] = {}


def import_state(platform: Platform, snapshot: Snapshot) -> None:
    """Replaces all state with `snapshot`; on a malformed snapshot nothing changes."""
    if int(time.time() * 1000) + snapshot.clock.offset_ms > LATEST_MS:
        raise ControlError(400, "the snapshot's clock is past 9000-01-01")
    fresh = type(platform)(platform.settings, platform.clock)
    fresh._init_state(snapshot.identity_salt)
    fresh.module_channels = {c.channel_id: c for c in snapshot.module_channels}
    fresh.primary_channels = {c.channel_id: c for c in snapshot.primary_channels}
    fresh.accounts = {a.bot_id: a for a in snapshot.accounts}
    fresh.people = {p.user_id: p for p in snapshot.people}
    fresh.attachments = Attachments(snapshot.attachments)
    fresh.chats = {(c.bot_id, c.user_id): c.entries for c in snapshot.chats}
    fresh.chat_control.overrides = {
        (c.bot_id, c.user_id): ChatControl(c.holder, c.expire_at_ms, c.acquired_at_ms) for c in snapshot.chat_control
    }
    try:
        fresh.tokens.load(snapshot.tokens)
        fresh.attach.load(snapshot.attach)
        fresh.messaging.load(snapshot.messaging)
        fresh.richmenus.load(snapshot.richmenus)
        fresh.users.load(snapshot.users)
        fresh.stats.load(snapshot.stats)
        fresh.audiences.load(snapshot.audiences)
        fresh.coupons.load(snapshot.coupons)
        fresh.memberships.load(snapshot.memberships)
        fresh.richmenu_batches.load(snapshot.richmenu_batches)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise ControlError(400, f"malformed snapshot: {exc!r}") from None
    # Swap area by area so the HTTP layer's reference to `platform` stays valid; every area that
    # pointed at `fresh` points at `platform` again.
    sink = platform.sink
    platform.__dict__.update({k: v for k, v in fresh.__dict__.items() if k not in ("sink", "clock", "settings")})
    for value in vars(platform).values():
        if getattr(value, "platform", None) is fresh:
            value.platform = platform
    platform.sink = sink
    platform.rate_limiter.clock = platform.clock
    platform.clock.set_offset_ms(snapshot.clock.offset_ms)
