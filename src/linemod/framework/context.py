"""What module code gets to work with: `ctx` in a handler, `jctx` in a job, `tx` from `app.transaction()`.

All three are a unit of work in one database transaction (`Work`): `db` is its session, and jobs scheduled
or cancelled through `schedule()` / `cancel()` commit or roll back together with everything else written in
it. That is the one way to schedule a job; there is no second scheduler with other rules.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from linebot.v3.messaging import Message
from linebot.v3.webhooks import Event
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.billing.entitlements import BillingAccess
from linemod.framework.billing.metering import UsageRecord
from linemod.framework.clock import Clock
from linemod.framework.i18n import DEFAULT_LANGUAGE, Catalogs
from linemod.framework.line.apis import error_message
from linemod.framework.line.chat_control import ChatControl
from linemod.framework.line.client import LineClient
from linemod.framework.queue.scheduler import JobScheduler
from linemod.framework.settings import Settings
from linemod.framework.tenants.info import TenantInfo

if TYPE_CHECKING:
    from linemod.framework.billing.service import BillingService
    from linemod.framework.support.inbox.handler_api import HandlerSupport

JsonObject = dict[str, Any]

logger = logging.getLogger("linemod.handlers")

REPLY_TOKEN_SURE_MS = 50_000
"""LINE takes a reply token once, within a minute of the webhook. Until 50 s after the event was stored (ten
seconds kept for the clocks of the hosts that store and handle it) a refused token cannot have expired: it was
used."""


class Work:
    """A unit of work in one database transaction: its session, the clock, jobs, and the language."""

    def __init__(
        self,
        *,
        db: AsyncSession | Callable[[], AsyncSession] | None,
        clock: Clock,
        catalogs: Catalogs,
        scheduler: JobScheduler,
        bot_id: str | None = None,
        billing: BillingService | None = None,
        meter_key_base: str | None = None,
    ) -> None:
        self._db = db if isinstance(db, AsyncSession) else None
        self._open_session = None if isinstance(db, AsyncSession) else db
        self.clock = clock
        self._catalogs = catalogs
        self._scheduler = scheduler
        self._bot_id = bot_id
        self._billing_service = billing
        self._billing: BillingAccess | None = None
        # Default usage keys derive from what this unit is (the webhook event, the job): a re-run of the same
        # unit makes the same keys in the same order, so it meters nothing twice.
        self._meter_key_base = meter_key_base
        self._meter_calls: dict[str, int] = {}
        self.lang = DEFAULT_LANGUAGE
        """The language `gettext` translates into ("ja" unless set, e.g. from the customer's profile)."""

    @property
    def db(self) -> AsyncSession:
        """The session of this unit of work (opened on first use where it is lazy: in handlers)."""
        if self._db is None:
            if self._open_session is None:
                raise RuntimeError("this context has no database session")
            self._db = self._open_session()
        return self._db

    @property
    def session_opened(self) -> AsyncSession | None:
        """The session if it was used (the worker then commits the event's work in it)."""
        return self._db

    def now_ms(self) -> int:
        """The current UNIX time in milliseconds, by the framework's clock (never read the wall clock: a test
        or the demo that moves this clock moves the scheduler's and the queue's "now" with it)."""
        return self.clock.now_ms()

    def gettext(self, message: str, **values: Any) -> str:
        """`message` (an English message ID) in `self.lang`, its `%(name)s` placeholders filled from `values`.
        The catalogs are the framework's plus those added with `app.add_translations()`."""
        return self._catalogs.gettext(self.lang, message, **values)

    async def schedule(
        self,
        name: str,
        payload: JsonObject | None = None,
        *,
        key: str | None = None,
        delay_seconds: float | None = None,
        run_at_ms: int | None = None,
        bot_id: str | None = None,
    ) -> bool:
        """Schedule durable job `name` at `run_at_ms` (UNIX ms) or after `delay_seconds` (default: now), in
        this unit of work's transaction: it exists only if the rest commits. `key` makes it idempotent
        (returns False when a job with that key already exists) and lets `cancel(key)` remove it. The job
        belongs to this OA unless `bot_id` names another (or there is no OA here)."""
        return await self._scheduler.schedule(
            name,
            payload,
            run_at_ms=run_at_ms,
            delay_seconds=delay_seconds,
            key=key,
            bot_id=bot_id or self._bot_id,
            session=self.db,
        )

    async def cancel(self, key: str) -> bool:
        """Remove the job scheduled with `key` if it has not started, in this transaction. False if none."""
        return await self._scheduler.cancel(key, session=self.db)

    def _require_billing(self) -> BillingService:
        if self._billing_service is None:
            raise RuntimeError("billing is not in use: declare a meter or a plan on app.billing first")
        return self._billing_service

    @property
    def billing(self) -> BillingAccess:
        """This OA's subscription: `await allows(feature)`, `await limit(name)`, `await usage(meter)`, plan
        changes (see `BillingAccess`), in this unit's transaction."""
        if self._billing is None:
            if self._bot_id is None:
                raise RuntimeError("this unit of work has no OA: use billing_for(bot_id)")
            self._billing = self.billing_for(self._bot_id)
        return self._billing

    def billing_for(self, bot_id: str) -> BillingAccess:
        """`billing` of any OA (from a script or a provider-wide job)."""
        return self._require_billing().access(lambda: self.db, bot_id, before_read=self.flush_usage)

    async def meter(
        self,
        name: str,
        value: int = 1,
        *,
        key: str | None = None,
        subject: str | None = None,
        at_ms: int | None = None,
        bot_id: str | None = None,
    ) -> None:
        """Record `value` on meter `name` for this OA (or `bot_id`), in this unit's transaction. Idempotent on
        `key`: by default the webhook event's ID and the meter's name in a handler (the job's ID in a job; the
        n-th call of one meter in one unit gets its own key), so a redelivered event meters once; elsewhere
        pass a key, or none is derived and every call records. `subject`: what a unique_count meter counts
        distinct (e.g. the user ID). A meter that is not declared, or a value it cannot take, raises here."""
        service = self._require_billing()
        target = bot_id or self._bot_id
        if target is None:
            raise RuntimeError("meter() outside an OA's unit of work needs bot_id=")
        if key is None:
            calls = self._meter_calls[name] = self._meter_calls.get(name, 0) + 1
            base = self._meter_key_base or uuid.uuid4().hex
            key = f"{base}:{name}" if calls == 1 else f"{base}:{name}#{calls}"
        now = self.clock.now_ms()
        usage = UsageRecord(target, name, value, key, at_ms if at_ms is not None else now, subject)
        service.metering.check(name, value, subject)
        await self._record_usage(service, usage)

    async def _record_usage(self, service: BillingService, usage: UsageRecord) -> None:
        await service.write_usage(self.db, [usage])

    async def flush_usage(self) -> None:
        """Write usage this unit holds back (a handler's), so reads in the unit see it."""


class Transaction(Work):
    """What `async with app.transaction() as tx:` gives code outside handlers (scripts, startup hooks)."""


class Context(Work):
    """The tenant-bound world of one event, given to every handler as `ctx`.

    tenant: the OA the event is for (`TenantInfo`).
    line: a `LineClient` bound to that OA (bot-ID header, scope check, retries).
    db: the database session of this event. Everything written with it (jobs scheduled with
        `ctx.schedule()` included) commits together with marking the event processed, so a handler that
        crashes half-way leaves no partial effects and runs again. It is opened on first use: a handler that
        never touches it costs no session at all.
    state: the module's JSON state for this chat (user, group or room); changes are saved on success.
    chat: chat control of this chat (`acquire()`, `release()`, `mode`), or None for OA-wide events.
    support: the OA's inquiry inbox (`await ctx.support.open_inquiry()`).
    match: the regex match when the handler was registered with `regex=`.
    raw_event: the event's JSON object as LINE sent it (for fields the installed SDK does not know).
    lang / gettext: the language texts are translated into, and the translation.
    """

    def __init__(
        self,
        *,
        tenant: TenantInfo,
        line: LineClient,
        db: AsyncSession | Callable[[], AsyncSession] | None,
        event: Event,
        settings: Settings,
        clock: Clock,
        catalogs: Catalogs,
        scheduler: JobScheduler,
        state: JsonObject | None = None,
        chat: ChatControl | None = None,
        match: re.Match[str] | None = None,
        raw_event: JsonObject | None = None,
        billing: BillingService | None = None,
        first_try: bool = True,
        received_at_ms: int | None = None,
    ) -> None:
        event_id = (raw_event or {}).get("webhookEventId") or getattr(event, "webhook_event_id", None)
        super().__init__(
            db=db,
            clock=clock,
            catalogs=catalogs,
            scheduler=scheduler,
            bot_id=tenant.bot_id,
            billing=billing,
            meter_key_base=str(event_id) if event_id else None,
        )
        self.tenant = tenant
        self.line = line
        self.event = event
        self.settings = settings
        self.state: JsonObject = state if state is not None else {}
        self.chat = chat
        self.match = match
        self.raw_event: JsonObject = raw_event if raw_event is not None else {}
        # Usage is held back and written with the event's "done": in the handler's transaction when it used
        # `ctx.db`, else in the worker's batched completion, so metering never opens a transaction of its own
        # (each statement on aiosqlite costs about 250 µs of CPU, a handler that only meters none).
        self._usage: list[UsageRecord] = []
        self._first_try = first_try
        self._token_sure_until_ms = received_at_ms + REPLY_TOKEN_SURE_MS if received_at_ms is not None else None
        self._token_spent = False

    async def _record_usage(self, service: BillingService, usage: UsageRecord) -> None:
        self._usage.append(usage)

    async def flush_usage(self) -> None:
        if self._usage and self._billing_service is not None:
            held, self._usage = self._usage, []
            await self._billing_service.write_usage(self.db, held)

    def take_usage(self) -> list[UsageRecord]:
        """The usage held back, handed to the worker to write with the event's "done" (framework use)."""
        if self._billing_service is not None and self.line.sent:
            self._usage.extend(self._billing_service.usage_of_sends(self.bot_id, self.line.sent))
            self.line.sent.clear()
        held, self._usage = self._usage, []
        return held

    @property
    def bot_id(self) -> str:
        return self.tenant.bot_id

    @property
    def support(self) -> HandlerSupport:
        """The OA's inquiry inbox: `await ctx.support.open_inquiry()` hands this chat to the OA's people."""
        from linemod.framework.support.inbox.handler_api import HandlerSupport

        return HandlerSupport(self)

    @property
    def chat_id(self) -> str | None:
        """The user, group or room of this event; None for OA-wide events (attached, suspended, ...)."""
        return self.chat.chat_id if self.chat is not None else None

    @property
    def user_id(self) -> str | None:
        source = getattr(self.event, "source", None)
        user_id = getattr(source, "user_id", None) if source is not None else None
        return str(user_id) if user_id is not None else None

    @property
    def mode(self) -> str:
        """ "active", or "standby" when another channel answers this chat (the module must stay quiet)."""
        mode = getattr(self.event, "mode", "active")
        return str(getattr(mode, "value", mode))

    @property
    def is_active(self) -> bool:
        return self.mode == "active"

    async def reply(self, messages: Sequence[Message] | Message) -> Any:
        """Answer the event: with its reply token while it is usable, else by push to the chat (with a
        retry key derived from the event, so a re-run handler does not push twice).

        A re-run of the event (its worker died, or the handler failed, after an earlier try's reply) finds the
        token used. Within the token's lifetime that can only mean the earlier answer reached the user, so the
        reply is not sent again and this returns None. Past it the token may just have expired: the answer is
        pushed, and a user whose earlier answer did arrive sees it twice (LINE has no retry key for replies)."""
        items = [messages] if isinstance(messages, Message) else list(messages)
        token = getattr(self.event, "reply_token", None)
        if token and not self._token_spent:
            try:
                response = await self.line.reply(token, items)
                self._token_spent = True  # a second answer in this run goes by push, without a refused reply
                return response
            except Exception as exc:
                if getattr(exc, "status", None) != 400 or "reply token" not in error_message(exc).lower():
                    raise
                self._token_spent = True
                if self._answered_by_an_earlier_try():
                    logger.info(
                        "event %s: an earlier try used the reply token; its answer is not sent again",
                        getattr(self.event, "webhook_event_id", "?"),
                    )
                    return None
        if self.chat_id is None:
            raise RuntimeError("this event has no chat to answer (and no usable reply token)")
        return await self.line.push(self.chat_id, items)

    def _answered_by_an_earlier_try(self) -> bool:
        sure_until = self._token_sure_until_ms
        return not self._first_try and sure_until is not None and self.clock.now_ms() < sure_until

    async def push(self, messages: Sequence[Message] | Message, *, to: str | None = None) -> Any:
        """Push to `to`, or to this event's chat."""
        items = [messages] if isinstance(messages, Message) else list(messages)
        target = to or self.chat_id
        if target is None:
            raise RuntimeError("push needs `to=` for an event that has no chat")
        return await self.line.push(target, items)


class JobContext(Work):
    """What a job handler gets as `jctx`: the job's session (commits with the job), the clock, jobs, the
    language and, when the job belongs to an OA, that OA's tenant and LINE client."""

    def __init__(
        self,
        *,
        job_id: int,
        name: str,
        db: AsyncSession,
        clock: Clock,
        catalogs: Catalogs,
        scheduler: JobScheduler,
        tenant: TenantInfo | None = None,
        line: LineClient | None = None,
        billing: BillingService | None = None,
    ) -> None:
        bot_id = tenant.bot_id if tenant is not None else None
        super().__init__(
            db=db,
            clock=clock,
            catalogs=catalogs,
            scheduler=scheduler,
            bot_id=bot_id,
            billing=billing,
            meter_key_base=f"job:{job_id}",
        )
        self.job_id = job_id
        self.name = name
        self.tenant = tenant
        self.line = line
