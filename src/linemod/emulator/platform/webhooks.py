"""Which webhook events go to which channel, with which `mode` (docs/emulator-behaviour.md: rules 49–59).

This area decides and builds the event objects; `linemod.emulator.delivery` sends them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from linemod.emulator import ids
from linemod.emulator.platform.entities import Attachment, Channel, ModuleChannel, OfficialAccount

if TYPE_CHECKING:
    from linemod.emulator.platform.world import Platform

# Events that carry a replyToken when delivered in active mode (rule 53).
REPLYABLE = frozenset(
    {"message", "messageEdited", "follow", "join", "memberJoined", "postback", "videoPlayComplete",
     "beacon", "accountLink", "membership"}
)

EventBuilder = Callable[[Channel], dict[str, Any]]


class WebhookArea:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def _envelope(self, event: dict[str, Any], mode: str, timestamp: int) -> dict[str, Any]:
        event["mode"] = mode
        event["timestamp"] = timestamp
        event["webhookEventId"] = ids.webhook_event_id()
        event["deliveryContext"] = {"isRedelivery": False}
        return event

    def module_receives(self, channel: ModuleChannel, attachment: Attachment | None, *,
                        lifecycle: bool = False) -> bool:
        """Rule 55: no `message:receive` or webhooks off means no webhooks (choice 25 switch)."""
        if not channel.webhook_enabled or not channel.webhook_url or attachment is None:
            return False
        if "message:receive" in attachment.scopes:
            return True
        return lifecycle and self.platform.settings.events_without_receive_scope

    def module_event(self, channel: ModuleChannel, attachment: Attachment | None, account: OfficialAccount,
                     event: dict[str, Any]) -> str | None:
        """A module-only event without a source (attached, detached, botSuspended, botResumed)."""
        if not self.module_receives(channel, attachment, lifecycle=True):
            return None
        body = self._envelope(event, "active", self.platform.clock.now_ms())
        self.platform.sink.enqueue(channel, account.bot_id, [body], alone=True)
        return str(body["webhookEventId"])

    def module_event_to_all(self, account: OfficialAccount, event: dict[str, Any]) -> list[str]:
        sent = []
        for channel, attachment in self.platform.attached_modules(account.bot_id):
            event_id = self.module_event(channel, attachment, account, dict(event))
            if event_id:
                sent.append(event_id)
        return sent

    def chat_module_event(self, channel: ModuleChannel, account: OfficialAccount, person: str,
                          event: dict[str, Any]) -> str | None:
        """activated / deactivated: module-only, always `mode: active`, with the chat as source."""
        attachment = self.platform.attachment(channel.channel_id, account.bot_id)
        if not self.module_receives(channel, attachment):
            return None
        event["source"] = self.source_of(channel, account.bot_id, person)
        body = self._envelope(event, "active", self.platform.clock.now_ms())
        self.platform.sink.enqueue(channel, account.bot_id, [body], alone=True)
        return str(body["webhookEventId"])

    def source_of(self, channel: Channel, bot_id: str, chat: str) -> dict[str, str]:
        """The `source` of an event in `chat`: the group or room, else the user as `channel` sees them."""
        group = self.platform.groups.of_account(bot_id, chat)
        if group is not None:
            return group.source()
        return {"type": "user", "userId": self.platform.seen_id(channel, bot_id, chat)}

    def recipients(self, account: OfficialAccount) -> list[Channel]:
        """Every channel a user event of this OA fans out to (fan-out: rules 55–56)."""
        out: list[Channel] = []
        primary = self.platform.primary_of(account)
        if primary is not None and primary.webhook_enabled and primary.webhook_url and account.webhook_enabled:
            out.append(primary)
        for channel, attachment in self.platform.attached_modules(account.bot_id):
            if self.module_receives(channel, attachment):
                out.append(channel)
        return out

    def chat_event(self, account: OfficialAccount, person: str, event_type: str, build: EventBuilder, *,
                   reply: bool = True) -> list[str]:
        """Fans a user-caused event out: exactly one `active` delivery, the rest `standby` (rule 52).

        `build(channel)` returns the type-specific part of the event for one channel (and its
        `source` when it names more than the chat: a group member who wrote).
        `reply=False` withholds the reply token a replyable type would carry (a failed account link).
        Returns the webhookEventIds of every delivery made.
        """
        if account.status != "active":
            return []  # choice 24: a suspended or deleted OA sends no user events
        active = self.platform.chat_control.holder(account, person)
        timestamp = self.platform.clock.now_ms()
        sent = []
        for channel in self.recipients(account):
            event = {"type": event_type, **build(channel)}
            if "source" not in event:
                event["source"] = self.source_of(channel, account.bot_id, person)
            mode = "active" if channel.channel_id == active else "standby"
            body = self._envelope(event, mode, timestamp)
            if mode == "active" and reply and event_type in REPLYABLE:
                body["replyToken"] = self.platform.messaging.issue_reply_token(channel, account, person, timestamp)
            self.platform.sink.enqueue(channel, account.bot_id, [body], alone=False)
            sent.append(str(body["webhookEventId"]))
        return sent

    def to_sender(self, channel: Channel, account: OfficialAccount, event: dict[str, Any]) -> str | None:
        """An event about the caller's own request (a LINE notification message's `delivery`), to that channel
        alone, without a source; nothing when the channel has no webhook."""
        if isinstance(channel, ModuleChannel):
            if not self.module_receives(channel, self.platform.attachment(channel.channel_id, account.bot_id)):
                return None
        elif not (channel.webhook_enabled and channel.webhook_url and account.webhook_enabled):
            return None
        body = self._envelope(event, "active", self.platform.clock.now_ms())
        self.platform.sink.enqueue(channel, account.bot_id, [body], alone=True)
        return str(body["webhookEventId"])
