"""Changes asked for by the operator (or the module): plan changes with a preview, cancellation at the end of
the period and its revocation, coupons; and the payment side's reports (payment method, failures, success).

A plan change is computed once by `_plan_change()`; `preview_plan_change()` returns it and writes nothing,
`change_plan()` applies the very same computation, so the preview is what the apply charges (on one clock
reading). A plan whose features need LINE scopes the OA has not granted is not applied: the answer is a
`ReauthorizationRequired` carrying the attach flow's URL that asks for them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.billing.catalog_sync import SyncedCatalog
from linemod.framework.billing.ledger import Ledger
from linemod.framework.billing.lifecycle import SubscriptionLifecycle
from linemod.framework.billing.lines import BillableLine, subtotal_yen
from linemod.framework.billing.periods import Period, day_of, month_start, period_from
from linemod.framework.billing.pricing import billable_lines
from linemod.framework.billing.records import BillingSubscriptionRow
from linemod.framework.billing.staff_coupons import active_staff_coupon
from linemod.framework.billing.states import SubscriptionStatus
from linemod.framework.settings import Settings
from linemod.framework.storage.models import Tenant

S = SubscriptionStatus


class BillingStateError(RuntimeError):
    """The subscription is in no state for this request (e.g. a plan change while past due)."""


@dataclass(frozen=True)
class PlanChangePreview:
    """What changing plan does now: `lines` (a credit for the unused days of the old plan, the new plan's
    fee for the rest of the period, a coupon's share) to be charged on `effective_date`; `period`: the paid
    period afterwards (None while trialing: nothing is charged)."""

    bot_id: str
    from_plan: str
    to_plan: str
    from_interval: str
    to_interval: str
    effective_date: date
    lines: tuple[BillableLine, ...]
    period: Period | None

    @property
    def subtotal_yen(self) -> int:
        return subtotal_yen(list(self.lines))


@dataclass(frozen=True)
class ReauthorizationRequired:
    """The plan needs LINE scopes the OA has not granted: send its admin to `url` (the attach flow, asking
    for `missing_scopes`); nothing was changed."""

    bot_id: str
    plan_code: str
    missing_scopes: frozenset[str]
    url: str


class SubscriptionChanges:
    def __init__(self, ledger: Ledger, catalog: SyncedCatalog, lifecycle: SubscriptionLifecycle, settings: Settings):
        self.ledger = ledger
        self.catalog = catalog
        self.lifecycle = lifecycle
        self.settings = settings

    # ---- plan changes ---------------------------------------------------------------------------------

    async def preview_plan_change(
        self, session: AsyncSession, bot_id: str, plan_code: str, interval: str | None = None
    ) -> PlanChangePreview | ReauthorizationRequired:
        """What `change_plan` would charge now; writes nothing."""
        sub = await self._require(session, bot_id)
        needed = await self._missing_scopes(session, bot_id, plan_code)
        if needed is not None:
            return needed
        preview, _ = await self._plan_change(sub, plan_code, interval, session)
        return preview

    async def change_plan(
        self, session: AsyncSession, bot_id: str, plan_code: str, interval: str | None = None
    ) -> PlanChangePreview | ReauthorizationRequired:
        """Change plan now (prorated by day); returns what was charged, or the re-authorization needed."""
        sub = await self._require(session, bot_id)
        needed = await self._missing_scopes(session, bot_id, plan_code)
        if needed is not None:
            return needed
        preview, anchor = await self._plan_change(sub, plan_code, interval, session)
        old_end = sub.period_end
        from_plan, from_interval = sub.plan_code, sub.interval
        current = self.catalog.current(preview.to_plan, preview.to_interval)
        sub.plan_code, sub.price_id, sub.interval = preview.to_plan, current.price_id, preview.to_interval
        if preview.period is not None:
            sub.anchor_date = anchor
            if preview.period.end != old_end:
                sub.period_start = preview.period.start
            sub.period_end = preview.period.end
            key = f"plan_change:{bot_id}:{sub.started_at_ms}:{self.ledger.now_ms()}"
            await self.ledger.charge(session, sub, key, "plan_change", preview.lines, preview.period)
        detail = {
            "from_plan": from_plan,
            "to_plan": sub.plan_code,
            "from_interval": from_interval,
            "to_interval": sub.interval,
            "subtotal_yen": preview.subtotal_yen,
        }
        status = S(sub.status)
        sub.updated_at_ms = self.ledger.now_ms()
        await self.ledger.history(session, sub, status, "plan_changed", detail)
        await self.ledger.emit(session, "subscription.plan_changed", sub, reason="plan_changed", data=detail)
        if preview.period is not None and preview.period.end != old_end:
            await self.lifecycle.schedule_renewal(session, sub)
        return preview

    async def _plan_change(
        self, sub: BillingSubscriptionRow, plan_code: str, interval: str | None, session: AsyncSession
    ) -> tuple[PlanChangePreview, date | None]:
        status = S(sub.status)
        in_trial = status is S.TRIALING or (status is S.CANCELING and sub.resume_status == S.TRIALING)
        if not in_trial and status not in (S.ACTIVE, S.CANCELING):
            raise BillingStateError(f"a {status} subscription cannot change plan (settle payment or resume it first)")
        plan = self.catalog.catalog.plan(plan_code)
        if interval is None:
            interval = sub.interval if any(p.interval == sub.interval for p in plan.prices) else plan.prices[0].interval
        current = self.catalog.current(plan_code, interval)
        if current.price_id == sub.price_id:
            raise BillingStateError(f"{sub.bot_id} is on plan {plan_code} ({interval}ly) at this price already")
        today = day_of(self.ledger.now_ms())

        def preview(lines: tuple[BillableLine, ...], period: Period | None) -> PlanChangePreview:
            assert interval is not None
            return PlanChangePreview(sub.bot_id, sub.plan_code, plan_code, sub.interval, interval, today, lines, period)

        if in_trial:
            return preview((), None), None
        if sub.period_end is None or sub.period_end <= today or sub.anchor_date is None:
            raise BillingStateError(f"{sub.bot_id}'s renewal is due: retry once it has run")
        old_terms = await self.ledger.terms(session, sub.price_id)
        unused = Period(today, sub.period_end)
        if interval == sub.interval:
            anchor, period = sub.anchor_date, unused
        else:  # a new rhythm starts today, as on a first activation
            anchor = month_start(today) if self.lifecycle.policy.anchor == "month_start" else today
            period = period_from(anchor, current.terms.interval_months, today)
        lines = billable_lines(
            current.terms,
            anchor,
            fee_period=period,
            credit_period=unused,
            credit_terms=old_terms,
            credit_anchor=sub.anchor_date,
            coupon=self.lifecycle.active_coupon(sub),
        )
        return preview(tuple(lines), period), anchor

    async def _missing_scopes(
        self, session: AsyncSession, bot_id: str, plan_code: str
    ) -> ReauthorizationRequired | None:
        required = self.catalog.rules_of(plan_code).required_scopes
        tenant = await session.get(Tenant, bot_id)
        granted = set(json.loads(tenant.scopes_json)) if tenant is not None and tenant.scopes_json else None
        if not required or granted is None:  # unknown scopes (found by reconciliation): LINE will tell
            return None
        missing = frozenset(required - granted)
        if not missing:
            return None
        query = urlencode([("bot_id", bot_id), *(("add_scope", scope) for scope in sorted(missing))])
        url = f"{self.settings.public_base_url.rstrip('/')}{self.settings.attach_path}/start?{query}"
        return ReauthorizationRequired(bot_id, plan_code, missing, url)

    # ---- cancellation and coupons ---------------------------------------------------------------------

    async def cancel_at_period_end(self, session: AsyncSession, bot_id: str) -> None:
        """End the subscription when its paid period (or trial) ends; revocable with `resume`."""
        sub = await self._require(session, bot_id)
        if sub.status == S.CANCELING:
            return
        if sub.status not in (S.TRIALING, S.ACTIVE):
            raise BillingStateError(f"a {sub.status} subscription cannot be canceled at period end")
        sub.resume_status = sub.status
        ends = sub.trial_ends_at_ms if sub.status == S.TRIALING else sub.period_end
        await self.ledger.transition(session, sub, S.CANCELING, "cancel_requested", detail={"ends": ends})

    async def resume(self, session: AsyncSession, bot_id: str) -> None:
        """Revoke a cancellation before the period ends."""
        sub = await self._require(session, bot_id)
        if sub.status != S.CANCELING:
            raise BillingStateError(f"only a canceling subscription can be resumed, not a {sub.status} one")
        target = S(sub.resume_status or S.ACTIVE)
        sub.resume_status = None
        await self.ledger.transition(session, sub, target, "cancel_revoked")

    async def redeem_coupon(self, session: AsyncSession, bot_id: str, code: str) -> None:
        """Apply a declared coupon, or an active one staff created (replacing any other), from the next charged
        period on."""
        sub = await self._require(session, bot_id)
        coupon = self.catalog.catalog.coupons.get(code) or await active_staff_coupon(session, code)
        if coupon is None:
            raise LookupError(f"no coupon {code!r}")
        sub.coupon_json = json.dumps(coupon.to_json(), ensure_ascii=False)
        sub.coupon_remaining = coupon.applications("year" if sub.interval == "year" else "month")
        sub.updated_at_ms = self.ledger.now_ms()
        await self.ledger.history(session, sub, S(sub.status), "coupon_redeemed", {"coupon": code})

    # ---- what the payment side reports ------------------------------------------------------------------

    async def set_payment_method(self, session: AsyncSession, bot_id: str, method: str | None) -> None:
        """The account can pay (`method`, e.g. "card") or no longer can (None). A subscription paused because
        its trial ended without one becomes active now."""
        account = await self.ledger.account(session, bot_id)
        account.payment_method, account.updated_at_ms = method, self.ledger.now_ms()
        sub = await self.ledger.load(session, bot_id)
        if method and sub is not None and sub.status == S.PAUSED and sub.paused_reason == "trial_ended":
            await self.lifecycle.unpause(session, sub, "payment_method_added")

    async def payment_failed(self, session: AsyncSession, bot_id: str, detail: dict[str, Any] | None = None) -> None:
        """A charge could not be collected: active (or canceling) → past_due, and `payment.failed`."""
        sub = await self._require(session, bot_id)
        await self.ledger.emit(session, "payment.failed", sub, reason="payment_failed", data=detail)
        if sub.status in (S.ACTIVE, S.CANCELING):
            await self.ledger.transition(session, sub, S.PAST_DUE, "payment_failed", detail=detail)

    async def restrict(self, session: AsyncSession, bot_id: str, detail: dict[str, Any] | None = None) -> None:
        """Dunning gave up for now: past_due → restricted (entitlements fall back to the restricted set)."""
        sub = await self._require(session, bot_id)
        if sub.status == S.PAST_DUE:
            await self.ledger.transition(session, sub, S.RESTRICTED, "grace_period_over", detail=detail)

    async def payment_succeeded(self, session: AsyncSession, bot_id: str, detail: dict[str, Any] | None = None) -> None:
        """What was owed is paid: past_due or restricted → active, and `payment.succeeded`."""
        sub = await self._require(session, bot_id)
        await self.ledger.emit(session, "payment.succeeded", sub, reason="payment_succeeded", data=detail)
        if sub.status in (S.PAST_DUE, S.RESTRICTED):
            await self.ledger.transition(session, sub, S.ACTIVE, "payment_succeeded", detail=detail)

    async def _require(self, session: AsyncSession, bot_id: str) -> BillingSubscriptionRow:
        sub = await self.ledger.load(session, bot_id)
        if sub is None:
            raise BillingStateError(f"OA {bot_id} has no subscription")
        return sub
