"""Handler registration and matching: which decorated function handles an event.

Listeners are tried in the order they were registered and the first that matches handles the event, so
register specific ones (a keyword) before general ones (any text). Events delivered in `standby` mode (the
module is not the chat's Active Channel and must not reply) only reach listeners registered with
`standby=True`. Module events (attached, detached, suspended, resumed, activated, deactivated) always come
`active`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from linebot.v3.models.events import UnknownEvent
from linebot.v3.webhooks import (
    ActivatedEvent,
    AttachedModuleContent,
    BotResumedEvent,
    BotSuspendedEvent,
    DeactivatedEvent,
    DetachedModuleContent,
    Event,
    FollowEvent,
    JoinEvent,
    LeaveEvent,
    MessageEvent,
    ModuleEvent,
    PostbackEvent,
    TextMessageContent,
    UnfollowEvent,
)

if TYPE_CHECKING:
    from linemod.framework.context import Context, JobContext

Handler = Callable[["Context", Any], Awaitable[None]]
"""Any event handler, as the dispatcher stores it: `async def handler(ctx, event) -> None`."""
MessageHandlerT = TypeVar("MessageHandlerT", bound=Callable[["Context", MessageEvent], Awaitable[None]])
PostbackHandlerT = TypeVar("PostbackHandlerT", bound=Callable[["Context", PostbackEvent], Awaitable[None]])
FollowHandlerT = TypeVar("FollowHandlerT", bound=Callable[["Context", FollowEvent], Awaitable[None]])
UnfollowHandlerT = TypeVar("UnfollowHandlerT", bound=Callable[["Context", UnfollowEvent], Awaitable[None]])
JoinHandlerT = TypeVar("JoinHandlerT", bound=Callable[["Context", JoinEvent], Awaitable[None]])
LeaveHandlerT = TypeVar("LeaveHandlerT", bound=Callable[["Context", LeaveEvent], Awaitable[None]])
ModuleHandlerT = TypeVar("ModuleHandlerT", bound=Callable[["Context", ModuleEvent], Awaitable[None]])
SuspendedHandlerT = TypeVar("SuspendedHandlerT", bound=Callable[["Context", BotSuspendedEvent], Awaitable[None]])
ResumedHandlerT = TypeVar("ResumedHandlerT", bound=Callable[["Context", BotResumedEvent], Awaitable[None]])
ActivatedHandlerT = TypeVar("ActivatedHandlerT", bound=Callable[["Context", ActivatedEvent], Awaitable[None]])
DeactivatedHandlerT = TypeVar("DeactivatedHandlerT", bound=Callable[["Context", DeactivatedEvent], Awaitable[None]])
AnyEventHandlerT = TypeVar("AnyEventHandlerT", bound=Callable[["Context", Any], Awaitable[None]])
JobHandler = Callable[["JobContext", dict[str, Any]], Awaitable[None]]
"""A job: `async def job(jctx: JobContext, payload: dict[str, Any]) -> None`."""
JobHandlerT = TypeVar("JobHandlerT", bound=JobHandler)
Matcher = Callable[[Event], "re.Match[str] | bool | None"]
Lifecycle = Literal["attached", "detached", "suspended", "resumed"]
LIFECYCLE_KINDS: tuple[str, ...] = ("attached", "detached", "suspended", "resumed")


UNKNOWN = "unknown:"
"""The kind of an event the installed SDK cannot parse is UNKNOWN + its webhook type ("unknown:brandNew")."""
ANY_UNKNOWN = UNKNOWN + "*"


def event_kind(event: Event) -> str:
    """A stable name for what happened: "message", "postback", "follow", "lifecycle:attached", ...; for an
    event the SDK could not parse (an `UnknownEvent`), "unknown:" and its type."""
    if isinstance(event, UnknownEvent):
        return UNKNOWN + str(event.type)
    if isinstance(event, ModuleEvent):
        if isinstance(event.module, AttachedModuleContent):
            return "lifecycle:attached"
        if isinstance(event.module, DetachedModuleContent):
            return "lifecycle:detached"
        return f"module:{getattr(event.module, 'type', 'unknown')}"
    if isinstance(event, BotSuspendedEvent):
        return "lifecycle:suspended"
    if isinstance(event, BotResumedEvent):
        return "lifecycle:resumed"
    return {
        MessageEvent: "message",
        PostbackEvent: "postback",
        FollowEvent: "follow",
        UnfollowEvent: "unfollow",
        JoinEvent: "join",
        LeaveEvent: "leave",
        ActivatedEvent: "activated",
        DeactivatedEvent: "deactivated",
    }.get(type(event), str(getattr(event, "type", "unknown")))


def is_standby(event: Event) -> bool:
    mode = getattr(event, "mode", None)
    return str(getattr(mode, "value", mode)) == "standby"


@dataclass(frozen=True)
class Listener:
    kind: str
    handler: Handler
    matcher: Matcher | None = None
    standby: bool = False
    takes_unknown: bool = False
    """Also events of this type that the SDK could not parse (`on_event` listeners, which get the raw type)."""

    def takes(self, kind: str) -> bool:
        if kind == self.kind:
            return True
        if not kind.startswith(UNKNOWN):
            return False
        return self.kind == ANY_UNKNOWN or (self.takes_unknown and kind == UNKNOWN + self.kind)

    def match(self, kind: str, event: Event) -> re.Match[str] | bool | None:
        if not self.takes(kind) or (is_standby(event) and not self.standby):
            return None
        if self.matcher is None:
            return True
        return self.matcher(event)


class Dispatcher:
    """The ordered list of listeners of one app."""

    def __init__(self) -> None:
        self.listeners: list[Listener] = []

    def add(
        self,
        kind: str,
        handler: Handler,
        matcher: Matcher | None = None,
        *,
        standby: bool = False,
        takes_unknown: bool = False,
    ) -> None:
        listener = Listener(kind, handler, matcher, standby, takes_unknown)
        if kind == ANY_UNKNOWN:
            self.listeners.append(listener)
        else:
            # Catch-alls for unknown events stay last, wherever they were registered: an `on_event` for the
            # type is the more specific listener.
            first_catch_all = next((i for i, known in enumerate(self.listeners) if known.kind == ANY_UNKNOWN), None)
            self.listeners.insert(len(self.listeners) if first_catch_all is None else first_catch_all, listener)

    def find(self, event: Event) -> tuple[Listener, re.Match[str] | None] | None:
        """The first listener that takes `event`, with the regex match when its matcher was a regex."""
        kind = event_kind(event)
        for listener in self.listeners:
            found = listener.match(kind, event)
            if found:
                return listener, found if isinstance(found, re.Match) else None
        return None


def message_matcher(
    text: str | None = None, regex: str | re.Pattern[str] | None = None, message_type: str | None = None
) -> Matcher | None:
    """Match a message event by exact text, by regex (searched in the text) and/or by message type."""
    if text is None and regex is None and message_type is None:
        return None
    pattern = re.compile(regex) if isinstance(regex, str) else regex

    def match(event: Event) -> re.Match[str] | bool | None:
        message = getattr(event, "message", None)
        if message is None:
            return None
        if message_type is not None and getattr(message, "type", None) != message_type:
            return None
        if text is None and pattern is None:
            return True
        if not isinstance(message, TextMessageContent):
            return None
        if text is not None and message.text != text:
            return None
        return pattern.search(message.text) if pattern is not None else True

    return match


def postback_matcher(prefix: str | None) -> Matcher | None:
    if prefix is None:
        return None

    def match(event: Event) -> bool:
        postback = getattr(event, "postback", None)
        return postback is not None and str(postback.data).startswith(prefix)

    return match
