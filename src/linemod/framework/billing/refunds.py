"""Giving money back: a return invoice (適格返還請求書) against a paid invoice, and the refund of that amount to
the card that paid it.

The return invoice is the document of record and is issued first; the refund is then keyed by it
(`refund:return:{id}`, through `CardPayments.refund`, which writes its row before calling the provider and
sends that key as the idempotency key). So a refund whose call failed or timed out is sent again for the same
return invoice (`retry_refund`) and never twice, and no money goes back without a document saying so.
Before issuing, the amount is checked against what is left to refund of the card payment, so a return that
the card cannot carry is refused before any document exists. An invoice paid by bank transfer gets its
return invoice; the money goes back by a transfer staff make at the bank (`refund` is None then).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from linemod.framework.billing.collection_service import CollectionService
from linemod.framework.billing.invoicing.documents import DocumentKind, DocumentStatus, Invoice, InvoiceLine
from linemod.framework.billing.invoicing.follow_up_documents import return_invoice_draft
from linemod.framework.billing.payments.card_payments import ChargeInProgressError
from linemod.framework.billing.payments.payment_ledger import PaymentLedger, PaymentRecord
from linemod.framework.billing.payments.provider import PaymentProviderError, RefundResult, RefundStatus
from linemod.framework.billing.payments.records import PaymentMethodKind, PaymentStatus, RefundRow


class RefundRefused(ValueError):
    """The refund cannot be made as asked (the message says why, for the staff member)."""


@dataclass(frozen=True)
class RefundOutcome:
    return_invoice: Invoice
    refund: RefundResult | None  # None: no card payment to refund to (bank transfer), or the call failed
    error: str | None = None  # the provider's refusal: the return invoice stands, retry the refund


def refund_reference(return_invoice_id: int) -> str:
    return f"return:{return_invoice_id}"


async def card_payment_of(collection: CollectionService, invoice_id: int) -> PaymentRecord | None:
    """The succeeded card payment of an invoice, if it was paid by card."""
    payments = await PaymentLedger(collection.db).payments_for(str(invoice_id))
    paid = [p for p in payments if p.method == PaymentMethodKind.CARD and p.status is PaymentStatus.SUCCEEDED]
    return paid[-1] if paid else None


async def refundable_yen(collection: CollectionService, payment: PaymentRecord) -> int:
    async with collection.db.session() as session:
        refunded = await session.scalar(
            select(func.coalesce(func.sum(RefundRow.amount_yen), 0)).where(
                RefundRow.payment_id == payment.id, RefundRow.status != RefundStatus.FAILED
            )
        )
    return payment.amount_yen - int(refunded or 0)


async def refund_with_return_invoice(
    collection: CollectionService,
    invoice_id: int,
    lines: Sequence[InvoiceLine],
    *,
    reason: str,
    actor: str,
    return_date: date | None = None,
) -> RefundOutcome:
    """Issue a return invoice for `lines` against paid invoice `invoice_id`, then refund its total to the card
    that paid (partial refunds: any amount up to what is left). `RefundRefused` changes nothing."""
    if not reason.strip():
        raise RefundRefused("Give the reason for the refund (it is printed on the return invoice).")
    original = await collection.book.get(invoice_id)
    if original.kind is not DocumentKind.INVOICE or original.status is not DocumentStatus.PAID:
        raise RefundRefused("Only a paid invoice can be refunded.")
    payment = await card_payment_of(collection, invoice_id)
    if payment is not None:
        draft = return_invoice_draft(original, lines, reason=reason, return_date=return_date or collection.book.today())
        left = await refundable_yen(collection, payment)
        if draft.total_gross > left:
            raise RefundRefused(f"¥{draft.total_gross:,} is more than the ¥{left:,} left to refund of this payment.")
    try:
        returned = await collection.book.issue_return_invoice(
            invoice_id, lines, reason=reason, return_date=return_date, actor=actor
        )
    except ValueError as refused:  # ReturnExceedsOriginalError, a line the return cannot carry
        raise RefundRefused(str(refused)) from refused
    if payment is None or collection.cards is None:
        return RefundOutcome(returned, None)
    return await _refund(collection, payment, returned)


async def retry_refund(collection: CollectionService, return_invoice_id: int) -> RefundOutcome:
    """Send again the refund of a return invoice whose refund failed (same key: never refunded twice)."""
    returned = await collection.book.get(return_invoice_id)
    if returned.kind is not DocumentKind.RETURN_INVOICE or returned.related_invoice_id is None:
        raise RefundRefused("This is not a return invoice.")
    payment = await card_payment_of(collection, returned.related_invoice_id)
    if payment is None or collection.cards is None:
        raise RefundRefused("The invoice was not paid by card: give the money back by bank transfer.")
    return await _refund(collection, payment, returned)


async def _refund(collection: CollectionService, payment: PaymentRecord, returned: Invoice) -> RefundOutcome:
    assert collection.cards is not None and returned.id is not None
    try:
        result = await collection.cards.refund(
            payment.id, returned.total_gross, reference=refund_reference(returned.id)
        )
    except (PaymentProviderError, ChargeInProgressError, ValueError) as failed:
        return RefundOutcome(returned, None, str(failed)[:500])
    return RefundOutcome(returned, result)


async def refund_state(collection: CollectionService, return_invoice_id: int) -> str | None:
    """How the refund of a return invoice stands: succeeded, pending, failed, or None (none was sent)."""
    key = "refund:" + refund_reference(return_invoice_id)
    async with collection.db.session() as session:
        status = await session.scalar(select(RefundRow.status).where(RefundRow.idempotency_key == key))
    return None if status is None else str(status)
