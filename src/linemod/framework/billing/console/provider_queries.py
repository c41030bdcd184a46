"""What the provider's billing pages read: the dashboard's figures and lists, a tenant's billing, and the
invoices waiting for a bank transfer. Reading only; every change goes through the billing engine."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from linemod.framework.billing.collection_records import UNPAID, CollectionRow
from linemod.framework.billing.invoicing.records import InvoiceRow
from linemod.framework.billing.metrics import HistoryPoint, MonthFigures, PriceValue, last_months, monthly_figures
from linemod.framework.billing.payments.records import PaymentRow, PaymentStatus
from linemod.framework.billing.periods import day_of
from linemod.framework.billing.records import BillingHistoryRow, BillingPriceRow, BillingSubscriptionRow
from linemod.framework.billing.states import SubscriptionStatus
from linemod.framework.storage.database import Database
from linemod.framework.storage.models import Tenant

DAY_MS = 86_400_000
CHART_MONTHS = 12
TRIAL_SOON_DAYS = 14
FAILED = (PaymentStatus.DECLINED, PaymentStatus.HARD_DECLINED, PaymentStatus.REQUIRES_ACTION, PaymentStatus.ERROR)


@dataclass(frozen=True)
class TenantLine:
    """A subscription in a dashboard list, with the OA's name."""

    bot_id: str
    name: str
    status: str
    plan_code: str
    at_ms: int | None  # the trial's end, or when it entered its status


@dataclass(frozen=True)
class FailedPayment:
    bot_id: str | None
    name: str
    invoice_id: str
    invoice_number: str
    amount_yen: int
    status: str
    message: str | None
    at_ms: int


@dataclass(frozen=True)
class Dashboard:
    figures: list[MonthFigures]
    trials_ending: list[TenantLine]
    past_due: list[TenantLine]
    failed_payments: list[FailedPayment]


@dataclass(frozen=True)
class HistoryLine:
    at_ms: int
    from_status: str | None
    to_status: str
    reason: str
    plan_code: str
    detail: dict[str, Any]


async def _names(db: Database, bot_ids: set[str]) -> dict[str, str]:
    if not bot_ids:
        return {}
    async with db.session() as session:
        rows = await session.execute(
            select(Tenant.bot_id, Tenant.display_name, Tenant.basic_id).where(Tenant.bot_id.in_(sorted(bot_ids)))
        )
        return {bot: name or basic or bot for bot, name, basic in rows}


async def _numbers(db: Database, invoice_ids: set[str]) -> dict[str, str]:
    """Invoice numbers by the invoice IDs payments carry (as text: the payment tables do not depend on the
    invoice engine's)."""
    ids = [int(text) for text in invoice_ids if text.isdigit() and len(text) < 19]
    if not ids:
        return {}
    async with db.session() as session:
        rows = await session.execute(select(InvoiceRow.id, InvoiceRow.number).where(InvoiceRow.id.in_(ids)))
        return {str(row_id): number for row_id, number in rows if number}


async def dashboard(db: Database, now_ms: int) -> Dashboard:
    async with db.session() as session:
        history = [
            HistoryPoint(row.bot_id, row.at_ms, row.from_status, row.to_status, row.price_id)
            for row in await session.scalars(select(BillingHistoryRow).order_by(BillingHistoryRow.id))
        ]
        prices = {
            row.id: PriceValue(row.amount_yen, row.interval) for row in await session.scalars(select(BillingPriceRow))
        }
        trialing = list(await session.scalars(
            select(BillingSubscriptionRow)
            .where(BillingSubscriptionRow.status == SubscriptionStatus.TRIALING,
                   BillingSubscriptionRow.trial_ends_at_ms <= now_ms + TRIAL_SOON_DAYS * DAY_MS)
            .order_by(BillingSubscriptionRow.trial_ends_at_ms)
        ))
        unpaid = list(await session.scalars(
            select(BillingSubscriptionRow)
            .where(BillingSubscriptionRow.status.in_([SubscriptionStatus.PAST_DUE, SubscriptionStatus.RESTRICTED]))
            .order_by(BillingSubscriptionRow.updated_at_ms)
        ))
        failed = list(await session.scalars(
            select(PaymentRow).where(PaymentRow.status.in_([s.value for s in FAILED]))
            .order_by(PaymentRow.updated_at_ms.desc()).limit(20)
        ))
    names = await _names(db, {s.bot_id for s in trialing + unpaid} | {p.bot_id for p in failed if p.bot_id})
    numbers = await _numbers(db, {p.invoice_id for p in failed})
    figures = monthly_figures(history, prices, last_months(day_of(now_ms), CHART_MONTHS), now_ms)

    def line(sub: BillingSubscriptionRow, at_ms: int | None) -> TenantLine:
        return TenantLine(sub.bot_id, names.get(sub.bot_id, sub.bot_id), sub.status, sub.plan_code, at_ms)

    return Dashboard(
        figures=figures,
        trials_ending=[line(sub, sub.trial_ends_at_ms) for sub in trialing],
        past_due=[line(sub, sub.updated_at_ms) for sub in unpaid],
        failed_payments=[
            FailedPayment(p.bot_id, names.get(p.bot_id or "", p.bot_id or "-"), p.invoice_id,
                          numbers.get(p.invoice_id, f"#{p.invoice_id}"), p.amount_yen, p.status, p.message,
                          p.updated_at_ms)
            for p in failed
        ],
    )


async def subscription_of(db: Database, bot_id: str) -> BillingSubscriptionRow | None:
    async with db.session() as session:
        return await session.get(BillingSubscriptionRow, bot_id)


async def history_of(db: Database, bot_id: str) -> list[HistoryLine]:
    """The subscription's history, newest first."""
    async with db.session() as session:
        rows = await session.scalars(
            select(BillingHistoryRow).where(BillingHistoryRow.bot_id == bot_id).order_by(BillingHistoryRow.id.desc())
        )
        return [
            HistoryLine(row.at_ms, row.from_status, row.to_status, row.reason, row.plan_code,
                        json.loads(row.detail_json or "{}"))
            for row in rows
        ]


@dataclass(frozen=True)
class OpenTransfer:
    """An issued invoice waiting for its bank transfer."""

    collection_id: int
    bot_id: str
    name: str
    invoice_id: int
    number: str
    amount_yen: int
    due_date: date | None
    status: str


async def open_transfers(db: Database, bot_id: str | None = None) -> list[OpenTransfer]:
    query = select(CollectionRow).where(
        CollectionRow.status.in_(UNPAID), CollectionRow.invoice_id.is_not(None), CollectionRow.method == "bank_transfer"
    )
    if bot_id is not None:
        query = query.where(CollectionRow.bot_id == bot_id)
    async with db.session() as session:
        runs = list(await session.scalars(query.order_by(CollectionRow.due_date, CollectionRow.id)))
    names = await _names(db, {run.bot_id for run in runs})
    return [
        OpenTransfer(run.id, run.bot_id, names.get(run.bot_id, run.bot_id), run.invoice_id or 0,
                     run.invoice_number or "", run.amount_yen, run.due_date, run.status)
        for run in runs
    ]
