"""The collection run: an OA's charges become one qualified invoice, issued, mailed and put to collection.

`billing_charges` rows are written by the subscription side (renewals, trial ends with `invoice`, plan
changes, final charges at detach); each write schedules a collect job for its OA in the same transaction
(`collection_jobs.py`), which collects that OA and up to `COLLECT_BATCH` - 1 others whose charges wait, each
step below done for the whole batch at once (`collection_batch.py`). A run then:

1. claims every charge of the OA not yet invoiced, in one transaction: a `billing_collections` row, and a
   conditional `UPDATE billing_charges SET invoice_ref = 'claim:{run}' WHERE invoice_ref IS NULL`. A second
   run (a second job, a second worker) claims nothing the first took: it finds them taken and stops;
2. makes the draft (lines from the charges, the recipient from the billing profile, a payer reference for
   bank transfers), records its id on the run, then finalizes it (gap-free number, immutable from then on);
3. marks the charges with the invoice's number, opens the run, and in that same transaction schedules the
   invoice mail and the first collection step (card: attempt 1 now; bank transfer: reminders around the due
   date). Those are keyed jobs (`dunning.py` runs them): a run that is repeated schedules nothing twice.
   Unless the book renders PDFs on issue, it also schedules the `render_pdfs` job of the current time slot,
   which makes the PDFs in the collection's process pool (the invoice mail waits for it, and makes its PDF
   itself 10 minutes after issue: the PDF is a rendering of the HTML stored at issue, the same whenever made).

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

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.billing.collection_records import CollectionRow, CollectionStatus
from linemod.framework.billing.invoicing.book import InvoiceBook
from linemod.framework.billing.invoicing.documents import Invoice
from linemod.framework.billing.ledger import Ledger
from linemod.framework.billing.lines import BillableLine
from linemod.framework.billing.payments.bank_transfer import BankTransfers
from linemod.framework.billing.payments.dunning import TransferReminders
from linemod.framework.billing.payments.records import PaymentMethodKind, PaymentMethodRow
from linemod.framework.billing.periods import start_ms
from linemod.framework.billing.records import BillingChargeRow
from linemod.framework.clock import Clock
from linemod.framework.queue.scheduler import Job
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
        issued = await self.collect_many([bot_id])
        return issued[0] if issued else None

    async def collect_many(self, bot_ids: Sequence[str]) -> list[IssuedRun]:
        """`collect` for many OAs at once (the month's renewals): the claims in one transaction, then every
        draft stored with its payer reference, every invoice issued and every run opened in one transaction
        each (`collection_batch.py`). What another worker claimed first is skipped."""
        from linemod.framework.billing.collection_batch import issue_runs

        async with self.db.transaction() as session:
            run_ids = await self._claim_many(session, bot_ids, self.clock.now_ms())
        return await issue_runs(self, run_ids)

    async def _claim_many(self, session: AsyncSession, bot_ids: Sequence[str], now: int) -> list[int]:
        """In the caller's transaction, the ids of the runs claimed: for each OA, a run holding every charge of
        the OA not invoiced yet, or its run whose worker died (its lease passed). An OA with nothing to invoice,
        or whose charges another run took first, gets none (and nothing of its claim is left)."""
        bots = sorted(set(bot_ids))
        stale = {
            run.bot_id: run
            for run in await session.scalars(
                select(CollectionRow).where(
                    CollectionRow.bot_id.in_(bots),
                    CollectionRow.status == CollectionStatus.CLAIMED,
                    CollectionRow.lease_until_ms < now,
                )
            )
        }
        pending: dict[str, list[BillingChargeRow]] = {}
        for charge in await session.scalars(
            select(BillingChargeRow)
            .where(BillingChargeRow.bot_id.in_([b for b in bots if b not in stale]),
                   BillingChargeRow.invoice_ref.is_(None))
            .order_by(BillingChargeRow.id)
        ):
            pending.setdefault(charge.bot_id, []).append(charge)
        cards = await self._bots_with_cards(session, list(pending))
        claimed: list[int] = []
        for run in stale.values():  # a run whose worker died: finish it first
            taken = await session.execute(
                update(CollectionRow)
                .where(CollectionRow.id == run.id, CollectionRow.lease_until_ms == run.lease_until_ms)
                .values(lease_until_ms=now + LEASE_MS)
            )
            if getattr(taken, "rowcount", 0) == 1:
                claimed.append(run.id)
        nothing, runs = [], []
        for bot_id, charges in pending.items():
            per_rate, worth_something = _balance(charges)
            if not worth_something:  # e.g. usage within the included quantity only: nothing to invoice
                nothing += [c.id for c in charges]
            elif any(amount < 0 for amount in per_rate.values()):
                log.info("OA %s: its charges net to a credit, carried forward to its next invoice", bot_id)
            else:
                method = PaymentMethodKind.CARD if bot_id in cards else PaymentMethodKind.BANK_TRANSFER
                runs.append(CollectionRow(
                    bot_id=bot_id, status=CollectionStatus.CLAIMED, method=method, amount_yen=0, card_attempts=0,
                    lease_until_ms=now + LEASE_MS, created_at_ms=now, updated_at_ms=now,
                ))
        if nothing:
            await session.execute(
                update(BillingChargeRow)
                .where(BillingChargeRow.id.in_(nothing), BillingChargeRow.invoice_ref.is_(None))
                .values(invoice_ref=NOTHING_TO_INVOICE)
            )
        if not runs:
            return claimed
        session.add_all(runs)
        await session.flush()
        # Every charge read above marked with its run's claim in one statement, then counted per claim: a claim
        # short of any charge lost it to another run since the read, and is undone (not the transaction, which
        # holds the other OAs' claims), leaving the OA to that run.
        claim_of = {run.bot_id: f"claim:{run.id}" for run in runs}
        await session.execute(
            update(BillingChargeRow)
            .where(BillingChargeRow.id.in_([c.id for r in runs for c in pending[r.bot_id]]),
                   BillingChargeRow.invoice_ref.is_(None))
            .values(invoice_ref=case(claim_of, value=BillingChargeRow.bot_id))
            .execution_options(synchronize_session=False)
        )
        counts = dict((await session.execute(
            select(BillingChargeRow.invoice_ref, func.count())
            .where(BillingChargeRow.invoice_ref.in_(list(claim_of.values())))
            .group_by(BillingChargeRow.invoice_ref)
        )).all())
        for run in runs:
            claim = claim_of[run.bot_id]
            if counts.get(claim, 0) == len(pending[run.bot_id]):
                claimed.append(run.id)
                continue
            await session.execute(
                update(BillingChargeRow).where(BillingChargeRow.invoice_ref == claim).values(invoice_ref=None)
                .execution_options(synchronize_session=False)
            )
            await session.delete(run)
        await session.flush()
        return claimed

    async def _bots_with_cards(self, session: AsyncSession, bot_ids: list[str]) -> set[str]:
        """The OAs that pay by card: a default card at the provider in use (the others pay by bank transfer)."""
        if self.card_provider is None or not bot_ids:
            return set()
        return set(await session.scalars(
            select(PaymentMethodRow.bot_id).where(
                PaymentMethodRow.bot_id.in_(bot_ids),
                PaymentMethodRow.provider == self.card_provider,
                PaymentMethodRow.is_default.is_(True),
                PaymentMethodRow.removed_at_ms.is_(None),
            )
        ))

    async def _open_many(self, session: AsyncSession, issued: Sequence[tuple[int, Invoice]]) -> list[IssuedRun]:
        """In the caller's transaction: each run's charges marked with its issued invoice's number, and the run
        opened (once: a repeated run changes nothing) with its invoice mail and first collection step."""
        number_of = {f"claim:{run_id}": invoice.number for run_id, invoice in issued}
        await session.execute(
            update(BillingChargeRow)
            .where(BillingChargeRow.invoice_ref.in_(list(number_of)))
            .values(invoice_ref=case(number_of, value=BillingChargeRow.invoice_ref))
            .execution_options(synchronize_session=False)
        )
        statement = select(CollectionRow).where(CollectionRow.id.in_([run_id for run_id, _ in issued]))
        runs = {run.id: run for run in await session.scalars(
            statement.with_for_update() if self.db.is_postgres else statement
        )}
        jobs: list[Job] = []
        opened = []
        for run_id, invoice in issued:
            assert invoice.number is not None and invoice.id is not None
            run = runs[run_id]
            if run.status == CollectionStatus.CLAIMED:
                run.status, run.invoice_number = CollectionStatus.OPEN, invoice.number
                run.amount_yen = invoice.total_gross
                run.due_date, run.lease_until_ms, run.updated_at_ms = invoice.due_date, None, self.clock.now_ms()
                jobs += self._first_steps(run)
            opened.append(IssuedRun(run_id, invoice.id, invoice.number, invoice.total_gross, run.method))
        await self.ledger.scheduler.schedule_many(jobs, session=session)
        return opened

    def _first_steps(self, run: CollectionRow) -> list[Job]:
        """What opening the run schedules: the invoice mail and the first collection step."""
        steps = [Job(NOTICE_JOB, {"kind": "invoice", "collection_id": run.id},
                     key=f"billing:notice:invoice:{run.id}", bot_id=run.bot_id)]
        if run.amount_yen == 0:  # a fully discounted period: settled at once, nothing to collect
            steps.append(Job(DUNNING_JOB, {"collection_id": run.id, "step": "settle_free"},
                             key=f"billing:dunning:{run.id}:free", bot_id=run.bot_id))
        elif run.method == PaymentMethodKind.CARD:
            steps.append(Job(DUNNING_JOB, {"collection_id": run.id, "step": "charge", "attempt": 1},
                             key=f"billing:dunning:{run.id}:charge:1", bot_id=run.bot_id))
        elif run.due_date is not None:
            for index, day in enumerate(self.reminders.dates(run.due_date)):
                steps.append(Job(
                    DUNNING_JOB, {"collection_id": run.id, "step": "transfer_reminder", "day": day.isoformat()},
                    key=f"billing:dunning:{run.id}:reminder:{index}", bot_id=run.bot_id, run_at_ms=start_ms(day),
                ))
        return steps


async def schedule_pdf_rendering(ledger: Ledger, session: AsyncSession, now_ms: int) -> None:
    """The `render_pdfs` job of the slot `now_ms` falls in, once (keyed), to run at the slot's end so that it
    finds the slot's documents issued."""
    slot = now_ms // RENDER_SLOT_MS
    await ledger.schedule(
        session, RENDER_PDFS_JOB, {"slot": slot, "round": 0}, key=f"billing:render_pdfs:{slot}:0", bot_id=None,
        run_at_ms=(slot + 1) * RENDER_SLOT_MS,
    )


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
