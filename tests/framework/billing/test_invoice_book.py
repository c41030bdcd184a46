"""Drafts are editable, issued documents never change, and every change is in the history."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from linemod.framework.billing.invoicing.book import InvoiceBook
from linemod.framework.billing.invoicing.change_log import ChangeAction
from linemod.framework.billing.invoicing.documents import (
    DocumentKind,
    DocumentStatus,
    InvoiceLine,
    Issuer,
    Recipient,
)
from linemod.framework.billing.invoicing.errors import (
    ImmutableInvoiceError,
    InvoiceStateError,
    NotQualifiedError,
)
from linemod.framework.billing.invoicing.rendering import InvoiceRenderer
from linemod.framework.clock import ManualClock
from linemod.framework.storage.database import Database
from tests.framework.billing.builders import AUGUST, ISSUER, SHOP, assert_qualified, module_lines, stub_pdf

BOT = "U" + "a" * 32


async def test_a_draft_is_issued_with_a_number_an_issue_date_a_due_date_and_its_files(book: InvoiceBook) -> None:
    draft = await book.create_draft(SHOP, module_lines(), period=AUGUST, bot_id=BOT, actor="staff:1")
    assert (draft.status, draft.number, draft.issue_date) == (DocumentStatus.DRAFT, None, None)
    issued = await book.finalize(draft.id or 0, actor="staff:1")
    assert_qualified(issued)
    assert (issued.status, issued.number, issued.sequence) == (DocumentStatus.FINALIZED, "INV-000001", 1)
    assert issued.issue_date == date(2026, 9, 1)
    assert issued.due_date == date(2026, 10, 31)  # end of the following month
    assert issued.payer_reference == "000001"
    assert (issued.total_net, issued.total_tax, issued.total_gross) == (4095, 387, 4482)
    assert await book.get(draft.id or 0) == issued
    assert (await book.get_by_number("INV-000001")).id == draft.id
    html = await book.html(draft.id or 0)
    assert "INV-000001" in html and "T2011001123456" in html and "株式会社さくら美容室 御中" in html
    assert (await book.pdf(draft.id or 0)).startswith(b"%PDF-stub")


async def test_drafts_are_editable_and_each_edit_is_logged_with_before_and_after(
    book: InvoiceBook, clock: ManualClock
) -> None:
    draft = await book.create_draft(SHOP, module_lines()[:1], transaction_date=date(2026, 8, 31), actor="staff:1")
    assert draft.id is not None
    clock.advance(60)
    edited = await book.update_draft(
        draft.id, actor="staff:2", lines=module_lines(), recipient=Recipient("株式会社さくら美容室 梅田店")
    )
    assert edited.total_gross == 4482
    clock.advance(60)
    unchanged = await book.update_draft(draft.id, actor="staff:2", notes="")
    assert unchanged == edited
    history = await book.history(draft.id)
    assert [(change.action, change.actor) for change in history] == [
        (ChangeAction.CREATED, "staff:1"),
        (ChangeAction.UPDATED, "staff:2"),
    ]
    update = history[1]
    assert set(update.before or {}) == set(update.after or {}) == {"lines", "recipient"}
    assert (update.before or {})["recipient"]["name"] == "株式会社さくら美容室"
    assert (update.after or {})["recipient"]["name"] == "株式会社さくら美容室 梅田店"
    assert update.at_ms == history[0].at_ms + 60_000


async def test_an_issued_invoice_cannot_be_edited_and_says_what_to_do_instead(book: InvoiceBook) -> None:
    draft = await book.create_draft(SHOP, module_lines(), period=AUGUST)
    issued = await book.finalize(draft.id or 0)
    with pytest.raises(ImmutableInvoiceError, match="Void it and issue a new invoice, or issue a return invoice"):
        await book.update_draft(issued.id or 0, notes="changed after the fact")
    with pytest.raises(InvoiceStateError, match="already finalized"):
        await book.finalize(issued.id or 0)
    assert await book.get(issued.id or 0) == issued
    assert [change.action for change in await book.history(issued.id or 0)] == [
        ChangeAction.CREATED,
        ChangeAction.FINALIZED,
    ]


async def test_the_database_itself_refuses_to_change_an_issued_document_or_the_history(
    book: InvoiceBook, db: Database
) -> None:
    draft = await book.create_draft(SHOP, module_lines(), period=AUGUST)
    await book.finalize(draft.id or 0)
    statements = [
        "UPDATE invoices SET total_gross = 1 WHERE id = :id",
        "UPDATE invoices SET lines_json = '[]' WHERE id = :id",
        "UPDATE invoices SET pdf = NULL WHERE id = :id",
        "UPDATE invoices SET status = 'draft' WHERE id = :id",
        "DELETE FROM invoices WHERE id = :id",
        "UPDATE invoice_changes SET actor = 'nobody' WHERE invoice_id = :id",
        "DELETE FROM invoice_changes WHERE invoice_id = :id",
    ]
    for statement in statements:
        with pytest.raises(DBAPIError, match=r"append-only|cannot"):
            async with db.transaction() as session:
                await session.execute(text(statement), {"id": draft.id})
    async with db.transaction() as session:  # what issuing may still do: mark it paid
        await session.execute(text("UPDATE invoices SET status = 'paid' WHERE id = :id"), {"id": draft.id})


async def test_finalizing_an_unqualified_draft_lists_what_is_missing_and_uses_no_number(book: InvoiceBook) -> None:
    incomplete = await book.create_draft(Recipient(" "), [InvoiceLine("", 1, 1000)])
    with pytest.raises(NotQualifiedError) as refused:
        await book.finalize(incomplete.id or 0)
    assert [item.item for item in refused.value.missing] == ["transaction_date", "description", "recipient_name"]
    assert "recipient_name: the recipient's name (宛名) is empty" in str(refused.value)
    assert (await book.get(incomplete.id or 0)).status is DocumentStatus.DRAFT
    complete = await book.create_draft(SHOP, module_lines(), period=AUGUST)
    assert (await book.finalize(complete.id or 0)).number == "INV-000001"


def test_a_book_refuses_an_issuer_with_an_invalid_registration_number(db: Database, clock: ManualClock) -> None:
    with pytest.raises(ValueError, match="registration number is invalid"):
        InvoiceBook(db, clock, Issuer("株式会社リンクモッド", "T1011001123456"), renderer=None)


async def test_voiding_keeps_the_document_with_its_reason_and_only_unpaid_ones_can_be_voided(
    book: InvoiceBook,
) -> None:
    draft = await book.create_draft(SHOP, module_lines(), period=AUGUST)
    issued = await book.finalize(draft.id or 0)
    with pytest.raises(ValueError, match="needs a reason"):
        await book.void(issued.id or 0, reason=" ")
    voided = await book.void(issued.id or 0, reason="宛名の誤り", actor="staff:3")
    assert (voided.status, voided.number, voided.void_reason) == (DocumentStatus.VOID, "INV-000001", "宛名の誤り")
    with pytest.raises(InvoiceStateError, match="only drafts and unpaid documents"):
        await book.void(issued.id or 0, reason="twice")
    with pytest.raises(InvoiceStateError, match="only an issued, unpaid invoice"):
        await book.mark_paid(issued.id or 0)
    change = (await book.history(issued.id or 0))[-1]
    assert (change.action, change.actor, change.reason) == (ChangeAction.VOIDED, "staff:3", "宛名の誤り")
    assert (change.before, change.after) == ({"status": "finalized"}, {"status": "void"})
    # The correction is a new invoice with the next number.
    corrected = await book.create_draft(Recipient("株式会社さくら美容室 梅田店"), module_lines(), period=AUGUST)
    assert (await book.finalize(corrected.id or 0)).number == "INV-000002"


async def test_paying_an_invoice_issues_its_receipt(book: InvoiceBook, clock: ManualClock) -> None:
    draft = await book.create_draft(SHOP, module_lines(), period=AUGUST)
    invoice = await book.finalize(draft.id or 0)
    clock.advance(9 * 86400)
    receipt = await book.mark_paid(invoice.id or 0, actor="bank-import")
    assert_qualified(receipt)
    assert (receipt.kind, receipt.number) == (DocumentKind.RECEIPT, "RCT-000001")
    assert receipt.related_invoice_id == invoice.id
    payment = receipt.payment
    assert payment is not None
    assert (payment.amount, payment.paid_on, payment.method) == (4482, date(2026, 9, 10), "銀行振込")
    assert payment.proviso == "請求書 INV-000001 のご請求代金として"
    assert receipt.totals == invoice.totals
    assert (await book.get(invoice.id or 0)).status is DocumentStatus.PAID
    assert [document.number for document in await book.related(invoice.id or 0)] == ["RCT-000001"]
    with pytest.raises(InvoiceStateError, match="only an issued, unpaid invoice"):
        await book.mark_paid(invoice.id or 0)
    with pytest.raises(InvoiceStateError, match="give money back with a return invoice"):
        await book.void(invoice.id or 0, reason="refund")
    assert [change.action for change in await book.history(invoice.id or 0)][-1] is ChangeAction.PAID


async def test_a_draft_has_an_html_preview_marked_as_such_but_no_pdf(book: InvoiceBook) -> None:
    draft = await book.create_draft(SHOP, module_lines(), period=AUGUST)
    preview = await book.html(draft.id or 0)
    assert "下書き(未発行)" in preview and "INV-" not in preview
    with pytest.raises(InvoiceStateError, match="no PDF until it is issued"):
        await book.pdf(draft.id or 0)


async def test_a_pdf_that_failed_at_issue_is_made_from_the_stored_html_later(
    db: Database, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    made: list[str] = []

    def flaky_pdf(html: str) -> bytes:
        made.append(html)
        if len(made) == 1:
            raise RuntimeError("the renderer died")
        return b"%PDF-late"

    book = InvoiceBook(db, clock, ISSUER, renderer=InvoiceRenderer(pdf_maker=flaky_pdf))
    draft = await book.create_draft(SHOP, module_lines(), period=AUGUST)
    issued = await book.finalize(draft.id or 0)
    assert issued.status is DocumentStatus.FINALIZED
    assert "the PDF could not be made now" in caplog.text
    assert await book.pdf(issued.id or 0) == b"%PDF-late"
    assert await book.pdf(issued.id or 0) == b"%PDF-late"  # stored: made once
    assert made == [await book.html(issued.id or 0)] * 2


async def test_documents_are_written_in_japanese_or_english(book: InvoiceBook) -> None:
    english = await book.create_draft(SHOP, module_lines(), period=AUGUST, language="en")
    assert "Please pay the following amount." in await book.html(english.id or 0)
    with pytest.raises(ValueError, match="written in ja or en, not 'fr'"):
        await book.create_draft(SHOP, module_lines(), period=AUGUST, language="fr")


async def test_pdfs_can_be_left_to_a_later_batch_and_are_each_stored_once(db: Database, clock: ManualClock) -> None:
    book = InvoiceBook(db, clock, ISSUER, renderer=InvoiceRenderer(pdf_maker=stub_pdf), pdf_on_issue=False)
    drafts = [await book.create_draft(SHOP, module_lines(), period=AUGUST) for _ in range(3)]
    issued = [await book.finalize(draft.id or 0) for draft in drafts]
    rendered = [await book.render_pending_pdfs(limit=2) for _ in range(3)]
    assert rendered == [2, 1, 0]
    for document in issued:
        assert (await book.pdf(document.id or 0)).startswith(b"%PDF-stub")


async def test_an_english_receipt_says_what_it_was_for_in_english(book: InvoiceBook) -> None:
    invoice = await book.finalize((await book.create_draft(SHOP, module_lines(), period=AUGUST, language="en")).id or 0)
    receipt = await book.mark_paid(invoice.id or 0)
    assert receipt.payment is not None
    assert (receipt.payment.method, receipt.payment.proviso) == ("Bank transfer", "payment of invoice INV-000001")
    assert "For payment of invoice INV-000001. Received with thanks." in await book.html(receipt.id or 0)
