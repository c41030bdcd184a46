"""Group chats and multi-person chats (rooms) the OA is in (choices 34 and 36 of docs/emulator-behaviour.md).

A group or room ID is the same for every channel; its members' IDs are each channel's own. What happens in
one reaches the OA's channels with a `group` or `room` source, under the chat-control and reply-token rules
of a one-to-one chat, the group standing where the user stands; a push to the group ID reaches every member.
This is the people's side (the control API); the Messaging API's side is `group_api.py`.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from linemod.emulator.errors import ControlError
from linemod.emulator.platform.commands import Postback
from linemod.emulator.platform.user_messages import AnyUserMessage, TextFromUser

if TYPE_CHECKING:
    from linemod.emulator.platform.entities import Channel, OfficialAccount
    from linemod.emulator.platform.world import Platform

ChatKind = Literal["group", "room"]
ID_PREFIX = {"group": "C", "room": "R"}


@dataclass
class Group:
    """A group (`C…`, with a name and maybe a picture) or a room (`R…`, neither)."""

    group_id: str
    bot_id: str
    name: str
    members: list[str] = field(default_factory=list)
    kind: str = "group"
    picture_url: str | None = None

    def source(self, speaker: str | None = None) -> dict[str, str]:
        """The webhook's `source`; `speaker` is the ID the receiving channel sees for the member who acted."""
        out = {"type": self.kind, f"{self.kind}Id": self.group_id}
        if speaker is not None:
            out["userId"] = speaker
        return out

    def public(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.kind, f"{self.kind}_id": self.group_id, "members": list(self.members)}
        if self.kind == "group":
            out.update(name=self.name, picture_url=self.picture_url)
        return out


class GroupArea:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.groups: dict[str, Group] = {}

    # ---- lookups ------------------------------------------------------------------------------

    def get(self, bot_id: str, group_id: str, kind: ChatKind | None = None) -> Group:
        group = self.of_account(bot_id, group_id)
        if group is None or (kind is not None and group.kind != kind):
            raise ControlError(404, f"{kind or 'group'} {group_id} not found")
        return group

    def of_account(self, bot_id: str, group_id: str) -> Group | None:
        group = self.groups.get(group_id)
        return group if group is not None and group.bot_id == bot_id else None

    def of_person(self, user_id: str) -> list[Group]:
        """Every group and room the person is in, for their chat list."""
        return [g for g in self.groups.values() if user_id in g.members]

    def chats_of(self, bot_id: str) -> list[str]:
        return [g.group_id for g in self.groups.values() if g.bot_id == bot_id]

    def _people(self, user_ids: list[str]) -> list[str]:
        for user_id in user_ids:
            self.platform.person(user_id)
        return list(dict.fromkeys(user_ids))

    def _active(self, bot_id: str) -> OfficialAccount:
        account = self.platform.account(bot_id)
        if account.status != "active":
            raise ControlError(409, f"account {bot_id} is {account.status}")
        return account

    # ---- what people do -----------------------------------------------------------------------

    def create(self, bot_id: str, kind: ChatKind, members: list[str], name: str = "",
               picture_url: str | None = None) -> dict[str, Any]:
        """The OA is invited into a new group or room with `members`: a `join` event to its channels."""
        account = self._active(bot_id)
        people = self._people(members)
        group = Group(ID_PREFIX[kind] + secrets.token_hex(16), bot_id, name, people, kind, picture_url)
        self.groups[group.group_id] = group
        event_ids = self.platform.webhooks.chat_event(account, group.group_id, "join", lambda channel: {})
        return {**group.public(), "webhook_event_ids": event_ids}

    def add_members(self, bot_id: str, group_id: str, user_ids: list[str]) -> dict[str, Any]:
        """People join: one `memberJoined` event naming them, each channel with its own IDs."""
        account = self._active(bot_id)
        group = self.get(bot_id, group_id)
        joining = [p for p in self._people(user_ids) if p not in group.members]
        if not joining:
            raise ControlError(409, "every user given is already a member")
        group.members.extend(joining)

        def build(channel: Channel) -> dict[str, Any]:
            return {"joined": {"members": self._user_sources(channel, bot_id, joining)}}

        event_ids = self.platform.webhooks.chat_event(account, group_id, "memberJoined", build)
        return {**group.public(), "webhook_event_ids": event_ids}

    def remove_member(self, bot_id: str, group_id: str, user_id: str) -> dict[str, Any]:
        """A member leaves (or is removed): a `memberLeft` event."""
        account = self._active(bot_id)
        group = self.get(bot_id, group_id)
        self.platform.person(user_id)
        if user_id not in group.members:
            raise ControlError(409, f"the user is not a member of this {group.kind}")

        def build(channel: Channel) -> dict[str, Any]:
            return {"left": {"members": self._user_sources(channel, bot_id, [user_id])}}

        # The IDs are computed before the member goes: the event must name them as the channels knew them.
        event_ids = self.platform.webhooks.chat_event(account, group_id, "memberLeft", build)
        group.members.remove(user_id)
        return {**group.public(), "webhook_event_ids": event_ids}

    def remove_oa(self, bot_id: str, group_id: str) -> dict[str, Any]:
        """A member removes the OA from the group, or the OA leaves: a `leave` event, and the chat is gone."""
        account = self.platform.account(bot_id)
        self.get(bot_id, group_id)
        event_ids = self.platform.webhooks.chat_event(account, group_id, "leave", lambda channel: {})
        del self.groups[group_id]
        self.platform.chat_control.reset_chat(account, group_id)
        return {"webhook_event_ids": event_ids}

    def send(self, bot_id: str, group_id: str, member: str, message: AnyUserMessage) -> dict[str, Any]:
        """`member` writes in the group: a `message` event whose source names them."""
        group = self.get(bot_id, group_id)
        self.platform.person(member)
        if member not in group.members:
            raise ControlError(409, f"the user is not a member of this {group.kind}")
        account = self._active(bot_id)
        if isinstance(message, TextFromUser):
            for mention in message.mentions or []:
                if mention.target not in ("all", "oa") and mention.target not in group.members:
                    raise ControlError(409, f"mentions: {mention.target} is not a member of this {group.kind}")
        users = self.platform.users
        users.check_quote(bot_id, group_id, message)
        content = users.as_sent(message)
        entry = self.platform.record(bot_id, group_id, f"user:{member}", content)
        users.keep_content(entry.id, message, bot_id)

        def build(channel: Channel) -> dict[str, Any]:
            body = users.message_body(channel, bot_id, group_id, entry.id, content)
            return {"message": body, "source": group.source(self.platform.seen_id(channel, bot_id, member))}

        event_ids = self.platform.webhooks.chat_event(account, group_id, "message", build)
        return {"message_id": entry.id, "webhook_event_ids": event_ids}

    def postback(self, bot_id: str, group_id: str, member: str, postback: Postback) -> dict[str, Any]:
        """`member` taps a postback action in the group: a `postback` event whose source names them."""
        group = self.get(bot_id, group_id)
        self.platform.person(member)
        if member not in group.members:
            raise ControlError(409, f"the user is not a member of this {group.kind}")
        account = self._active(bot_id)
        if postback.display_text:
            # The app shows displayText as the member's bubble, but only a postback event is sent.
            self.platform.record(bot_id, group_id, f"user:{member}", {"type": "text", "text": postback.display_text})
        sent: dict[str, Any] = {"data": postback.data}
        if postback.params:
            sent["params"] = dict(postback.params)
        event_ids = self.platform.webhooks.chat_event(account, group_id, "postback", lambda channel: {
            "postback": dict(sent), "source": group.source(self.platform.seen_id(channel, bot_id, member))})
        return {"webhook_event_ids": event_ids}

    def _user_sources(self, channel: Channel, bot_id: str, people: list[str]) -> list[dict[str, str]]:
        return [{"type": "user", "userId": self.platform.seen_id(channel, bot_id, p)} for p in people]

    # ---- snapshot -----------------------------------------------------------------------------

    def export(self) -> list[dict[str, Any]]:
        return [asdict(g) for g in self.groups.values()]

    def load(self, data: list[dict[str, Any]]) -> None:
        self.groups = {g["group_id"]: Group(**g) for g in data}
