"""Numbers are gap-free and never repeat, however many documents are issued at once."""

from __future__ import annotations

import asyncio

import pytest

from linemod.framework.billing.invoicing.book import InvoiceBook
from linemod.framework.billing.invoicing.change_log import ChangeAction
from linemod.framework.billing.invoicing.documents import DocumentStatus, Invoice, InvoiceLine, Recipient
from linemod.framework.billing.invoicing.errors import InvoiceNotFoundError, InvoiceStateError, NotQualifiedError
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


async def test_a_batch_issues_its_drafts_in_order_with_consecutive_numbers_between_single_finalizations(
    book: InvoiceBook,
) -> None:
    first = await book.finalize((await book.create_draft(SHOP, module_lines(), period=AUGUST)).id or 0)
    drafts = [await book.create_draft(SHOP, module_lines(), period=AUGUST) for _ in range(20)]
    batch = await book.finalize_many([draft.id or 0 for draft in drafts], actor="job:monthly")
    last = await book.finalize((await book.create_draft(SHOP, module_lines(), period=AUGUST)).id or 0)
    assert batch.refused == {}
    assert [document.id for document in batch.issued] == [draft.id for draft in drafts]
    assert [document.sequence for document in batch.issued] == list(range(2, 22))
    assert (first.sequence, last.sequence) == (1, 22)
    for document in batch.issued:
        assert_qualified(document)
        assert await book.get(document.id or 0) == document
        assert document.payer_reference == f"{document.sequence:06d}"
        assert (await book.html(document.id or 0)).count(document.number or "?") >= 1
        history = await book.history(document.id or 0)
        assert [(change.action, change.actor) for change in history] == [
            (ChangeAction.CREATED, "system"),
            (ChangeAction.FINALIZED, "job:monthly"),
        ]
        assert history[1].after == {
            "number": document.number, "issue_date": "2026-09-01", "total_gross": document.total_gross,
        }


async def test_a_batch_refuses_each_draft_it_cannot_issue_and_uses_no_number_for_it(book: InvoiceBook) -> None:
    good = [await book.create_draft(SHOP, module_lines(), period=AUGUST) for _ in range(4)]
    unqualified = await book.create_draft(Recipient(""), module_lines(), period=AUGUST)
    issued_already = await book.finalize(good[0].id or 0)
    asked = [good[1].id or 0, unqualified.id or 0, issued_already.id or 0, 999_999, good[2].id or 0, good[3].id or 0]
    batch = await book.finalize_many(asked)
    assert [document.sequence for document in batch.issued] == [2, 3, 4]
    assert [document.id for document in batch.issued] == [good[1].id, good[2].id, good[3].id]
    assert isinstance(batch.refused[unqualified.id or 0], NotQualifiedError)
    assert isinstance(batch.refused[issued_already.id or 0], InvoiceStateError)
    assert isinstance(batch.refused[999_999], InvoiceNotFoundError)
    assert (await book.get(unqualified.id or 0)).status is DocumentStatus.DRAFT
    assert (await book.finalize((await book.create_draft(SHOP, module_lines(), period=AUGUST)).id or 0)).sequence == 5


async def test_batches_and_single_finalizations_at_once_share_one_gap_free_series(book: InvoiceBook) -> None:
    drafts = [await book.create_draft(SHOP, module_lines(), period=AUGUST) for _ in range(40)]
    ids = [draft.id or 0 for draft in drafts]
    outcomes = await asyncio.gather(
        book.finalize_many(ids[:15]), *(book.finalize(i) for i in ids[15:25]), book.finalize_many(ids[25:])
    )
    batches = [o for o in outcomes if not isinstance(o, Invoice)]
    singles = [o for o in outcomes if isinstance(o, Invoice)]
    sequences = [d.sequence or 0 for b in batches for d in b.issued] + [d.sequence or 0 for d in singles]
    assert sorted(sequences) == list(range(1, 41))
    for batch in batches:  # each batch's block is consecutive
        numbers = [d.sequence or 0 for d in batch.issued]
        assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))


async def test_drafts_created_together_are_stored_in_order_each_logged_and_refused_when_not_new(
    book: InvoiceBook,
) -> None:
    drafts = [book.new_draft(SHOP, module_lines(), period=AUGUST, bot_id=f"U{n}") for n in range(5)]
    stored = await book.create_drafts(drafts, actor="job:monthly")
    assert [d.bot_id for d in stored] == [f"U{n}" for n in range(5)]
    for document in stored:
        assert await book.get(document.id or 0) == document
        assert [(c.action, c.actor) for c in await book.history(document.id or 0)] == [
            (ChangeAction.CREATED, "job:monthly")
        ]
    with pytest.raises(ValueError, match="new draft"):
        await book.create_drafts([stored[0]])
    assert await book.create_drafts([]) == [] and (await book.finalize_many([])).issued == []
