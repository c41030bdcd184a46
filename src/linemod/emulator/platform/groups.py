"""Group chats: an OA invited into a LINE group with some of its users (choice 34 in
docs/emulator-behaviour.md). The group's ID is the same for every channel; its members' IDs are each
channel's own. A member's message reaches the OA's channels with a `group` source, under the same
chat-control and reply-token rules as a one-to-one chat, the group standing where the user stands; a push
to the group ID reaches every member.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from linemod.emulator.errors import ControlError
from linemod.emulator.platform.commands import ImageFromUser, UserMessage

if TYPE_CHECKING:
    from linemod.emulator.platform.entities import Channel
    from linemod.emulator.platform.world import Platform


@dataclass
class Group:
    group_id: str
    bot_id: str
    name: str
    members: list[str] = field(default_factory=list)


class GroupArea:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.groups: dict[str, Group] = {}

    def create(self, bot_id: str, name: str, members: list[str]) -> dict[str, Any]:
        """The OA joins a new group with `members` (people of the emulator): a `join` event to its channels."""
        account = self.platform.account(bot_id)
        for member in members:
            self.platform.person(member)
        group = Group("C" + secrets.token_hex(16), bot_id, name, list(dict.fromkeys(members)))
        self.groups[group.group_id] = group
        source = {"type": "group", "groupId": group.group_id}
        event_ids = self.platform.webhooks.chat_event(
            account, group.group_id, "join", lambda ch, seen: {"source": source}
        )
        return {"group_id": group.group_id, "name": name, "members": group.members, "webhook_event_ids": event_ids}

    def get(self, bot_id: str, group_id: str) -> Group:
        group = self.groups.get(group_id)
        if group is None or group.bot_id != bot_id:
            raise ControlError(404, f"group {group_id} not found")
        return group

    def of_account(self, bot_id: str, group_id: str) -> Group | None:
        group = self.groups.get(group_id)
        return group if group is not None and group.bot_id == bot_id else None

    def send(self, bot_id: str, group_id: str, member: str, message: UserMessage) -> dict[str, Any]:
        """`member` writes in the group: a `message` event with a group source."""
        group = self.get(bot_id, group_id)
        if member not in group.members:
            raise ControlError(409, "the user is not a member of this group")
        account = self.platform.account(bot_id)
        users = self.platform.users
        content = users.as_sent(message)
        entry = self.platform.record(bot_id, group_id, f"user:{member}", content)
        if isinstance(message, ImageFromUser):
            users.keep_content(entry.id, message, bot_id)

        def build(channel: Channel, seen: str) -> dict[str, Any]:
            body = users.message_body(channel, bot_id, group_id, entry.id, content)
            member_id = self.platform.seen_id(channel, bot_id, member)
            return {"message": body, "source": {"type": "group", "groupId": group_id, "userId": member_id}}

        event_ids = self.platform.webhooks.chat_event(account, group_id, "message", build)
        return {"message_id": entry.id, "webhook_event_ids": event_ids}

    def export(self) -> list[dict[str, Any]]:
        return [asdict(g) for g in self.groups.values()]

    def load(self, data: list[dict[str, Any]]) -> None:
        self.groups = {g["group_id"]: Group(**g) for g in data}
