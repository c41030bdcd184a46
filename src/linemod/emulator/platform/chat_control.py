"""Chat Control: which channel is Active in each chat of an OA (docs/emulator-behaviour.md: rules 37–48)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from linemod.emulator.errors import LineApiError
from linemod.emulator.platform.entities import PRIMARY, ChatControl, ModuleChannel, OfficialAccount

if TYPE_CHECKING:
    from linemod.emulator.platform.world import Platform

MAX_TTL_SECONDS = 31_536_000
DEFAULT_TTL_SECONDS = 3600
# OAS makes chatControl.expireAt required, so `expired: false` needs some value (choice 16).
NO_EXPIRY_SENTINEL_MS = 253_402_300_799_000  # 9999-12-31T23:59:59Z


class ChatControlArea:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.overrides: dict[tuple[str, str], ChatControl] = {}
        self.last_acquire: dict[tuple[str, str], tuple[str, int]] = {}  # chat -> (channel, at)

    def holder(self, account: OfficialAccount, person: str) -> str | None:
        """The channel ID Active in this chat now, or None when no channel is (choice 17)."""
        key = (account.bot_id, person)
        override = self.overrides.get(key)
        expire_at = override.expire_at_ms if override is not None else None
        if override is not None and expire_at is not None and expire_at <= self.platform.clock.now_ms():
            # TTL elapsed: control is back with the Primary Channel, silently (rule 41).
            override = ChatControl(holder=PRIMARY, acquired_at_ms=override.acquired_at_ms)
            self.overrides[key] = override
        if override is None:
            default = self.platform.default_active_module(account.bot_id)
            holder = default.channel_id if default else PRIMARY
        else:
            holder = override.holder
        if holder == PRIMARY:
            return account.primary_channel_id
        return holder

    def describe(self, account: OfficialAccount, person: str) -> dict[str, object]:
        holder = self.holder(account, person)
        override = self.overrides.get((account.bot_id, person))
        return {
            "active_channel_id": holder,
            "expire_at_ms": override.expire_at_ms if override and override.holder == holder else None,
            "source": "default" if override is None else "acquired" if override.holder != PRIMARY else "primary",
        }

    def acquire(self, channel: ModuleChannel, account: OfficialAccount, person: str,
                expired: bool, ttl: int) -> int:
        """Makes `channel` Active in the chat; returns the `expireAt` sent in the activated event."""
        now = self.platform.clock.now_ms()
        key = (account.bot_id, person)
        last = self.last_acquire.get(key)
        window_ms = int(self.platform.settings.acquire_lock_seconds * 1000)
        if last is not None and last[0] != channel.channel_id and now - last[1] < window_ms:
            raise LineApiError(423, "Another channel acquired chat control a moment ago. Try again later.")
        previous = self.holder(account, person)
        expire_at = now + ttl * 1000 if expired else None
        self.overrides[key] = ChatControl(holder=channel.channel_id, expire_at_ms=expire_at, acquired_at_ms=now)
        self.last_acquire[key] = (channel.channel_id, now)
        sent_expire = expire_at if expire_at is not None else NO_EXPIRY_SENTINEL_MS
        webhooks = self.platform.webhooks
        webhooks.chat_module_event(channel, account, person,
                                   {"type": "activated", "chatControl": {"expireAt": sent_expire}})
        if previous is not None and previous != channel.channel_id:
            loser = self.platform.module_channels.get(previous)
            if loser is not None:
                webhooks.chat_module_event(loser, account, person, {"type": "deactivated"})
        return sent_expire

    def release(self, channel: ModuleChannel, account: OfficialAccount, person: str) -> None:
        """Returns control to the Primary Channel; a no-op unless `channel` is Active (choice 16)."""
        if self.holder(account, person) != channel.channel_id:
            return
        self.overrides[(account.bot_id, person)] = ChatControl(
            holder=PRIMARY, acquired_at_ms=self.platform.clock.now_ms()
        )
        self.platform.webhooks.chat_module_event(channel, account, person, {"type": "deactivated"})

    def operator_take_over(self, account: OfficialAccount, person: str) -> None:
        """An operator takes the chat over in the OA Manager. Emulator choice (LINE documents no API for
        it): control goes to the Primary side, as after a Release, and the module that was Active gets
        `deactivated`, so it knows to stay quiet; its later events arrive as `standby`."""
        previous = self.holder(account, person)
        self.overrides[(account.bot_id, person)] = ChatControl(
            holder=PRIMARY, acquired_at_ms=self.platform.clock.now_ms()
        )
        loser = self.platform.module_channels.get(previous or "")
        if loser is not None:
            self.platform.webhooks.chat_module_event(loser, account, person, {"type": "deactivated"})

    def operator_hand_back(self, account: OfficialAccount, person: str) -> None:
        """The operator is done: the chat returns to the OA's default state (a Default-Active module
        becomes Active again), silently, as when a chat is reset."""
        self.overrides.pop((account.bot_id, person), None)

    def reset_chat(self, account: OfficialAccount, person: str) -> None:
        """Unfollow then follow: the chat goes back to the OA's default state (rule 48)."""
        self.overrides.pop((account.bot_id, person), None)
        self.last_acquire.pop((account.bot_id, person), None)

    def reset_account(self, account: OfficialAccount) -> None:
        """A Default-Active module attached: every chat of the OA falls back to the default."""
        for key in [k for k in self.overrides if k[0] == account.bot_id]:
            del self.overrides[key]

    def forget_channel(self, account: OfficialAccount, channel_id: str) -> None:
        """A detached module's chats go back to the Primary Channel (choice 14)."""
        now = self.platform.clock.now_ms()
        default = self.platform.default_active_module(account.bot_id)
        for person in [*account.friends, *self.platform.groups.chats_of(account.bot_id)]:
            key = (account.bot_id, person)
            override = self.overrides.get(key)
            held = override.holder == channel_id if override else (default is not None and
                                                                    default.channel_id == channel_id)
            if held:
                self.overrides[key] = ChatControl(holder=PRIMARY, acquired_at_ms=now)
