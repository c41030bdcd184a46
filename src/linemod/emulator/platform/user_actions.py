"""What people do in the LINE app, and the webhooks each action causes (control API side)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from linemod.emulator import ids
from linemod.emulator.errors import ControlError
from linemod.emulator.platform.commands import Postback, build
from linemod.emulator.platform.entities import Channel, Friendship, OfficialAccount
from linemod.emulator.platform.user_content import UserContent
from linemod.emulator.platform.user_messages import (
    AnyUserMessage,
    AudioFromUser,
    FileFromUser,
    ImageFromUser,
    LocationFromUser,
    MediaFromUser,
    StickerFromUser,
    TextFromUser,
    VideoFromUser,
    user_message,
)

if TYPE_CHECKING:
    from linemod.emulator.platform.world import Platform


# Users' messages the webhook gives a quoteToken (webhook.yml: text, sticker, image and video).
QUOTABLE = frozenset({"text", "sticker", "image", "video"})


class UserActions:
    """The end user's side of a chat: follow, block, send, postback, rich-menu taps."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.content = UserContent(platform)
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
            self.platform.stats.note_friend(bot_id, user_id, "follow")
            if was_blocked:
                self.platform.chat_control.reset_chat(account, user_id)  # rule 48 of docs/emulator-behaviour.md
            self.platform.webhooks.chat_event(account, user_id, "follow",
                                              lambda channel: {"follow": {"isUnblocked": was_blocked}})
        return {"ids": self.platform.ids_seen(account, user_id)}

    def block(self, bot_id: str, user_id: str) -> None:
        account = self._active_account(bot_id)
        self.platform.person(user_id)
        friendship = account.friends.get(user_id)
        if friendship is None or not friendship.friend or friendship.blocked:
            raise ControlError(409, "the user is not a friend of this account")
        friendship.blocked = True
        self.platform.stats.note_friend(bot_id, user_id, "block")
        self.platform.webhooks.chat_event(account, user_id, "unfollow", lambda channel: {})

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

    def send(self, bot_id: str, user_id: str, message: AnyUserMessage) -> dict[str, Any]:
        if isinstance(message, TextFromUser) and message.mentions:
            raise ControlError(400, "mentions: only in a group or room")
        self.platform.account(bot_id)
        self.platform.person(user_id)
        self.check_quote(bot_id, user_id, message)
        account = self._chatting(bot_id, user_id)
        content = _as_sent(message)
        entry = self.platform.record(bot_id, user_id, "user", content)
        self.keep_content(entry.id, message, bot_id)

        def build(channel: Channel) -> dict[str, Any]:
            return {"message": self.message_body(channel, bot_id, user_id, entry.id, content)}

        event_ids = self.platform.webhooks.chat_event(account, user_id, "message", build)
        return {"message_id": entry.id, "webhook_event_ids": event_ids}

    def as_sent(self, message: AnyUserMessage) -> dict[str, Any]:
        return _as_sent(message)

    def check_quote(self, bot_id: str, chat: str, message: AnyUserMessage) -> None:
        """A quoted message must be one of this chat's (the LINE app quotes only what the chat shows)."""
        quoted = getattr(message, "quoted_message_id", None)
        if quoted is not None and all(e.id != quoted for e in self.platform.chats.get((bot_id, chat), [])):
            raise ControlError(409, f"quoted_message_id: message {quoted} is not in this chat")

    def keep_content(self, message_id: str, message: AnyUserMessage, bot_id: str) -> None:
        """Keep what `GET .../content` answers for a medium, until it expires (choice 35)."""
        if isinstance(message, MediaFromUser | FileFromUser):
            self.content.keep(message_id, message, bot_id)

    def message_body(self, channel: Channel, bot_id: str, chat: str, message_id: str,
                     content: dict[str, Any]) -> dict[str, Any]:
        """The `message` object of a webhook for one channel."""
        body = {"id": message_id, **content}
        if "mention" in content:
            body["mention"] = {"mentionees": [self._mentionee_for(channel, bot_id, m)
                                              for m in content["mention"]["mentionees"]]}
        if content["type"] in QUOTABLE:
            body["quoteToken"] = ids.opaque_token(40)
        token = ids.opaque_token(32)
        self.mark_as_read_tokens[token] = (channel.channel_id, bot_id, chat)
        body["markAsReadToken"] = token
        return body

    def _mentionee_for(self, channel: Channel, bot_id: str, mentionee: dict[str, Any]) -> dict[str, Any]:
        """A mention as `channel` sees it: the member's ID for that channel, the OA's bot user ID for itself."""
        out = dict(mentionee)
        if out.get("isSelf"):
            out["userId"] = bot_id
        elif "userId" in out:
            out["userId"] = self.platform.seen_id(channel, bot_id, out["userId"])
        return out

    def postback(self, bot_id: str, user_id: str, postback: Postback) -> dict[str, Any]:
        account = self._chatting(bot_id, user_id)
        if postback.display_text:
            # The app shows displayText as the user's bubble, but only a postback event is sent.
            self.platform.record(bot_id, user_id, "user", {"type": "text", "text": postback.display_text})
        sent: dict[str, Any] = {"data": postback.data}
        if postback.params:
            sent["params"] = dict(postback.params)
        event_ids = self.platform.webhooks.chat_event(account, user_id, "postback",
                                                      lambda channel: {"postback": dict(sent)})
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
            picked = build(Postback, data=action.get("data", ""), params=picker_params(action, params))
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
            "content": self.content.export(),
            "mark_as_read_tokens": {k: list(v) for k, v in self.mark_as_read_tokens.items()},
            "groups": self.platform.groups.export(),
            "events": self.platform.user_events.export(),
        }

    def load(self, data: dict[str, Any]) -> None:
        self.content.load(data.get("content", {}))
        self.content.load_legacy(data.get("contents", {}), data.get("content_times", {}))
        self.mark_as_read_tokens = {k: (v[0], v[1], v[2]) for k, v in data.get("mark_as_read_tokens", {}).items()}
        self.platform.groups.load(data.get("groups", []))
        self.platform.user_events.load(data.get("events", {}))


def _as_sent(message: AnyUserMessage) -> dict[str, Any]:
    """The message as the chat shows it and the webhook carries it (a medium's bytes go separately)."""
    if isinstance(message, TextFromUser):
        out: dict[str, Any] = {"type": "text", "text": message.text}
        if message.emojis is not None:
            out["emojis"] = message.emojis
        if message.quoted_message_id is not None:
            out["quotedMessageId"] = message.quoted_message_id
        if message.mentions:
            # Kept with the people's global IDs (what the chat log shows); each channel's IDs go in at sending.
            out["mention"] = {"mentionees": [_mentionee(m.index, m.length, m.target) for m in message.mentions]}
        return out
    if isinstance(message, StickerFromUser):
        out = {"type": "sticker", "packageId": message.packageId, "stickerId": message.stickerId,
               "stickerResourceType": "STATIC"}
        if message.quoted_message_id is not None:
            out["quotedMessageId"] = message.quoted_message_id
        return out
    if isinstance(message, LocationFromUser):
        out = {"type": "location", "latitude": message.latitude, "longitude": message.longitude}
        for key in ("title", "address"):
            if getattr(message, key):
                out[key] = getattr(message, key)
        return out
    if isinstance(message, FileFromUser):
        return {"type": "file", "fileName": message.file_name, "fileSize": len(message.content)}
    out = {"type": message.type, "contentProvider": message.provider()}
    if isinstance(message, ImageFromUser) and message.image_set is not None:
        out["imageSet"] = message.image_set.model_dump()
    if isinstance(message, VideoFromUser | AudioFromUser) and message.duration is not None:
        out["duration"] = message.duration
    return out


def _mentionee(index: int, length: int, target: str) -> dict[str, Any]:
    if target == "all":
        return {"index": index, "length": length, "type": "all"}
    if target == "oa":
        return {"index": index, "length": length, "type": "user", "isSelf": True}
    return {"index": index, "length": length, "type": "user", "userId": target, "isSelf": False}


def picker_params(action: dict[str, Any], params: dict[str, str] | None) -> dict[str, str]:
    """What a datetime picker sends: the value picked in its mode, else its `initial`; 400 without either."""
    mode = action.get("mode", "datetime")
    if params and isinstance(params.get(mode), str):
        return {mode: params[mode]}
    if params:
        raise ControlError(400, f"params must carry '{mode}' for this datetime picker")
    initial = action.get("initial")
    if isinstance(initial, str):
        return {mode: initial}
    raise ControlError(400, f"params with '{mode}' are required: the user must pick a value")
