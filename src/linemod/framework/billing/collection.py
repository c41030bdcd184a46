"""The collection run: an OA's charges become one qualified invoice, issued, mailed and put to collection.

`billing_charges` rows are written by the subscription side (renewals, trial ends with `invoice`, plan
changes, final charges at detach); each write schedules a collect job for its OA in the same transaction
(`collection_jobs.py`). A run then:

1. claims every charge of the OA not yet invoiced, in one transaction: a `billing_collections` row, and a
   conditional `UPDATE billing_charges SET invoice_ref = 'claim:{run}' WHERE invoice_ref IS NULL`. A second
   run (a second job, a second worker) claims nothing the first took: it finds them taken and stops;
2. makes the draft (lines from the charges, the recipient from the billing profile, a payer reference for
   bank transfers), records its id on the run, then finalizes it (gap-free number, immutable from then on);
3. marks the charges with the invoice's number, opens the run, and in that same transaction schedules the
   invoice mail and the first collection step (card: attempt 1 now; bank transfer: reminders around the due
   date). Those are keyed jobs (`dunning.py` runs them): a run that is repeated schedules nothing twice.
   Unless the book renders PDFs on issue, it also schedules the `render_pdfs` job of the current time slot,
   which makes the PDFs in the collection's process pool (the invoice mail makes its PDF on demand if it is
   sent first: the PDF is a rendering of the HTML stored at issue, the same whenever it is made).

A worker that dies mid-run leaves the run `claimed` with a lease; once the lease has passed, the next run of
that OA finishes it (the draft it recorded is finalized rather than made again). A draft made but not yet
recorded when the worker died is left behind as an unnumbered draft: drafts are not documents anyone received.

Credits: when the claimed charges add up to less than zero at some tax rate (a downgrade's credit larger
than what is charged with it), nothing is invoiced and the charges wait, as a credit carried forward, to be
netted into the OA's next invoice. linemod does not issue a return invoice on its own for them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.billing.billing_contacts import contact_or_fallback
from linemod.framework.billing.collection_records import CollectionRow, CollectionStatus
from linemod.framework.billing.invoicing.book import InvoiceBook
from linemod.framework.billing.invoicing.documents import Invoice, InvoiceLine, Period
from linemod.framework.billing.ledger import Ledger
from linemod.framework.billing.lines import BillableLine
from linemod.framework.billing.payments.bank_transfer import BankTransfers
from linemod.framework.billing.payments.dunning import TransferReminders, transfer_due_date
from linemod.framework.billing.payments.records import PaymentMethodKind, PaymentMethodRow
from linemod.framework.billing.periods import start_ms
from linemod.framework.billing.records import BillingChargeRow
from linemod.framework.clock import Clock
from linemod.framework.storage.database import Database

log = logging.getLogger("linemod.billing")
COLLECT_JOB = "linemod.billing.collect"
COLLECT_BATCH = 200
"""OAs a collect job invoices at once (`CollectionService.collect_due`): a few thousand statements in each of
the batch's transactions, about a second of work."""
DUNNING_JOB = "linemod.billing.dunning"
NOTICE_JOB = "linemod.billing.notice"
RENDER_PDFS_JOB = "linemod.billing.render_pdfs"
RENDER_SLOT_MS = 10_000
"""Documents issued within one such slot get one `render_pdfs` job, run when the slot ends: a run of thousands
of invoices then hands the pool batches rather than one PDF per job."""
NOTHING_TO_INVOICE = "none"
"""The `invoice_ref` of charges whose lines are all worth ¥0: settled without an invoice."""
LEASE_MS = 120_000  # a run takes well under a second; a worker silent this long has died


@dataclass(frozen=True)
class IssuedRun:
    collection_id: int
    invoice_id: int
    number: str
    amount_yen: int
    method: str


class CollectionRun:
    """Invoices an OA's pending charges. `card_provider`: the name of the card provider in use (None: every
    invoice is paid by bank transfer)."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        ledger: Ledger,
        book: InvoiceBook,
        transfers: BankTransfers,
        *,
        card_provider: str | None,
        reminders: TransferReminders | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.ledger = ledger
        self.book = book
        self.transfers = transfers
        self.card_provider = card_provider
        self.reminders = reminders or TransferReminders()

    async def collect(self, bot_id: str) -> IssuedRun | None:
        """Invoice what the OA owes now (one invoice) and start collecting it; None when there is nothing to
        invoice, or another worker is on it."""
        async with self.db.transaction() as session:
            run_id = await self._claim(session, bot_id, self.clock.now_ms())
        if run_id is None:
            return None
        return await self._issue(run_id)

    async def collect_many(self, bot_ids: Sequence[str]) -> list[IssuedRun]:
        """`collect` for many OAs at once (the month's renewals): the claims in one transaction, then every
        draft stored, every payer reference made, every invoice issued and every run opened in one transaction
        each (`collection_batch.py`). What another worker claimed first is skipped, as `collect` skips it."""
        from linemod.framework.billing.collection_batch import issue_runs

        now = self.clock.now_ms()
        async with self.db.transaction() as session:
            # In one order everywhere: two batches claiming OAs they share lock their charges in the same order,
            # so on PostgreSQL one waits for the other rather than both deadlocking.
            claimed = [await self._claim(session, bot_id, now) for bot_id in sorted(set(bot_ids))]
        return await issue_runs(self, [run_id for run_id in claimed if run_id is not None])

    async def _claim(self, session: AsyncSession, bot_id: str, now: int) -> int | None:
        """In the caller's transaction: a run holding every charge of the OA not invoiced yet, or a run of the
        OA whose worker died (its lease passed); None when there is nothing to invoice or another run took the
        charges first (then nothing of this claim is left)."""
        stale = await session.scalar(
            select(CollectionRow).where(
                CollectionRow.bot_id == bot_id,
                CollectionRow.status == CollectionStatus.CLAIMED,
                CollectionRow.lease_until_ms < now,
            )
        )
        if stale is not None:  # a run whose worker died: finish it first
            taken = await session.execute(
                update(CollectionRow)
                .where(CollectionRow.id == stale.id, CollectionRow.lease_until_ms == stale.lease_until_ms)
                .values(lease_until_ms=now + LEASE_MS)
            )
            return stale.id if getattr(taken, "rowcount", 0) == 1 else None
        pending = list(
            await session.scalars(
                select(BillingChargeRow)
                .where(BillingChargeRow.bot_id == bot_id, BillingChargeRow.invoice_ref.is_(None))
                .order_by(BillingChargeRow.id)
            )
        )
        if not pending:
            return None
        per_rate, worth_something = _balance(pending)
        if not worth_something:  # e.g. usage within the included quantity only: nothing to invoice
            ids = [c.id for c in pending]
            await session.execute(
                update(BillingChargeRow)
                .where(BillingChargeRow.id.in_(ids), BillingChargeRow.invoice_ref.is_(None))
                .values(invoice_ref=NOTHING_TO_INVOICE)
            )
            return None
        if any(amount < 0 for amount in per_rate.values()):
            log.info("OA %s: its charges net to a credit, carried forward to its next invoice", bot_id)
            return None
        run = CollectionRow(
            bot_id=bot_id, status=CollectionStatus.CLAIMED, method=await self._method(session, bot_id),
            amount_yen=0, card_attempts=0, lease_until_ms=now + LEASE_MS, created_at_ms=now, updated_at_ms=now,
        )
        session.add(run)
        await session.flush()
        claim = f"claim:{run.id}"
        claimed = await session.execute(
            update(BillingChargeRow)
            .where(BillingChargeRow.id.in_([c.id for c in pending]), BillingChargeRow.invoice_ref.is_(None))
            .values(invoice_ref=claim)
        )
        if getattr(claimed, "rowcount", 0) != len(pending):
            # Another run took some of them since they were read: undo this claim (not the transaction, which
            # may hold other OAs' claims) and leave the OA to that run.
            await session.execute(
                update(BillingChargeRow).where(BillingChargeRow.invoice_ref == claim).values(invoice_ref=None)
            )
            await session.delete(run)
            await session.flush()
            return None
        return run.id

    async def _method(self, session: AsyncSession, bot_id: str) -> str:
        """Card when the OA has a default card at the provider in use, else bank transfer."""
        if self.card_provider is not None:
            card = await session.scalar(
                select(PaymentMethodRow.id).where(
                    PaymentMethodRow.bot_id == bot_id,
                    PaymentMethodRow.provider == self.card_provider,
                    PaymentMethodRow.is_default.is_(True),
                    PaymentMethodRow.removed_at_ms.is_(None),
                )
            )
            if card is not None:
                return PaymentMethodKind.CARD
        return PaymentMethodKind.BANK_TRANSFER

    async def _issue(self, run_id: int) -> IssuedRun:
        claim = f"claim:{run_id}"
        async with self.db.session() as session:
            run = await session.get(CollectionRow, run_id)
            assert run is not None
            charges = list(
                await session.scalars(
                    select(BillingChargeRow).where(BillingChargeRow.invoice_ref == claim).order_by(BillingChargeRow.id)
                )
            )
            contact = await contact_or_fallback(session, run.bot_id)
        bot_id, method, invoice_id = run.bot_id, run.method, run.invoice_id
        today = self.book.today()
        if invoice_id is None:
            lines = invoice_lines(charges, contact.language)
            card = method == PaymentMethodKind.CARD
            draft = await self.book.create_draft(
                contact.recipient(),
                lines,
                transaction_date=today,
                period=span_of(lines),
                due_date=today if card else transfer_due_date(today),
                notes=payment_note(card, contact.language),
                language=contact.language,
                bot_id=bot_id,
            )
            assert draft.id is not None
            reference = await self.transfers.payer_reference(str(draft.id))
            await self.book.update_draft(draft.id, payer_reference=reference)
            invoice_id = draft.id
            async with self.db.transaction() as session:
                await session.execute(
                    update(CollectionRow).where(CollectionRow.id == run_id).values(invoice_id=invoice_id)
                )
        invoice = await self.book.get(invoice_id)
        if invoice.is_draft:
            invoice = await self.book.finalize(invoice_id)
        async with self.db.transaction() as session:
            issued = await self._open(session, run_id, invoice)
            if not self.book.pdf_on_issue:
                await schedule_pdf_rendering(self.ledger, session, self.clock.now_ms())
        return issued

    async def _open(self, session: AsyncSession, run_id: int, invoice: Invoice) -> IssuedRun:
        """In the caller's transaction: the run's charges marked with its issued invoice's number, and the run
        opened (once: a repeated run changes nothing) with its invoice mail and first collection step."""
        assert invoice.number is not None and invoice.id is not None
        await session.execute(
            update(BillingChargeRow)
            .where(BillingChargeRow.invoice_ref == f"claim:{run_id}")
            .values(invoice_ref=invoice.number)
        )
        run = await session.get(CollectionRow, run_id, with_for_update=self.db.is_postgres or None)
        assert run is not None
        if run.status == CollectionStatus.CLAIMED:
            run.status, run.invoice_number = CollectionStatus.OPEN, invoice.number
            run.amount_yen = invoice.total_gross
            run.due_date, run.lease_until_ms, run.updated_at_ms = invoice.due_date, None, self.clock.now_ms()
            await self._start_collecting(session, run)
        return IssuedRun(run_id, invoice.id, invoice.number, invoice.total_gross, run.method)

    async def _start_collecting(self, session: AsyncSession, run: CollectionRow) -> None:
        """In the transaction that opens the run: the invoice mail and the first collection step."""
        schedule = self.ledger.schedule
        await schedule(
            session, NOTICE_JOB, {"kind": "invoice", "collection_id": run.id},
            key=f"billing:notice:invoice:{run.id}", bot_id=run.bot_id,
        )
        if run.amount_yen == 0:  # a fully discounted period: settled at once, nothing to collect
            await schedule(session, DUNNING_JOB, {"collection_id": run.id, "step": "settle_free"},
                           key=f"billing:dunning:{run.id}:free", bot_id=run.bot_id)
        elif run.method == PaymentMethodKind.CARD:
            await schedule(session, DUNNING_JOB, {"collection_id": run.id, "step": "charge", "attempt": 1},
                           key=f"billing:dunning:{run.id}:charge:1", bot_id=run.bot_id)
        elif run.due_date is not None:
            for index, day in enumerate(self.reminders.dates(run.due_date)):
                payload = {"collection_id": run.id, "step": "transfer_reminder", "day": day.isoformat()}
                await schedule(
                    session, DUNNING_JOB, payload,
                    key=f"billing:dunning:{run.id}:reminder:{index}", bot_id=run.bot_id,
                    run_at_ms=start_ms(day),
                )


async def schedule_pdf_rendering(ledger: Ledger, session: AsyncSession, now_ms: int) -> None:
    """The `render_pdfs` job of the slot `now_ms` falls in, once (keyed), to run at the slot's end so that it
    finds the slot's documents issued."""
    slot = now_ms // RENDER_SLOT_MS
    await ledger.schedule(
        session, RENDER_PDFS_JOB, {"slot": slot, "round": 0}, key=f"billing:render_pdfs:{slot}:0", bot_id=None,
        run_at_ms=(slot + 1) * RENDER_SLOT_MS,
    )


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


def _balance(charges: Sequence[BillingChargeRow]) -> tuple[dict[int, int], bool]:
    """The charges' net amount per tax rate, and whether any line is worth something."""
    per_rate: dict[int, int] = {}
    worth_something = False
    for charge in charges:
        for value in json.loads(charge.lines_json):
            line = BillableLine.from_json(value)
            per_rate[line.tax_rate_percent] = per_rate.get(line.tax_rate_percent, 0) + line.amount_yen
            worth_something = worth_something or line.amount_yen != 0
    return per_rate, worth_something


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
