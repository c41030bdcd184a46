"""One try of an event or a job: parse the event, run its handler with a `Context` (or the job's with a
`JobContext`), and end the try one way for both: done, failed (a retry after a backoff, or a dead letter), or
given up because the lease was lost. The worker (`worker.py`) decides what to claim and when; this is what it
runs for each row it claimed.

An event whose handler did not use `ctx.db` is marked done (with its chat state and usage) in batches
(`Completion`): one transaction for many events, where a handler's own session commits its event alone.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import traceback
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from linebot.v3.models.events import UnknownEvent
from linebot.v3.webhooks import Event

from linemod.framework.billing.metering import INSERT_USAGE, usage_rows
from linemod.framework.context import Context, JobContext
from linemod.framework.dispatch import UNKNOWN, Dispatcher, JobHandler, event_kind
from linemod.framework.i18n import Catalogs
from linemod.framework.line.chat_control import ChatControl
from linemod.framework.queue.chat_state import ChatState, save_many
from linemod.framework.queue.group_commit import GroupCommit
from linemod.framework.queue.intake import chat_id_of
from linemod.framework.queue.rows import EventRecord, JobRecord, QueueRecord
from linemod.framework.queue.scheduler import Recurring
from linemod.framework.queue.work_queue import LeaseLost, WorkQueue
from linemod.framework.runtime import Runtime
from linemod.framework.storage.direct_sql import DirectConnection
from linemod.framework.storage.models import QueueStatus, TenantState
from linemod.framework.support.inbox.recording import in_inquiry, inquiry_of

log = logging.getLogger("linemod.worker")


@dataclass(frozen=True)
class Completion:
    """An event handled without `ctx.db`: to be marked done, with its chat state's changes (if any)."""

    row_id: int
    attempts: int
    chat_state: dict[str, Any] | None
    usage: tuple[dict[str, Any], ...] = ()
    """Usage records the handler metered (billing), written with the event's "done"."""


class Handling:
    """Runs the handlers of the rows one worker claimed (`process_event`, `process_job`)."""

    def __init__(
        self,
        runtime: Runtime,
        dispatcher: Dispatcher,
        job_handlers: Mapping[str, JobHandler],
        recurring: Mapping[str, Recurring],
        *,
        worker_id: str,
        catalogs: Catalogs,
        stopping: asyncio.Event,
    ) -> None:
        self.runtime = runtime
        self.dispatcher = dispatcher
        self.job_handlers = job_handlers
        self.recurring = recurring
        self.worker_id = worker_id
        self.catalogs = catalogs
        self._stopping = stopping
        # Batches hold different chats' events (one event per chat runs at a time), so several may commit at
        # once: on PostgreSQL a batch does not wait for the previous one's round trips and flush.
        self._completions: GroupCommit[Completion] = GroupCommit(
            self._write_completions,
            name="linemod-completions",
            max_in_flight=runtime.events.engine.writer_batches_in_flight,
        )

    def start(self) -> None:
        self._completions.start()

    async def stop(self) -> None:
        """Let the batches of "done"s being written finish (the worker stops once its handlers have ended, so
        no "done" is left waiting for a batch)."""
        await self._completions.stop()

    async def process_event(
        self, row: EventRecord, chat_state: ChatState | None, handled: Callable[[], None] | None = None
    ) -> None:
        """One try of `row`. `handled()` is called once the handler has run and only the event's "done" is
        left to commit (in a batch): the worker may then give the slot to the next row, while the chat stays
        busy in the database (its row is still running) until that commit."""
        rt = self.runtime
        started = time.perf_counter()
        kind = row.event_type

        async def handle() -> None:
            nonlocal kind
            payload = json.loads(row.payload)
            event = parse_event(payload)
            if event is None:
                log.warning("event %s (%s) has not even the fields every event has", row.webhook_event_id, kind)
            kind = event_kind(event) if event is not None else f"{UNKNOWN}{payload.get('type')}"
            if kind.startswith("lifecycle:"):
                await self._apply_lifecycle(row, payload, kind.split(":", 1)[1])
            await self._run_handler(row, payload, event, chat_state, handled)

        outcome = await self._attempt(rt.events, row, f"event {row.webhook_event_id}", handle)
        rt.metrics.events_handled.labels(kind, outcome).inc()
        rt.metrics.handler_seconds.labels(kind).observe(time.perf_counter() - started)

    async def _apply_lifecycle(self, row: EventRecord, payload: dict[str, Any], kind: str) -> None:
        module = payload.get("module") or {}
        scopes = module.get("scopes") if kind == "attached" else None
        reason = module.get("reason") if kind == "detached" else None
        # Billing follows in this transaction (the tenant store's listeners): a subscription change commits
        # with the tenant change or not at all.
        async with self.runtime.db.write_transaction() as session:
            await self.runtime.tenants.apply_lifecycle(session, row.bot_id, kind, row.event_ts_ms, scopes, reason)  # type: ignore[arg-type]
        self.runtime.known_tenants.remember(row.bot_id)

    async def _run_handler(
        self,
        row: EventRecord,
        payload: dict[str, Any],
        event: Event | None,
        chat_state: ChatState | None,
        handled: Callable[[], None] | None,
    ) -> None:
        rt = self.runtime
        tenant = await rt.tenants.get_cached(row.bot_id)
        chat_id = chat_id_of(payload)
        if chat_state is not None:
            chat_state.observe_mode(payload.get("mode"), row.event_ts_ms)
        found = self.dispatcher.find(event) if event is not None and tenant is not None else None
        inquiry_id = inquiry_of(chat_state.data) if chat_state is not None else None
        if inquiry_id is not None and event is not None and tenant is not None:
            # People answer this chat in the inbox: the event is recorded there, and reaches the module only
            # when it is not one they answer (`support/inbox/recording.py`).
            found = in_inquiry(found, inquiry_id, event_kind(event))
        lifecycle = row.event_type in ("module", "botSuspended", "botResumed")
        ctx: Context | None = None
        try:
            usable = tenant is not None and (lifecycle or tenant.state != TenantState.DETACHED)
            if found is not None and event is not None and tenant is not None and usable:
                listener, match = found
                line = rt.line.for_tenant(tenant, retry_seed=row.webhook_event_id)
                ctx = Context(
                    tenant=tenant,
                    line=line,
                    db=rt.db.session,
                    event=event,
                    raw_event=payload,
                    settings=rt.settings,
                    clock=rt.clock,
                    catalogs=self.catalogs,
                    scheduler=rt.scheduler,
                    state=chat_state.data if chat_state is not None else None,
                    chat=ChatControl(line, chat_id, chat_state) if chat_id else None,
                    match=match,
                    billing=rt.billing,
                    first_try=row.attempts <= 1,
                    received_at_ms=row.received_at_ms,
                )
                await listener.handler(ctx, event)
            usage = ctx.take_usage() if ctx is not None and rt.billing is not None else []
            session = ctx.session_opened if ctx is not None else None
            if session is not None:
                # The handler wrote (or read) through ctx.db: "done" and the chat state commit with its work.
                # No `write_lock()` here: the handler may already hold SQLite's write lock.
                if chat_state is not None:
                    await chat_state.save(session, rt.clock.now_ms())
                metered = (INSERT_USAGE, usage_rows(usage, rt.clock.now_ms())) if usage else None  # with the "done"
                await rt.events.complete(session, row, self.worker_id, then_many=metered)
                await session.commit()
            else:
                changes = chat_state.changes(rt.clock.now_ms()) if chat_state is not None else None
                rows = tuple(usage_rows(usage, rt.clock.now_ms())) if usage else ()
                if handled is not None:
                    handled()
                await self._completions.submit(Completion(row.id, row.attempts, changes, rows))
        finally:
            if ctx is not None and ctx.session_opened is not None:
                await ctx.session_opened.close()  # rolls back whatever was not committed

    async def _attempt(
        self, queue: WorkQueue[Any], row: QueueRecord, what: str, work: Callable[[], Awaitable[None]]
    ) -> str:
        """One try of an event or a job, ended the one way for both; returns its metrics outcome: "done",
        "lease_lost" (another worker holds the row now; this try's work was rolled back), or the failure
        recorded on the row ("retry" after a backoff, "dead")."""
        try:
            await work()
        except LeaseLost as exc:
            log.warning("%s", exc)
            return "lease_lost"
        except Exception as exc:
            final = isinstance(exc, NoJobHandler)  # trying again cannot help
            status = await queue.fail(row, self.worker_id, _describe(exc), final=final)
            log.warning("%s failed (attempt %s, now %s): %r", what, row.attempts, status or "not ours", exc)
            return _failure_outcome(status)
        return "done"

    async def _write_completions(self, items: list[Completion]) -> list[BaseException | None]:
        """Mark a batch of events done and save their chat states, in one transaction."""
        events = self.runtime.events

        async def complete(connection: DirectConnection) -> dict[int, LeaseLost]:
            claims = [(c.row_id, c.attempts) for c in items]
            done, lost = await events.complete_many(connection, claims, self.worker_id)
            await save_many(connection, [c.chat_state for c in items if c.chat_state and c.row_id in done])
            usage = [row for c in items if c.row_id in done for row in c.usage]
            if usage:
                await connection.executemany(INSERT_USAGE, usage)
            return lost

        lost = await self.runtime.db.direct.run(complete)
        return [lost.get(c.row_id) for c in items]

    async def process_job(self, row: JobRecord) -> None:
        rt = self.runtime

        async def run() -> None:
            handler = self.job_handlers.get(row.name)
            if handler is None:
                raise NoJobHandler(f"no handler for job {row.name!r}")
            payload = json.loads(row.payload or "{}")
            async with rt.db.session() as session, session.begin():
                tenant = await rt.tenants.get(row.bot_id, session) if row.bot_id else None
                line = rt.line.for_tenant(tenant, retry_seed=f"job:{row.id}") if tenant else None
                jctx = JobContext(
                    job_id=row.id,
                    name=row.name,
                    db=session,
                    clock=rt.clock,
                    catalogs=self.catalogs,
                    scheduler=rt.scheduler,
                    tenant=tenant,
                    line=line,
                    billing=rt.billing,
                )
                await handler(jctx, payload)
                if rt.billing is not None and line is not None and line.sent:
                    await rt.billing.write_usage(session, rt.billing.usage_of_sends(line.bot_id, line.sent))
                await rt.jobs.complete(session, row, self.worker_id)

        outcome = "cancelled"  # unless the try ends (a stop cancels a job still running after its grace)
        try:
            outcome = await self._attempt(rt.jobs, row, f"job {row.id} ({row.name})", run)
        finally:
            rt.metrics.jobs_run.labels(outcome).inc()
            recurring = self.recurring.get(row.name)
            if recurring is not None and not self._stopping.is_set():
                await rt.scheduler.ensure_next(recurring)


class NoJobHandler(Exception):
    """A job whose name has no registered handler: a dead letter at once."""


def parse_event(payload: dict[str, Any]) -> Event | None:
    """The SDK's typed event; for a type the installed SDK does not know yet, or a shape it refuses, an
    `UnknownEvent` with the common fields (what the SDK's own `WebhookParser` hands on); None only when not
    even those are there."""
    try:
        return Event.from_dict(payload)
    except ValueError:
        detached = _detached_without_reason(payload)
        if detached is not None:
            return detached
        try:
            return UnknownEvent.new_from_json_dict(payload)  # type: ignore[no-any-return]
        except (ValueError, TypeError):
            return None


def _detached_without_reason(payload: dict[str, Any]) -> Event | None:
    """The `detached` that follows the provider's Detach API carries no `reason` (its one documented value is
    `bot_deleted`; see docs/emulator-behaviour.md on the Detach API), and the SDK refuses a `detached` without
    one. It is the lifecycle event all the same: parsed with a stand-in reason, then given `reason` None, so
    `on_lifecycle("detached")` handlers see it (reading `event.module.reason` as None)."""
    module = payload.get("module")
    if payload.get("type") != "module" or not isinstance(module, dict) or module.get("type") != "detached":
        return None
    if module.get("reason") is not None:
        return None
    try:
        event = Event.from_dict({**payload, "module": {**module, "reason": "bot_deleted"}})
    except ValueError:
        return None
    object.__setattr__(event.module, "reason", None)  # past the SDK's validation: the truth is "no reason"
    return event


def _failure_outcome(status: str) -> str:
    """The metrics outcome of a failed try, from the status `WorkQueue.fail` left the row in."""
    if status == QueueStatus.DEAD:
        return "dead"
    return "retry" if status else "lease_lost"  # "" : the row was no longer ours


def _describe(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))
