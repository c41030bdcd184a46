"""The smaller chat endpoints: loading animation, profile, link token, mark as read, content."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from linemod.emulator import ids
from linemod.emulator.errors import LineApiError, invalid_property

if TYPE_CHECKING:
    from linemod.emulator.platform.world import Caller, Platform

LOADING_SECONDS = frozenset(range(5, 61, 5))
LINK_TOKEN_TTL_MS = 10 * 60_000


class ChatExtras:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.loading_until: dict[tuple[str, str], int] = {}
        self.link_tokens: dict[str, tuple[str, str, int]] = {}  # token -> (bot, person, issued)

    def loading(self, caller: Caller, body: Any) -> dict[str, Any]:
        account = self.platform.require_usable(caller)
        body = body if isinstance(body, dict) else {}
        chat_id = body.get("chatId")
        seconds = body.get("loadingSeconds", 20)
        if not isinstance(chat_id, str) or ids.GROUP_ID_RE.match(chat_id) or ids.ROOM_ID_RE.match(chat_id):
            raise invalid_property("chatId")
        if not isinstance(seconds, int) or seconds not in LOADING_SECONDS:
            raise invalid_property("loadingSeconds")
        person = self.platform.resolve_user(caller, chat_id)
        if person is None:
            raise invalid_property("chatId")
        friendship = account.friends.get(person)
        if friendship is not None and friendship.friend and not friendship.blocked:
            # 202 either way (LINE answers 202 even when nobody sees it); only a reachable user sees the animation.
            self.loading_until[(account.bot_id, person)] = self.platform.clock.now_ms() + seconds * 1000
        return {}

    def profile(self, caller: Caller, user_id: str) -> dict[str, Any]:
        account = caller.require_account()
        if not (ids.USER_ID_RE.match(user_id) or ids.MODULE_USER_ID_RE.match(user_id)):
            raise LineApiError(400, "The value for the 'userId' parameter is invalid")
        person_id = self.platform.resolve_user(caller, user_id)
        friendship = account.friends.get(person_id) if person_id else None
        if person_id is None or friendship is None or not friendship.friend or friendship.blocked:
            raise LineApiError(404, "Not found")
        person = self.platform.people[person_id]
        out = {"displayName": person.display_name, "userId": user_id, "language": person.language}
        if person.picture_url:
            out["pictureUrl"] = person.picture_url
        if person.status_message:
            out["statusMessage"] = person.status_message
        return out

    def link_token(self, caller: Caller, user_id: str) -> dict[str, Any]:
        account = caller.require_account()
        person = self.platform.resolve_user(caller, user_id)
        if person is None:
            raise LineApiError(400, "The value for the 'userId' parameter is invalid")
        token = ids.opaque_token(32)
        self.link_tokens[token] = (account.bot_id, person, self.platform.clock.now_ms())
        return {"linkToken": token}

    def mark_as_read_old(self, caller: Caller, body: Any) -> dict[str, Any]:
        account = caller.require_account()
        chat = body.get("chat") if isinstance(body, dict) else None
        seen = chat.get("userId") if isinstance(chat, dict) else None
        person = self.platform.resolve_user(caller, seen) if isinstance(seen, str) else None
        if person is None:
            raise LineApiError(400, "The property, 'chat.chatId', in the request body is invalid (line: -, column: -)")
        self.platform.users.read_up_to[(account.bot_id, person)] = self.platform.clock.now_ms()
        return {}

    def mark_as_read_token(self, caller: Caller, body: Any) -> dict[str, Any]:
        account = caller.require_account()
        token = body.get("markAsReadToken") if isinstance(body, dict) else None
        found = self.platform.users.mark_as_read_tokens.get(token) if isinstance(token, str) else None
        if found is None or found[0] != caller.channel.channel_id or found[1] != account.bot_id:
            raise LineApiError(
                400, "Invalid markAsReadToken. Tokens must be used by the bot that received them via Webhook."
            )
        self.platform.users.read_up_to[(account.bot_id, found[2])] = self.platform.clock.now_ms()
        return {}
