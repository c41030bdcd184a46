"""The module APIs (docs/emulator-behaviour.md: rules 33–48 and 70–71): detach, acquire, release, bot list, bot info."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from linemod.emulator import ids
from linemod.emulator.errors import LineApiError
from linemod.emulator.platform.chat_control import DEFAULT_TTL_SECONDS, MAX_TTL_SECONDS
from linemod.emulator.platform.entities import ModuleChannel, OfficialAccount

if TYPE_CHECKING:
    from linemod.emulator.platform.world import Caller, Platform

LIST_DEFAULT_LIMIT = 100
LIST_TOKEN_TTL_MS = 24 * 3600 * 1000
INVALID_CHAT_ID = "The value for the 'chatId' parameter is invalid"


@dataclass
class ListCursor:
    channel_id: str
    offset: int
    issued_at_ms: int


def _module(caller: Caller) -> ModuleChannel:
    if not isinstance(caller.channel, ModuleChannel):
        raise LineApiError(400, "This API is available to module channels only")
    return caller.channel


class ModuleApi:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.cursors: dict[str, ListCursor] = {}

    def detach(self, caller: Caller, body: Any) -> None:
        channel = _module(caller)  # rule 36
        bot_id = body.get("botId") if isinstance(body, dict) else None
        if not isinstance(bot_id, str) or not ids.USER_ID_RE.match(bot_id):
            raise LineApiError(400, "user/group/room Id is not available.")  # rule 34
        if self.platform.attachment(channel.channel_id, bot_id) is None:
            raise LineApiError(400, "Specified channel is not detachable")  # rule 35
        self.platform.detach(channel, bot_id)

    def _chat(self, caller: Caller, chat_id: str) -> tuple[ModuleChannel, OfficialAccount, str]:
        channel = _module(caller)
        account = caller.require_account()
        if not ids.is_chat_id(chat_id):
            raise LineApiError(400, INVALID_CHAT_ID)  # rule 44
        if self.platform.groups.of_account(account.bot_id, chat_id) is not None:
            return channel, account, chat_id  # a group or room the OA is in: its chat is keyed by its ID
        person = self.platform.resolve_user(caller, chat_id)
        if person is None:
            if ids.MODULE_USER_ID_RE.match(chat_id) and chat_id.endswith("-" + account.bot_id):
                raise LineApiError(404, "Not found")
            if ids.GROUP_ID_RE.match(chat_id) or ids.ROOM_ID_RE.match(chat_id):
                raise LineApiError(404, "Not found")  # rule 45: a group or room the OA is not in
            raise LineApiError(400, INVALID_CHAT_ID)
        return channel, account, person

    def acquire(self, caller: Caller, chat_id: str, body: Any) -> dict[str, Any]:
        channel, account, person = self._chat(caller, chat_id)
        body = body if isinstance(body, dict) else {}
        expired = body.get("expired", True)
        if not isinstance(expired, bool):
            raise LineApiError(400, "The request body has 1 error(s)",
                               extra={"details": [{"message": "Must be a boolean", "property": "expired"}]})
        ttl = body.get("ttl", DEFAULT_TTL_SECONDS)
        if expired and (not isinstance(ttl, int) or isinstance(ttl, bool) or not 0 < ttl <= MAX_TTL_SECONDS):
            # Rules 42–43: ttl is checked only when it matters.
            raise LineApiError(400, "The request body has 1 error(s)", extra={"details": [
                {"message": f"Must be between 1 and {MAX_TTL_SECONDS}", "property": "ttl"}]})
        friendship = account.friends.get(person)
        in_group = self.platform.groups.of_account(account.bot_id, person) is not None
        if not in_group and (friendship is None or not friendship.friend or friendship.blocked):
            raise LineApiError(404, "Not found")  # rule 45
        self.platform.chat_control.acquire(channel, account, person, expired, ttl if expired else 0)
        return {}

    def release(self, caller: Caller, chat_id: str) -> dict[str, Any]:
        channel, account, person = self._chat(caller, chat_id)
        self.platform.chat_control.release(channel, account, person)
        return {}

    def list_bots(self, caller: Caller, limit: str | None, start: str | None) -> dict[str, Any]:
        channel = _module(caller)
        now = self.platform.clock.now_ms()
        size = LIST_DEFAULT_LIMIT
        if limit is not None:
            try:
                size = int(limit)
            except ValueError:
                raise LineApiError(400, "Invalid limit param") from None
            if not 1 <= size <= LIST_DEFAULT_LIMIT:
                raise LineApiError(400, "Invalid limit param")
        offset = 0
        if start is not None:
            cursor = self.cursors.get(start)
            expired = cursor is None or now - cursor.issued_at_ms > LIST_TOKEN_TTL_MS
            if cursor is None or expired or cursor.channel_id != channel.channel_id:
                raise LineApiError(400, "Invalid start param")  # rule 70
            offset = cursor.offset
        attached = sorted(
            (a for a in self.platform.attachments.values() if a.channel_id == channel.channel_id),
            key=lambda a: (a.attached_at_ms, a.bot_id),
        )
        page = attached[offset:offset + size]
        out: dict[str, Any] = {"bots": [self.bot_item(self.platform.accounts[a.bot_id]) for a in page]}
        if offset + size < len(attached):
            token = ids.opaque_token(32)
            self.cursors[token] = ListCursor(channel.channel_id, offset + size, now)
            out["next"] = token
        return out

    @staticmethod
    def bot_item(account: OfficialAccount) -> dict[str, Any]:
        item = {"userId": account.bot_id, "basicId": account.basic_id, "displayName": account.display_name}
        if account.premium_id:
            item["premiumId"] = account.premium_id
        if account.picture_url:
            item["pictureUrl"] = account.picture_url
        return item

    def bot_info(self, caller: Caller) -> dict[str, Any]:
        account = caller.require_account()
        info = self.bot_item(account)
        info["chatMode"] = account.chat_mode
        info["markAsReadMode"] = account.mark_as_read_mode
        return info
