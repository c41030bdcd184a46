"""Issuing many claimed collection runs at once: the month's renewals of thousands of OAs.

Run one by one, a run took eight short transactions and a few dozen statements (its charges read, its draft
stored, its payer reference made, the draft given it, the draft recorded on the run, the invoice issued, the
run opened with its jobs): for 10,000 OAs, most of the month's CPU. Here each step is one transaction for the
whole batch, and within it a handful of statements, whatever the batch's size: the same draft per run, the same
numbers in the order the runs were claimed, the same jobs scheduled when each run opens. `collect` is a batch
of one.

A draft a batch cannot issue (`finalize_many` refuses it: a missing item of a qualified invoice) leaves its run
claimed with the draft recorded and is logged as an error; once its lease has run out, the OA's next collect job
finishes it, the way a run whose worker died is finished.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from sqlalchemy import case, select, update

from linemod.framework.billing.billing_contacts import contacts_or_fallback
from linemod.framework.billing.collection import CollectionRun, IssuedRun, schedule_pdf_rendering
from linemod.framework.billing.collection_records import CollectionRow
from linemod.framework.billing.invoicing.documents import Invoice, InvoiceLine, Period
from linemod.framework.billing.lines import BillableLine
from linemod.framework.billing.payments.dunning import transfer_due_date
from linemod.framework.billing.payments.records import PaymentMethodKind
from linemod.framework.billing.records import BillingChargeRow

log = logging.getLogger("linemod.billing")


async def issue_runs(collection: CollectionRun, run_ids: Sequence[int]) -> list[IssuedRun]:
    """Issue the invoice of each claimed run and open it; the runs issued, in the order given."""
    if not run_ids:
        return []
    book, db = collection.book, collection.db
    claims = {run_id: f"claim:{run_id}" for run_id in run_ids}
    async with db.session() as session:
        runs = {
            run.id: run
            for run in await session.scalars(select(CollectionRow).where(CollectionRow.id.in_(list(run_ids))))
        }
        charges: dict[str, list[BillingChargeRow]] = {claim: [] for claim in claims.values()}
        for charge in await session.scalars(
            select(BillingChargeRow)
            .where(BillingChargeRow.invoice_ref.in_(list(claims.values())))
            .order_by(BillingChargeRow.id)
        ):
            charges[charge.invoice_ref or ""].append(charge)
        new_runs = [run_id for run_id in run_ids if runs[run_id].invoice_id is None]
        contacts = await contacts_or_fallback(session, [runs[run_id].bot_id for run_id in new_runs])

    # Drafts for the runs that have none yet (a run finished after its worker died has one).
    invoice_of = {run_id: runs[run_id].invoice_id for run_id in run_ids}
    if new_runs:
        today = book.today()
        drafts: list[Invoice] = []
        for run_id in new_runs:
            run = runs[run_id]
            contact = contacts[run.bot_id]
            lines = invoice_lines(charges[claims[run_id]], contact.language)
            card = run.method == PaymentMethodKind.CARD
            drafts.append(book.new_draft(
                contact.recipient(), lines, language=contact.language, transaction_date=today, period=span_of(lines),
                due_date=today if card else transfer_due_date(today), notes=payment_note(card, contact.language),
                bot_id=run.bot_id,
            ))
        stored = await book.create_drafts(drafts, payer_references=collection.transfers.make_references)
        async with db.transaction() as session:
            for run_id, draft in zip(new_runs, stored, strict=True):
                invoice_of[run_id] = draft.id
            await session.execute(
                update(CollectionRow)
                .where(CollectionRow.id.in_(new_runs))
                .values(invoice_id=case({r: invoice_of[r] for r in new_runs}, value=CollectionRow.id))
                .execution_options(synchronize_session=False)
            )

    documents = {invoice.id: invoice for invoice in await book.get_many([invoice_of[r] or 0 for r in run_ids])}
    drafts_left = [invoice_of[r] or 0 for r in run_ids if documents[invoice_of[r]].is_draft]  # numbered in order
    if drafts_left:
        batch = await book.finalize_many(drafts_left)
        documents.update((invoice.id, invoice) for invoice in batch.issued)
        for invoice_id, problem in batch.refused.items():
            log.error("invoice draft %s could not be issued: %s (its run is tried again once its lease runs out)",
                      invoice_id, problem)

    ready = [(run_id, documents[invoice_of[run_id]]) for run_id in run_ids]
    ready = [(run_id, invoice) for run_id, invoice in ready if invoice.number is not None]
    if not ready:
        return []
    async with db.transaction() as session:
        issued = await collection._open_many(session, ready)
        if not book.pdf_on_issue:
            await schedule_pdf_rendering(collection.ledger, session, collection.clock.now_ms())
    return issued


def invoice_lines(charges: Sequence[BillingChargeRow], language: str) -> list[InvoiceLine]:
    """The invoice's lines: every billable line of the charges, in the document's language (lines worth
    nothing, e.g. usage within the included quantity, are left out)."""
    lines: list[InvoiceLine] = []
    for charge in charges:
        for value in json.loads(charge.lines_json):
            line = BillableLine.from_json(value)
            if line.quantity <= 0 or line.amount_yen == 0:
                continue
            period = Period(line.period_start, line.period_end) if line.period_start and line.period_end else None
            description = line.description_en if language == "en" else line.description_ja
            lines.append(InvoiceLine(description, line.quantity, line.unit_price_yen, line.tax_rate_percent, period))
    return lines


def span_of(lines: Sequence[InvoiceLine]) -> Period | None:
    periods = [line.period for line in lines if line.period is not None]
    if not periods:
        return None
    return Period(min(p.start for p in periods), max(p.end for p in periods))


def payment_note(card: bool, language: str) -> str:
    if language == "en":
        return "Charged to your registered card." if card else "Please pay by bank transfer by the due date."
    if card:
        return "ご登録のクレジットカードにてお支払いいただきます。"
    return "お支払期限までに銀行振込にてお支払いください。"
