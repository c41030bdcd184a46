"""The rows of the chat lists the pages show: one small type per kind of row, all sorted newest first.

A row keeps what its template reads; `last` is the newest bubble of its conversation (None before
the first), which is all the ordering needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from linemod.emulator.platform.entities import ChatEntry, OfficialAccount, Person
from linemod.emulator.platform.groups import Group

if TYPE_CHECKING:
    from linemod.emulator.platform.world import Platform


class _HasLast(Protocol):
    @property
    def last(self) -> ChatEntry | None: ...


RowT = TypeVar("RowT", bound=_HasLast)


def newest_first(rows: Sequence[RowT]) -> list[RowT]:
    """Rows by their newest bubble, latest on top; conversations without one go last."""
    return sorted(rows, key=lambda row: -(row.last.timestamp if row.last else 0))


@dataclass(frozen=True)
class AccountChatRow:
    """An OA in a person's chat list on the LINE app page."""

    account: OfficialAccount
    last: ChatEntry | None
    friend: bool
    blocked: bool


@dataclass(frozen=True)
class GroupChatRow:
    """A group or room, in a member's chat list or in its OA's list in the OA Manager."""

    group: Group
    account: OfficialAccount
    title: str
    members: list[Person]
    last: ChatEntry | None


@dataclass(frozen=True)
class PersonChatRow:
    """A person in the OA Manager's chat list of an OA, with the chat-control state of that chat."""

    person: Person
    last: ChatEntry | None
    friend: bool
    blocked: bool
    control: dict[str, Any]


def group_row(platform: Platform, group: Group) -> GroupChatRow:
    """A group by its name; a room, which has none, by its members' names as the app lists them."""
    members = [platform.people[p] for p in group.members if p in platform.people]
    entries = platform.chats.get((group.bot_id, group.group_id), [])
    title = group.name if group.kind == "group" else ", ".join(m.display_name for m in members)
    return GroupChatRow(group=group, account=platform.accounts[group.bot_id], title=title, members=members,
                        last=entries[-1] if entries else None)
