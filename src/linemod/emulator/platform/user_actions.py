"""What people do in the LINE app, and the webhooks each action causes (control API side)."""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any

from linemod.emulator import ids
from linemod.emulator.errors import ControlError
from linemod.emulator.platform.entities import Channel, Friendship, OfficialAccount

if TYPE_CHECKING:
    from linemod.emulator.platform.world import Platform

USER_MESSAGE_TYPES = ("text", "sticker", "location", "image")


class UserActions:
    """The end user's side of a chat: follow, block, send, postback, rich-menu taps."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.contents: dict[str, tuple[bytes, str, str]] = {}  # message ID -> (bytes, type, bot_id)
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
                self.platform.chat_control.reset_chat(account, user_id)  # rule 48
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

    def send(self, bot_id: str, user_id: str, message: Any) -> dict[str, Any]:
        content = _user_message(message)
        account = self._chatting(bot_id, user_id)
        blob = content.pop("_content", None)
        entry = self.platform.record(bot_id, user_id, "user", _as_shown(content))
        if blob is not None:
            self.contents[entry.id] = (blob[0], blob[1], bot_id)

        def build(channel: Channel, seen: str) -> dict[str, Any]:
            body = {"id": entry.id, **content}
            if content["type"] in ("text", "sticker", "image"):
                body["quoteToken"] = ids.opaque_token(40)
            if content["type"] == "image":
                body["contentProvider"] = {"type": "line"}
            token = ids.opaque_token(32)
            self.mark_as_read_tokens[token] = (channel.channel_id, bot_id, user_id)
            body["markAsReadToken"] = token
            return {"message": body}

        event_ids = self.platform.webhooks.chat_event(account, user_id, "message", build)
        return {"message_id": entry.id, "webhook_event_ids": event_ids}

    def postback(self, bot_id: str, user_id: str, data: Any, params: Any = None,
                 display_text: Any = None) -> dict[str, Any]:
        if not isinstance(data, str) or not data:
            raise ControlError(400, "data is required")
        if params is not None and not isinstance(params, dict):
            raise ControlError(400, "params must be an object")
        if display_text is not None and not isinstance(display_text, str):
            raise ControlError(400, "display_text must be a string")
        account = self._chatting(bot_id, user_id)
        if display_text:
            # The app shows displayText as the user's bubble, but only a postback event is sent.
            self.platform.record(bot_id, user_id, "user", {"type": "text", "text": display_text})
        postback: dict[str, Any] = {"data": data}
        if params:
            postback["params"] = dict(params)
        event_ids = self.platform.webhooks.chat_event(account, user_id, "postback",
                                                      lambda ch, seen: {"postback": dict(postback)})
        return {"webhook_event_ids": event_ids}

    def perform(self, bot_id: str, user_id: str, action: dict[str, Any], params: Any = None) -> dict[str, Any]:
        """Does what the LINE app does when the user taps an action (rich menu, template, quick reply)."""
        kind = action.get("type")
        if kind == "message":
            return {"action": kind, **self.send(bot_id, user_id, {"type": "text", "text": action.get("text", "")})}
        if kind == "postback":
            shown = action.get("displayText") or action.get("text")
            return {"action": kind, **self.postback(bot_id, user_id, action.get("data", ""), None, shown)}
        if kind == "datetimepicker":
            chosen = _picker_params(action, params)
            return {"action": kind, **self.postback(bot_id, user_id, action.get("data", ""), chosen)}
        if kind == "richmenuswitch":
            alias = action.get("richMenuAliasId")
            account = self._chatting(bot_id, user_id)
            switched = self.platform.richmenus.switch_to_alias(account, user_id, alias)
            status = "SUCCESS" if switched else "RICHMENU_ALIAS_ID_NOTFOUND"
            return {"action": kind, **self.postback(
                bot_id, user_id, action.get("data", ""), {"newRichMenuAliasId": alias, "status": status})}
        if kind == "uri":
            return {"action": kind, "uri": action.get("uri"), "webhook_event_ids": []}
        return {"action": kind, "webhook_event_ids": []}

    def operator_message(self, bot_id: str, user_id: str, text: Any) -> dict[str, Any]:
        if not isinstance(text, str) or not text.strip():
            raise ControlError(400, "text is required")
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
        }

    def load(self, data: dict[str, Any]) -> None:
        self.contents = {k: (base64.b64decode(v[0]), v[1], v[2]) for k, v in data.get("contents", {}).items()}
        self.mark_as_read_tokens = {k: (v[0], v[1], v[2]) for k, v in data.get("mark_as_read_tokens", {}).items()}


def _user_message(message: Any) -> dict[str, Any]:
    """Validates what a person types or picks; the LINE app cannot send anything malformed."""
    if not isinstance(message, dict) or message.get("type") not in USER_MESSAGE_TYPES:
        raise ControlError(400, f"message type must be one of {', '.join(USER_MESSAGE_TYPES)}")
    kind = message["type"]
    if kind == "text":
        text = message.get("text")
        if not isinstance(text, str) or not text or len(text) > 5000:
            raise ControlError(400, "text must be 1 to 5000 characters")
        out: dict[str, Any] = {"type": "text", "text": text}
        if isinstance(message.get("emojis"), list):
            out["emojis"] = message["emojis"]
        return out
    if kind == "sticker":
        package, sticker = message.get("packageId"), message.get("stickerId")
        if not package or not sticker:
            raise ControlError(400, "packageId and stickerId are required")
        return {"type": "sticker", "packageId": str(package), "stickerId": str(sticker),
                "stickerResourceType": "STATIC"}
    if kind == "location":
        lat, lon = message.get("latitude"), message.get("longitude")
        if not isinstance(lat, int | float) or not isinstance(lon, int | float):
            raise ControlError(400, "latitude and longitude must be numbers")
        out = {"type": "location", "latitude": lat, "longitude": lon}
        for key in ("title", "address"):
            if message.get(key):
                out[key] = str(message[key])
        return out
    raw = message.get("content_base64")
    try:
        blob = base64.b64decode(raw or "", validate=True)
    except (binascii.Error, ValueError):
        raise ControlError(400, "content_base64 must be base64") from None
    if not blob:
        raise ControlError(400, "content_base64 is required for an image")
    return {"type": "image", "_content": (blob, str(message.get("content_type") or "image/jpeg"))}


def _as_shown(content: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in content.items() if not k.startswith("_")}


def _picker_params(action: dict[str, Any], params: Any) -> dict[str, str]:
    mode = action.get("mode", "datetime")
    if isinstance(params, dict) and isinstance(params.get(mode), str):
        return {mode: params[mode]}
    if isinstance(params, dict) and params:
        raise ControlError(400, f"params must carry '{mode}' for this datetime picker")
    initial = action.get("initial")
    if isinstance(initial, str):
        return {mode: initial}
    raise ControlError(400, f"params with '{mode}' are required: the user must pick a value")
