"""What was really sent, delivered, opened and clicked: the record the delivery counts, the aggregation
units and the insight answers are computed from (docs/emulator-behaviour.md, choices 38–43).

Sending routes open a `recording` around the messaging rule they call; every message delivered inside it
is noted against the request. Users' interactions (opening a chat, clicking a URL, playing a video) come
from the control API.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from linemod.emulator.errors import ControlError
from linemod.emulator.platform.demographics import jst_day

if TYPE_CHECKING:
    from linemod.emulator.platform.world import Platform

SEND_KINDS = ("reply", "push", "multicast", "broadcast", "narrowcast", "pnp")
MEDIA = frozenset({"video", "audio"})
PLAY_STEPS = (25, 50, 75, 100)


@dataclass
class SendRecord:
    request_id: str
    kind: str
    bot_id: str
    at_ms: int
    messages: list[dict[str, Any]] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    recipients: dict[str, list[str]] = field(default_factory=dict)  # person -> message IDs, in bubble order


@dataclass
class Interaction:
    """One thing a user did with a delivered bubble: `impression`, `click` (with `url`), `play` (with `percent`)."""

    kind: str
    request_id: str
    seq: int
    person: str
    at_ms: int
    url: str | None = None
    percent: int | None = None


@dataclass
class FriendEvent:
    bot_id: str
    person: str
    kind: str  # follow | block
    at_ms: int


@dataclass
class RichMenuEvent:
    rich_menu_id: str
    person: str
    kind: str  # impression | click
    at_ms: int
    area: int | None = None


class Recording:
    """The context of one send request (a class, not a generator: it wraps every push of a load test)."""

    __slots__ = ("record", "stats")

    def __init__(self, stats: DeliveryStats, record: SendRecord) -> None:
        self.stats, self.record = stats, record

    def __enter__(self) -> SendRecord:
        self.stats._current = self.record
        return self.record

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        self.stats._current = None
        if kind is None and self.record.bot_id:
            self.stats.sends[self.record.request_id] = self.record


class DeliveryStats:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.sends: dict[str, SendRecord] = {}
        self.by_message: dict[str, tuple[str, int, str]] = {}  # message ID -> (request ID, seq, recipient)
        self.interactions: list[Interaction] = []
        self.friend_events: list[FriendEvent] = []
        self.richmenu_events: list[RichMenuEvent] = []
        self.displayed: set[str] = set()  # message IDs their recipient has seen at least once
        self._current: SendRecord | None = None

    # ---- recording sends ----------------------------------------------------------------------

    def recording(self, kind: str, request_id: str, bot_id: str | None) -> Recording:
        """Notes what the messaging rule inside delivers; a request refused (an exception) leaves no record."""
        return Recording(self, SendRecord(request_id or f"local-{len(self.sends)}", kind, bot_id or "",
                                          self.platform.clock.now_ms()))

    def note_units(self, units: list[str]) -> None:
        if self._current is not None:
            self._current.units = list(units)

    def note_delivery(self, person: str, messages: list[dict[str, Any]], message_ids: list[str]) -> None:
        record = self._current
        if record is None:
            return
        if not record.messages:
            record.messages = messages
        record.recipients[person] = list(message_ids)
        for seq, message_id in enumerate(message_ids, start=1):
            self.by_message[message_id] = (record.request_id, seq, person)

    def note_friend(self, bot_id: str, person: str, kind: str) -> None:
        self.friend_events.append(FriendEvent(bot_id, person, kind, self.platform.clock.now_ms()))

    # ---- what users do with what they received ------------------------------------------------

    def _sent_to(self, bot_id: str, person: str, message_id: str) -> tuple[SendRecord, int]:
        found = self.by_message.get(message_id)
        record = self.sends.get(found[0]) if found else None
        if found is None or record is None or record.bot_id != bot_id or found[2] != person:
            raise ControlError(404, f"message {message_id} was not sent to user {person} by this account")
        return record, found[1]

    def open_chat(self, bot_id: str, person: str) -> dict[str, Any]:
        """The user opens the chat: every delivered bubble not yet displayed is displayed once."""
        self.platform.account(bot_id)
        self.platform.person(person)
        opened = []
        for entry in self.platform.chats.get((bot_id, person), []):
            if entry.delivered and entry.id in self.by_message and entry.id not in self.displayed:
                request_id, seq, _ = self.by_message[entry.id]
                self._add("impression", request_id, seq, person)
                self.displayed.add(entry.id)
                opened.append(entry.id)
        return {"opened_message_ids": opened}

    def click_from_app(self, bot_id: str, person: str, message_id: str, url: str) -> None:
        """A URI action tapped on the simulator's LINE app page: a click when the message was a recorded send
        (an operator's message, say, is not)."""
        found = self.by_message.get(message_id)
        record = self.sends.get(found[0]) if found else None
        if found is not None and record is not None and record.bot_id == bot_id and found[2] == person:
            self._add("click", record.request_id, found[1], person, url=url)

    def view(self, bot_id: str, person: str, message_id: str) -> None:
        record, seq = self._sent_to(bot_id, person, message_id)
        self._add("impression", record.request_id, seq, person)
        self.displayed.add(message_id)

    def click(self, bot_id: str, person: str, message_id: str, url: str) -> None:
        record, seq = self._sent_to(bot_id, person, message_id)
        if url not in urls_in(record.messages[seq - 1]):
            raise ControlError(400, "the message has no link to that URL")
        self._add("click", record.request_id, seq, person, url=url)

    def play(self, bot_id: str, person: str, message_id: str, percent: int) -> None:
        record, seq = self._sent_to(bot_id, person, message_id)
        if record.messages[seq - 1].get("type") not in MEDIA:
            raise ControlError(400, "only a video or audio message can be played")
        self._add("play", record.request_id, seq, person, percent=percent)

    def note_richmenu(self, rich_menu_id: str, person: str, kind: str, area: int | None = None) -> None:
        self.richmenu_events.append(RichMenuEvent(rich_menu_id, person, kind, self.platform.clock.now_ms(), area))

    def _add(self, kind: str, request_id: str, seq: int, person: str, **extra: Any) -> None:
        self.interactions.append(Interaction(kind, request_id, seq, person, self.platform.clock.now_ms(), **extra))

    # ---- counting -----------------------------------------------------------------------------

    def delivered_on(self, bot_id: str, kind: str, day: str) -> int:
        """Messages of `kind` delivered on a JST day, one per recipient (choice 38)."""
        return sum(len(r.recipients) for r in self.sends.values()
                   if r.bot_id == bot_id and r.kind == kind and jst_day(r.at_ms) == day)

    def units_in_month(self, bot_id: str, month: str) -> list[str]:
        """Distinct unit names used in a JST month (`yyyyMM`), in the order first used."""
        names: dict[str, None] = {}
        for record in self.sends.values():
            if record.bot_id == bot_id and jst_day(record.at_ms).startswith(month):
                names.update(dict.fromkeys(record.units))
        return list(names)

    def records(self, bot_id: str, kinds: tuple[str, ...]) -> list[SendRecord]:
        return [r for r in self.sends.values() if r.bot_id == bot_id and r.kind in kinds]

    def interactions_of(self, request_ids: set[str]) -> list[Interaction]:
        return [i for i in self.interactions if i.request_id in request_ids]

    # ---- snapshot -----------------------------------------------------------------------------

    def export(self) -> dict[str, Any]:
        return {
            "sends": [asdict(r) for r in self.sends.values()],
            "interactions": [asdict(i) for i in self.interactions],
            "friend_events": [asdict(e) for e in self.friend_events],
            "richmenu_events": [asdict(e) for e in self.richmenu_events],
        }

    def load(self, data: dict[str, Any]) -> None:
        self.sends = {r["request_id"]: SendRecord(**r) for r in data.get("sends", [])}
        self.by_message = {}
        for record in self.sends.values():
            for person, ids in record.recipients.items():
                for seq, message_id in enumerate(ids, start=1):
                    self.by_message[message_id] = (record.request_id, seq, person)
        self.interactions = [Interaction(**i) for i in data.get("interactions", [])]
        shown = {(i.request_id, i.seq, i.person) for i in self.interactions if i.kind == "impression"}
        self.displayed = {message_id for message_id, sent in self.by_message.items() if sent in shown}
        self.friend_events = [FriendEvent(**e) for e in data.get("friend_events", [])]
        self.richmenu_events = [RichMenuEvent(**e) for e in data.get("richmenu_events", [])]


def urls_in(message: Any) -> list[str]:
    """Every URL a user can open from a message: URI actions' `uri` (and `altUri.desktop`), imagemap
    `linkUri`, in document order."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "uri" and isinstance(node.get("uri"), str):
                found.append(node["uri"])
            if isinstance(node.get("linkUri"), str):
                found.append(node["linkUri"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message)
    return list(dict.fromkeys(found))
