"""InvoiceBook: drafts, issuing, payment, returns and the archive, over the framework's database.

Issuing happens in two transactions. The first locks the draft, checks every mandatory item, takes the
next number of its series, renders the HTML and logs the change: the number is used only if all of that
commits, and the counter row stays locked only for those milliseconds. The second stores the PDF made from
that HTML, outside any lock (WeasyPrint takes 60-80 ms of CPU a page). A crash in between leaves
an issued document without its PDF, which `pdf()` then makes from the stored HTML. A monthly run creates and
issues drafts in batches (`create_drafts`, `finalize_many`: one transaction and one block of numbers per
batch, see `issuing.py`) and leaves the PDFs to `render_pending_pdfs()` in a process pool. Reading the
documents back (by id or number, HTML, PDF, history, the archive search) is `DocumentReader`, which the book is.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import date
from enum import Enum
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession
from typing_extensions import Unpack

from linemod.framework.billing.invoicing.change_log import ChangeAction, change_values, changed_fields
from linemod.framework.billing.invoicing.document_reader import DocumentReader
from linemod.framework.billing.invoicing.document_rows import (
    insert_row,
    insert_rows,
    load_row,
    load_rows,
    returns_against,
    write_transaction,
)
from linemod.framework.billing.invoicing.documents import (
    DocumentKind,
    DocumentStatus,
    DraftFields,
    Invoice,
    InvoiceLine,
    Issuer,
    PaymentReceived,
    Period,
    Recipient,
)
from linemod.framework.billing.invoicing.errors import (
    ImmutableInvoiceError,
    InvoiceStateError,
)
from linemod.framework.billing.invoicing.follow_up_documents import (
    check_return_fits,
    default_payment_method,
    default_proviso,
    receipt_draft,
    return_invoice_draft,
)
from linemod.framework.billing.invoicing.invoice_settings import InvoiceSettings
from linemod.framework.billing.invoicing.issuing import Batch, Issuing
from linemod.framework.billing.invoicing.records import InvoiceChangeRow, InvoiceRow
from linemod.framework.billing.invoicing.registration_number import registration_number_problem
from linemod.framework.billing.invoicing.rendering import InvoiceRenderer
from linemod.framework.billing.invoicing.snapshots import content_to_plain, document_from_row, fill_row
from linemod.framework.clock import Clock
from linemod.framework.storage.database import Database

PayerReferences = Callable[[AsyncSession, list[int]], Awaitable[list[str]]]
"""Makes the payer references of new invoices, by their ids, in the transaction that stores them."""
log = logging.getLogger(__name__)


class _Keep(Enum):
    KEEP = "keep"


KEEP = _Keep.KEEP
"""`update_draft`'s default for every field: leave it as it is."""


class InvoiceBook(DocumentReader):
    """The provider's documents. `issuer` is who issues them (checked now: a wrong registration number
    fails here, not at the first invoice); `renderer` makes the HTML and PDF. With `pdf_on_issue=False`
    issuing stores the HTML only and `render_pending_pdfs()` makes the PDFs later, e.g. in a job whose
    renderer has a process pool (a batch of thousands of invoices then is not held up by WeasyPrint).

    Every method runs its own transactions. On SQLite, do not call one while your own transaction holds the
    write lock (e.g. in a handler after writing through `ctx.db`): it would wait for that lock.
    """

    def __init__(
        self,
        db: Database,
        clock: Clock,
        issuer: Issuer,
        *,
        settings: InvoiceSettings | None = None,
        renderer: InvoiceRenderer | None = None,
        pdf_on_issue: bool = True,
    ) -> None:
        problem = registration_number_problem(issuer.registration_number, sole_proprietor=issuer.sole_proprietor)
        if problem is not None:
            raise ValueError(f"the issuer's registration number is invalid: {problem}")
        super().__init__(db, settings=settings, renderer=renderer)
        self.clock = clock
        self.issuer = issuer
        self.pdf_on_issue = pdf_on_issue
        self.issuing = Issuing(issuer, self.settings, self.renderer, dialect=db.dialect)

    def today(self) -> date:
        return self.settings.today(self.clock.now_ms())

    # ---- drafts ---------------------------------------------------------------------------------------

    def new_draft(
        self,
        recipient: Recipient,
        lines: Sequence[InvoiceLine],
        *,
        language: str | None = None,
        **fields: Unpack[DraftFields],
    ) -> Invoice:
        """A draft invoice of this book (in its language unless told), not stored yet (what `create_drafts`
        takes)."""
        return Invoice(
            kind=DocumentKind.INVOICE,
            issuer=self.issuer,
            recipient=recipient,
            lines=tuple(lines),
            language=language or self.settings.language,
            prices_include_tax=self.settings.prices_include_tax,
            rounding=self.settings.rounding,
            **fields,
        )

    async def create_draft(
        self,
        recipient: Recipient,
        lines: Sequence[InvoiceLine],
        *,
        language: str | None = None,
        actor: str = "system",
        **fields: Unpack[DraftFields],
    ) -> Invoice:
        """A new draft invoice: editable, unnumbered, not yet a document anyone received."""
        draft = self.new_draft(recipient, lines, language=language, **fields)
        return (await self.create_drafts([draft], actor=actor))[0]

    async def create_drafts(
        self, drafts: Sequence[Invoice], *, actor: str = "system", payer_references: PayerReferences | None = None
    ) -> list[Invoice]:
        """Store drafts made by `new_draft` in one transaction (the monthly run), each logged as created;
        returned with their ids, in order. `payer_references`, given the new ids in that transaction, returns
        each draft's payer reference (a reference is made for an invoice id, which the draft only has now)."""
        if any(d.kind is not DocumentKind.INVOICE or not d.is_draft or d.id is not None for d in drafts):
            raise ValueError("create_drafts stores new draft invoices (from new_draft), not stored documents")
        if not drafts:
            return []
        now = self.clock.now_ms()
        async with write_transaction(self.db) as session:
            rows = await insert_rows(session, self.provider, drafts, now)
            if payer_references is not None:
                references = await payer_references(session, [row.id for row in rows])
                drafts = [replace(draft, payer_reference=ref) for draft, ref in zip(drafts, references, strict=True)]
                for row, reference in zip(rows, references, strict=True):
                    row.payer_reference = reference
            changes = [
                change_values(row.id, now, actor, ChangeAction.CREATED, after=content_to_plain(draft))
                for row, draft in zip(rows, drafts, strict=True)
            ]
            await session.execute(insert(InvoiceChangeRow), changes)
        return [replace(draft, id=row.id) for row, draft in zip(rows, drafts, strict=True)]

    async def update_draft(
        self,
        invoice_id: int,
        *,
        actor: str = "system",
        recipient: Recipient | _Keep = KEEP,
        lines: Sequence[InvoiceLine] | _Keep = KEEP,
        transaction_date: date | _Keep | None = KEEP,
        period: Period | _Keep | None = KEEP,
        due_date: date | _Keep | None = KEEP,
        notes: str | _Keep = KEEP,
        payer_reference: str | _Keep | None = KEEP,
        language: str | _Keep = KEEP,
        bot_id: str | _Keep | None = KEEP,
    ) -> Invoice:
        """Change a draft; every change is logged with the fields before and after. An issued document
        raises `ImmutableInvoiceError`."""
        given = {
            "recipient": recipient,
            "lines": lines if isinstance(lines, _Keep) else tuple(lines),
            "transaction_date": transaction_date,
            "period": period,
            "due_date": due_date,
            "notes": notes,
            "payer_reference": payer_reference,
            "language": language,
            "bot_id": bot_id,
        }
        changes = {name: value for name, value in given.items() if not isinstance(value, _Keep)}
        async with write_transaction(self.db) as session:
            row = await load_row(session, self.provider, invoice_id, lock=True)
            current = document_from_row(row)
            if not current.is_draft:
                raise ImmutableInvoiceError(
                    f"{current.kind.value} {current.number} is {current.status.value}: issued documents never "
                    "change. Void it and issue a new invoice, or issue a return invoice for what is given back."
                )
            edited = replace(current, **changes)  # type: ignore[arg-type]
            before, after = changed_fields(content_to_plain(current), content_to_plain(edited))
            if after:
                fill_row(row, edited)
                row.updated_at_ms = self.clock.now_ms()
                await self._log(session, invoice_id, actor, ChangeAction.UPDATED, before=before, after=after)
            return edited

    # ---- issuing --------------------------------------------------------------------------------------

    async def finalize(self, invoice_id: int, *, actor: str = "system") -> Invoice:
        """Issue a draft: check it, number it, render and store it. Refused with `NotQualifiedError` (listing
        every missing item) when it lacks anything a qualified invoice must show; no number is used then."""
        async with write_transaction(self.db) as session:
            row = await load_row(session, self.provider, invoice_id, lock=True)
            draft = document_from_row(row)
            if not draft.is_draft:
                raise InvoiceStateError(f"{draft.kind.value} {draft.number} is already {draft.status.value}")
            issued, html = await self._issue(session, row, draft, actor)
        return await self._with_pdf(issued, html)

    async def finalize_many(self, invoice_ids: Sequence[int], *, actor: str = "system") -> Batch:
        """Issue several drafts in one transaction (the monthly run: batches of a few hundred), each checked,
        numbered (consecutively, in the order given), rendered and logged as `finalize` does. A draft that
        cannot be issued is left as it is and reported in `refused`, using no number; the others are issued."""
        async with write_transaction(self.db) as session:
            rows = await load_rows(session, self.provider, invoice_ids, lock=True)
            ready, refused = self.issuing.triage(invoice_ids, rows, self.clock.now_ms())
            issued = await self.issuing.issue(session, ready, actor=actor, now_ms=self.clock.now_ms()) if ready else []
        if self.pdf_on_issue:
            await asyncio.gather(*(self._with_pdf(each.document, each.html) for each in issued))
        return Batch([each.document for each in issued], refused)

    async def void(self, invoice_id: int, *, reason: str, actor: str = "system") -> Invoice:
        """Cancel a draft or an unpaid issued document; it stays in the archive, marked void, with the
        reason. A paid one is refunded with a return invoice instead."""
        if not reason.strip():
            raise ValueError("voiding a document needs a reason")
        async with write_transaction(self.db) as session:
            row = await load_row(session, self.provider, invoice_id, lock=True)
            if row.status not in (DocumentStatus.DRAFT, DocumentStatus.FINALIZED):
                raise InvoiceStateError(
                    f"{row.number or row.id} is {row.status}: only drafts and unpaid documents can be voided; "
                    "give money back with a return invoice"
                )
            before = row.status
            row.status, row.void_reason = DocumentStatus.VOID.value, reason
            row.voided_at_ms = row.updated_at_ms = self.clock.now_ms()
            await self._log(
                session, invoice_id, actor, ChangeAction.VOIDED, {"status": before}, {"status": row.status}, reason
            )
            return document_from_row(row)

    async def mark_paid(
        self,
        invoice_id: int,
        *,
        paid_on: date | None = None,
        method: str | None = None,
        proviso: str | None = None,
        actor: str = "system",
    ) -> Invoice:
        """Record that an issued invoice was paid in full, and issue its receipt (returned)."""
        async with write_transaction(self.db) as session:
            row = await load_row(session, self.provider, invoice_id, lock=True)
            invoice = document_from_row(row)
            if invoice.kind is not DocumentKind.INVOICE or invoice.status is not DocumentStatus.FINALIZED:
                raise InvoiceStateError(
                    f"{invoice.number or invoice.id} is a {invoice.status.value} {invoice.kind.value}: only an "
                    "issued, unpaid invoice can be marked paid"
                )
            now = self.clock.now_ms()
            row.status, row.paid_at_ms, row.updated_at_ms = DocumentStatus.PAID.value, now, now
            await self._log(session, invoice_id, actor, ChangeAction.PAID, {"status": "finalized"}, {"status": "paid"})
            payment = PaymentReceived(
                amount=invoice.total_gross,
                paid_on=paid_on or self.today(),
                method=method or self.settings.payment_method or default_payment_method(invoice),
                proviso=proviso or default_proviso(invoice),
            )
            issued, html = await self._create_and_issue(session, receipt_draft(invoice, payment), actor)
        return await self._with_pdf(issued, html)

    async def issue_return_invoice(
        self,
        original_id: int,
        lines: Sequence[InvoiceLine],
        *,
        reason: str,
        return_date: date | None = None,
        actor: str = "system",
    ) -> Invoice:
        """Issue a return invoice (refund, credit or discount) against an issued invoice. Its lines use the
        original's tax rates and price basis; the returns of each rate never exceed what was charged there
        (`ReturnExceedsOriginalError`). `return_invoice_required()` says whether the amount needs one."""
        async with write_transaction(self.db) as session:
            row = await load_row(session, self.provider, original_id, lock=True)
            original = document_from_row(row)
            if original.kind is not DocumentKind.INVOICE or original.status not in (
                DocumentStatus.FINALIZED,
                DocumentStatus.PAID,
            ):
                raise InvoiceStateError(
                    f"{original.number or original.id} is a {original.status.value} {original.kind.value}: "
                    "returns are issued against an issued invoice"
                )
            returned = return_invoice_draft(original, lines, reason=reason, return_date=return_date or self.today())
            check_return_fits(original, await returns_against(session, original_id), returned)
            issued, html = await self._create_and_issue(session, returned, actor)
            after = {"return_invoice": issued.number}
            await self._log(session, original_id, actor, ChangeAction.RETURNED, after=after, reason=reason)
        return await self._with_pdf(issued, html)

    # ---- inside ---------------------------------------------------------------------------------------

    async def _create_and_issue(self, session: AsyncSession, draft: Invoice, actor: str) -> tuple[Invoice, str]:
        """Insert a document the engine made (receipt, return invoice), log it, and issue it."""
        row = await insert_row(session, self.provider, draft, self.clock.now_ms())
        await self._log(session, row.id, actor, ChangeAction.CREATED, after=content_to_plain(draft))
        return await self._issue(session, row, replace(draft, id=row.id), actor)

    async def _issue(self, session: AsyncSession, row: InvoiceRow, draft: Invoice, actor: str) -> tuple[Invoice, str]:
        """Check, number, render and log a document whose row is locked; returns it with its HTML."""
        [issued] = await self.issuing.issue(session, [(row, draft)], actor=actor, now_ms=self.clock.now_ms())
        return issued.document, issued.html

    async def _with_pdf(self, issued: Invoice, html: str) -> Invoice:
        assert issued.id is not None
        if not self.pdf_on_issue:
            return issued
        try:
            await self.pdfs.make(issued.id, html)
        except Exception:
            # The document is issued (numbered, HTML stored); its PDF follows from that HTML on the next `pdf()`.
            log.exception("%s %s: the PDF could not be made now", issued.kind.value, issued.number)
        return issued

    async def _log(
        self,
        session: AsyncSession,
        invoice_id: int,
        actor: str,
        action: ChangeAction,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        reason: str | None = None,
    ) -> None:
        now = self.clock.now_ms()
        session.add(
            InvoiceChangeRow(**change_values(invoice_id, now, actor, action, before=before, after=after, reason=reason))
        )
