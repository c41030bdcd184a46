"""What a module registers on its app: event handlers, jobs and lifecycle hooks (`Registrations`, the part
of `ModuleApp` made of decorators). Running them is `app.py`'s and the worker's business."""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from linemod.framework.billing.events import BillingEventType, BillingHandler, check_event_types
from linemod.framework.dispatch import (
    ANY_UNKNOWN,
    LIFECYCLE_KINDS,
    ActivatedHandlerT,
    AnyEventHandlerT,
    DeactivatedHandlerT,
    Dispatcher,
    FollowHandlerT,
    JobHandler,
    JobHandlerT,
    JoinHandlerT,
    LeaveHandlerT,
    Matcher,
    MessageHandlerT,
    ModuleHandlerT,
    PostbackHandlerT,
    ResumedHandlerT,
    SuspendedHandlerT,
    UnfollowHandlerT,
    message_matcher,
    postback_matcher,
)
from linemod.framework.queue.scheduler import Recurring

if TYPE_CHECKING:
    from linemod.framework.app import ModuleApp

Hook = Callable[["ModuleApp"], Awaitable[None]]
HookT = TypeVar("HookT", bound=Hook)
H = TypeVar("H", bound=Callable[..., Awaitable[None]])
BillingHandlerT = TypeVar("BillingHandlerT", bound=BillingHandler)


class Registrations:
    """The listeners, jobs and hooks of one app, in registration order."""

    def __init__(self) -> None:
        self.dispatcher = Dispatcher()
        self.job_handlers: dict[str, JobHandler] = {}
        self.recurring: list[Recurring] = []
        self.billing_handlers: dict[str, list[BillingHandler]] = {}
        self._startup: list[Hook] = []
        self._shutdown: list[Hook] = []

    # ---- handlers -------------------------------------------------------------------------------------
    # Every decorator works bare (`@app.on_follow`) and called (`@app.on_follow(standby=True)`), or, when it
    # needs an argument (`on_lifecycle`, `on_event`, `job`, `every`), refuses the bare form with a TypeError:
    # registration never silently does nothing.

    @overload
    def on_message(self, handler: MessageHandlerT, /) -> MessageHandlerT: ...
    @overload
    def on_message(
        self,
        text: str | None = None,
        *,
        regex: str | re.Pattern[str] | None = None,
        type: str | None = None,
        standby: bool = False,
    ) -> Callable[[MessageHandlerT], MessageHandlerT]: ...
    def on_message(
        self,
        text: Any = None,
        *,
        regex: str | re.Pattern[str] | None = None,
        type: str | None = None,
        standby: bool = False,
    ) -> Any:
        """Message events: all of them, or those with exactly `text`, matching `regex` (the match is
        `ctx.match`) or of message `type` ("text", "sticker", "image", "location", ...)."""
        if callable(text):
            return self._register("message", None, False)(text)
        _check_optional_str("on_message", "text", text)
        _check_optional_str("on_message", "type", type)
        if regex is not None and not isinstance(regex, str | re.Pattern):
            raise TypeError(f"on_message(regex=...) takes a string or a compiled pattern, not {regex!r}")
        return self._register("message", message_matcher(text, regex, type), standby)

    @overload
    def on_postback(self, handler: PostbackHandlerT, /) -> PostbackHandlerT: ...
    @overload
    def on_postback(
        self, prefix: str | None = None, *, standby: bool = False
    ) -> Callable[[PostbackHandlerT], PostbackHandlerT]: ...
    def on_postback(self, prefix: Any = None, *, standby: bool = False) -> Any:
        """Postback events whose data starts with `prefix` (or all of them)."""
        if callable(prefix):
            return self._register("postback", None, False)(prefix)
        _check_optional_str("on_postback", "prefix", prefix)
        return self._register("postback", postback_matcher(prefix), standby)

    @overload
    def on_follow(self, handler: FollowHandlerT, /) -> FollowHandlerT: ...
    @overload
    def on_follow(self, *, standby: bool = False) -> Callable[[FollowHandlerT], FollowHandlerT]: ...
    def on_follow(self, handler: Any = None, *, standby: bool = False) -> Any:
        """A user added the OA as a friend (or unblocked it)."""
        return self._bare_or_called("follow", handler, standby)

    @overload
    def on_unfollow(self, handler: UnfollowHandlerT, /) -> UnfollowHandlerT: ...
    @overload
    def on_unfollow(self, *, standby: bool = False) -> Callable[[UnfollowHandlerT], UnfollowHandlerT]: ...
    def on_unfollow(self, handler: Any = None, *, standby: bool = False) -> Any:
        """A user blocked the OA."""
        return self._bare_or_called("unfollow", handler, standby)

    @overload
    def on_join(self, handler: JoinHandlerT, /) -> JoinHandlerT: ...
    @overload
    def on_join(self, *, standby: bool = False) -> Callable[[JoinHandlerT], JoinHandlerT]: ...
    def on_join(self, handler: Any = None, *, standby: bool = False) -> Any:
        """The OA joined a group or room."""
        return self._bare_or_called("join", handler, standby)

    @overload
    def on_leave(self, handler: LeaveHandlerT, /) -> LeaveHandlerT: ...
    @overload
    def on_leave(self, *, standby: bool = False) -> Callable[[LeaveHandlerT], LeaveHandlerT]: ...
    def on_leave(self, handler: Any = None, *, standby: bool = False) -> Any:
        """The OA left (or was removed from) a group or room."""
        return self._bare_or_called("leave", handler, standby)

    @overload
    def on_lifecycle(self, kind: Literal["attached", "detached"]) -> Callable[[ModuleHandlerT], ModuleHandlerT]: ...
    @overload
    def on_lifecycle(self, kind: Literal["suspended"]) -> Callable[[SuspendedHandlerT], SuspendedHandlerT]: ...
    @overload
    def on_lifecycle(self, kind: Literal["resumed"]) -> Callable[[ResumedHandlerT], ResumedHandlerT]: ...
    def on_lifecycle(self, kind: Any) -> Any:
        """ "attached", "detached", "suspended" or "resumed" (the tenant store is updated before)."""
        if callable(kind):
            raise TypeError('on_lifecycle needs the kind: @app.on_lifecycle("attached"), not @app.on_lifecycle')
        if kind not in LIFECYCLE_KINDS:
            raise ValueError(f"lifecycle kind must be one of {LIFECYCLE_KINDS}, not {kind!r}")
        return self._register(f"lifecycle:{kind}", None, False)

    @overload
    def on_activated(self, handler: ActivatedHandlerT, /) -> ActivatedHandlerT: ...
    @overload
    def on_activated(self) -> Callable[[ActivatedHandlerT], ActivatedHandlerT]: ...
    def on_activated(self, handler: Any = None) -> Any:
        """The module became the chat's Active Channel (chat control acquired)."""
        return self._bare_or_called("activated", handler, False)

    @overload
    def on_deactivated(self, handler: DeactivatedHandlerT, /) -> DeactivatedHandlerT: ...
    @overload
    def on_deactivated(self) -> Callable[[DeactivatedHandlerT], DeactivatedHandlerT]: ...
    def on_deactivated(self, handler: Any = None) -> Any:
        """The module stopped being the chat's Active Channel (released, or taken by a person)."""
        return self._bare_or_called("deactivated", handler, False)

    def on_event(self, event_type: str, *, standby: bool = False) -> Callable[[AnyEventHandlerT], AnyEventHandlerT]:
        """Any other event type by its webhook `type` ("unsend", "memberJoined", "beacon", ...), including a
        type the installed SDK does not know yet: that handler gets an `UnknownEvent` (its common fields) and
        `ctx.raw_event` (the JSON as LINE sent it), the day LINE starts sending it."""
        if not isinstance(event_type, str):
            raise TypeError('on_event needs the webhook event type: @app.on_event("unsend")')
        return self._register(event_type, None, standby, takes_unknown=True)

    @overload
    def on_unknown(self, handler: AnyEventHandlerT, /) -> AnyEventHandlerT: ...
    @overload
    def on_unknown(self, *, standby: bool = False) -> Callable[[AnyEventHandlerT], AnyEventHandlerT]: ...
    def on_unknown(self, handler: Any = None, *, standby: bool = False) -> Any:
        """Every event the installed SDK cannot parse (a new LINE event type, or a shape it refuses) that no
        `on_event` handler took: the handler gets an `UnknownEvent` and reads `ctx.raw_event`."""
        return self._bare_or_called(ANY_UNKNOWN, handler, standby)

    def _bare_or_called(self, kind: str, handler: Any, standby: bool) -> Any:
        if handler is None:
            return self._register(kind, None, standby)
        return self._register(kind, None, standby)(handler)

    def _register(
        self, kind: str, matcher: Matcher | None, standby: bool, *, takes_unknown: bool = False
    ) -> Callable[[H], H]:
        def decorator(handler: H) -> H:
            require_async("handler", handler)
            self.dispatcher.add(kind, handler, matcher, standby=standby, takes_unknown=takes_unknown)
            return handler

        return decorator

    # ---- jobs -----------------------------------------------------------------------------------------

    def job(self, name: str) -> Callable[[JobHandlerT], JobHandlerT]:
        """Register the handler of durable job `name`; schedule it with `ctx.schedule(name, ...)` (or
        `jctx.schedule`, `cx.schedule`, `tx.schedule`). The handler gets `(jctx: JobContext, payload: dict)`."""
        if not isinstance(name, str) or not name:
            raise TypeError('job needs the job\'s name: @app.job("reminder"), not @app.job')
        if name in self.job_handlers:
            raise ValueError(f"a handler for job {name!r} is registered already")

        def decorator(handler: JobHandlerT) -> JobHandlerT:
            require_async("job handler", handler)
            self.job_handlers[name] = handler
            return handler

        return decorator

    def every(self, seconds: int, name: str | None = None) -> Callable[[JobHandlerT], JobHandlerT]:
        """A job run every `seconds`, once per period across all processes."""
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds <= 0:
            raise TypeError(f"every needs a whole number of seconds above 0: @app.every(3600), not {seconds!r}")

        def decorator(handler: JobHandlerT) -> JobHandlerT:
            job_name = name or f"{handler.__module__}.{handler.__qualname__}"
            self.job(job_name)(handler)
            self.recurring.append(Recurring(job_name, seconds))
            return handler

        return decorator

    # ---- billing ------------------------------------------------------------------------------------

    def on_billing(self, *types: BillingEventType) -> Callable[[BillingHandlerT], BillingHandlerT]:
        """Billing events of `types` ("trial.ending", "subscription.activated", "payment.failed", ...):
        `async def handler(jctx: JobContext, event: BillingEvent) -> None`, run as a durable job written in
        the transaction of the change it reports (retried like any job). Every handler registered for a type
        runs, in registration order."""
        kinds = check_event_types(types)

        def decorator(handler: BillingHandlerT) -> BillingHandlerT:
            require_async("billing handler", handler)
            for kind in kinds:
                self.billing_handlers.setdefault(kind, []).append(handler)
            return handler

        return decorator

    # ---- hooks --------------------------------------------------------------------------------------

    @overload
    def on_startup(self, hook: HookT, /) -> HookT: ...
    @overload
    def on_startup(self) -> Callable[[HookT], HookT]: ...
    def on_startup(self, hook: Any = None) -> Any:
        """Run `await hook(app)` once the database and LINE clients are open, before any handler can run
        (the in-process worker starts after the last hook)."""
        return _hook_decorator(self._startup, hook)

    @overload
    def on_shutdown(self, hook: HookT, /) -> HookT: ...
    @overload
    def on_shutdown(self) -> Callable[[HookT], HookT]: ...
    def on_shutdown(self, hook: Any = None) -> Any:
        """Run `await hook(app)` at stop, after the in-process worker has stopped (no handler is running)."""
        return _hook_decorator(self._shutdown, hook)


def require_async(what: str, function: Any) -> None:
    """Handlers are awaited: a plain function would fail on every event, long after registration."""
    if not callable(function):
        raise TypeError(f"a {what} is an async function, not {function!r}")
    if not (inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(type(function).__call__)):
        raise TypeError(f"{getattr(function, '__qualname__', function)!r} must be an async function (async def)")


def _check_optional_str(decorator: str, name: str, value: Any) -> None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{decorator}({name}=...) takes a string, not {value!r}")


def _hook_decorator(hooks: list[Hook], hook: Any) -> Any:
    def add(function: HookT) -> HookT:
        require_async("hook", function)
        hooks.append(function)
        return function

    return add if hook is None else add(hook)
