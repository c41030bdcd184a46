"""Workers: take events and jobs from the queue tables and run their handlers.

One claim loop per process hands rows to up to `concurrency` tasks. Events of one chat are never claimed
while an older one of that chat is unfinished, so a chat is processed in order while different chats run in
parallel. A heartbeat extends the leases of rows still running; if the process dies the leases run out and
another worker (or this one, restarted) takes the rows again.

A slot frees once its handler has run; the event's "done" then commits in a batch, and its chat stays busy
in the database (the row is still running) until it has. During a backlog (claims come back full) the loop
also claims up to `concurrency` events ahead of the slots: handlers run on this one event loop, so a batch of
them finishes together, and a claim made only then left the process idle for the claim's round trips after
every batch. A row claimed ahead starts the moment a slot frees; one never started (the worker stopped) is
given back at once, its try not counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections import deque
from collections.abc import Callable, Mapping

from linemod.framework.dispatch import Dispatcher, JobHandler
from linemod.framework.i18n import Catalogs
from linemod.framework.queue.chat_state import ChatState
from linemod.framework.queue.handling import Handling
from linemod.framework.queue.intake import NO_CHAT
from linemod.framework.queue.rows import EventRecord, JobRecord
from linemod.framework.queue.scheduler import Recurring
from linemod.framework.queue.statements import WINDOW
from linemod.framework.runtime import Runtime
from linemod.framework.storage.direct_sql import DirectConnection

log = logging.getLogger("linemod.worker")


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
        # The rows whose handlers run: the slots `concurrency` counts. A row leaves it when its handler has
        # run, before its "done" commits, so the next claim overlaps that commit instead of waiting for it.
        self._running: dict[tuple[str, int], asyncio.Task[None]] = {}
        # Every row claimed and not yet ended (its "done" not committed): the leases the heartbeat extends
        # and what a stop waits for.
        self._held: dict[tuple[str, int], asyncio.Task[None]] = {}
        self._ready: deque[tuple[EventRecord, ChatState | None]] = deque()  # claimed ahead, not started
        # Whether the last claim took all it asked for: then more may be waiting, worth claiming ahead and
        # worth a claim when a slot frees up. When it took less, only a chat freeing up (a "done" committed)
        # or a new webhook can bring more, and a claim at each handler's end found nothing (a chat's burst
        # paid one per event).
        self._claims_filled = False
        self._task: asyncio.Task[None] | None = None
        self._heartbeat_task: asyncio.Task[None] | None = None
        self.handling = Handling(
            runtime,
            dispatcher,
            job_handlers,
            self.recurring,
            worker_id=self.worker_id,
            catalogs=self.catalogs,
            stopping=self._stopping,
        )
        self._failed_claims = 0

    def start(self) -> None:
        self.runtime.add_waker(self._wake)
        self.handling.start()
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
        await self._give_back_ready()
        tasks = list(self._held.values())
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace_seconds)
            for task in pending:
                task.cancel()
            if pending:
                log.warning("stopping: cancelled %d handler(s) still running after %.0f s", len(pending), grace_seconds)
            await asyncio.gather(*pending, return_exceptions=True)
        await self.handling.stop()
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

    def _slots(self) -> int:
        """How many handlers may run at once now: a quarter of `concurrency` while the intake is under
        pressure (see `__init__`), all of it otherwise."""
        return self._batch() if self._intake_saturated() else self.concurrency

    def _batch(self) -> int:
        """The rows worth a claim while slots are busy: a quarter of them."""
        return max(1, self.concurrency // 4)

    def _room(self) -> int:
        """How many more rows this worker may claim: its free slots, and while the claims come back full (a
        backlog), as many again claimed ahead. Without a backlog nothing waits to be claimed ahead, and
        claiming with every slot busy made a claim per arriving webhook instead of one per few."""
        ahead = self._slots() if self._claims_filled else 0
        return self._slots() + ahead - len(self._running) - len(self._ready)

    async def _gather_free_slots(self, max_wait: float = 0.01) -> None:
        """Each claim is a query; while most of the room is taken, wait a few milliseconds for more to free
        up so one claim fills several slots."""
        deadline = asyncio.get_running_loop().time() + max_wait
        while (self._running or self._ready) and self._room() < self._batch() and not self._stopping.is_set():
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
        room = min(self._room(), WINDOW)  # a claim takes at most its window's rows
        if room <= 0:
            return 0
        try:
            rows, states = await self._claim_events(room)
            # A claim of the last free slot or two coming back full says little: that is a busy moment, not
            # a backlog.
            self._claims_filled = len(rows) >= max(room, self._batch())
            for row in rows:
                chat_id = chat_id_of_key(row.chat_key)
                self._ready.append((row, states.get((row.bot_id, chat_id)) if chat_id else None))
            self._start_ready()
            free = self._slots() - len(self._running)
            if free <= 0 and not any(kind == "job" for kind, _ in self._running):
                free = 1  # a backlog of events must not hold every job back: one runs beside the slots
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

    def _start_ready(self) -> None:
        """Start rows claimed ahead while slots are free (not once stopping: those are given back)."""
        while self._ready and len(self._running) < self._slots() and not self._stopping.is_set():
            self._spawn(*self._ready.popleft())

    async def _give_back_ready(self) -> None:
        rows = [row for row, _ in self._ready]
        self._ready.clear()
        try:
            await self.runtime.events.release(rows, self.worker_id)
        except Exception:
            log.exception("giving back %d event(s) claimed ahead failed: they run once their leases end", len(rows))

    def _spawn(self, row: EventRecord | JobRecord, chat_state: ChatState | None = None) -> None:
        key = ("event" if isinstance(row, EventRecord) else "job", row.id)

        def handled() -> None:
            if self._running.pop(key, None) is not None:
                self._start_ready()
                if self._claims_filled:
                    self._wake.set()  # room to claim

        if isinstance(row, EventRecord):
            task = asyncio.create_task(self.handling.process_event(row, chat_state, handled))
        else:
            task = asyncio.create_task(self.handling.process_job(row))
        self._running[key] = self._held[key] = task

        def ended(_task: asyncio.Task[None]) -> None:
            self._held.pop(key, None)
            handled()
            self._wake.set()  # the next event of that chat may now be claimable

        task.add_done_callback(ended)

    async def _heartbeat(self) -> None:
        interval = max(0.05, self.runtime.settings.lease_seconds / 3)
        while True:
            await asyncio.sleep(interval)
            try:
                events = [rid for kind, rid in self._held if kind == "event"] + [row.id for row, _ in self._ready]
                jobs = [rid for kind, rid in self._held if kind == "job"]
                await self.runtime.events.extend_leases(self.worker_id, events)
                await self.runtime.jobs.extend_leases(self.worker_id, jobs)
            except Exception:
                log.exception("extending leases failed")
