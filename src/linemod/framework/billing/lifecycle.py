"""Subscriptions driven by LINE's lifecycle events and by the clock.

LINE tells the module only that it was attached, detached, suspended or resumed; everything else follows
from time: the trial ends, periods renew. The tenant store calls `on_tenant_change()` inside the transaction
that applies the event, and the clock-driven steps run as keyed jobs (`jobs.py`) scheduled in the same
transaction as the change that makes them due, so moving the app's clock (the emulator's, a test's) runs them.

Money: plan fees are charged for a period in advance, usage in arrears from `usage_since`; a partial first
period is prorated by day. Each step writes its charge (`billing_charges`) with the lines `pricing.py` computes.
"""

from __future__ import annotations

import json
import logging
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.billing.catalog_sync import SyncedCatalog
from linemod.framework.billing.coupons import Coupon
from linemod.framework.billing.ledger import Ledger
from linemod.framework.billing.lines import BillableLine
from linemod.framework.billing.metering import Metering
from linemod.framework.billing.periods import DAY_MS, Period, day_of, full_period, month_start, period_from, start_ms
from linemod.framework.billing.policy import BillingPolicy
from linemod.framework.billing.pricing import PriceTerms, billable_lines
from linemod.framework.billing.records import BillingSubscriptionRow, BillingTrialRow
from linemod.framework.billing.states import BILLED, SubscriptionStatus
from linemod.framework.tenants.store import LifecycleChange

log = logging.getLogger("linemod.billing")
S = SubscriptionStatus
TRIAL_END_JOB = "linemod.billing.trial_end"
TRIAL_REMINDER_JOB = "linemod.billing.trial_reminder"
RENEW_JOB = "linemod.billing.renew"
DETACH_JOB = "linemod.billing.detach"


class SubscriptionLifecycle:
    """Attach, suspend, resume, detach; trial end, trial reminders and renewals (the jobs' bodies)."""

    def __init__(
        self,
        ledger: Ledger,
        catalog: SyncedCatalog,
        policy: BillingPolicy,
        metering: Metering,
        *,
        reminder_days: tuple[int, ...] = (7, 3),
    ) -> None:
        self.ledger = ledger
        self.catalog = catalog
        self.policy = policy
        self.metering = metering
        self.reminder_days = reminder_days

    async def on_tenant_change(self, session: AsyncSession, change: LifecycleChange) -> None:
        if change.kind == "attached":
            await self.attach(session, change.bot_id, reason=change.reason or "attached")
        elif change.kind == "detached":
            await self.detach(session, change.bot_id, reason=change.reason or "detached")
        elif change.kind == "suspended":
            await self.suspend(session, change.bot_id)
        elif change.kind == "resumed":
            await self.resume(session, change.bot_id)

    # ---- LINE's events --------------------------------------------------------------------------------

    async def attach(self, session: AsyncSession, bot_id: str, *, reason: str = "attached") -> None:
        """Start the trial on the first attach of this OA ever; on a re-attach restore the account (same plan,
        at today's price, no second trial, no second initial fee). A live subscription is left alone (a
        redelivered event, a re-authorization adding scopes)."""
        sub = await self.ledger.load(session, bot_id)
        if sub is not None and sub.status != S.ENDED:
            return
        await self.ledger.account(session, bot_id)
        now = self.ledger.now_ms()
        default = self.catalog.catalog.default_plan
        plan_code, interval = default.code, str(default.prices[0].interval)
        if sub is not None and sub.plan_code in self.catalog.catalog.plans:
            plan_code = sub.plan_code
            if any(p.interval == sub.interval for p in self.catalog.catalog.plan(plan_code).prices):
                interval = sub.interval
        price = self.catalog.current(plan_code, interval)
        trial = self.policy.trial_days > 0 and await self._claim_trial(session, bot_id, plan_code, now)
        target = S.TRIALING if trial else S.ACTIVE
        created = sub is None
        if sub is None:
            # Two first attaches at once (the event and the sweep's backfill): the second insert fails on the
            # primary key, its job or event is retried, and then finds this subscription.
            sub = BillingSubscriptionRow(bot_id=bot_id, status=target, created_at_ms=now)
            session.add(sub)
        sub.plan_code, sub.price_id, sub.interval = plan_code, price.price_id, interval
        sub.started_at_ms, sub.updated_at_ms, sub.coupon_json, sub.coupon_remaining = now, now, None, None
        sub.trial_ends_at_ms = now + self.policy.trial_days * DAY_MS if trial else None
        sub.resume_status = sub.paused_reason = None
        sub.period_start = sub.period_end = sub.usage_since = sub.anchor_date = None
        detail = {"trial_ends_at_ms": sub.trial_ends_at_ms} if trial else None
        await self.ledger.transition(session, sub, target, reason, new=created, detail=detail)
        if trial:
            await self.schedule_trial_jobs(session, sub)
        else:
            await self.start_period(session, sub, day_of(now), reason)

    async def detach(self, session: AsyncSession, bot_id: str, *, reason: str) -> None:
        """End the subscription; the final charge follows `policy.final_invoice`."""
        sub = await self.ledger.load(session, bot_id)
        if sub is None or sub.status == S.ENDED:
            return
        if self.policy.final_invoice != "none" and sub.status != S.TRIALING and sub.usage_since is not None:
            await self._final_charge(session, sub, reason)
        await self._end(session, sub, reason)

    async def suspend(self, session: AsyncSession, bot_id: str) -> None:
        """botSuspended: pause (with `on_suspend="pause"`): no new period is charged until botResumed."""
        if self.policy.on_suspend != "pause":
            return
        sub = await self.ledger.load(session, bot_id)
        if sub is None or sub.status in (S.PAUSED, S.ENDED):
            return
        sub.resume_status, sub.paused_reason = sub.status, "suspended"
        await self.ledger.transition(session, sub, S.PAUSED, "suspended")

    async def resume(self, session: AsyncSession, bot_id: str) -> None:
        """botResumed: back to the status it had; a period that lapsed meanwhile starts afresh today."""
        sub = await self.ledger.load(session, bot_id)
        if sub is None or sub.status != S.PAUSED or sub.paused_reason != "suspended":
            return
        await self.unpause(session, sub, "resumed")

    async def unpause(self, session: AsyncSession, sub: BillingSubscriptionRow, reason: str) -> None:
        target = S(sub.resume_status or S.ACTIVE)
        today = day_of(self.ledger.now_ms())
        sub.resume_status = sub.paused_reason = None
        lapsed = sub.period_end is None or sub.period_end <= today
        if target is S.CANCELING and lapsed:
            await self._end(session, sub, "canceled")
        elif target in BILLED and lapsed:
            await self.ledger.transition(session, sub, target, reason)
            await self.start_period(session, sub, today, reason)
        else:
            await self.ledger.transition(session, sub, target, reason)
            if target in BILLED:
                await self.schedule_renewal(session, sub)

    # ---- the clock's steps (job bodies) ---------------------------------------------------------------

    async def end_trial(self, session: AsyncSession, bot_id: str, trial_ends_at_ms: int) -> None:
        """The trial is over: `policy.trial_end` decides (while suspended, it decides what the resume brings)."""
        sub = await self.ledger.load(session, bot_id)
        if sub is None or sub.trial_ends_at_ms != trial_ends_at_ms:
            return
        status, resume = S(sub.status), sub.resume_status
        in_trial = status is S.TRIALING or (status in (S.PAUSED, S.CANCELING) and resume == S.TRIALING)
        if not in_trial:
            return
        if status is S.CANCELING:
            await self._end(session, sub, "canceled")
            return
        outcome = await self.trial_outcome(session, bot_id)
        if status is S.PAUSED:  # suspended during the trial
            if outcome in ("cancel", "detach"):
                await self._end(session, sub, "trial_ended", detach=outcome == "detach")
            else:
                sub.resume_status = S.ACTIVE
                if outcome == "pause":
                    sub.paused_reason = "trial_ended"
                await self.ledger.history(session, sub, S.PAUSED, "trial_ended", {"outcome": outcome})
                await self.ledger.emit(session, "trial.ended", sub, previous=S.PAUSED, reason="trial_ended")
            return
        if outcome == "invoice":
            await self.ledger.transition(session, sub, S.ACTIVE, "trial_ended")
            await self.start_period(session, sub, day_of(self.ledger.now_ms()), "trial_ended")
        elif outcome == "pause":
            sub.resume_status, sub.paused_reason = S.ACTIVE, "trial_ended"
            await self.ledger.transition(session, sub, S.PAUSED, "trial_ended")
        else:
            await self._end(session, sub, "trial_ended", detach=outcome == "detach")

    async def trial_outcome(self, session: AsyncSession, bot_id: str) -> str:
        """What the end of the trial does: the policy, with "auto" resolved by the account's payment method."""
        if self.policy.trial_end != "auto":
            return self.policy.trial_end
        account = await self.ledger.account(session, bot_id)
        return "invoice" if account.payment_method else "pause"

    async def remind_trial(self, session: AsyncSession, bot_id: str, trial_ends_at_ms: int, days: int) -> bool:
        """`trial.ending`, if that trial is still running; whether it is (and so whether to mail)."""
        sub = await self.ledger.load(session, bot_id)
        if sub is None or sub.status != S.TRIALING or sub.trial_ends_at_ms != trial_ends_at_ms:
            return False
        data = {"days_left": days, "trial_ends_at_ms": trial_ends_at_ms}
        await self.ledger.emit(session, "trial.ending", sub, reason="trial_reminder", data=data)
        return True

    async def renew(self, session: AsyncSession, bot_id: str, period_end: date) -> None:
        """A period ended: charge its usage, then (unless canceling, which ends now) the next period's fee. A
        paused subscription is charged its usage only; its next period starts when it resumes."""
        sub = await self.ledger.load(session, bot_id)
        if sub is None or sub.period_end != period_end or sub.status in (S.TRIALING, S.ENDED):
            return
        if day_of(self.ledger.now_ms()) < period_end:
            return  # scheduled for a later day (the clock was moved back): the job of that day does it
        terms = await self.ledger.terms(session, sub.price_id)
        usage_period = self._usage_period(sub, period_end)
        usage = await self._usage(session, sub, terms, usage_period)
        status = S(sub.status)
        key = f"renew:{bot_id}:{sub.started_at_ms}:{period_end.isoformat()}"
        if status is S.CANCELING or status is S.PAUSED:
            lines = self._lines(terms, sub, usage_period=usage_period, usage=usage, coupon=self.active_coupon(sub))
            await self.ledger.charge(session, sub, key, "usage", lines, usage_period)
            sub.usage_since = period_end
            if status is S.CANCELING:
                await self._end(session, sub, "canceled")
            return
        anchor = sub.anchor_date or period_end
        following = full_period(anchor, terms.interval_months, period_end)
        coupon = self._take_coupon(sub)
        lines = self._lines(terms, sub, fee_period=following, usage_period=usage_period, usage=usage, coupon=coupon)
        await self.ledger.charge(session, sub, key, "renewal", lines, following)
        sub.period_start, sub.period_end, sub.usage_since = following.start, following.end, period_end
        detail = {"period_start": following.start, "period_end": following.last_day}
        await self.ledger.history(session, sub, status, "renewed", detail)
        await self.ledger.emit(session, "subscription.renewed", sub, reason="renewed", data=detail)
        await self.schedule_renewal(session, sub)

    # ---- shared steps ---------------------------------------------------------------------------------

    async def start_period(self, session: AsyncSession, sub: BillingSubscriptionRow, today: date, reason: str) -> None:
        """Start paying from `today`: a new anchor (the policy's), the first period prorated to it, the initial
        fee once per account, usage not yet charged, and the renewal job."""
        terms = await self.ledger.terms(session, sub.price_id)
        sub.anchor_date = month_start(today) if self.policy.anchor == "month_start" else today
        period = period_from(sub.anchor_date, terms.interval_months, today)
        account = await self.ledger.account(session, sub.bot_id)
        initial = terms.initial_fee_yen > 0 and account.initial_fee_charged_at_ms is None
        usage_period = self._usage_period(sub, today)
        usage = await self._usage(session, sub, terms, usage_period) if usage_period else {}
        coupon = self._take_coupon(sub)
        lines = self._lines(
            terms, sub, fee_period=period, usage_period=usage_period, usage=usage, initial=initial, coupon=coupon
        )
        key = f"start:{sub.bot_id}:{sub.started_at_ms}:{self.ledger.now_ms()}"
        await self.ledger.charge(session, sub, key, reason, lines, period)
        if initial:
            account.initial_fee_charged_at_ms = self.ledger.now_ms()
        sub.period_start, sub.period_end, sub.usage_since = period.start, period.end, today
        await self.schedule_renewal(session, sub)

    def _lines(
        self,
        terms: PriceTerms,
        sub: BillingSubscriptionRow,
        *,
        fee_period: Period | None = None,
        usage_period: Period | None = None,
        usage: dict[str, int] | None = None,
        credit_period: Period | None = None,
        initial: bool = False,
        coupon: Coupon | None = None,
    ) -> list[BillableLine]:
        periods = [p for p in (fee_period, usage_period, credit_period) if p is not None]
        if not periods and not initial:
            return []
        anchor = sub.anchor_date or (periods[0].start if periods else day_of(self.ledger.now_ms()))
        return billable_lines(
            terms,
            anchor,
            fee_period=fee_period,
            usage_period=usage_period,
            usage=usage,
            credit_period=credit_period,
            initial_fee=initial,
            coupon=coupon,
        )

    def _usage_period(self, sub: BillingSubscriptionRow, until: date) -> Period | None:
        """Usage not charged yet, up to (not including) `until`."""
        if sub.usage_since is None or sub.usage_since >= until:
            return None
        return Period(sub.usage_since, until)

    async def _usage(
        self, session: AsyncSession, sub: BillingSubscriptionRow, terms: PriceTerms, period: Period | None
    ) -> dict[str, int]:
        if period is None or not terms.usage:
            return {}
        meters = [u.meter for u in terms.usage if u.meter in self.metering.catalog.meters]
        return await self.metering.aggregate_many(session, sub.bot_id, meters, period.start_ms, period.end_ms)

    async def _final_charge(self, session: AsyncSession, sub: BillingSubscriptionRow, reason: str) -> None:
        """At detach: usage up to and including today, and with "prorated" a credit for the paid days after."""
        terms = await self.ledger.terms(session, sub.price_id)
        tomorrow = day_of(self.ledger.now_ms()) + timedelta(days=1)
        usage_period = self._usage_period(sub, tomorrow)
        usage = await self._usage(session, sub, terms, usage_period)
        credit = None
        if self.policy.final_invoice == "prorated" and sub.period_end is not None and sub.period_end > tomorrow:
            credit = Period(max(tomorrow, sub.period_start or tomorrow), sub.period_end)
        lines = self._lines(
            terms, sub, usage_period=usage_period, usage=usage, credit_period=credit, coupon=self.active_coupon(sub)
        )
        key = f"final:{sub.bot_id}:{sub.started_at_ms}"
        await self.ledger.charge(session, sub, key, "final", lines, usage_period or credit)
        sub.usage_since = tomorrow

    async def _end(
        self, session: AsyncSession, sub: BillingSubscriptionRow, reason: str, *, detach: bool = False
    ) -> None:
        sub.resume_status = sub.paused_reason = None
        await self.ledger.transition(session, sub, S.ENDED, reason, detail={"detach": detach} if detach else None)
        sub.ended_at_ms, sub.ended_reason = self.ledger.now_ms(), reason
        if detach:
            await self.ledger.schedule(
                session, DETACH_JOB, {}, key=f"billing:detach:{sub.bot_id}:{sub.started_at_ms}", bot_id=sub.bot_id
            )

    def active_coupon(self, sub: BillingSubscriptionRow) -> Coupon | None:
        """The redeemed coupon while it still applies (without using an application up)."""
        if sub.coupon_json is None or sub.coupon_remaining == 0:
            return None
        return Coupon.from_json(json.loads(sub.coupon_json))

    def _take_coupon(self, sub: BillingSubscriptionRow) -> Coupon | None:
        """The coupon for a charged period, using one of its applications up."""
        coupon = self.active_coupon(sub)
        if coupon is not None and sub.coupon_remaining is not None:
            sub.coupon_remaining -= 1
        return coupon

    async def _claim_trial(self, session: AsyncSession, bot_id: str, plan_code: str, now: int) -> bool:
        """Record the trial in the ledger; False if this OA ever had one (the ledger outlives detach)."""
        if await session.get(BillingTrialRow, bot_id) is not None:
            return False
        ends = now + self.policy.trial_days * DAY_MS
        session.add(BillingTrialRow(bot_id=bot_id, plan_code=plan_code, started_at_ms=now, ends_at_ms=ends))
        return True

    async def schedule_trial_jobs(self, session: AsyncSession, sub: BillingSubscriptionRow) -> None:
        ends = sub.trial_ends_at_ms
        assert ends is not None
        now = self.ledger.now_ms()
        payload = {"trial_ends_at_ms": ends}
        await self.ledger.schedule(
            session,
            TRIAL_END_JOB,
            payload,
            key=f"billing:trial_end:{sub.bot_id}:{ends}",
            bot_id=sub.bot_id,
            run_at_ms=ends,
        )
        for days in self.reminder_days:
            at = ends - days * DAY_MS
            if at > now:
                key = f"billing:trial_reminder:{sub.bot_id}:{ends}:{days}"
                await self.ledger.schedule(
                    session, TRIAL_REMINDER_JOB, {**payload, "days": days}, key=key, bot_id=sub.bot_id, run_at_ms=at
                )

    async def schedule_renewal(self, session: AsyncSession, sub: BillingSubscriptionRow) -> None:
        if sub.period_end is None:
            return
        key = f"billing:renew:{sub.bot_id}:{sub.started_at_ms}:{sub.period_end.isoformat()}"
        await self.ledger.schedule(
            session,
            RENEW_JOB,
            {"period_end": sub.period_end.isoformat()},
            key=key,
            bot_id=sub.bot_id,
            run_at_ms=start_ms(sub.period_end),
        )
