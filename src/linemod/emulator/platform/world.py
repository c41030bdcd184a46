"""`Platform`: the emulated LINE Platform's state, and the entry point to every rule.

HTTP routes and the control API call methods here (or on the areas this object owns); nothing in
this package knows about FastAPI. Webhooks leave through a `WebhookSink`, which the HTTP layer
provides; the rules only say which events go to which channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from linemod.emulator import ids
from linemod.emulator.clock import Clock
from linemod.emulator.errors import ControlError, LineApiError, forbidden
from linemod.emulator.platform.attachments import Attachments
from linemod.emulator.platform.entities import (
    PRIMARY,
    Attachment,
    Channel,
    ChatEntry,
    ModuleChannel,
    OfficialAccount,
    Person,
    PrimaryChannel,
)
from linemod.emulator.platform.identity import IdentityMap
from linemod.emulator.settings import EmulatorSettings


class WebhookSink(Protocol):
    def enqueue(self, channel: Channel, bot_id: str, events: list[dict[str, Any]], *, alone: bool) -> None:
        """Queue `events` for delivery to `channel`; `alone` keeps them out of shared batches."""


class NullSink:
    """A sink that drops everything: for using the rules without any HTTP."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, list[dict[str, Any]]]] = []

    def enqueue(self, channel: Channel, bot_id: str, events: list[dict[str, Any]], *, alone: bool) -> None:
        self.sent.append((channel.channel_id, bot_id, events))


@dataclass
class Caller:
    """Who is calling a LINE API: a channel, and for module channels the OA named by the bot-ID header."""

    channel: Channel
    account: OfficialAccount | None = None

    @property
    def is_module(self) -> bool:
        return isinstance(self.channel, ModuleChannel)

    @property
    def bot_id(self) -> str | None:
        return self.account.bot_id if self.account else None

    def require_account(self) -> OfficialAccount:
        if self.account is None:
            raise forbidden()
        return self.account


class Platform:
    """Everything the emulator remembers, and the rules that change it."""

    def __init__(self, settings: EmulatorSettings | None = None, clock: Clock | None = None) -> None:
        self.settings = settings or EmulatorSettings()
        self.clock = clock or Clock()
        self.sink: WebhookSink = NullSink()
        self._init_state()

    def _init_state(self, salt: str | None = None) -> None:
        # Imported here: these areas import `Platform` for typing only, and this keeps one direction.
        from linemod.emulator.platform.attach import AttachArea
        from linemod.emulator.platform.audiences import AudienceArea
        from linemod.emulator.platform.chat_control import ChatControlArea
        from linemod.emulator.platform.chat_extras import ChatExtras
        from linemod.emulator.platform.coupons import CouponArea
        from linemod.emulator.platform.delivery_stats import DeliveryStats
        from linemod.emulator.platform.group_api import GroupApi
        from linemod.emulator.platform.groups import GroupArea
        from linemod.emulator.platform.insight import Insight, RichMenuInsight
        from linemod.emulator.platform.memberships import MembershipArea
        from linemod.emulator.platform.messaging import MessagingArea
        from linemod.emulator.platform.module_api import ModuleApi
        from linemod.emulator.platform.rate_limits import RateLimiter
        from linemod.emulator.platform.richmenu_batch import RichMenuBatches
        from linemod.emulator.platform.richmenus import RichMenuArea
        from linemod.emulator.platform.setup import SetupArea
        from linemod.emulator.platform.tokens import TokenArea
        from linemod.emulator.platform.user_actions import UserActions
        from linemod.emulator.platform.user_events import UserEvents
        from linemod.emulator.platform.webhooks import WebhookArea

        self.accounts: dict[str, OfficialAccount] = {}
        self.primary_channels: dict[str, PrimaryChannel] = {}
        self.module_channels: dict[str, ModuleChannel] = {}
        self.people: dict[str, Person] = {}
        self.attachments = Attachments()  # (channel_id, bot_id)
        self.chats: dict[tuple[str, str], list[ChatEntry]] = {}  # (bot_id, person)
        # Every bubble of every chat in the order recorded, so that a load test follows all chats with one
        # request (`GET /_emulator/chat-log?after=`) instead of polling each chat.
        self.chat_feed: list[tuple[str, str, ChatEntry]] = []
        self.identity = IdentityMap(salt)
        self.setup = SetupArea(self)
        self.tokens = TokenArea(self)
        self.attach = AttachArea(self)
        self.chat_control = ChatControlArea(self)
        self.webhooks = WebhookArea(self)
        self.messaging = MessagingArea(self)
        self.richmenus = RichMenuArea(self)
        self.module_api = ModuleApi(self)
        self.extras = ChatExtras(self)
        self.users = UserActions(self)
        self.user_events = UserEvents(self)
        self.groups = GroupArea(self)
        self.group_api = GroupApi(self)
        self.rate_limiter = RateLimiter(self.clock)
        self.stats = DeliveryStats(self)
        self.insight = Insight(self)
        self.richmenu_insight = RichMenuInsight(self)
        self.audiences = AudienceArea(self)
        self.coupons = CouponArea(self)
        self.memberships = MembershipArea(self)
        self.richmenu_batches = RichMenuBatches(self)

    def reset(self) -> None:
        self.clock.reset()
        self._init_state()

    # ---- lookups ----------------------------------------------------------------------------

    def account(self, bot_id: str) -> OfficialAccount:
        account = self.accounts.get(bot_id)
        if account is None:
            raise ControlError(404, f"account {bot_id} not found")
        return account

    def person(self, user_id: str) -> Person:
        person = self.people.get(user_id)
        if person is None:
            raise ControlError(404, f"user {user_id} not found")
        return person

    def primary_of(self, account: OfficialAccount) -> PrimaryChannel | None:
        if account.primary_channel_id is None:
            return None
        return self.primary_channels.get(account.primary_channel_id)

    def channel(self, channel_id: str) -> Channel | None:
        return self.module_channels.get(channel_id) or self.primary_channels.get(channel_id)

    def attachment(self, channel_id: str, bot_id: str) -> Attachment | None:
        return self.attachments.get((channel_id, bot_id))

    def attachments_of_account(self, bot_id: str) -> list[Attachment]:
        return self.attachments.of_account(bot_id)

    def attached_modules(self, bot_id: str) -> list[tuple[ModuleChannel, Attachment]]:
        out = []
        for attachment in self.attachments_of_account(bot_id):
            channel = self.module_channels.get(attachment.channel_id)
            if channel is not None:
                out.append((channel, attachment))
        return out

    def seen_id(self, channel: Channel, bot_id: str, person: str) -> str:
        return self.identity.id_for(channel, bot_id, person)

    def ids_seen(self, account: OfficialAccount, person: str) -> dict[str, str]:
        """`{channel_id: the user ID that channel sees}` for the Primary and every attached module."""
        out: dict[str, str] = {}
        primary = self.primary_of(account)
        if primary is not None:
            out[primary.channel_id] = self.seen_id(primary, account.bot_id, person)
        for channel, _ in self.attached_modules(account.bot_id):
            out[channel.channel_id] = self.seen_id(channel, account.bot_id, person)
        return out

    def resolve_user(self, caller: Caller, seen: str) -> str | None:
        account = caller.require_account()
        return self.identity.resolve(caller.channel, account.bot_id, seen, list(account.friends))

    # ---- callers ----------------------------------------------------------------------------

    def caller_for(self, channel: Channel, bot_header: str | None, *, bot_required: bool = True) -> Caller:
        """Binds a token's channel to the OA it acts for.

        A Primary Channel always acts for its own OA. A module acts for the OA in the bot-ID
        header, which must name an OA it is attached to (choice 2 in docs/emulator-behaviour.md: 403 otherwise).
        """
        if isinstance(channel, PrimaryChannel):
            return Caller(channel, self.accounts.get(channel.bot_id))
        if not bot_header:
            if bot_required:
                raise forbidden()
            return Caller(channel, None)
        attachment = self.attachments.get((channel.channel_id, bot_header))
        account = self.accounts.get(bot_header)
        if attachment is None or account is None:
            raise forbidden()
        return Caller(channel, account)

    def require_scope(self, caller: Caller, scope: str | None) -> None:
        """A module needs the scope on this OA's attachment (403 if not: "Scopes", choices 3 and 4)."""
        if not caller.is_module or scope is None:
            return
        account = caller.require_account()
        attachment = self.attachments.get((caller.channel.channel_id, account.bot_id))
        if attachment is None or scope not in attachment.scopes:
            raise forbidden()

    def require_usable(self, caller: Caller) -> OfficialAccount:
        account = caller.require_account()
        if account.status != "active":
            raise LineApiError(403, "Access to this API is not available for your account")
        return account

    # ---- chat log ---------------------------------------------------------------------------

    def chat(self, bot_id: str, person: str) -> list[ChatEntry]:
        return self.chats.setdefault((bot_id, person), [])

    def record(self, bot_id: str, person: str, sender: str, message: dict[str, Any], delivered: bool = True,
               message_id: str | None = None) -> ChatEntry:
        entry = ChatEntry(
            id=message_id or ids.message_id(),
            sender=sender,
            timestamp=self.clock.now_ms(),
            message=message,
            delivered=delivered,
        )
        self.chat(bot_id, person).append(entry)
        self.chat_feed.append((bot_id, person, entry))
        return entry

    # ---- time -------------------------------------------------------------------------------

    def advance_clock(self, seconds: float) -> int:
        """Moves the emulator's clock forward and fires what fell due; returns the new time."""
        try:
            now = self.clock.advance(seconds)
        except ValueError as exc:
            raise ControlError(400, str(exc)) from None
        self.tick()
        return now

    def tick(self) -> None:
        """Fires whatever the clock made due: OA purges (chat-control TTLs and token expiries are
        read lazily against the clock, so they need no firing)."""
        self.messaging.prune()
        self.richmenu_batches.run_due()
        now = self.clock.now_ms()
        for account in list(self.accounts.values()):
            if account.status == "deleted" and account.purge_at_ms is not None and account.purge_at_ms <= now:
                self.lifecycle_purge(account)

    # ---- OA lifecycle -----------------------------------------------------------------------

    def suspend(self, bot_id: str) -> None:
        account = self.account(bot_id)
        if account.status == "active":
            account.status = "suspended"
            self.webhooks.module_event_to_all(account, {"type": "botSuspended"})

    def resume(self, bot_id: str) -> None:
        account = self.account(bot_id)
        if account.status == "deleted":
            raise ControlError(409, "a deleted account cannot be resumed")
        if account.status == "suspended":
            account.status = "active"
            self.webhooks.module_event_to_all(account, {"type": "botResumed"})

    def delete(self, bot_id: str, purge_after_seconds: float | None) -> None:
        account = self.account(bot_id)
        if account.status == "deleted":
            raise ControlError(409, "account already deleted")
        seconds = self.settings.default_purge_after_seconds if purge_after_seconds is None else purge_after_seconds
        was_active = account.status == "active"
        account.status = "deleted"
        account.purge_at_ms = self.clock.now_ms() + int(seconds * 1000)
        if was_active:
            self.webhooks.module_event_to_all(account, {"type": "botSuspended"})
        self.tick()

    def lifecycle_purge(self, account: OfficialAccount) -> None:
        for channel, _attachment in self.attached_modules(account.bot_id):
            self.detach(channel, account.bot_id, reason="bot_deleted")
        account.purge_at_ms = None

    def detach(self, channel: ModuleChannel, bot_id: str, reason: str | None = None) -> None:
        attachment = self.attachments.pop((channel.channel_id, bot_id), None)
        if attachment is None:
            return
        account = self.accounts.get(bot_id)
        if account is not None:
            self.chat_control.forget_channel(account, channel.channel_id)
            self.richmenus.forget_owner(channel.channel_id, bot_id)
            module: dict[str, Any] = {"type": "detached", "botId": bot_id}
            if reason is not None:
                module["reason"] = reason
            self.webhooks.module_event(channel, attachment, account, {"type": "module", "module": module})

    def default_active_module(self, bot_id: str) -> ModuleChannel | None:
        for channel, _ in self.attached_modules(bot_id):
            if channel.default_active:
                return channel
        return None

    def holder_label(self, account: OfficialAccount, holder: str | None) -> str | None:
        if holder == PRIMARY:
            return account.primary_channel_id
        return holder
