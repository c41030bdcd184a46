"""The jobs billing runs on the app's clock, registered on every `ModuleApp` (they do nothing until billing
is in use): trial end and reminders, renewals, the provider-side detach, billing events, a periodic sweep,
and the periodic read of the OAs' LINE message quota."""

from __future__ import annotations

import logging
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import exists, select

from linemod.framework.billing.collection import NOTICE_JOB
from linemod.framework.billing.collection_jobs import register_collection_jobs, schedule_pending_collections
from linemod.framework.billing.events import EVENT_JOB, BillingEvent
from linemod.framework.billing.lifecycle import DETACH_JOB, RENEW_JOB, TRIAL_END_JOB, TRIAL_REMINDER_JOB
from linemod.framework.billing.line_usage import store_quota
from linemod.framework.billing.periods import day_of
from linemod.framework.billing.records import BillingSubscriptionRow
from linemod.framework.billing.states import BILLED, SubscriptionStatus
from linemod.framework.line.client import SEND
from linemod.framework.storage.models import Tenant, TenantState

if TYPE_CHECKING:
    from linemod.framework.app import ModuleApp
    from linemod.framework.billing.service import BillingService
    from linemod.framework.context import JobContext

log = logging.getLogger("linemod.billing")
SWEEP_JOB = "linemod.billing.sweep"
QUOTA_JOB = "linemod.billing.line_quota"


def register_billing_jobs(app: ModuleApp) -> None:
    def service() -> BillingService:
        runtime = app.runtime
        if runtime is None or runtime.billing is None:
            raise RuntimeError("billing is not in use in this app: declare a plan or a meter (app.billing)")
        return runtime.billing

    def bot_of(jctx: JobContext) -> str:
        if jctx.tenant is None:
            raise RuntimeError(f"billing job {jctx.name} has no OA")
        return jctx.tenant.bot_id

    async def trial_end(jctx: JobContext, payload: dict[str, Any]) -> None:
        await service().lifecycle.end_trial(jctx.db, bot_of(jctx), int(payload["trial_ends_at_ms"]))

    async def trial_reminder(jctx: JobContext, payload: dict[str, Any]) -> None:
        ends, days = int(payload["trial_ends_at_ms"]), int(payload["days"])
        billing = service()
        reminded = await billing.lifecycle.remind_trial(jctx.db, bot_of(jctx), ends, days)
        if reminded and billing.collection is not None:  # the mail, sent by its own job after this commits
            await jctx.schedule(
                NOTICE_JOB, {"kind": "trial_ending", "days_left": days, "trial_ends_at_ms": ends},
                key=f"billing:notice:trial_ending:{bot_of(jctx)}:{ends}:{days}",
            )

    async def renew(jctx: JobContext, payload: dict[str, Any]) -> None:
        await service().lifecycle.renew(jctx.db, bot_of(jctx), date.fromisoformat(payload["period_end"]))

    async def detach(jctx: JobContext, _payload: dict[str, Any]) -> None:
        # LINE's Detach API, then the tenant (and, through its listener, billing) in transactions of their
        # own: this job's session has written nothing yet, so it holds no lock they would wait for.
        await app.detach(bot_of(jctx))

    async def billing_event(jctx: JobContext, payload: dict[str, Any]) -> None:
        event = BillingEvent.from_payload(payload)
        for handler in app.billing_handlers.get(event.type, ()):
            await handler(jctx, event)

    async def sweep(jctx: JobContext, _payload: dict[str, Any]) -> None:
        await sweep_subscriptions(service(), jctx)

    async def line_quota(jctx: JobContext, _payload: dict[str, Any]) -> None:
        runtime = app.runtime
        assert runtime is not None
        readings = []
        for tenant in await runtime.tenants.list([TenantState.ATTACHED]):
            if not tenant.has_scope(SEND):
                continue
            try:
                readings.append((tenant.bot_id, await runtime.line.for_tenant(tenant).message_quota()))
            except Exception:
                log.warning("reading the message quota of %s failed", tenant.bot_id, exc_info=True)
        for bot_id, quota in readings:  # written after every call: no lock is held while LINE answers
            await store_quota(jctx.db, bot_id, quota, jctx.now_ms())

    register_collection_jobs(app)
    for name, handler in (
        (TRIAL_END_JOB, trial_end),
        (TRIAL_REMINDER_JOB, trial_reminder),
        (RENEW_JOB, renew),
        (DETACH_JOB, detach),
        (EVENT_JOB, billing_event),
        (SWEEP_JOB, sweep),
        (QUOTA_JOB, line_quota),
    ):
        app.job(name)(handler)


async def sweep_subscriptions(service: BillingService, jctx: JobContext) -> None:
    """What keeps subscriptions whole whatever was missed: OAs attached before billing was deployed (or whose
    `attached` event never came) get their subscription; trials and periods overdue get their job again
    (the keyed jobs make that a no-op when it is already there or done)."""
    if not service.subscriptions_enabled:
        return
    session, lifecycle = jctx.db, service.lifecycle
    missing = select(Tenant.bot_id, Tenant.state).where(
        Tenant.state != TenantState.DETACHED,
        ~exists().where(BillingSubscriptionRow.bot_id == Tenant.bot_id),
    )
    for bot_id, state in (await session.execute(missing)).all():
        await lifecycle.attach(session, bot_id, reason="backfill")
        if state == TenantState.SUSPENDED:
            await lifecycle.suspend(session, bot_id)
    now = jctx.now_ms()
    overdue_trials = select(BillingSubscriptionRow).where(
        BillingSubscriptionRow.status.in_([SubscriptionStatus.TRIALING, SubscriptionStatus.PAUSED]),
        BillingSubscriptionRow.trial_ends_at_ms <= now,
    )
    for sub in await session.scalars(overdue_trials):
        await lifecycle.schedule_trial_jobs(session, sub)
    renewable = [s.value for s in (*BILLED, SubscriptionStatus.PAUSED)]
    overdue_periods = select(BillingSubscriptionRow).where(
        BillingSubscriptionRow.status.in_(renewable), BillingSubscriptionRow.period_end <= day_of(now)
    )
    for sub in await session.scalars(overdue_periods):
        await lifecycle.schedule_renewal(session, sub)
    if service.collection is not None:
        await schedule_pending_collections(service.collection, session)
