"""Workers: take events and jobs from the queue tables and run their handlers.

One claim loop per process hands rows to up to `concurrency` tasks. Events of one chat are never claimed
while an older one of that chat is unfinished, so a chat is processed in order while different chats run in
parallel. A heartbeat extends the leases of rows still running; if the process dies the leases run out and
another worker (or this one, restarted) takes the rows again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
import traceback
import uuid
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
from linemod.framework.queue.intake import NO_CHAT, chat_id_of
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


def chat_id_of_key(chat_key: str) -> str | None:
    """The chat of an `events.chat_key` ("<bot_id>:<chat_id>", "-" for OA-wide events)."""
    chat_id = chat_key.split(":", 1)[1]
    return None if chat_id == NO_CHAT else chat_id


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Worker:
    """Processes events and jobs until `stop()` is called."""

    def __init__(
        self,
        runtime: Runtime,
        dispatcher: Dispatcher,
        job_handlers: Mapping[str, JobHandler],
        recurring: list[Recurring] | None = None,
        *,
        concurrency: int | None = None,
        worker_id: str | None = None,
        intake_pressure: Callable[[], float] | None = None,
        catalogs: Catalogs | None = None,
    ) -> None:
        self.runtime = runtime
        self.catalogs = catalogs or Catalogs()
        self.dispatcher = dispatcher
        self.job_handlers = job_handlers
        self.recurring = {r.name: r for r in recurring or []}
        self.concurrency = concurrency or runtime.settings.worker_concurrency
        self.worker_id = worker_id or new_worker_id()
        # In `linemod serve`, acknowledging webhooks comes first (LINE waits for the 200, and a stored event
        # is safe): while the intake of this process is under pressure (a webhook has been waiting to be stored
        # for SATURATED_AFTER seconds), this worker keeps a quarter of its slots, claiming every SATURATED_PAUSE
        # seconds, and the backlog waits for a quieter moment or `linemod worker`s. A quarter, not one: one
        # event per pause (20 a second) kept users waiting seconds for replies. Pressure, not a count of
        # webhooks: 8 at once, each stored in a few milliseconds, is an ordinary moment at a few hundred
        # messages a second, and stepping back then capped replies at 400 a second with cores to spare.
        self.intake_pressure = intake_pressure
        self._wake = asyncio.Event()
        self._next_jobs_claim = 0.0  # the event loop's time of the next claim of jobs (`_claim_jobs`)
        self._stopping = asyncio.Event()
        self._running: dict[tuple[str, int], asyncio.Task[None]] = {}
        self._task: asyncio.Task[None] | None = None
        self._heartbeat_task: asyncio.Task[None] | None = None
        # Events whose handler did not use ctx.db are marked done (with their chat state) in batches. Batches
        # hold different chats' events (one event per chat runs at a time), so several may commit at once:
        # on PostgreSQL a batch no longer waits for the previous one's round trips and flush.
        self._completions: GroupCommit[Completion] = GroupCommit(
            self._write_completions,
            name="linemod-completions",
            max_in_flight=runtime.events.engine.writer_batches_in_flight,
        )
        self.processed = 0
        self._failed_claims = 0

    def start(self) -> None:
        self.runtime.add_waker(self._wake)
        self._completions.start()
        self._heartbeat_task = asyncio.create_task(self._heartbeat(), name=f"linemod-heartbeat-{self.worker_id}")
        self._task = asyncio.create_task(self.run(), name=f"linemod-worker-{self.worker_id}")

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Stop claiming, let running handlers finish for up to `grace_seconds`, then cancel them (their
        transactions roll back and the rows are taken again after the lease), and write the last "done"s.
        The leases of running rows keep being extended until then: a grace longer than the lease must not
        hand a row still being handled here to another worker."""
        self._stopping.set()
        self._wake.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
        tasks = list(self._running.values())
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace_seconds)
            for task in pending:
                task.cancel()
            if pending:
                log.warning("stopping: cancelled %d handler(s) still running after %.0f s", len(pending), grace_seconds)
            await asyncio.gather(*pending, return_exceptions=True)
        await self._completions.stop()
        if self._heartbeat_task is not None:
            self._heartbeat_task.cancel()
            await asyncio.gather(self._heartbeat_task, return_exceptions=True)

    async def run(self) -> None:
        settings = self.runtime.settings
        for recurring in self.recurring.values():
            await self.runtime.scheduler.ensure_next(recurring)
        while not self._stopping.is_set():
            await self._gather_free_slots()
            if self._intake_saturated():
                await self._pause_for_intake()
            # Cleared before the claim, not after an empty one: a handler finishing (or a webhook stored)
            # while the claim runs sets it again, and that wake-up must not be lost. Clearing after an
            # empty claim threw it away: 30 events of one chat took 6.3 s, every other one waiting for
            # the poll interval.
            self._wake.clear()
            claimed = await self._claim_and_start()
            if claimed == 0:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=settings.worker_poll_seconds)

    async def _gather_free_slots(self, max_wait: float = 0.01) -> None:
        """Each claim is a query; while most slots are busy, wait a few milliseconds for more to free up
        so one claim fills several slots."""
        deadline = asyncio.get_running_loop().time() + max_wait
        while (
            self._running
            and self.concurrency - len(self._running) < max(1, self.concurrency // 4)
            and not self._stopping.is_set()
        ):
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return
            self._wake.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=remaining)

    SATURATED_AFTER = 0.2  # seconds the oldest webhook being stored has waited when the intake counts as saturated
    SATURATED_PAUSE = 0.05

    def _intake_saturated(self) -> bool:
        return self.intake_pressure is not None and self.intake_pressure() >= self.SATURATED_AFTER

    async def _pause_for_intake(self) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=self.SATURATED_PAUSE)

    async def _claim_and_start(self) -> int:
        limit = max(1, self.concurrency // 4) if self._intake_saturated() else self.concurrency
        free = limit - len(self._running)
        if free <= 0:
            return 0
        try:
            rows, states = await self._claim_events(free)
            for row in rows:
                chat_id = chat_id_of_key(row.chat_key)
                self._spawn(row, states.get((row.bot_id, chat_id)) if chat_id else None)
            free -= len(rows)
            jobs = await self._claim_jobs(free) if free > 0 else []
            for job in jobs:
                self._spawn(job)
        except Exception:
            # The database is down or not answering: one traceback when that starts, a line when it ends,
            # not one every poll interval in between.
            self._failed_claims += 1
            if self._failed_claims == 1:
                log.exception("claiming work failed; retrying every poll interval")
            return 0
        if self._failed_claims:
            log.warning("claiming work again (after %d failed claims)", self._failed_claims)
            self._failed_claims = 0
        return len(rows) + len(jobs)

    async def _claim_jobs(self, limit: int) -> list[JobRecord]:
        """Jobs once per poll interval, at once when this process scheduled one now due, and again straight
        away after a claim that filled every free slot (more may be waiting)."""
        now = asyncio.get_running_loop().time()
        hinted = self.runtime.scheduler.take_due_hint(self.runtime.clock.now_ms())
        if now < self._next_jobs_claim and not hinted:
            return []
        jobs = await self.runtime.jobs.claim(self.worker_id, limit)
        self._next_jobs_claim = now if len(jobs) >= limit else now + self.runtime.settings.worker_poll_seconds
        return jobs

    async def _claim_events(self, limit: int) -> tuple[list[EventRecord], dict[tuple[str, str], ChatState]]:
        """Claim events and read their chats' states in one transaction. No other event of these chats runs
        meanwhile (per-chat order), so what is read here is what each handler may change."""

        async def load_states(
            connection: DirectConnection, rows: list[EventRecord]
        ) -> dict[tuple[str, str], ChatState]:
            chats = [(row.bot_id, chat_id) for row in rows if (chat_id := chat_id_of_key(row.chat_key))]
            return await ChatState.load_many(connection, self.runtime.events.engine, chats)

        rows, states = await self.runtime.events.claim_with(self.worker_id, limit, load_states)
        return rows, states or {}

    def _spawn(self, row: EventRecord | JobRecord, chat_state: ChatState | None = None) -> None:
        if isinstance(row, EventRecord):
            kind, task = "event", asyncio.create_task(self._process_event(row, chat_state))
        else:
            kind, task = "job", asyncio.create_task(self._process_job(row))
        key = (kind, row.id)
        self._running[key] = task

        def done(_task: asyncio.Task[None]) -> None:
            self._running.pop(key, None)
            self._wake.set()  # the next event of that chat may now be claimable

        task.add_done_callback(done)

    async def _heartbeat(self) -> None:
        interval = max(0.05, self.runtime.settings.lease_seconds / 3)
        while True:
            await asyncio.sleep(interval)
            try:
                events = [rid for kind, rid in self._running if kind == "event"]
                jobs = [rid for kind, rid in self._running if kind == "job"]
                await self.runtime.events.extend_leases(self.worker_id, events)
                await self.runtime.jobs.extend_leases(self.worker_id, jobs)
            except Exception:
                log.exception("extending leases failed")

    async def _process_event(self, row: EventRecord, chat_state: ChatState | None) -> None:
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
            await self._run_handler(row, payload, event, chat_state)

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
        self, row: EventRecord, payload: dict[str, Any], event: Event | None, chat_state: ChatState | None
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
        self.processed += 1
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

    async def _process_job(self, row: JobRecord) -> None:
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
