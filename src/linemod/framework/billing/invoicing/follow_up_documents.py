"""The documents that follow an issued invoice: its receipt once it is paid, and return invoices for what is
given back. Both are built from the invoice as issued (same recipient, tax rates, price basis and rounding)
and then issued like any draft.

A return invoice gives back only at rates the original charged, and never more at a rate than the original
charged there, counting the returns already issued against it (voided ones do not count).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from linemod.framework.billing.invoicing.documents import (
    DocumentKind,
    DocumentStatus,
    Invoice,
    InvoiceLine,
    OriginalSale,
    PaymentReceived,
)
from linemod.framework.billing.invoicing.errors import ReturnExceedsOriginalError


def _unissued(document: Invoice) -> Invoice:
    """The parts a new document never inherits: identity, number, dates of issue, payment terms."""
    return replace(
        document,
        status=DocumentStatus.DRAFT,
        id=None,
        number=None,
        sequence=None,
        issue_date=None,
        due_date=None,
        payer_reference=None,
        notes="",
        related_invoice_id=document.id,
    )


def default_payment_method(invoice: Invoice) -> str:
    return "Bank transfer" if invoice.language == "en" else "銀行振込"


def default_proviso(invoice: Invoice) -> str:
    """但し書き: what the money received was for."""
    if invoice.language == "en":
        return f"payment of invoice {invoice.number}"
    return f"請求書 {invoice.number} のご請求代金として"


def receipt_draft(invoice: Invoice, payment: PaymentReceived) -> Invoice:
    """The receipt of a paid invoice: its lines and totals, and the payment."""
    return replace(_unissued(invoice), kind=DocumentKind.RECEIPT, payment=payment)


def return_invoice_draft(
    original: Invoice, lines: Sequence[InvoiceLine], *, reason: str, return_date: date
) -> Invoice:
    """A return invoice against an issued invoice, dated the day of the return, with the reason as its note."""
    if original.number is None or original.issue_date is None:
        raise ValueError("a return invoice refers to an issued invoice")
    return replace(
        _unissued(original),
        kind=DocumentKind.RETURN_INVOICE,
        lines=tuple(lines),
        transaction_date=return_date,
        period=None,
        notes=reason,
        original=OriginalSale(
            number=original.number,
            issue_date=original.issue_date,
            transaction_date=original.transaction_date,
            period=original.period,
        ),
    )


def check_return_fits(original: Invoice, earlier_returns: Sequence[Invoice], new_return: Invoice) -> None:
    """Raise `ReturnExceedsOriginalError` unless `new_return` fits within what is left of `original`."""
    if not new_return.lines:
        raise ReturnExceedsOriginalError("a return invoice returns something: give at least one line")
    for totals in new_return.totals:
        charged = original.totals_for(totals.rate)
        if charged is None:
            raise ReturnExceedsOriginalError(
                f"{original.number} charged nothing at {totals.rate} %: a return cannot give back tax it never took"
            )
        if totals.gross <= 0:
            raise ReturnExceedsOriginalError(f"the {totals.rate} % return must be a positive amount")
        already = sum(
            earlier_totals.gross
            for earlier in earlier_returns
            if earlier.status is not DocumentStatus.VOID and (earlier_totals := earlier.totals_for(totals.rate))
        )
        left = charged.gross - already
        if totals.gross > left:
            raise ReturnExceedsOriginalError(
                f"{original.number}: {totals.gross} yen back at {totals.rate} % is more than the {left} yen "
                f"left of the {charged.gross} yen charged there"
            )
