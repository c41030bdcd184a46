"""Which open invoice a bank credit pays, or why staff must decide.

The rules, in order:
1. The payer name carries a valid payer reference (`payer_reference.py`) of an open invoice: that invoice,
   if the amount is exactly what is due; more or less goes to staff (overpayment, underpayment: a partial
   payment, bank fees deducted, two invoices paid at once...). A valid reference of no open invoice (already
   paid, voided) also goes to staff.
2. No reference: the open invoices whose recipient (or its kana reading) is the payer, by normalised name
   (`payer_names.py`). Exactly one of them with exactly the amount due: paid. One with another amount: over-
   or underpayment. Several: ambiguous.
3. Nothing: no match, with the invoices of that exact amount as candidates for staff.

Nothing here guesses: every credit that is not an exact, single match lands in the reconciliation queue.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Protocol

from linemod.framework.billing.payments.payer_names import normalize, without_digits
from linemod.framework.billing.payments.payer_reference import references_in


@dataclass(frozen=True)
class OpenInvoice:
    """An invoice awaiting a bank transfer, as the invoice engine describes it to the matcher."""

    invoice_id: str
    number: str
    amount_due_yen: int
    payer_reference: str | None
    recipient_name: str
    due_date: date | None = None
    payer_kana: str | None = None
    """How the payer's name reads in katakana (e.g. ｶ)ｻｸﾗｶﾌｪ for 株式会社さくらカフェ): banks write names in kana."""


class OpenInvoices(Protocol):
    """Where the open invoices come from (the invoice engine implements it)."""

    async def open_invoices(self) -> Sequence[OpenInvoice]: ...


class QueueReason(StrEnum):
    NO_MATCH = "no_match"
    AMBIGUOUS = "ambiguous"
    OVERPAYMENT = "overpayment"
    UNDERPAYMENT = "underpayment"
    UNKNOWN_REFERENCE = "unknown_reference"


@dataclass(frozen=True)
class Matched:
    invoice_id: str
    by: str  # "reference" or "name"


@dataclass(frozen=True)
class Queued:
    reason: QueueReason
    candidates: tuple[str, ...] = ()


def _names_of(invoice: OpenInvoice) -> set[str]:
    names = {normalize(invoice.recipient_name)}
    if invoice.payer_kana:
        names.add(normalize(invoice.payer_kana))
    return {name for name in names if name}


def _by_amount(invoice: OpenInvoice, amount_yen: int, by: str) -> Matched | Queued:
    if amount_yen == invoice.amount_due_yen:
        return Matched(invoice.invoice_id, by)
    reason = QueueReason.OVERPAYMENT if amount_yen > invoice.amount_due_yen else QueueReason.UNDERPAYMENT
    return Queued(reason, (invoice.invoice_id,))


def match_credit(amount_yen: int, payer_name: str, invoices: Sequence[OpenInvoice]) -> Matched | Queued:
    name = normalize(payer_name)
    references = set(references_in(name))
    if references:
        referenced = [invoice for invoice in invoices if invoice.payer_reference in references]
        if len(referenced) == 1:
            return _by_amount(referenced[0], amount_yen, "reference")
        if referenced:
            return Queued(QueueReason.AMBIGUOUS, tuple(invoice.invoice_id for invoice in referenced))
        return Queued(QueueReason.UNKNOWN_REFERENCE)
    payer = without_digits(name)
    by_name = [invoice for invoice in invoices if payer and payer in _names_of(invoice)]
    exact = [invoice for invoice in by_name if invoice.amount_due_yen == amount_yen]
    if len(exact) == 1:
        return Matched(exact[0].invoice_id, "name")
    if len(by_name) == 1:
        return _by_amount(by_name[0], amount_yen, "name")
    if by_name:
        return Queued(QueueReason.AMBIGUOUS, tuple(invoice.invoice_id for invoice in exact or by_name))
    same_amount = tuple(invoice.invoice_id for invoice in invoices if invoice.amount_due_yen == amount_yen)
    return Queued(QueueReason.NO_MATCH, same_amount)
