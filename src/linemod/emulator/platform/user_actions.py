"""What people do in the LINE app, and the webhooks each action causes (control API side)."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from linemod.emulator import ids
from linemod.emulator.errors import ControlError
from linemod.emulator.platform.commands import (
    ImageFromUser,
    LocationFromUser,
    Postback,
    StickerFromUser,
    TextFromUser,
    UserMessage,
    build,
    user_message,
)
from linemod.emulator.platform.entities import Channel, Friendship, OfficialAccount

if TYPE_CHECKING:
    from linemod.emulator.platform.world import Platform


class UserActions:
    """The end user's side of a chat: follow, block, send, postback, rich-menu taps."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.contents: dict[str, tuple[bytes, str, str]] = {}  # message ID -> (bytes, type, bot_id)
        self.content_times: dict[str, int] = {}  # message ID -> when it was sent (content expiry)
        self.mark_as_read_tokens: dict[str, tuple[str, str, str]] = {}  # token -> (channel, bot, person)
        self.read_up_to: dict[tuple[str, str], int] = {}  # (bot, person) -> ms the OA read up to

    def _active_account(self, bot_id: str) -> OfficialAccount:
        account = self.platform.account(bot_id)
        if account.status != "active":
            raise ControlError(409, f"account {bot_id} is {account.status}")
        return account

    def follow(self, bot_id: str, user_id: str) -> dict[str, Any]:
        account = self._active_account(bot_id)
        self.platform.person(user_id)
        friendship = account.friends.setdefault(user_id, Friendship())
        if not (friendship.friend and not friendship.blocked):
            was_blocked = friendship.blocked
            friendship.friend, friendship.blocked = True, False
            friendship.since_ms = self.platform.clock.now_ms()
            if was_blocked:
                self.platform.chat_control.reset_chat(account, user_id)  # rule 48 of docs/emulator-behaviour.md
            self.platform.webhooks.chat_event(account, user_id, "follow",
                                              lambda ch, seen: {"follow": {"isUnblocked": was_blocked}})
        return {"ids": self.platform.ids_seen(account, user_id)}

    def block(self, bot_id: str, user_id: str) -> None:
        account = self._active_account(bot_id)
        self.platform.person(user_id)
        friendship = account.friends.get(user_id)
        if friendship is None or not friendship.friend or friendship.blocked:
            raise ControlError(409, "the user is not a friend of this account")
        friendship.blocked = True
        self.platform.webhooks.chat_event(account, user_id, "unfollow", lambda ch, seen: {})

    def relationship(self, bot_id: str, user_id: str) -> dict[str, Any]:
        account = self.platform.account(bot_id)
        self.platform.person(user_id)
        friendship = account.friends.get(user_id)
        return {
            "user_id": user_id,
            "friend": bool(friendship and friendship.friend and not friendship.blocked),
            "blocked": bool(friendship and friendship.blocked),
            "ids": self.platform.ids_seen(account, user_id),
        }

    def _chatting(self, bot_id: str, user_id: str) -> OfficialAccount:
        account = self._active_account(bot_id)
        self.platform.person(user_id)
        friendship = account.friends.setdefault(user_id, Friendship())
        if friendship.blocked:
            raise ControlError(409, "the user has blocked this account")
        friendship.last_message_ms = self.platform.clock.now_ms()
        return account

    def send(self, bot_id: str, user_id: str, message: UserMessage) -> dict[str, Any]:
        account = self._chatting(bot_id, user_id)
        content = _as_sent(message)
        entry = self.platform.record(bot_id, user_id, "user", content)
        if isinstance(message, ImageFromUser):
            self.keep_content(entry.id, message, bot_id)

        def build(channel: Channel, seen: str) -> dict[str, Any]:
            return {"message": self.message_body(channel, bot_id, user_id, entry.id, content)}

        event_ids = self.platform.webhooks.chat_event(account, user_id, "message", build)
        return {"message_id": entry.id, "webhook_event_ids": event_ids}

    def as_sent(self, message: UserMessage) -> dict[str, Any]:
        return _as_sent(message)

    def keep_content(self, message_id: str, message: ImageFromUser, bot_id: str) -> None:
        """Keep what `GET .../content` answers for the message, until it expires (choice 35)."""
        self.contents[message_id] = (message.content, message.content_type or "image/jpeg", bot_id)
        self.content_times[message_id] = self.platform.clock.now_ms()

    def content_expired(self, message_id: str) -> bool:
        kept_at = self.content_times.get(message_id)
        retention_ms = self.platform.settings.content_retention_seconds * 1000
        return kept_at is not None and self.platform.clock.now_ms() - kept_at > retention_ms

    def message_body(self, channel: Channel, bot_id: str, chat: str, message_id: str,
                     content: dict[str, Any]) -> dict[str, Any]:
        """The `message` object of a webhook for one channel."""
        body = {"id": message_id, **content}
        if content["type"] in ("text", "sticker", "image"):
            body["quoteToken"] = ids.opaque_token(40)
        if content["type"] == "image":
            body["contentProvider"] = {"type": "line"}
        token = ids.opaque_token(32)
        self.mark_as_read_tokens[token] = (channel.channel_id, bot_id, chat)
        body["markAsReadToken"] = token
        return body

    def postback(self, bot_id: str, user_id: str, postback: Postback) -> dict[str, Any]:
        account = self._chatting(bot_id, user_id)
        if postback.display_text:
            # The app shows displayText as the user's bubble, but only a postback event is sent.
            self.platform.record(bot_id, user_id, "user", {"type": "text", "text": postback.display_text})
        sent: dict[str, Any] = {"data": postback.data}
        if postback.params:
            sent["params"] = dict(postback.params)
        event_ids = self.platform.webhooks.chat_event(account, user_id, "postback",
                                                      lambda ch, seen: {"postback": dict(sent)})
        return {"webhook_event_ids": event_ids}

    def perform(self, bot_id: str, user_id: str, action: dict[str, Any],
                params: dict[str, str] | None = None) -> dict[str, Any]:
        """Does what the LINE app does when the user taps an action (rich menu, template, quick reply).

        The action is whatever a message or rich menu carried, so what it makes the user send is
        checked here like any other input (an empty text, a postback without data: 400).
        """
        kind = action.get("type")
        if kind == "message":
            message = user_message({"type": "text", "text": action.get("text", "")})
            return {"action": kind, **self.send(bot_id, user_id, message)}
        if kind == "postback":
            shown = action.get("displayText") or action.get("text")
            tapped = build(Postback, data=action.get("data", ""), display_text=shown)
            return {"action": kind, **self.postback(bot_id, user_id, tapped)}
        if kind == "datetimepicker":
            picked = build(Postback, data=action.get("data", ""), params=_picker_params(action, params))
            return {"action": kind, **self.postback(bot_id, user_id, picked)}
        if kind == "richmenuswitch":
            alias = action.get("richMenuAliasId")
            account = self._chatting(bot_id, user_id)
            switched = self.platform.richmenus.switch_to_alias(account, user_id, alias)
            status = "SUCCESS" if switched else "RICHMENU_ALIAS_ID_NOTFOUND"
            switch = build(Postback, data=action.get("data", ""),
                           params={"newRichMenuAliasId": alias, "status": status})
            return {"action": kind, **self.postback(bot_id, user_id, switch)}
        if kind == "uri":
            return {"action": kind, "uri": action.get("uri"), "webhook_event_ids": []}
        return {"action": kind, "webhook_event_ids": []}

    def operator_message(self, bot_id: str, user_id: str, text: str) -> dict[str, Any]:
        account = self.platform.account(bot_id)
        self.platform.person(user_id)
        friendship = account.friends.get(user_id)
        delivered = not (friendship is not None and friendship.blocked)
        entry = self.platform.record(bot_id, user_id, "operator", {"type": "text", "text": text}, delivered)
        return {"message_id": entry.id}

    def export(self) -> dict[str, Any]:
        return {
            "contents": {k: [base64.b64encode(v[0]).decode(), v[1], v[2]] for k, v in self.contents.items()},
            "mark_as_read_tokens": {k: list(v) for k, v in self.mark_as_read_tokens.items()},
            "content_times": self.content_times,
            "groups": self.platform.groups.export(),
        }

    def load(self, data: dict[str, Any]) -> None:
        self.contents = {k: (base64.b64decode(v[0]), v[1], v[2]) for k, v in data.get("contents", {}).items()}
        self.mark_as_read_tokens = {k: (v[0], v[1], v[2]) for k, v in data.get("mark_as_read_tokens", {}).items()}
        self.content_times = dict(data.get("content_times", {}))
        self.platform.groups.load(data.get("groups", []))


def _as_sent(message: UserMessage) -> dict[str, Any]:
    """The message as the chat shows it and the webhook carries it (an image's bytes go separately)."""
    if isinstance(message, TextFromUser):
        out: dict[str, Any] = {"type": "text", "text": message.text}
        if message.emojis is not None:
            out["emojis"] = message.emojis
        return out
    if isinstance(message, StickerFromUser):
        return {"type": "sticker", "packageId": message.packageId, "stickerId": message.stickerId,
                "stickerResourceType": "STATIC"}
    if isinstance(message, LocationFromUser):
        out = {"type": "location", "latitude": message.latitude, "longitude": message.longitude}
        for key in ("title", "address"):
            if getattr(message, key):
                out[key] = getattr(message, key)
        return out
    return {"type": "image"}


def _picker_params(action: dict[str, Any], params: dict[str, str] | None) -> dict[str, str]:
    mode = action.get("mode", "datetime")
    if params and isinstance(params.get(mode), str):
        return {mode: params[mode]}
    if params:
        raise ControlError(400, f"params must carry '{mode}' for this datetime picker")
    initial = action.get("initial")
    if isinstance(initial, str):
        return {mode: initial}
    raise ControlError(400, f"params with '{mode}' are required: the user must pick a value")
