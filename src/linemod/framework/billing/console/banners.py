"""The billing notice across the operator console: every page of an OA says when its trial is about to end,
when a payment failed, when the subscription is restricted or paused for want of a payment method, with
the action that ends it (the pay-now link the mails carry, or the billing page).

Read once per OA page (`web.oa` sets `OaAccess.billing_notice`), with one primary-key read.
"""

from __future__ import annotations

from dataclasses import dataclass

from linemod.framework.billing.payments.dunning import DAY_MS
from linemod.framework.billing.records import BillingSubscriptionRow
from linemod.framework.billing.states import SubscriptionStatus
from linemod.framework.runtime import Runtime

S = SubscriptionStatus
TRIAL_NOTICE_DAYS = 7
"""A trial ending within this many days is announced (the first trial reminder mail goes out then too)."""


@dataclass(frozen=True)
class BillingNotice:
    """`kind`: "trial_ending", "payment_failed", "restricted" or "paused"; `pay_url`: the signed pay-now link
    (None when nothing is owed, or no invoices are issued); `days_left`: of the trial."""

    kind: str
    billing_url: str
    pay_url: str | None = None
    days_left: int | None = None


async def billing_notice(runtime: Runtime, bot_id: str) -> BillingNotice | None:
    billing = runtime.billing
    if billing is None or not billing.subscriptions_enabled:
        return None
    async with runtime.db.session() as session:
        sub = await session.get(BillingSubscriptionRow, bot_id)
    if sub is None:
        return None
    page = f"/console/oas/{bot_id}/billing"
    collection = billing.collection
    pay_url = collection.links.url(bot_id) if collection is not None else None
    status = S(sub.status)
    if status is S.TRIALING and sub.trial_ends_at_ms is not None:
        left_ms = sub.trial_ends_at_ms - runtime.clock.now_ms()
        if left_ms <= TRIAL_NOTICE_DAYS * DAY_MS:
            return BillingNotice("trial_ending", page, days_left=max(0, -(-left_ms // DAY_MS)))
    if status is S.PAST_DUE:
        return BillingNotice("payment_failed", page, pay_url)
    if status is S.RESTRICTED:
        return BillingNotice("restricted", page, pay_url)
    if status is S.PAUSED and sub.paused_reason == "trial_ended":
        return BillingNotice("paused", page)
    return None
