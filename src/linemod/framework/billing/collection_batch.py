"""Issuing many claimed collection runs at once: the month's renewals of thousands of OAs.

`CollectionRun._issue` takes one run through eight short transactions (its charges read, its draft stored,
its payer reference made, the draft given it, the draft recorded on the run, the invoice issued, the run
opened). Done for 10,000 OAs that is 80,000 transactions, most of the run's CPU on SQLite. Here each of those
steps is one transaction for the whole batch, with the same outcome per run as `_issue`: the same draft, the
same numbers in the order the runs were claimed, the same jobs scheduled when the run opens.

A draft a batch cannot issue (`finalize_many` refuses it: a missing item of a qualified invoice) leaves its run
claimed with the draft recorded; its lease runs out and the OA's next collect job finishes it alone, the way a
run whose worker died is finished.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from linemod.framework.billing.billing_contacts import contact_or_fallback
from linemod.framework.billing.collection_records import CollectionRow, CollectionStatus
from linemod.framework.billing.invoicing.documents import Invoice
from linemod.framework.billing.payments.dunning import transfer_due_date
from linemod.framework.billing.payments.records import PaymentMethodKind
from linemod.framework.billing.records import BillingChargeRow

if TYPE_CHECKING:
    from linemod.framework.billing.collection import CollectionRun, IssuedRun

log = logging.getLogger("linemod.billing")


async def issue_runs(collection: CollectionRun, run_ids: Sequence[int]) -> list[IssuedRun]:
    """Issue the invoice of each claimed run and open it; the runs issued, in the order given."""
    from linemod.framework.billing.collection import invoice_lines, payment_note, schedule_pdf_rendering, span_of

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
        contacts = {runs[run_id].bot_id: await contact_or_fallback(session, runs[run_id].bot_id)
                    for run_id in new_runs}

    # Drafts for the runs that have none yet (a run finished after its worker died has one), as `_issue`.
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
        stored = await book.create_drafts(drafts)
        ids = [draft.id or 0 for draft in stored]
        references = await collection.transfers.payer_references([str(invoice_id) for invoice_id in ids])
        await book.update_drafts({invoice_id: {"payer_reference": references[str(invoice_id)]} for invoice_id in ids})
        async with db.transaction() as session:
            for run_id, invoice_id in zip(new_runs, ids, strict=True):
                invoice_of[run_id] = invoice_id
                await session.execute(
                    update(CollectionRow).where(CollectionRow.id == run_id).values(invoice_id=invoice_id)
                )

    documents = {invoice.id: invoice for invoice in await book.get_many([invoice_of[r] or 0 for r in run_ids])}
    drafts_left = [invoice_of[r] or 0 for r in run_ids if documents[invoice_of[r]].is_draft]  # numbered in order
    if drafts_left:
        batch = await book.finalize_many(drafts_left)
        documents.update((invoice.id, invoice) for invoice in batch.issued)
        for invoice_id, problem in batch.refused.items():
            log.error("invoice draft %s could not be issued: %s (its run is finished alone later)", invoice_id,
                      problem)

    issued: list[IssuedRun] = []
    async with db.transaction() as session:
        for run_id in run_ids:
            invoice = documents[invoice_of[run_id]]
            if invoice.number is None:
                continue
            issued.append(await collection._open(session, run_id, invoice))
        if issued and not book.pdf_on_issue:
            await schedule_pdf_rendering(collection.ledger, session, collection.clock.now_ms())
    return issued
