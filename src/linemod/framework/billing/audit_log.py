"""Who did what to billing, when, on one trail over these sources:

- staff actions in the provider console (`billing_audit_log`, written here): a transfer marked paid, a
  refund, a manual invoice or credit, a coupon created or deactivated, a statement imported, a credit
  assigned; with the staff member, the OA, and the state before and after;
- the invoice engine's change log (`invoice_changes`): every document created, issued, paid, voided or
  returned, with its actor (`staff:{email}` when the console did it, else `system`);
- the subscription history (`billing_subscription_history`): every status change the engine made;
- payments and refunds (`payments`, `payment_refunds`): every card charge and retry with its outcome, every
  transfer recorded (by the staff member who recorded it), every refund.

The engine's sources already keep who, when and before/after; copying them into another table would only
make two records that can disagree, so the trail reads them where they are.

A console form carries a one-time key (`request_key`). The audit row is written with it *before* the action
runs, in its own transaction: the key is unique, so a form sent twice (a double click, a reload after a
timeout) finds the key taken and does nothing the second time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.billing.invoicing.records import InvoiceChangeRow, InvoiceRow
from linemod.framework.billing.payments.records import PaymentRow, RefundRow
from linemod.framework.billing.records import BillingHistoryRow
from linemod.framework.billing.staff_records import BillingAuditRow
from linemod.framework.storage.database import Database
from linemod.framework.storage.models import Account

SYSTEM = "system"


def staff_actor(email: str) -> str:
    return f"staff:{email}"


@dataclass(frozen=True)
class AuditEntry:
    at_ms: int
    actor: str
    action: str
    source: str  # "console", "invoice", "subscription" or "payment"
    bot_id: str | None
    subject: str | None
    before: Any
    after: Any

    @property
    def before_text(self) -> str:
        return "" if self.before is None else json.dumps(self.before, ensure_ascii=False, sort_keys=True)

    @property
    def after_text(self) -> str:
        return "" if self.after is None else json.dumps(self.after, ensure_ascii=False, sort_keys=True)


def _dumps(value: Mapping[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(dict(value), ensure_ascii=False, default=str, sort_keys=True)


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


async def record_action(
    session: AsyncSession,
    *,
    at_ms: int,
    actor: str,
    action: str,
    bot_id: str | None = None,
    subject: str | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    request_key: str | None = None,
) -> None:
    session.add(BillingAuditRow(
        at_ms=at_ms, actor=actor[:255], action=action, bot_id=bot_id, subject=subject and subject[:255],
        before_json=_dumps(before), after_json=_dumps(after), request_key=request_key,
    ))


async def claim_request(db: Database, request_key: str, **entry: Any) -> bool:
    """Write the audit row of an action about to run, keyed by its form's one-time key; False when that
    key was used already (the action was requested before and must not run again)."""
    try:
        async with db.transaction() as session:
            await record_action(session, request_key=request_key, **entry)
    except IntegrityError:
        return False
    return True


async def audit_trail(db: Database, *, bot_id: str | None = None, limit: int = 200) -> list[AuditEntry]:
    """The newest `limit` entries of all three sources (of one OA, or all), newest first."""
    async with db.session() as session:
        staff = select(BillingAuditRow).order_by(BillingAuditRow.at_ms.desc(), BillingAuditRow.id.desc())
        history = select(BillingHistoryRow).order_by(BillingHistoryRow.at_ms.desc(), BillingHistoryRow.id.desc())
        changes = (
            select(InvoiceChangeRow, InvoiceRow.bot_id, InvoiceRow.number, InvoiceRow.kind)
            .join(InvoiceRow, InvoiceRow.id == InvoiceChangeRow.invoice_id)
            .order_by(InvoiceChangeRow.at_ms.desc(), InvoiceChangeRow.id.desc())
        )
        if bot_id is not None:
            staff = staff.where(BillingAuditRow.bot_id == bot_id)
            history = history.where(BillingHistoryRow.bot_id == bot_id)
            changes = changes.where(InvoiceRow.bot_id == bot_id)
        entries = [
            AuditEntry(row.at_ms, row.actor, row.action, "console", row.bot_id, row.subject,
                       _loads(row.before_json), _loads(row.after_json))
            for row in await session.scalars(staff.limit(limit))
        ]
        entries += [
            AuditEntry(row.at_ms, SYSTEM, f"subscription.{row.reason}", "subscription", row.bot_id, row.plan_code,
                       {"status": row.from_status}, {"status": row.to_status, **(_loads(row.detail_json) or {})})
            for row in await session.scalars(history.limit(limit))
        ]
        for change, change_bot, number, kind in await session.execute(changes.limit(limit)):
            entries.append(AuditEntry(
                change.at_ms, change.actor, f"{kind}.{change.action}", "invoice", change_bot,
                number or f"#{change.invoice_id}", _loads(change.before_json),
                _loads(change.after_json) if change.reason is None
                else {**(_loads(change.after_json) or {}), "reason": change.reason},
            ))
        entries += await _payments(session, bot_id, limit)
    entries.sort(key=lambda entry: entry.at_ms, reverse=True)
    return entries[:limit]


async def _payments(session: AsyncSession, bot_id: str | None, limit: int) -> list[AuditEntry]:
    """Payments (card charges and their retries, transfers recorded) and refunds, as they stand: who recorded
    a transfer is its staff member, a card charge is the engine's."""
    payments = select(PaymentRow, Account.email).outerjoin(Account, Account.id == PaymentRow.recorded_by)
    refunds = select(RefundRow, PaymentRow).join(PaymentRow, PaymentRow.id == RefundRow.payment_id)
    if bot_id is not None:
        payments = payments.where(PaymentRow.bot_id == bot_id)
        refunds = refunds.where(PaymentRow.bot_id == bot_id)
    entries = [
        AuditEntry(
            payment.updated_at_ms, staff_actor(email) if email else SYSTEM, f"payment.{payment.method}", "payment",
            payment.bot_id, f"#{payment.invoice_id}", None,
            {"status": payment.status, "amount_yen": payment.amount_yen, "attempt": payment.attempt,
             **({"decline_code": payment.decline_code} if payment.decline_code else {})},
        )
        for payment, email in await session.execute(
            payments.order_by(PaymentRow.updated_at_ms.desc(), PaymentRow.id.desc()).limit(limit)
        )
    ]
    entries += [
        AuditEntry(refund.updated_at_ms, SYSTEM, "refund.card", "payment", payment.bot_id, f"#{payment.invoice_id}",
                   None, {"status": refund.status, "amount_yen": refund.amount_yen, "key": refund.idempotency_key})
        for refund, payment in await session.execute(
            refunds.order_by(RefundRow.updated_at_ms.desc(), RefundRow.id.desc()).limit(limit)
        )
    ]
    return entries
