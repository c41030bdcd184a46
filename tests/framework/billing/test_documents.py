"""The mandatory items of a qualified invoice, receipt and return invoice, and when a return invoice is due."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from linemod.framework.billing.invoicing.documents import (
    DocumentKind,
    Invoice,
    InvoiceLine,
    Issuer,
    OriginalSale,
    PaymentReceived,
    Period,
    Recipient,
    check_qualified,
    return_invoice_required,
)
from tests.framework.billing.builders import AUGUST, ISSUER, SHOP, assert_qualified, module_lines


def complete_invoice() -> Invoice:
    return Invoice(
        DocumentKind.INVOICE, ISSUER, SHOP, tuple(module_lines()), number="INV-000001", period=AUGUST
    )


def missing(document: Invoice) -> list[str]:
    return [item.item for item in check_qualified(document)]


def test_a_complete_invoice_lacks_nothing() -> None:
    assert_qualified(complete_invoice())


def test_every_missing_item_is_listed_at_once() -> None:
    document = replace(
        complete_invoice(),
        issuer=Issuer(name=" ", registration_number="T1234567890123"),
        recipient=Recipient(""),
        period=None,
        lines=(InvoiceLine("", 1, 1000), InvoiceLine("ok", 1, 500, tax_rate=8)),
    )
    assert missing(document) == [
        *("issuer_name", "registration_number", "transaction_date", "description", "recipient_name")
    ]
    messages = [str(item) for item in check_qualified(document)]
    assert "registration_number: the issuer's registration number (登録番号) is invalid" in messages[1]
    assert messages[3] == "description: line 1 has no description (取引内容)"


def test_a_document_without_lines_sells_nothing() -> None:
    assert missing(replace(complete_invoice(), lines=())) == ["lines"]
    assert missing(replace(complete_invoice(), lines=(), period=None)) == ["transaction_date", "lines"]


def test_a_period_on_every_line_dates_the_transaction() -> None:
    lines = tuple(replace(line, period=AUGUST) for line in module_lines())
    assert missing(replace(complete_invoice(), period=None, lines=lines)) == []
    partly = (*lines[:-1], replace(lines[-1], period=None))
    assert missing(replace(complete_invoice(), period=None, lines=partly)) == ["transaction_date"]


def test_a_discount_may_lower_a_rate_but_not_below_zero() -> None:
    discounted = (*module_lines(), InvoiceLine("割引", 1, -1000))
    assert missing(replace(complete_invoice(), lines=discounted)) == []
    assert missing(replace(complete_invoice(), lines=(*discounted, InvoiceLine("割引", 1, -3000)))) == [
        "totals_per_rate"
    ]


def test_a_return_invoice_names_the_original_sale_and_the_return_date() -> None:
    document = replace(complete_invoice(), kind=DocumentKind.RETURN_INVOICE, number="RET-000001")
    assert missing(document) == ["original_invoice", "return_date"]
    original = OriginalSale("INV-000001", date(2026, 9, 1))
    assert missing(replace(document, original=original, transaction_date=date(2026, 9, 5))) == [
        "original_sale_date"
    ]
    dated = replace(original, period=AUGUST)
    assert_qualified(replace(document, original=dated, transaction_date=date(2026, 9, 5)))


def test_a_receipt_states_the_full_amount_received() -> None:
    receipt = replace(complete_invoice(), kind=DocumentKind.RECEIPT, number="RCT-000001")
    assert missing(receipt) == ["payment"]
    paid = PaymentReceived(amount=4482, paid_on=date(2026, 9, 10), method="銀行振込", proviso="ご利用料金として")
    assert missing(replace(receipt, payment=replace(paid, amount=4000))) == ["payment"]
    assert_qualified(replace(receipt, payment=paid))


@pytest.mark.parametrize(
    ("amount", "required"), [(9_999, False), (10_000, True), (120_000, True), (0, False), (-10_000, True)]
)
def test_a_return_invoice_is_required_from_10000_yen_tax_included(amount: int, required: bool) -> None:
    assert return_invoice_required(amount) is required


def test_a_period_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="cannot end"):
        Period(date(2026, 9, 1), date(2026, 8, 31))
