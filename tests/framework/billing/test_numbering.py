"""Numbers are gap-free and never repeat, however many documents are issued at once."""

from __future__ import annotations

import asyncio

import pytest

from linemod.framework.billing.invoicing.book import InvoiceBook
from linemod.framework.billing.invoicing.documents import DocumentStatus, InvoiceLine, Recipient
from linemod.framework.billing.invoicing.errors import InvoiceStateError, NotQualifiedError
from linemod.framework.billing.invoicing.numbering import NumberFormat
from tests.framework.billing.builders import AUGUST, SHOP, assert_qualified, module_lines


async def test_fifty_drafts_finalized_concurrently_get_numbers_1_to_50_each_once(book: InvoiceBook) -> None:
    drafts = [await book.create_draft(SHOP, module_lines(), period=AUGUST) for _ in range(50)]
    issued = await asyncio.gather(*(book.finalize(draft.id or 0) for draft in drafts))
    assert sorted(document.sequence or 0 for document in issued) == list(range(1, 51))
    assert sorted(document.number or "" for document in issued) == [f"INV-{n:06d}" for n in range(1, 51)]
    for document in issued:
        assert_qualified(document)
        assert await book.get(document.id or 0) == document


async def test_a_refused_finalization_gives_its_number_back(book: InvoiceBook) -> None:
    good = [await book.create_draft(SHOP, module_lines(), period=AUGUST) for _ in range(10)]
    bad = [await book.create_draft(Recipient(""), module_lines(), period=AUGUST) for _ in range(5)]
    outcomes = await asyncio.gather(
        *(book.finalize(draft.id or 0) for draft in [*good[:5], *bad, *good[5:]]), return_exceptions=True
    )
    refused = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert len(refused) == 5 and all(isinstance(error, NotQualifiedError) for error in refused)
    numbers = sorted(outcome.sequence or 0 for outcome in outcomes if not isinstance(outcome, BaseException))
    assert numbers == list(range(1, 11))


async def test_one_draft_finalized_twice_at_once_is_issued_once(book: InvoiceBook) -> None:
    draft = await book.create_draft(SHOP, module_lines(), period=AUGUST)
    outcomes = await asyncio.gather(book.finalize(draft.id or 0), book.finalize(draft.id or 0), return_exceptions=True)
    assert sum(isinstance(outcome, InvoiceStateError) for outcome in outcomes) == 1
    second = await book.create_draft(SHOP, module_lines(), period=AUGUST)
    assert (await book.finalize(second.id or 0)).number == "INV-000002"


async def test_each_kind_of_document_counts_in_its_own_series(book: InvoiceBook) -> None:
    first = await book.finalize((await book.create_draft(SHOP, module_lines(), period=AUGUST)).id or 0)
    receipt = await book.mark_paid(first.id or 0)
    refund = await book.issue_return_invoice(first.id or 0, [InvoiceLine("返金", 1, 100)], reason="返金")
    second = await book.finalize((await book.create_draft(SHOP, module_lines(), period=AUGUST)).id or 0)
    assert [first.number, receipt.number, refund.number, second.number] == [
        "INV-000001",
        "RCT-000001",
        "RET-000001",
        "INV-000002",
    ]
    assert (await book.get(first.id or 0)).status is DocumentStatus.PAID


@pytest.mark.parametrize(("prefix", "width", "expected"), [("INV-", 6, "INV-000042"), ("2026-", 4, "2026-0042")])
def test_a_number_is_its_series_prefix_and_the_padded_sequence(prefix: str, width: int, expected: str) -> None:
    assert NumberFormat(prefix, width).format(42) == expected
