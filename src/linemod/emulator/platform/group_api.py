"""The Messaging API's group and room operations: summary, member count, member IDs (paged), member profile,
and leaving (choice 36 of docs/emulator-behaviour.md).

Every answer is computed for the calling channel: member IDs are the IDs that channel sees (`U…` for the
Primary Channel, `L…` for a module), and a member profile is found by such an ID.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any

from linemod.emulator import ids
from linemod.emulator.errors import LineApiError
from linemod.emulator.platform.groups import ChatKind, Group

if TYPE_CHECKING:
    from linemod.emulator.platform.world import Caller, Platform

MEMBER_IDS_PAGE = 100  # LINE: "up to 100 user IDs" per call
ID_PATTERNS = {"group": ids.GROUP_ID_RE, "room": ids.ROOM_ID_RE}


class GroupApi:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def _chat(self, caller: Caller, kind: ChatKind, chat_id: str) -> Group:
        account = caller.require_account()
        if not ID_PATTERNS[kind].match(chat_id):
            raise LineApiError(400, f"The value for the '{kind}Id' parameter is invalid")
        group = self.platform.groups.of_account(account.bot_id, chat_id)
        if group is None or group.kind != kind:
            raise LineApiError(404, "Not found")
        return group

    def summary(self, caller: Caller, group_id: str) -> dict[str, Any]:
        group = self._chat(caller, "group", group_id)
        out: dict[str, Any] = {"groupId": group.group_id, "groupName": group.name}
        if group.picture_url:
            out["pictureUrl"] = group.picture_url
        return out

    def member_count(self, caller: Caller, kind: ChatKind, chat_id: str) -> dict[str, Any]:
        return {"count": len(self._chat(caller, kind, chat_id).members)}

    def member_ids(self, caller: Caller, kind: ChatKind, chat_id: str, start: str | None) -> dict[str, Any]:
        """A page of the members' IDs as the caller sees them; `next` continues it (choice 36)."""
        group = self._chat(caller, kind, chat_id)
        offset = _offset_of(start, group.group_id) if start else 0
        account = caller.require_account()
        page = group.members[offset:offset + MEMBER_IDS_PAGE]
        out: dict[str, Any] = {
            "memberIds": [self.platform.seen_id(caller.channel, account.bot_id, p) for p in page]
        }
        if offset + MEMBER_IDS_PAGE < len(group.members):
            out["next"] = _continuation(group.group_id, offset + MEMBER_IDS_PAGE)
        return out

    def member_profile(self, caller: Caller, kind: ChatKind, chat_id: str, user_id: str) -> dict[str, Any]:
        group = self._chat(caller, kind, chat_id)
        if not (ids.USER_ID_RE.match(user_id) or ids.MODULE_USER_ID_RE.match(user_id)):
            raise LineApiError(400, "The value for the 'userId' parameter is invalid")
        account = caller.require_account()
        member = next((p for p in group.members
                       if self.platform.seen_id(caller.channel, account.bot_id, p) == user_id), None)
        if member is None:
            raise LineApiError(404, "Not found")
        person = self.platform.people[member]
        out = {"displayName": person.display_name, "userId": user_id}
        if person.picture_url:
            out["pictureUrl"] = person.picture_url
        return out

    def leave(self, caller: Caller, kind: ChatKind, chat_id: str) -> dict[str, Any]:
        """The OA leaves: the `leave` event reaches every channel of the OA, the caller's too (choice 36)."""
        self.platform.require_usable(caller)
        group = self._chat(caller, kind, chat_id)
        self.platform.groups.remove_oa(group.bot_id, group.group_id)
        return {}


def _continuation(chat_id: str, offset: int) -> str:
    """Opaque to callers; it names the chat so a token is not taken for another group's."""
    return base64.urlsafe_b64encode(f"{chat_id}:{offset}".encode()).decode().rstrip("=")


def _offset_of(start: str, chat_id: str) -> int:
    try:
        decoded = base64.urlsafe_b64decode(start + "=" * (-len(start) % 4)).decode()
        named, offset = decoded.rsplit(":", 1)
        value = int(offset)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        value, named = -1, ""
    if named != chat_id or value <= 0:
        raise LineApiError(400, "The value for the 'start' parameter is invalid")
    return value
