"""Documents to table rows and back. The JSON parts (issuer, recipient, lines, details) are snapshots: a
document shows the issuer and recipient as they were when it was written, whatever changes later."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from linemod.framework.billing.invoicing.documents import (
    BankAccount,
    DocumentKind,
    DocumentStatus,
    Honorific,
    Invoice,
    InvoiceLine,
    Issuer,
    OriginalSale,
    PaymentReceived,
    Period,
    Recipient,
)
from linemod.framework.billing.invoicing.records import InvoiceRow
from linemod.framework.billing.invoicing.tax import Rounding


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def dumps(value: Any) -> str:
    """The JSON text the engine stores: sorted keys, and Japanese kept as is (readable in the change log and
    in database tools)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def period_to_plain(period: Period | None) -> dict[str, str] | None:
    return None if period is None else {"start": period.start.isoformat(), "end": period.end.isoformat()}


def period_from_plain(plain: dict[str, str] | None) -> Period | None:
    return None if plain is None else Period(date.fromisoformat(plain["start"]), date.fromisoformat(plain["end"]))


def issuer_to_plain(issuer: Issuer) -> dict[str, Any]:
    account = issuer.bank_account
    return {
        "name": issuer.name,
        "registration_number": issuer.registration_number,
        "address": issuer.address,
        "contact": issuer.contact,
        "sole_proprietor": issuer.sole_proprietor,
        "bank_account": None
        if account is None
        else {
            "bank_name": account.bank_name,
            "branch_name": account.branch_name,
            "account_type": account.account_type,
            "account_number": account.account_number,
            "account_holder": account.account_holder,
        },
    }


def issuer_from_plain(plain: dict[str, Any]) -> Issuer:
    account = plain.get("bank_account")
    return Issuer(
        name=plain["name"],
        registration_number=plain["registration_number"],
        address=plain.get("address", ""),
        contact=plain.get("contact", ""),
        sole_proprietor=bool(plain.get("sole_proprietor", False)),
        bank_account=BankAccount(**account) if account else None,
    )


def recipient_to_plain(recipient: Recipient) -> dict[str, Any]:
    return {"name": recipient.name, "honorific": recipient.honorific.value, "address": recipient.address}


def recipient_from_plain(plain: dict[str, Any]) -> Recipient:
    return Recipient(name=plain["name"], honorific=Honorific(plain["honorific"]), address=plain.get("address", ""))


def line_to_plain(line: InvoiceLine) -> dict[str, Any]:
    return {
        "description": line.description,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "tax_rate": int(line.tax_rate),
        "period": period_to_plain(line.period),
    }


def line_from_plain(plain: dict[str, Any]) -> InvoiceLine:
    return InvoiceLine(
        description=plain["description"],
        quantity=plain["quantity"],
        unit_price=plain["unit_price"],
        tax_rate=plain["tax_rate"],
        period=period_from_plain(plain.get("period")),
    )


def details_to_plain(document: Invoice) -> dict[str, Any]:
    original, payment = document.original, document.payment
    return {
        "rounding": document.rounding.value,
        "prices_include_tax": document.prices_include_tax,
        "notes": document.notes,
        "original": None
        if original is None
        else {
            "number": original.number,
            "issue_date": original.issue_date.isoformat(),
            "transaction_date": _iso(original.transaction_date),
            "period": period_to_plain(original.period),
        },
        "payment": None
        if payment is None
        else {
            "amount": payment.amount,
            "paid_on": payment.paid_on.isoformat(),
            "method": payment.method,
            "proviso": payment.proviso,
        },
    }


def content_to_plain(document: Invoice) -> dict[str, Any]:
    """Everything a draft edit can change, as JSON-ready values (what the change log records)."""
    return {
        "recipient": recipient_to_plain(document.recipient),
        "lines": [line_to_plain(line) for line in document.lines],
        "transaction_date": _iso(document.transaction_date),
        "period": period_to_plain(document.period),
        "due_date": _iso(document.due_date),
        "payer_reference": document.payer_reference,
        "notes": document.notes,
        "language": document.language,
        "bot_id": document.bot_id,
    }


def fill_row(row: InvoiceRow, document: Invoice) -> None:
    """Write a document's content and totals into its row (identity and status columns are the caller's)."""
    row.kind = document.kind.value
    row.bot_id = document.bot_id
    row.language = document.language
    row.transaction_date = document.transaction_date
    row.period_start = document.period.start if document.period else None
    row.period_end = document.period.end if document.period else None
    row.due_date = document.due_date
    row.issue_date = document.issue_date
    row.total_net = document.total_net
    row.total_tax = document.total_tax
    row.total_gross = document.total_gross
    row.recipient_name = document.recipient.name
    row.payer_reference = document.payer_reference
    row.recipient_json = dumps(recipient_to_plain(document.recipient))
    row.issuer_json = dumps(issuer_to_plain(document.issuer))
    row.lines_json = dumps([line_to_plain(line) for line in document.lines])
    row.details_json = dumps(details_to_plain(document))
    row.related_invoice_id = document.related_invoice_id


def document_from_row(row: InvoiceRow) -> Invoice:
    details = json.loads(row.details_json)
    original = details.get("original")
    payment = details.get("payment")
    period = Period(row.period_start, row.period_end) if row.period_start and row.period_end else None
    return Invoice(
        kind=DocumentKind(row.kind),
        issuer=issuer_from_plain(json.loads(row.issuer_json)),
        recipient=recipient_from_plain(json.loads(row.recipient_json)),
        lines=tuple(line_from_plain(line) for line in json.loads(row.lines_json)),
        status=DocumentStatus(row.status),
        id=row.id,
        number=row.number,
        sequence=row.sequence,
        issue_date=row.issue_date,
        transaction_date=row.transaction_date,
        period=period,
        due_date=row.due_date,
        payer_reference=row.payer_reference,
        notes=details.get("notes", ""),
        language=row.language,
        prices_include_tax=bool(details.get("prices_include_tax", False)),
        rounding=Rounding(details.get("rounding", Rounding.FLOOR.value)),
        bot_id=row.bot_id,
        original=None
        if original is None
        else OriginalSale(
            number=original["number"],
            issue_date=date.fromisoformat(original["issue_date"]),
            transaction_date=_day(original.get("transaction_date")),
            period=period_from_plain(original.get("period")),
        ),
        payment=None
        if payment is None
        else PaymentReceived(
            amount=payment["amount"],
            paid_on=date.fromisoformat(payment["paid_on"]),
            method=payment["method"],
            proviso=payment["proviso"],
        ),
        related_invoice_id=row.related_invoice_id,
        void_reason=row.void_reason,
    )
