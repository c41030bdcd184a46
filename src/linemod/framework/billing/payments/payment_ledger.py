"""What has been paid: the payments of an invoice, card or bank transfer, as read-only records.

Both collectors write `payments` rows (`card_payments.py`, `bank_transfer.py`); this module reads them for the
rest of billing (is the invoice paid? what did attempt 2 end as?) and allocates attempt numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.billing.payments.provider import ChargeOutcome, ChargeResult
from linemod.framework.billing.payments.records import PaymentRow, PaymentStatus, RefundRow
from linemod.framework.storage.database import Database


@dataclass(frozen=True)
class PaymentRecord:
    id: int
    invoice_id: str
    attempt: int
    method: str
    status: PaymentStatus
    amount_yen: int
    bot_id: str | None
    provider_payment_id: str | None
    paid_on: date | None
    note: str | None
    created_at_ms: int
    updated_at_ms: int

    @classmethod
    def from_row(cls, row: PaymentRow) -> PaymentRecord:
        return cls(
            id=row.id,
            invoice_id=row.invoice_id,
            attempt=row.attempt,
            method=row.method,
            status=PaymentStatus(row.status),
            amount_yen=row.amount_yen,
            bot_id=row.bot_id,
            provider_payment_id=row.provider_payment_id,
            paid_on=row.paid_on,
            note=row.note,
            created_at_ms=row.created_at_ms,
            updated_at_ms=row.updated_at_ms,
        )


_OUTCOME_STATUS = {
    ChargeOutcome.SUCCEEDED: PaymentStatus.SUCCEEDED,
    ChargeOutcome.DECLINED: PaymentStatus.DECLINED,
    ChargeOutcome.HARD_DECLINED: PaymentStatus.HARD_DECLINED,
    ChargeOutcome.REQUIRES_ACTION: PaymentStatus.REQUIRES_ACTION,
    ChargeOutcome.PROCESSING: PaymentStatus.PROCESSING,
}
_STATUS_OUTCOME = {status: outcome for outcome, status in _OUTCOME_STATUS.items()}


def status_of(outcome: ChargeOutcome) -> PaymentStatus:
    return _OUTCOME_STATUS[outcome]


def stored_result(row: PaymentRow) -> ChargeResult | None:
    """What a settled card attempt ended as (None while pending or after a provider error)."""
    outcome = _STATUS_OUTCOME.get(PaymentStatus(row.status))
    if outcome is None:
        return None
    return ChargeResult(
        outcome,
        amount_yen=row.amount_yen,
        payment_id=row.provider_payment_id,
        charge_id=row.provider_charge_id,
        failure_code=row.failure_code,
        decline_code=row.decline_code,
        message=row.message,
    )


async def next_attempt(session: AsyncSession, invoice_id: str, method: str) -> int:
    """One more than the invoice's highest attempt by `method`. Two writers may compute the same number: the
    unique (invoice, method, attempt) constraint makes the second one fail rather than share it."""
    highest = await session.scalar(
        select(func.max(PaymentRow.attempt)).where(PaymentRow.invoice_id == invoice_id, PaymentRow.method == method)
    )
    return int(highest or 0) + 1


class PaymentLedger:
    """Reads payments and refunds."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def payments_for(self, invoice_id: str) -> list[PaymentRecord]:
        """Every attempt and payment of an invoice, oldest first."""
        async with self.db.session() as session:
            rows = await session.scalars(
                select(PaymentRow).where(PaymentRow.invoice_id == invoice_id).order_by(PaymentRow.id)
            )
            return [PaymentRecord.from_row(row) for row in rows]

    async def paid_yen(self, invoice_id: str) -> int:
        """Money received for an invoice, less what was refunded of it."""
        async with self.db.session() as session:
            paid = await session.scalar(
                select(func.coalesce(func.sum(PaymentRow.amount_yen), 0)).where(
                    PaymentRow.invoice_id == invoice_id, PaymentRow.status == PaymentStatus.SUCCEEDED
                )
            )
            refunded = await session.scalar(
                select(func.coalesce(func.sum(RefundRow.amount_yen), 0))
                .join(PaymentRow, PaymentRow.id == RefundRow.payment_id)
                .where(PaymentRow.invoice_id == invoice_id, RefundRow.status == "succeeded")
            )
        return int(paid or 0) - int(refunded or 0)
