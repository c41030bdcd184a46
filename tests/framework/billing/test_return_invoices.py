"""Return invoices: issued against an issued invoice, at its rates, never for more than it charged."""

from __future__ import annotations

from datetime import date

import pytest

from linemod.framework.billing.invoicing.book import InvoiceBook
from linemod.framework.billing.invoicing.change_log import ChangeAction
from linemod.framework.billing.invoicing.documents import (
    DocumentKind,
    DocumentStatus,
    Invoice,
    InvoiceLine,
    OriginalSale,
    RateTotals,
)
from linemod.framework.billing.invoicing.errors import InvoiceStateError, ReturnExceedsOriginalError
from linemod.framework.clock import ManualClock
from tests.framework.billing.builders import AUGUST, SHOP, assert_qualified, module_lines


async def issued_invoice(book: InvoiceBook) -> Invoice:
    draft = await book.create_draft(SHOP, module_lines(), period=AUGUST)
    return await book.finalize(draft.id or 0)


async def test_a_return_invoice_refers_to_the_original_sale_and_rounds_its_own_tax_per_rate(
    book: InvoiceBook, clock: ManualClock
) -> None:
    original = await issued_invoice(book)
    clock.advance(4 * 86400)
    returned = await book.issue_return_invoice(
        original.id or 0,
        [InvoiceLine("リマインダー送信(返金)", 1, 1005), InvoiceLine("お茶(返品)", 1, 540, tax_rate=8)],
        reason="送信障害による返金",
        actor="staff:1",
    )
    assert_qualified(returned)
    assert (returned.kind, returned.status, returned.number) == (
        DocumentKind.RETURN_INVOICE,
        DocumentStatus.FINALIZED,
        "RET-000001",
    )
    assert returned.original == OriginalSale("INV-000001", date(2026, 9, 1), None, AUGUST)
    assert returned.transaction_date == date(2026, 9, 5)  # the day of the return
    assert returned.due_date is None and returned.payer_reference is None
    assert returned.totals == (RateTotals(10, 1005, 100, 1105), RateTotals(8, 540, 43, 583))
    assert returned.notes == "送信障害による返金"
    history = await book.history(original.id or 0)
    assert (history[-1].action, history[-1].after, history[-1].reason) == (
        ChangeAction.RETURNED,
        {"return_invoice": "RET-000001"},
        "送信障害による返金",
    )
    assert (await book.get(original.id or 0)).status is DocumentStatus.FINALIZED


async def test_returns_never_exceed_what_a_rate_charged_counting_earlier_returns(book: InvoiceBook) -> None:
    original = await issued_invoice(book)  # 10 %: ¥3,316 tax included; 8 %: ¥1,166
    first = await book.issue_return_invoice(original.id or 0, [InvoiceLine("返金", 1, 3000)], reason="一部返金")
    assert first.total_gross == 3300
    with pytest.raises(ReturnExceedsOriginalError, match="17 yen back at 10 % is more than the 16 yen left"):
        await book.issue_return_invoice(original.id or 0, [InvoiceLine("返金", 1, 16)], reason="残額")
    last = await book.issue_return_invoice(original.id or 0, [InvoiceLine("返金", 1, 15)], reason="残額")
    assert last.total_gross == 16
    draft = await book.create_draft(SHOP, [InvoiceLine("月額", 1, 3000)], period=AUGUST)
    only_10 = await book.finalize(draft.id or 0)
    with pytest.raises(ReturnExceedsOriginalError, match="charged nothing at 8 %"):
        await book.issue_return_invoice(only_10.id or 0, [InvoiceLine("返品", 1, 100, tax_rate=8)], reason="x")
    with pytest.raises(ReturnExceedsOriginalError, match="positive"):
        await book.issue_return_invoice(original.id or 0, [InvoiceLine("返品", 1, -100, tax_rate=8)], reason="x")
    with pytest.raises(ReturnExceedsOriginalError, match="at least one line"):
        await book.issue_return_invoice(original.id or 0, [], reason="x")


async def test_a_voided_return_no_longer_counts_against_the_original(book: InvoiceBook) -> None:
    original = await issued_invoice(book)
    mistaken = await book.issue_return_invoice(original.id or 0, [InvoiceLine("返金", 1, 3000)], reason="誤り")
    await book.void(mistaken.id or 0, reason="金額の誤り")
    again = await book.issue_return_invoice(original.id or 0, [InvoiceLine("返金", 1, 3000)], reason="再発行")
    assert again.number == "RET-000002"


async def test_paid_invoices_take_returns_drafts_and_voided_ones_do_not(book: InvoiceBook) -> None:
    paid = await issued_invoice(book)
    await book.mark_paid(paid.id or 0)
    refund = await book.issue_return_invoice(paid.id or 0, [InvoiceLine("返金", 1, 1000)], reason="返金")
    assert_qualified(refund)
    draft = await book.create_draft(SHOP, module_lines(), period=AUGUST)
    with pytest.raises(InvoiceStateError, match="returns are issued against an issued invoice"):
        await book.issue_return_invoice(draft.id or 0, [InvoiceLine("返金", 1, 100)], reason="x")
    voided = await issued_invoice(book)
    await book.void(voided.id or 0, reason="誤発行")
    with pytest.raises(InvoiceStateError, match="returns are issued against an issued invoice"):
        await book.issue_return_invoice(voided.id or 0, [InvoiceLine("返金", 1, 100)], reason="x")
    with pytest.raises(InvoiceStateError, match="returns are issued against an issued invoice"):
        await book.issue_return_invoice(refund.id or 0, [InvoiceLine("返金", 1, 100)], reason="x")
