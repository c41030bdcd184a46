"""Billing at run time: the synced catalog, the policy, and the pieces that read and write subscriptions,
usage and charges. One per started app (`runtime.billing`); units of work reach it as `ctx.billing`."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.billing.catalog_sync import SyncedCatalog
from linemod.framework.billing.changes import SubscriptionChanges
from linemod.framework.billing.collection_service import CollectionService
from linemod.framework.billing.entitlements import BillingAccess
from linemod.framework.billing.events import BillingHandler
from linemod.framework.billing.ledger import Ledger
from linemod.framework.billing.lifecycle import SubscriptionLifecycle
from linemod.framework.billing.line_usage import usage_of_sends
from linemod.framework.billing.metering import Metering, UsageRecord
from linemod.framework.billing.policy import BillingPolicy
from linemod.framework.billing.pricing import SubscriptionTerms
from linemod.framework.billing.records import BillingSubscriptionRow
from linemod.framework.clock import Clock
from linemod.framework.line.client import SentMessages
from linemod.framework.queue.scheduler import JobScheduler
from linemod.framework.settings import Settings
from linemod.framework.storage.database import Database
from linemod.framework.tenants.store import LifecycleChange

log = logging.getLogger("linemod.billing")


class BillingService:
    def __init__(
        self,
        *,
        catalog: SyncedCatalog,
        policy: BillingPolicy,
        settings: Settings,
        clock: Clock,
        scheduler: JobScheduler,
        handlers: Mapping[str, Sequence[BillingHandler]],
        is_postgres: bool,
        db: Database | None = None,
    ) -> None:
        self.catalog = catalog
        self.policy = policy
        self.clock = clock
        self.handlers = handlers
        self.ledger = Ledger(clock=clock, scheduler=scheduler, handlers=handlers, is_postgres=is_postgres)
        self.metering = Metering(catalog.catalog)
        self.lifecycle = SubscriptionLifecycle(
            self.ledger, catalog, policy, self.metering, reminder_days=tuple(settings.billing_trial_reminder_days)
        )
        self.changes = SubscriptionChanges(self.ledger, catalog, self.lifecycle, settings)
        self.collection: CollectionService | None = None
        """Invoices, payments and dunning; None when no invoice issuer is configured (or no database given)."""
        if db is not None and catalog.catalog.plans:
            self.collection = CollectionService.from_settings(settings, db, clock, self.ledger, self.changes)

    async def aclose(self) -> None:
        if self.collection is not None:
            await self.collection.aclose()

    @property
    def subscriptions_enabled(self) -> bool:
        """Plans are declared: attached OAs get subscriptions."""
        return bool(self.catalog.catalog.plans)

    async def on_tenant_change(self, session: AsyncSession, change: LifecycleChange) -> None:
        """The tenant store's listener: runs in the transaction that applied the lifecycle event."""
        if self.subscriptions_enabled:
            await self.lifecycle.on_tenant_change(session, change)

    def access(
        self,
        db: Callable[[], AsyncSession],
        bot_id: str,
        *,
        before_read: Callable[[], Awaitable[None]] | None = None,
    ) -> BillingAccess:
        return BillingAccess(self, db, bot_id, before_read=before_read)

    async def subscription_row(self, session: AsyncSession, bot_id: str) -> BillingSubscriptionRow | None:
        return await session.get(BillingSubscriptionRow, bot_id)

    async def subscription_terms(self, session: AsyncSession, bot_id: str) -> SubscriptionTerms | None:
        """What the OA's subscription is billed on (for `pricing.period_lines`); None before its first paid
        period (no anchor yet)."""
        row = await self.subscription_row(session, bot_id)
        if row is None or row.anchor_date is None:
            return None
        terms = await self.ledger.terms(session, row.price_id)
        return SubscriptionTerms(terms, row.anchor_date, self.lifecycle.active_coupon(row))

    def usage_of_sends(self, bot_id: str, sends: Sequence[SentMessages]) -> list[UsageRecord]:
        """The built-in meters' records of what a tenant-bound client sent."""
        return usage_of_sends(bot_id, sends, self.clock.now_ms())

    async def write_usage(self, session: AsyncSession, usages: Sequence[UsageRecord]) -> None:
        """Write usage records in `session` (a handler's or job's transaction); keys present are skipped."""
        await self.metering.record_many(session, usages, self.clock.now_ms())
