"""What a handler gets besides the event: `ctx`."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from linebot.v3.messaging import Message
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.clock import Clock
from linemod.framework.line.chat_control import ChatControl
from linemod.framework.line.client import LineClient, error_message
from linemod.framework.queue.scheduler import JobScheduler
from linemod.framework.settings import Settings
from linemod.framework.tenants.store import TenantInfo


class Context:
    """The tenant-bound world of one event.

    tenant: the OA the event is for (`TenantInfo`).
    line: a `LineClient` bound to that OA (bot-ID header, scope check, retries).
    db: the database session of this event. Everything written with it commits together with marking the
        event processed, so a handler that crashes half-way leaves no partial effects and runs again.
        It is opened on first use: a handler that never touches it costs no session at all.
    state: the module's JSON state for this chat (user, group or room); changes are saved on success.
    chat: chat control of this chat (`acquire()`, `release()`, `mode`), or None for OA-wide events.
    jobs: durable scheduled jobs; `await ctx.jobs.schedule(...)` joins this event's transaction.
    match: the regex match when the handler was registered with `regex=`.
    clock: the framework's clock; read the time with `ctx.now_ms()`, never the wall clock, so a test or the
        demo that moves the clock moves the handler's "now" with the scheduler's and the queue's.
    """

    def __init__(
        self,
        *,
        tenant: TenantInfo,
        line: LineClient,
        db: AsyncSession | Callable[[], AsyncSession] | None,
        event: Any,
        settings: Settings,
        jobs: JobScheduler,
        clock: Clock,
        state: dict[str, Any] | None = None,
        chat: ChatControl | None = None,
        match: re.Match[str] | None = None,
    ) -> None:
        self.tenant = tenant
        self.line = line
        self._db = db if isinstance(db, AsyncSession) else None
        self._open_session = None if isinstance(db, AsyncSession) else db
        self.event = event
        self.settings = settings
        self.jobs = jobs
        self.clock = clock
        self.state: dict[str, Any] = state if state is not None else {}
        self.chat = chat
        self.match = match

    @property
    def db(self) -> AsyncSession:
        if self._db is None:
            if self._open_session is None:
                raise RuntimeError("this context has no database session")
            self._db = self._open_session()
        return self._db

    @property
    def session_opened(self) -> AsyncSession | None:
        """The session if the handler used `db` (the worker then commits the event's work in it)."""
        return self._db

    def now_ms(self) -> int:
        """The current UNIX time in milliseconds, by the framework's clock."""
        return self.clock.now_ms()

    @property
    def bot_id(self) -> str:
        return self.tenant.bot_id

    @property
    def chat_id(self) -> str | None:
        return self.chat.chat_id if self.chat is not None else None

    @property
    def user_id(self) -> str | None:
        source = getattr(self.event, "source", None)
        return getattr(source, "user_id", None) if source is not None else None

    @property
    def mode(self) -> str:
        mode = getattr(self.event, "mode", "active")
        return str(getattr(mode, "value", mode))

    @property
    def is_active(self) -> bool:
        return self.mode == "active"

    async def reply(self, messages: Sequence[Message] | Message) -> Any:
        """Answer the event: with its reply token while it is usable, else by push to the chat (with a
        retry key derived from the event, so a re-run handler does not push twice)."""
        items = [messages] if isinstance(messages, Message) else list(messages)
        token = getattr(self.event, "reply_token", None)
        if token:
            try:
                return await self.line.reply(token, items)
            except Exception as exc:
                if getattr(exc, "status", None) != 400 or "reply token" not in error_message(exc).lower():
                    raise
        if self.chat_id is None:
            raise RuntimeError("this event has no chat to answer (and no usable reply token)")
        return await self.line.push(self.chat_id, items)

    async def push(self, messages: Sequence[Message] | Message, *, to: str | None = None) -> Any:
        """Push to `to`, or to this event's chat."""
        items = [messages] if isinstance(messages, Message) else list(messages)
        target = to or self.chat_id
        if target is None:
            raise RuntimeError("push needs `to=` for an event that has no chat")
        return await self.line.push(target, items)

    async def schedule(self, name: str, payload: dict[str, Any] | None = None, **options: Any) -> bool:
        """Schedule a durable job for this OA inside this event's transaction (see `JobScheduler`)."""
        return await self.jobs.schedule(name, payload, bot_id=self.bot_id, session=self.db, **options)
