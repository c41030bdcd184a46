"""Money received: an invoice becomes paid, its receipt (領収書) is issued and mailed, and the subscription
returns to active. Whatever brought the money: a card charge or retry, the card the operator replaced (which
pays every open invoice at once: "pay now"), a Stripe webhook settling a charge that was processing or
waiting for 3-D Secure, a transfer staff marked paid, or a bank statement line matched to the invoice.

Settling twice changes nothing: the invoice is marked paid once (`InvoiceBook.mark_paid` refuses a second
time, and its receipt is then looked up), and the run moves to `paid` under a row lock.
"""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import select

from linemod.framework.billing.audit_log import SYSTEM
from linemod.framework.billing.changes import SubscriptionChanges
from linemod.framework.billing.collection import NOTICE_JOB
from linemod.framework.billing.collection_records import UNPAID, CollectionRow, CollectionStatus
from linemod.framework.billing.dunning_steps import DunningSteps
from linemod.framework.billing.invoicing.book import InvoiceBook
from linemod.framework.billing.invoicing.documents import DocumentKind, DocumentStatus, Invoice
from linemod.framework.billing.invoicing.errors import InvoiceStateError
from linemod.framework.billing.ledger import Ledger
from linemod.framework.billing.payments.bank_transfer import BankTransfers, StatementImport
from linemod.framework.billing.payments.card_payments import CardPayments
from linemod.framework.billing.payments.events import PaymentEvent
from linemod.framework.billing.payments.payment_ledger import PaymentLedger, PaymentRecord
from linemod.framework.billing.payments.provider import ChargeOutcome, ChargeResult
from linemod.framework.billing.payments.records import PaymentStatus
from linemod.framework.billing.payments.statement_matching import OpenInvoice
from linemod.framework.clock import Clock
from linemod.framework.storage.database import Database

log = logging.getLogger("linemod.billing")
METHOD_NAMES = {
    "card": ("クレジットカード", "Credit card"),
    "bank_transfer": ("銀行振込", "Bank transfer"),
    "none": ("お支払い不要", "Nothing to pay"),
}
_FAILED = {
    PaymentStatus.DECLINED: ChargeOutcome.DECLINED,
    PaymentStatus.HARD_DECLINED: ChargeOutcome.HARD_DECLINED,
    PaymentStatus.REQUIRES_ACTION: ChargeOutcome.REQUIRES_ACTION,
}


class Settlement:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        ledger: Ledger,
        changes: SubscriptionChanges,
        book: InvoiceBook,
        cards: CardPayments | None,
        transfers: BankTransfers,
        dunning: DunningSteps,
    ) -> None:
        self.db = db
        self.clock = clock
        self.ledger = ledger
        self.changes = changes
        self.book = book
        self.cards = cards
        self.transfers = transfers
        self.dunning = dunning
        dunning.settle = self.settle_paid

    async def settle_paid(
        self, collection_id: int, method: str, paid_on: date | None = None, *, actor: str = SYSTEM
    ) -> Invoice | None:
        """The run's invoice is paid in full: mark it, issue the receipt, reactivate the subscription (unless
        another of its invoices is still unpaid after a failure), mail the receipt. Returns the receipt.
        `actor` is who the invoice's change log names: the staff member whose entry settled it, else the system."""
        async with self.db.session() as session:
            run = await session.get(CollectionRow, collection_id)
        if run is None or run.invoice_id is None or run.status == CollectionStatus.PAID:
            return None
        invoice = await self.book.get(run.invoice_id)
        ja, en = METHOD_NAMES.get(method, (method, method))
        try:
            receipt = await self.book.mark_paid(
                run.invoice_id, paid_on=paid_on, method=en if invoice.language == "en" else ja, actor=actor
            )
        except InvoiceStateError:
            # Read again: a concurrent settlement (the charge's answer and its webhook) may have just paid it.
            if (await self.book.get(run.invoice_id)).status is not DocumentStatus.PAID:
                raise
            receipt = next(d for d in await self.book.related(run.invoice_id) if d.kind is DocumentKind.RECEIPT)
        async with self.db.transaction() as session:
            run = await session.get(
                CollectionRow, collection_id, with_for_update=self.db.is_postgres or None, populate_existing=True
            )
            if run is None or run.status == CollectionStatus.PAID:
                return receipt
            run.status, run.receipt_id, run.lease_until_ms = CollectionStatus.PAID, receipt.id, None
            run.updated_at_ms = self.clock.now_ms()
            others = await session.scalar(
                select(CollectionRow.id).where(
                    CollectionRow.bot_id == run.bot_id,
                    CollectionRow.id != run.id,
                    CollectionRow.status.in_([CollectionStatus.PAST_DUE, CollectionStatus.RESTRICTED]),
                )
            )
            sub = await self.ledger.load(session, run.bot_id)
            if sub is not None and others is None:
                detail = {"invoice": run.invoice_number, "method": method, "amount_yen": run.amount_yen}
                await self.changes.payment_succeeded(session, run.bot_id, detail)
            await self.ledger.schedule(
                session, NOTICE_JOB, {"kind": "receipt", "collection_id": run.id},
                key=f"billing:notice:receipt:{run.id}", bot_id=run.bot_id,
            )
        return receipt

    async def pay_open_invoices_by_card(self, bot_id: str) -> list[ChargeResult]:
        """Charge every unpaid invoice of the OA to its (new) default card now, as the next attempt of each:
        what saving a card, or the pay-now page, does."""
        results = []
        for run in await self.unpaid_runs(bot_id):
            result = await self.dunning.charge(run.id, run.card_attempts + 1)
            if result is not None:
                results.append(result)
        return results

    async def unpaid_runs(self, bot_id: str | None = None) -> list[CollectionRow]:
        """Issued, unpaid invoices' runs (of one OA, or all), oldest first."""
        query = select(CollectionRow).where(CollectionRow.status.in_(UNPAID), CollectionRow.invoice_id.is_not(None))
        if bot_id is not None:
            query = query.where(CollectionRow.bot_id == bot_id)
        async with self.db.session() as session:
            return list(await session.scalars(query.order_by(CollectionRow.id)))

    # ---- bank transfers -------------------------------------------------------------------------------

    async def record_transfer(
        self, invoice_id: int, amount_yen: int, paid_on: date, *, recorded_by: int | None = None, note: str = "",
        actor: str = SYSTEM,
    ) -> PaymentRecord:
        """Staff saw a transfer arrive for an invoice; once it is paid in full, it is settled."""
        payment = await self.transfers.mark_paid(str(invoice_id), amount_yen, paid_on, note=note,
                                                 recorded_by=recorded_by)
        await self._settle_if_covered(invoice_id, paid_on, actor)
        return payment

    async def import_statement(self, data: bytes, *, filename: str = "", imported_by: int | None = None,
                               actor: str = SYSTEM) -> StatementImport:
        """A bank statement CSV matched to the open invoices; every invoice it pays is settled."""
        runs = await self.unpaid_runs()
        documents = {run.id: await self.book.get(run.invoice_id or 0) for run in runs}
        open_invoices = [
            OpenInvoice(
                str(run.invoice_id), run.invoice_number or "", run.amount_yen, documents[run.id].payer_reference,
                documents[run.id].recipient.name, run.due_date,
            )
            for run in runs
        ]
        imported = await self.transfers.import_statement(data, open_invoices, filename=filename,
                                                         imported_by=imported_by)
        for credit in imported.matched:
            await self._settle_if_covered(int(credit.invoice_id), credit.value_date, actor)
        return imported

    async def resolve_statement_item(
        self, item_id: int, invoice_id: int, *, resolved_by: int, note: str = "", actor: str = SYSTEM
    ) -> PaymentRecord:
        """Staff decided a queued statement credit pays `invoice_id`: it is recorded as that invoice's
        payment, and the invoice is settled once paid in full."""
        payment = await self.transfers.resolve(item_id, str(invoice_id), resolved_by=resolved_by, note=note)
        await self._settle_if_covered(invoice_id, payment.paid_on or self.book.today(), actor)
        return payment

    async def _settle_if_covered(self, invoice_id: int, paid_on: date, actor: str) -> None:
        async with self.db.session() as session:
            run = await session.scalar(select(CollectionRow).where(CollectionRow.invoice_id == invoice_id))
        if run is None:
            return
        if await PaymentLedger(self.db).paid_yen(str(invoice_id)) >= run.amount_yen:
            await self.settle_paid(run.id, "bank_transfer", paid_on, actor=actor)

    # ---- provider webhooks ----------------------------------------------------------------------------

    async def apply_payment_event(self, event: PaymentEvent) -> None:
        """A verified provider event: the payment it settles is recorded, then its invoice follows (paid, or
        a failure of a charge that was processing or waiting for the cardholder)."""
        if self.cards is None:
            return
        record = await self.cards.apply_event(event)
        if record is None:
            return
        async with self.db.session() as session:
            run = await session.scalar(select(CollectionRow).where(CollectionRow.invoice_id == int(record.invoice_id)))
        if run is None:
            return
        if record.status is PaymentStatus.SUCCEEDED:
            await self.settle_paid(run.id, "card")
        elif record.status in _FAILED and run.last_outcome in (ChargeOutcome.PROCESSING, ChargeOutcome.REQUIRES_ACTION):
            await self.dunning.after_charge(run.id, record.attempt, ChargeResult(_FAILED[record.status],
                                                                                  record.amount_yen))
