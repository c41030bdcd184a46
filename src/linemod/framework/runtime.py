"""The services of one running process, built from settings and started inside the event loop."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from linemod.framework.clock import Clock, SystemClock
from linemod.framework.line.apis import LineApis
from linemod.framework.metrics import Metrics
from linemod.framework.queue.event_writer import EventWriter
from linemod.framework.queue.intake import WebhookIntake
from linemod.framework.queue.rows import EventRecord, JobRecord
from linemod.framework.queue.scheduler import JobScheduler
from linemod.framework.queue.work_queue import RetryPolicy, WorkQueue, event_queue, job_queue
from linemod.framework.settings import Settings
from linemod.framework.storage.database import Database
from linemod.framework.tenants.known import KnownTenants
from linemod.framework.tenants.store import TenantStore

if TYPE_CHECKING:
    from linemod.framework.billing.service import BillingService


def database_for(settings: Settings, *, pool_size: int = 20) -> Database:
    """The database of `settings`, with its timeouts."""
    return Database(
        settings.database_url,
        schema=settings.database_schema,
        pool_size=pool_size,
        connect_timeout=settings.database_connect_timeout_seconds,
        statement_timeout=settings.database_statement_timeout_seconds,
    )


class Runtime:
    """Database, queues, tenant store, LINE clients and webhook intake of one process.

    Every dependency can be passed in (a test clock, a shared `Database`); nothing connects before
    `start()`.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        db: Database | None = None,
        line: LineApis | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.db = db or database_for(settings, pool_size=settings.worker_concurrency + 4)
        retry = RetryPolicy(settings.max_attempts, settings.retry_base_seconds, settings.retry_max_seconds)
        lease = settings.lease_seconds
        self.events: WorkQueue[EventRecord] = event_queue(self.db, clock=self.clock, lease_seconds=lease, retry=retry)
        self.jobs: WorkQueue[JobRecord] = job_queue(self.db, clock=self.clock, lease_seconds=lease, retry=retry)
        self.scheduler = JobScheduler(self.db, self.clock)
        self.tenants = TenantStore(self.db, self.clock)
        self.line = line or LineApis(settings, self.clock)
        self.known_tenants = KnownTenants(self.db)
        self.metrics = Metrics()
        intake_timeout = settings.intake_db_timeout_ms / 1000
        self.writer = EventWriter(self.db, on_stored=self.notify_workers, timeout=intake_timeout)
        self.intake = WebhookIntake(
            channel_secret=settings.channel_secret,
            writer=self.writer,
            tenants=self.known_tenants,
            clock=self.clock,
            max_body_bytes=settings.webhook_max_body_bytes,
            metrics=self.metrics,
            db_timeout=intake_timeout,
        )
        self.billing: BillingService | None = None
        """Set at app start when the module declares plans or meters (`app.billing`)."""
        self._wakers: list[asyncio.Event] = []
        self.started = False

    async def start(self, *, intake: bool = True) -> None:
        await self.line.start()
        if intake:
            self.writer.start()
        self.started = True

    async def close(self) -> None:
        await self.writer.stop()
        await self.line.close()
        await self.db.dispose()
        self.started = False

    def add_waker(self, waker: asyncio.Event) -> None:
        self._wakers.append(waker)

    def notify_workers(self) -> None:
        """New events were stored: wake the in-process workers instead of waiting for their next poll."""
        for waker in self._wakers:
            waker.set()
