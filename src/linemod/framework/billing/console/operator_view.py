"""What the operator's billing overview shows, read from the billing engine: the plan and its price with and
without tax, the trial's days left, the next invoice as it stands today (the next period's fee and the usage
so far per meter), the OA's LINE message quota and what the module sent, the payment method, the billing
profile and the invoices and receipts.

Everything here reads; nothing is written. Amounts are integer yen; tax is computed as the invoice computes
it (once per rate, rounded down), so the preview's total is what the invoice will say for the same lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.billing.billing_contacts import BillingContact, contact_of
from linemod.framework.billing.collection_records import CollectionRow
from linemod.framework.billing.invoicing.tax import RateTotals, Rounding, tax_on_net, totals_per_rate
from linemod.framework.billing.line_usage import MESSAGE_KINDS
from linemod.framework.billing.lines import BillableLine
from linemod.framework.billing.payments.dunning import DAY_MS
from linemod.framework.billing.payments.provider import SavedPaymentMethod
from linemod.framework.billing.periods import Period, day_of, start_ms
from linemod.framework.billing.pricing import PriceTerms, charge_lines
from linemod.framework.billing.records import BillingAccountRow, BillingLineQuotaRow, BillingSubscriptionRow
from linemod.framework.billing.service import BillingService
from linemod.framework.billing.states import SubscriptionStatus

S = SubscriptionStatus
INVOICES_SHOWN = 24
"""Two years of monthly invoices: older ones are in the mails and with the provider."""


@dataclass(frozen=True)
class PriceView:
    """A price as the operator reads it: without tax, the tax, with tax (tax rounded down, as on invoices)."""

    net: int
    rate: int
    tax: int

    @property
    def gross(self) -> int:
        return self.net + self.tax

    @classmethod
    def of(cls, net: int, rate: int) -> PriceView:
        return cls(net, rate, tax_on_net(net, rate, Rounding.FLOOR))


@dataclass(frozen=True)
class MeterUsage:
    meter: str
    name_ja: str
    name_en: str
    used: int
    included: int
    unit_price_yen: int


@dataclass(frozen=True)
class NextInvoice:
    """The next invoice as it stands today: the next period's fee (None when the
    subscription ends instead) and the usage so far since `usage_since`. Issued on `on`."""

    on: date | None
    lines: tuple[BillableLine, ...]
    usage: tuple[MeterUsage, ...]
    usage_since: date
    totals: tuple[RateTotals, ...]

    @property
    def net(self) -> int:
        return sum(t.net for t in self.totals)

    @property
    def tax(self) -> int:
        return sum(t.tax for t in self.totals)

    @property
    def gross(self) -> int:
        return sum(t.gross for t in self.totals)


@dataclass(frozen=True)
class LineQuota:
    """LINE's monthly message quota of the OA (None: unlimited or not read yet) and its consumption as LINE
    last reported it, beside what this module sent this month (recipients)."""

    month: str
    quota: int | None
    quota_type: str | None
    consumed: int | None
    read_at_ms: int | None
    sent_by_module: int


# A coupon is for the periods still to be charged: any state that will charge one (not an ended subscription).
COUPON_STATES = (S.TRIALING, S.ACTIVE, S.PAST_DUE, S.RESTRICTED, S.CANCELING, S.PAUSED)


@dataclass(frozen=True)
class InvoiceEntry:
    collection_id: int
    invoice_id: int
    number: str
    amount_yen: int
    status: str
    method: str
    due_date: date | None
    receipt_id: int | None


@dataclass(frozen=True)
class BillingOverview:
    sub: BillingSubscriptionRow
    terms: PriceTerms
    price: PriceView
    trial_days_left: int | None
    trial_ends_on: date | None
    period_last_day: date | None
    next_invoice: NextInvoice
    quota: LineQuota
    payment_method: str | None
    card: SavedPaymentMethod | None
    contact: BillingContact | None
    invoices: tuple[InvoiceEntry, ...]
    cards_enabled: bool
    invoicing_enabled: bool

    @property
    def status(self) -> str:
        return self.sub.status

    @property
    def can_change_plan(self) -> bool:
        return self.status in (S.TRIALING, S.ACTIVE, S.CANCELING)

    @property
    def can_redeem_coupon(self) -> bool:
        return self.status in COUPON_STATES

    @property
    def can_cancel(self) -> bool:
        return self.status in (S.TRIALING, S.ACTIVE)

    @property
    def can_resume(self) -> bool:
        return self.status == S.CANCELING


async def billing_overview(service: BillingService, session: AsyncSession, bot_id: str) -> BillingOverview | None:
    """The overview of `bot_id`'s billing; None when it has no subscription (yet)."""
    sub = await session.get(BillingSubscriptionRow, bot_id)
    if sub is None:
        return None
    now = service.clock.now_ms()
    today = day_of(now)
    terms = await service.ledger.terms(session, sub.price_id)
    trial_days_left, trial_ends_on = None, None
    if sub.trial_ends_at_ms is not None and (sub.status == S.TRIALING or sub.resume_status == S.TRIALING):
        trial_days_left = max(0, -(-(sub.trial_ends_at_ms - now) // DAY_MS))
        trial_ends_on = day_of(sub.trial_ends_at_ms)
    period_last_day = None
    if sub.period_start and sub.period_end and sub.period_end > sub.period_start:
        period_last_day = Period(sub.period_start, sub.period_end).last_day
    collection = service.collection
    account = await session.get(BillingAccountRow, bot_id)
    card = await collection.cards.default_card(bot_id) if collection is not None and collection.cards else None
    return BillingOverview(
        sub=sub,
        terms=terms,
        price=PriceView.of(terms.amount_yen, terms.tax_rate_percent),
        trial_days_left=trial_days_left,
        trial_ends_on=trial_ends_on,
        period_last_day=period_last_day,
        next_invoice=await _next_invoice(service, session, sub, terms, today, trial_ends_on),
        quota=await _line_quota(service, session, bot_id, now),
        payment_method=account.payment_method if account is not None else None,
        card=card,
        contact=await contact_of(session, bot_id),
        invoices=await _invoices(session, bot_id),
        cards_enabled=collection is not None and collection.cards is not None,
        invoicing_enabled=collection is not None,
    )


async def _next_invoice(
    service: BillingService,
    session: AsyncSession,
    sub: BillingSubscriptionRow,
    terms: PriceTerms,
    today: date,
    trial_ends_on: date | None,
) -> NextInvoice:
    since = sub.usage_since or sub.period_start or day_of(sub.started_at_ms)
    since = min(since, today)
    window = Period(since, today + timedelta(days=1))
    usage: list[MeterUsage] = []
    lines: list[BillableLine] = []
    ends = sub.status == S.CANCELING
    next_date = trial_ends_on if trial_ends_on is not None else sub.period_end
    if not ends and sub.status not in (S.ENDED, S.PAUSED):
        lines.append(
            BillableLine(f"{terms.plan_name_ja}（次回分）", f"{terms.plan_name_en} (next period)", 1,
                         terms.amount_yen, terms.tax_rate_percent)
        )
    for charge in terms.usage:
        name_ja, name_en = terms.meter_names.get(charge.meter, (charge.meter, charge.meter))
        used = await service.metering.aggregate(session, sub.bot_id, charge.meter, window.start_ms,
                                                start_ms(window.end))
        usage.append(MeterUsage(charge.meter, name_ja, name_en, used, charge.included, charge.unit_price_yen))
        lines.extend(charge_lines(charge, used, window, name_ja, name_en))
    totals = totals_per_rate(((line.tax_rate_percent, line.amount_yen) for line in lines),
                             prices_include_tax=False, rounding=Rounding.FLOOR)
    return NextInvoice(next_date, tuple(lines), tuple(usage), since, totals)


async def _line_quota(service: BillingService, session: AsyncSession, bot_id: str, now: int) -> LineQuota:
    today = day_of(now)
    month = today.strftime("%Y-%m")
    row = await session.get(BillingLineQuotaRow, (bot_id, month))
    first = start_ms(today.replace(day=1))
    sent = 0
    for kind in MESSAGE_KINDS:
        sent += await service.metering.aggregate(session, bot_id, f"line.messages.{kind}", first, now + 1)
    if row is None:
        return LineQuota(month, None, None, None, None, sent)
    return LineQuota(month, row.quota_value, row.quota_type, row.total_usage, row.read_at_ms, sent)


async def _invoices(session: AsyncSession, bot_id: str) -> tuple[InvoiceEntry, ...]:
    rows = await session.scalars(
        select(CollectionRow)
        .where(CollectionRow.bot_id == bot_id, CollectionRow.invoice_id.is_not(None))
        .order_by(CollectionRow.id.desc())
        .limit(INVOICES_SHOWN)
    )
    return tuple(
        InvoiceEntry(row.id, row.invoice_id, row.invoice_number or "", row.amount_yen, row.status, row.method,
                     row.due_date, row.receipt_id)
        for row in rows
        if row.invoice_id is not None
    )
