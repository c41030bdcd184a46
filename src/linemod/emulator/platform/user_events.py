"""The webhook events a person causes besides writing: unsending a message, watching a video to the end,
passing a LINE Beacon, and linking their account (choice 37 of docs/emulator-behaviour.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from linemod.emulator.errors import ControlError
from linemod.emulator.platform.chat_extras import LINK_TOKEN_TTL_MS
from linemod.emulator.platform.entities import Channel, ChatEntry

if TYPE_CHECKING:
    from linemod.emulator.platform.entities import OfficialAccount
    from linemod.emulator.platform.world import Platform

UNSEND_WINDOW_MS = 24 * 3600 * 1000  # the LINE app offers "Unsend" for 24 hours


class UserEvents:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.used_link_tokens: set[str] = set()

    def _chat(self, bot_id: str, chat: str, user_id: str | None) -> tuple[OfficialAccount, str]:
        """The OA and the person acting in `chat` (a user's chat, or a group or room with `user_id` in it)."""
        account = self.platform.account(bot_id)
        if account.status != "active":
            raise ControlError(409, f"account {bot_id} is {account.status}")
        group = self.platform.groups.of_account(bot_id, chat)
        if group is None:
            self.platform.person(chat)
            return account, chat
        if user_id is None:
            raise ControlError(400, f"user_id is required in a {group.kind}")
        self.platform.person(user_id)
        if user_id not in group.members:
            raise ControlError(409, f"the user is not a member of this {group.kind}")
        return account, user_id

    def _source(self, channel: Channel, bot_id: str, chat: str, person: str) -> dict[str, Any]:
        group = self.platform.groups.of_account(bot_id, chat)
        if group is None:
            return {}
        return {"source": group.source(self.platform.seen_id(channel, bot_id, person))}

    def _entry(self, bot_id: str, chat: str, message_id: str) -> ChatEntry:
        for entry in self.platform.chats.get((bot_id, chat), []):
            if entry.id == message_id:
                return entry
        raise ControlError(404, f"message {message_id} not found in this chat")

    def unsend(self, bot_id: str, chat: str, message_id: str) -> dict[str, Any]:
        """The person who sent a message unsends it: it leaves the chat, its content is gone, an `unsend` event."""
        entry = self._entry(bot_id, chat, message_id)
        in_group = self.platform.groups.of_account(bot_id, chat) is not None
        if not (entry.sender.startswith("user:") if in_group else entry.sender == "user"):
            raise ControlError(409, "only the person who sent a message can unsend it")
        account, person = self._chat(bot_id, chat, entry.sender.removeprefix("user:") if in_group else None)
        if self.platform.clock.now_ms() - entry.timestamp > UNSEND_WINDOW_MS:
            raise ControlError(409, "a message can be unsent for 24 hours only")
        self.platform.chats[(bot_id, chat)].remove(entry)
        self.platform.users.content.forget(message_id)
        event_ids = self.platform.webhooks.chat_event(account, chat, "unsend", lambda channel: {
            "unsend": {"messageId": message_id}, **self._source(channel, bot_id, chat, person)})
        return {"webhook_event_ids": event_ids}

    def video_play_complete(self, bot_id: str, chat: str, message_id: str,
                            user_id: str | None = None) -> dict[str, Any]:
        """The person watched to the end a video the OA sent with a `trackingId`."""
        account, person = self._chat(bot_id, chat, user_id)
        entry = self._entry(bot_id, chat, message_id)
        tracking_id = entry.message.get("trackingId")
        if not entry.sender.startswith("channel:") or entry.message.get("type") != "video" or not tracking_id:
            raise ControlError(409, "only a video the OA sent with a trackingId reports its end")
        event_ids = self.platform.webhooks.chat_event(account, chat, "videoPlayComplete", lambda channel: {
            "videoPlayComplete": {"trackingId": tracking_id}, **self._source(channel, bot_id, chat, person)})
        return {"webhook_event_ids": event_ids}

    def beacon(self, bot_id: str, user_id: str, hwid: str, kind: str, device_message: str | None) -> dict[str, Any]:
        """The person's phone meets a LINE Beacon of the OA; only friends' phones report it."""
        account, person = self._chat(bot_id, user_id, None)
        friendship = account.friends.get(person)
        if friendship is None or not friendship.friend or friendship.blocked:
            raise ControlError(409, "beacon events come only from the OA's friends")
        detail = {"hwid": hwid, "type": kind}
        if device_message is not None:
            detail["dm"] = device_message
        event_ids = self.platform.webhooks.chat_event(account, person, "beacon",
                                                      lambda channel: {"beacon": dict(detail)})
        return {"webhook_event_ids": event_ids}

    def account_link(self, link_token: str, nonce: str) -> dict[str, Any]:
        """The person completes the account-link screen: `accountLink` with `ok`, or `failed` (no reply token)
        when the link token has expired or was used."""
        issued = self.platform.extras.link_tokens.get(link_token)
        if issued is None:
            raise ControlError(404, "link token not found: issue one with POST /v2/bot/user/{userId}/linkToken")
        bot_id, person, issued_at = issued
        account, _ = self._chat(bot_id, person, None)
        stale = self.platform.clock.now_ms() - issued_at > LINK_TOKEN_TTL_MS
        ok = not stale and link_token not in self.used_link_tokens
        self.used_link_tokens.add(link_token)
        result = "ok" if ok else "failed"
        event_ids = self.platform.webhooks.chat_event(
            account, person, "accountLink", lambda channel: {"link": {"result": result, "nonce": nonce}},
            reply=ok)
        return {"result": result, "webhook_event_ids": event_ids}

    def export(self) -> dict[str, Any]:
        """The account-link flow's state: the tokens the OA issued (kept by `ChatExtras`) and those used."""
        issued = {token: list(found) for token, found in self.platform.extras.link_tokens.items()}
        return {"link_tokens": issued, "used_link_tokens": sorted(self.used_link_tokens)}

    def load(self, data: dict[str, Any]) -> None:
        self.platform.extras.link_tokens = {
            token: (str(bot), str(person), int(at)) for token, (bot, person, at) in data.get("link_tokens", {}).items()
        }
        self.used_link_tokens = set(data.get("used_link_tokens", []))
