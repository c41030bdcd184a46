"""Bank transfers (銀行振込): payer references, payments staff record by hand, and statement imports matched
to open invoices, with a reconciliation queue for every credit the matcher cannot settle alone.

Each payment is a `payments` row (method `bank_transfer`) keyed so it cannot be recorded twice: a statement
credit by its line hash (`statement:{hash}`, also when staff resolve it from the queue), a payment staff mark
by hand by invoice, date and amount (`manual:{invoice}:{date}:{yen}`: the same form sent twice records one
payment). Importing a statement twice, or two overlapping exports, adds only the lines not seen before.
Invoices are not read from the invoice engine's tables: the caller passes the open ones (`OpenInvoice`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from hashlib import sha256

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.billing.payments.bank_statement import parse_statement
from linemod.framework.billing.payments.payer_names import normalize
from linemod.framework.billing.payments.payer_reference import reference_for_serial
from linemod.framework.billing.payments.payment_ledger import PaymentRecord, next_attempt
from linemod.framework.billing.payments.records import (
    PayerReferenceRow,
    PaymentMethodKind,
    PaymentRow,
    PaymentStatus,
    ReconciliationItemRow,
    ReconciliationStatus,
    StatementImportRow,
    StatementLineRow,
    StatementLineStatus,
)
from linemod.framework.billing.payments.statement_matching import Matched, OpenInvoice, QueueReason, match_credit
from linemod.framework.clock import Clock
from linemod.framework.storage.database import Database


@dataclass(frozen=True)
class MatchedCredit:
    invoice_id: str
    amount_yen: int
    value_date: date
    payment_id: int


@dataclass(frozen=True)
class ReconciliationItem:
    id: int
    reason: QueueReason
    candidates: tuple[str, ...]
    status: ReconciliationStatus
    value_date: date
    amount_yen: int
    payer_name: str
    invoice_id: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class StatementImport:
    import_id: int
    credits: int
    already_imported: int
    matched: list[MatchedCredit] = field(default_factory=list)
    queued: list[ReconciliationItem] = field(default_factory=list)
    skipped_rows: list[tuple[int, str]] = field(default_factory=list)


class BankTransfers:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def payer_reference(self, invoice_id: str) -> str:
        """The invoice's payer reference, made on first use (print it on the invoice)."""
        async with self.db.session() as session:
            known = await session.scalar(
                select(PayerReferenceRow.reference).where(PayerReferenceRow.invoice_id == invoice_id)
            )
        if known:
            return known
        try:
            async with self.db.transaction() as session:
                return (await self.make_references(session, [invoice_id]))[0]
        except IntegrityError:  # made by a concurrent call
            return await self.payer_reference(invoice_id)

    async def make_references(self, session: AsyncSession, invoice_ids: Sequence[int | str]) -> list[str]:
        """Payer references for invoices that have none yet, in `session`, in order (`InvoiceBook.create_drafts`
        calls it for the month's run, with the ids it has just stored)."""
        rows = [PayerReferenceRow(invoice_id=str(invoice_id), created_at_ms=self.clock.now_ms())
                for invoice_id in invoice_ids]
        session.add_all(rows)
        await session.flush()  # each row's id is its reference's serial number
        references = []
        for row in rows:
            row.reference = reference_for_serial(row.id)
            references.append(row.reference)
        return references

    async def mark_paid(
        self, invoice_id: str, amount_yen: int, paid_on: date, *, note: str = "", recorded_by: int | None = None
    ) -> PaymentRecord:
        """Staff saw the money arrive: records it (once, however often the form is sent)."""
        if amount_yen <= 0:
            raise ValueError("a payment is a positive number of yen")
        key = f"manual:{invoice_id}:{paid_on.isoformat()}:{amount_yen}"
        try:
            async with self.db.transaction() as session:
                row = await self._record(session, invoice_id, amount_yen, paid_on, key, note=note,
                                         recorded_by=recorded_by)
                return PaymentRecord.from_row(row)
        except IntegrityError:
            async with self.db.session() as session:
                existing = await session.scalar(select(PaymentRow).where(PaymentRow.idempotency_key == key))
            if existing is None:
                raise
            return PaymentRecord.from_row(existing)

    async def _record(
        self, session: AsyncSession, invoice_id: str, amount_yen: int, paid_on: date, key: str, *, note: str,
        recorded_by: int | None = None, statement_line_id: int | None = None,
    ) -> PaymentRow:
        now = self.clock.now_ms()
        row = PaymentRow(
            invoice_id=invoice_id, attempt=await next_attempt(session, invoice_id, PaymentMethodKind.BANK_TRANSFER),
            idempotency_key=key,
            method=PaymentMethodKind.BANK_TRANSFER, status=PaymentStatus.SUCCEEDED, amount_yen=amount_yen,
            paid_on=paid_on, note=note or None, recorded_by=recorded_by, statement_line_id=statement_line_id,
            created_at_ms=now, updated_at_ms=now,
        )
        session.add(row)
        await session.flush()
        return row

    async def import_statement(
        self, data: bytes, invoices: Sequence[OpenInvoice], *, filename: str = "", imported_by: int | None = None
    ) -> StatementImport:
        """Reads a statement CSV, records a payment for every credit that exactly matches one open invoice, and
        queues the rest for staff. Lines imported before are skipped. `StatementFormatError` if unreadable."""
        parsed = parse_statement(data)
        now = self.clock.now_ms()
        async with self.db.transaction() as session:
            hashes = [credit.line_hash for credit in parsed.credits]
            known = set(await session.scalars(select(StatementLineRow.line_hash).where(
                StatementLineRow.line_hash.in_(hashes))))
            fresh = [credit for credit in parsed.credits if credit.line_hash not in known]
            batch = StatementImportRow(
                file_sha256=sha256(data).hexdigest(), filename=filename[:255], imported_by=imported_by,
                lines_total=len(parsed.credits), lines_new=len(fresh), matched=0, queued=0, imported_at_ms=now,
            )
            session.add(batch)
            await session.flush()
            open_invoices = {invoice.invoice_id: invoice for invoice in invoices}
            matched: list[MatchedCredit] = []
            queued: list[ReconciliationItem] = []
            for credit in fresh:
                line = StatementLineRow(
                    line_hash=credit.line_hash, import_id=batch.id, value_date=credit.value_date,
                    amount_yen=credit.amount_yen, payer_name=credit.payer_name[:255],
                    payer_name_normalized=normalize(credit.payer_name)[:255], status=StatementLineStatus.QUEUED,
                    created_at_ms=now,
                )
                session.add(line)
                await session.flush()
                decision = match_credit(credit.amount_yen, credit.payer_name, list(open_invoices.values()))
                if isinstance(decision, Matched):
                    payment = await self._pay_line(session, line, decision.invoice_id, StatementLineStatus.MATCHED,
                                                   note=filename)
                    del open_invoices[decision.invoice_id]  # a second credit for it is for staff to look at
                    matched.append(MatchedCredit(decision.invoice_id, credit.amount_yen, credit.value_date, payment.id))
                else:
                    item = ReconciliationItemRow(
                        statement_line_id=line.id, reason=decision.reason, candidates=",".join(decision.candidates),
                        status=ReconciliationStatus.OPEN, created_at_ms=now,
                    )
                    session.add(item)
                    await session.flush()
                    queued.append(_item(item, line))
            batch.matched, batch.queued = len(matched), len(queued)
        return StatementImport(batch.id, len(parsed.credits), len(parsed.credits) - len(fresh), matched, queued,
                               parsed.skipped_rows)

    async def _pay_line(
        self, session: AsyncSession, line: StatementLineRow, invoice_id: str, status: StatementLineStatus, *,
        note: str, recorded_by: int | None = None,
    ) -> PaymentRow:
        payment = await self._record(
            session, invoice_id, line.amount_yen, line.value_date, f"statement:{line.line_hash}", note=note,
            recorded_by=recorded_by, statement_line_id=line.id,
        )
        line.invoice_id, line.payment_id, line.status = invoice_id, payment.id, status
        return payment

    async def open_items(self) -> list[ReconciliationItem]:
        """The reconciliation queue, oldest first."""
        async with self.db.session() as session:
            rows = await session.execute(
                select(ReconciliationItemRow, StatementLineRow)
                .join(StatementLineRow, StatementLineRow.id == ReconciliationItemRow.statement_line_id)
                .where(ReconciliationItemRow.status == ReconciliationStatus.OPEN)
                .order_by(ReconciliationItemRow.id)
            )
            return [_item(item, line) for item, line in rows]

    async def resolve(self, item_id: int, invoice_id: str, *, resolved_by: int, note: str = "") -> PaymentRecord:
        """Staff decided the credit pays `invoice_id`: records it (its full amount) as that invoice's payment."""
        async with self.db.transaction() as session:
            item, line = await self._open_item(session, item_id)
            payment = await self._pay_line(session, line, invoice_id, StatementLineStatus.RESOLVED, note=note,
                                           recorded_by=resolved_by)
            self._close(item, ReconciliationStatus.RESOLVED, resolved_by, note, invoice_id)
            return PaymentRecord.from_row(payment)

    async def dismiss(self, item_id: int, *, resolved_by: int, note: str) -> None:
        """Staff decided the credit pays no invoice (a refund to make, a transfer of something else)."""
        async with self.db.transaction() as session:
            item, line = await self._open_item(session, item_id)
            line.status = StatementLineStatus.DISMISSED
            self._close(item, ReconciliationStatus.DISMISSED, resolved_by, note, None)

    async def _open_item(self, session: AsyncSession, item_id: int) -> tuple[ReconciliationItemRow, StatementLineRow]:
        item = await session.get(ReconciliationItemRow, item_id, with_for_update=True)
        if item is None or item.status != ReconciliationStatus.OPEN:
            raise LookupError(f"reconciliation item {item_id} is not open")
        line = await session.get(StatementLineRow, item.statement_line_id)
        assert line is not None
        return item, line

    def _close(
        self, item: ReconciliationItemRow, status: ReconciliationStatus, by: int, note: str, invoice_id: str | None
    ) -> None:
        item.status, item.resolved_by, item.resolved_at_ms = status, by, self.clock.now_ms()
        item.note, item.invoice_id = note or None, invoice_id


def _item(item: ReconciliationItemRow, line: StatementLineRow) -> ReconciliationItem:
    return ReconciliationItem(
        id=item.id, reason=QueueReason(item.reason), candidates=tuple(c for c in item.candidates.split(",") if c),
        status=ReconciliationStatus(item.status), value_date=line.value_date, amount_yen=line.amount_yen,
        payer_name=line.payer_name, invoice_id=item.invoice_id, note=item.note,
    )
