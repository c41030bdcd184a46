"""A chat as the pages draw it: bubbles, tappable actions by reference, and what changed.

Pages never send an action object back to the server: each action a message carries gets a
reference (`<message id>:<n>`, `rm:<area>` for the rich menu), and a tap names only that. The
server finds the action again in the stored message, so a page can do exactly what the LINE app
could do with what the channel sent, nothing else.
"""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from linemod.emulator.platform.entities import ChatEntry, OfficialAccount

if TYPE_CHECKING:
    from linemod.emulator.platform.world import Platform

ACTION_KEYS = ("action", "defaultAction")
ACTION_LISTS = ("actions",)
# LINE emojis are images the emulator does not have; each shows as a stand-in glyph.
EMOJI_STAND_INS = ("😀", "😊", "😂", "😍", "👍", "🙏", "🎉", "😎", "🥳", "😢", "✨", "💚")
URL_RE = re.compile(r"https?://[^\s<>\"']+")
SAFE_SCHEMES = ("https://", "http://", "line://", "tel:", "mailto:")
PICKER_MODES = ("date", "time", "datetime")


def safe_uri(uri: Any) -> str:
    """A link the page may open; anything else (a `javascript:` URI, say) becomes inert."""
    return uri if isinstance(uri, str) and uri.lower().startswith(SAFE_SCHEMES) else "#"


def dom_id(ref: Any) -> str:
    return "x-" + re.sub(r"[^A-Za-z0-9_-]", "-", str(ref))


def _runs(text: str) -> list[dict[str, Any]]:
    """Plain text with its URLs made links, as the LINE app does."""
    parts: list[dict[str, Any]] = []
    cursor = 0
    for found in URL_RE.finditer(text):
        if found.start() > cursor:
            parts.append({"kind": "text", "text": text[cursor:found.start()]})
        parts.append({"kind": "link", "text": found.group(0)})
        cursor = found.end()
    if cursor < len(text):
        parts.append({"kind": "text", "text": text[cursor:]})
    return parts


def _walk(node: Any, found: list[dict[str, Any]]) -> None:
    """Collects action objects in document order; `annotate` and `actions_in` must agree on it."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ACTION_KEYS and isinstance(value, dict) and "type" in value:
                found.append(value)  # an action holds no further actions: no need to look inside
            elif key in ACTION_LISTS and isinstance(value, list):
                found.extend(a for a in value if isinstance(a, dict) and "type" in a)
            else:
                _walk(value, found)
    elif isinstance(node, list):
        for item in node:
            _walk(item, found)


def actions_in(message: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    _walk(message, found)
    return found


def annotate(message: dict[str, Any], message_id: str) -> dict[str, Any]:
    """A copy of `message` whose every action carries `_ref`, the name a tap sends back."""
    shown = copy.deepcopy(message)
    for index, action in enumerate(actions_in(shown)):
        action["_ref"] = f"{message_id}:{index}"
    return shown


def find_action(entries: list[ChatEntry], ref: str) -> dict[str, Any] | None:
    message_id, _, index = ref.rpartition(":")
    if not index.isdigit():
        return None
    for entry in entries:
        if entry.id == message_id:
            actions = actions_in(entry.message)
            position = int(index)
            return copy.deepcopy(actions[position]) if position < len(actions) else None
    return None


def picker_mode(action: dict[str, Any]) -> str:
    """What a datetime picker asks for; LINE's default when the action names none it knows."""
    mode = action.get("mode")
    return mode if isinstance(mode, str) and mode in PICKER_MODES else "datetime"


def emoji_stand_in(emoji_id: Any) -> str:
    digest = hashlib.sha1(str(emoji_id).encode()).digest()
    return EMOJI_STAND_INS[digest[0] % len(EMOJI_STAND_INS)]


def text_parts(message: dict[str, Any]) -> list[dict[str, Any]]:
    """A text (or textV2) message split into plain runs, LINE emojis and mentions."""
    text = str(message.get("text", ""))
    if message.get("type") == "textV2":
        return _text_v2_parts(text, message.get("substitution") or {})
    emojis = sorted((e for e in message.get("emojis") or [] if isinstance(e, dict) and isinstance(e.get("index"), int)),
                    key=lambda e: e["index"])
    parts: list[dict[str, Any]] = []
    cursor = 0
    for emoji in emojis:
        index = emoji["index"]
        if index < cursor or text[index:index + 1] != "$":
            continue
        if index > cursor:
            parts.extend(_runs(text[cursor:index]))
        parts.append({"kind": "emoji", "glyph": emoji_stand_in(emoji.get("emojiId")),
                      "label": f"{emoji.get('productId', '')}/{emoji.get('emojiId', '')}"})
        cursor = index + 1
    if cursor < len(text):
        parts.extend(_runs(text[cursor:]))
    return parts


def _text_v2_parts(text: str, substitution: dict[str, Any]) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    cursor = 0
    while cursor < len(text):
        start = text.find("{", cursor)
        end = text.find("}", start + 1) if start >= 0 else -1
        if start < 0 or end < 0:
            parts.extend(_runs(text[cursor:]))
            break
        key = text[start + 1:end]
        if start > cursor:
            parts.extend(_runs(text[cursor:start]))
        sub = substitution.get(key) if isinstance(substitution, dict) else None
        if isinstance(sub, dict) and sub.get("type") == "emoji":
            parts.append({"kind": "emoji", "glyph": emoji_stand_in(sub.get("emojiId")),
                          "label": f"{sub.get('productId', '')}/{sub.get('emojiId', '')}"})
        elif isinstance(sub, dict) and sub.get("type") == "mention":
            mentionee = sub.get("mentionee") or {}
            parts.append({"kind": "mention", "text": "@All" if mentionee.get("type") == "all" else f"@{key}"})
        else:
            parts.append({"kind": "text", "text": text[start:end + 1]})
        cursor = end + 1
    return parts


@dataclass
class Bubble:
    id: str
    mine: bool  # drawn on the right: sent by whoever is looking at the chat
    sender: str  # "user" | "channel" | "operator"
    channel_id: str | None
    timestamp: int
    message: dict[str, Any]  # annotated with action references
    delivered: bool
    label: str | None = None  # in a group: the member who wrote, over their bubble


def bubbles(platform: Platform, account: OfficialAccount, person: str, *, viewer: str,
            start: int = 0) -> list[Bubble]:
    """The chat from `start` on, as the user's phone (`viewer="user"`) or the OA Manager shows it.

    The phone never shows what was not delivered (pushes while blocked); the OA Manager shows all.
    """
    entries = platform.chats.get((account.bot_id, person), [])
    out = []
    for entry in entries[start:]:
        if viewer == "user" and not entry.delivered:
            continue
        # "channel:<id>", or in a group "user:<member>": `channel_id` then holds the member.
        kind, _, channel_id = entry.sender.partition(":")
        from_user = kind == "user"
        out.append(Bubble(
            id=entry.id,
            mine=from_user if viewer == "user" else not from_user,
            sender=kind,
            channel_id=channel_id or None,
            timestamp=entry.timestamp,
            message=annotate(entry.message, entry.id),
            delivered=entry.delivered,
        ))
    return out


def quick_reply(platform: Platform, account: OfficialAccount, person: str) -> list[dict[str, Any]]:
    """The quick-reply buttons the app shows: those of the newest message, if it came from the OA."""
    entries = [e for e in platform.chats.get((account.bot_id, person), []) if e.delivered]
    if not entries or entries[-1].sender == "user":
        return []
    last = annotate(entries[-1].message, entries[-1].id)
    quick = last.get("quickReply")
    items = quick.get("items") if isinstance(quick, dict) else None
    if not isinstance(items, list):
        return []
    return [item for item in items if isinstance(item, dict) and isinstance(item.get("action"), dict)]


def sender_name(platform: Platform, account: OfficialAccount, bubble: Bubble) -> str:
    """Which channel sent an OA-side bubble, as the OA Manager labels it (the phone shows the OA's name)."""
    channel = platform.module_channels.get(bubble.channel_id or "")
    if channel is not None:
        return channel.name
    return "Messaging API"
