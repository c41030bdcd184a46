"""Issuing: the step that turns drafts into documents, inside the caller's transaction, one or many at once.

Each document is checked for every mandatory item of a qualified invoice (`check_qualified`) before any
number is taken, so a refused draft uses none. The documents that pass get one block of consecutive numbers
of their series (one statement, `take_block`), in the order given, then their HTML is rendered, their row
filled and their change logged, each exactly as when one is issued alone. Everything commits together or
not at all: a batch that fails gives its whole block of numbers back, and the numbering stays gap-free.

A batch exists for the monthly run: issuing 200 invoices in one transaction costs a third of what 200
transactions of one do (measured by `benchmarks/billing.py`); the counter row stays locked for the batch,
so batches are kept to a few hundred documents.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.billing.invoicing.change_log import ChangeAction, change_values
from linemod.framework.billing.invoicing.documents import (
    DocumentKind,
    DocumentStatus,
    Invoice,
    Issuer,
    MissingItem,
    check_qualified,
)
from linemod.framework.billing.invoicing.errors import (
    InvoiceError,
    InvoiceNotFoundError,
    InvoiceStateError,
    NotQualifiedError,
)
from linemod.framework.billing.invoicing.invoice_settings import InvoiceSettings
from linemod.framework.billing.invoicing.numbering import take_block
from linemod.framework.billing.invoicing.records import InvoiceChangeRow, InvoiceRow
from linemod.framework.billing.invoicing.rendering import InvoiceRenderer
from linemod.framework.billing.invoicing.snapshots import document_from_row, fill_row


@dataclass(frozen=True)
class Batch:
    """What `InvoiceBook.finalize_many` did: the documents issued, in the order asked, and why each of the
    others was not (not found, not a draft, or lacking a mandatory item: no number used for it)."""

    issued: list[Invoice]
    refused: dict[int, InvoiceError]


@dataclass(frozen=True)
class IssuedDocument:
    """A document as issued, with the HTML stored for it (what its PDF is made from)."""

    document: Invoice
    html: str


class Issuing:
    """Checks, numbers, renders and logs documents whose rows the caller's transaction holds locked."""

    def __init__(
        self, issuer: Issuer, settings: InvoiceSettings, renderer: InvoiceRenderer, *, dialect: str
    ) -> None:
        self.issuer = issuer
        self.settings = settings
        self.renderer = renderer
        self.dialect = dialect

    def prepare(self, draft: Invoice, now_ms: int) -> tuple[Invoice, list[MissingItem]]:
        """The draft as it would be issued now (issuer, issue date, due date; not numbered yet), and what it
        lacks of a qualified invoice (nothing: it can be issued)."""
        today = self.settings.today(now_ms)
        due = draft.due_date
        if draft.kind is DocumentKind.INVOICE and due is None:
            due = self.settings.due_date(today)
        issued = replace(draft, issuer=self.issuer, issue_date=today, due_date=due, status=DocumentStatus.FINALIZED)
        return issued, check_qualified(issued)

    def triage(
        self, invoice_ids: Sequence[int], rows: Sequence[InvoiceRow], now_ms: int
    ) -> tuple[list[tuple[InvoiceRow, Invoice]], dict[int, InvoiceError]]:
        """Of the documents asked for (their locked `rows`), the drafts that can be issued now, in the order
        asked, and why each other one cannot."""
        by_id = {row.id: row for row in rows}
        ready: list[tuple[InvoiceRow, Invoice]] = []
        refused: dict[int, InvoiceError] = {}
        for invoice_id in dict.fromkeys(invoice_ids):
            row = by_id.get(invoice_id)
            if row is None:
                refused[invoice_id] = InvoiceNotFoundError(f"no document {invoice_id}")
                continue
            draft = document_from_row(row)
            if not draft.is_draft:
                what = f"{draft.kind.value} {draft.number}"
                refused[invoice_id] = InvoiceStateError(f"{what} is already {draft.status.value}")
            elif missing := self.prepare(draft, now_ms)[1]:
                refused[invoice_id] = NotQualifiedError(f"{draft.kind.value} {draft.id}", missing)
            else:
                ready.append((row, draft))
        return ready, refused

    async def issue(
        self, session: AsyncSession, drafts: Sequence[tuple[InvoiceRow, Invoice]], *, actor: str, now_ms: int
    ) -> list[IssuedDocument]:
        """Issue every (locked row, draft) pair, in order; `NotQualifiedError` for the first draft that lacks
        a mandatory item, before any number is taken."""
        prepared = []
        for row, draft in drafts:
            issued, missing = self.prepare(draft, now_ms)
            if missing:
                raise NotQualifiedError(f"{draft.kind.value} {draft.id}", missing)
            prepared.append((row, issued))
        firsts: dict[DocumentKind, int] = {}
        for kind in dict.fromkeys(issued.kind for _, issued in prepared):
            count = sum(1 for _, issued in prepared if issued.kind is kind)
            firsts[kind] = await take_block(
                session, provider=self.settings.provider, series=kind.value, dialect=self.dialect, count=count
            )
        results, changes = [], []
        for row, issued in prepared:
            sequence = firsts[issued.kind]
            firsts[issued.kind] += 1
            numbered = self._numbered(issued, sequence)
            fill_row(row, numbered)
            row.series, row.sequence, row.number = numbered.kind.value, sequence, numbered.number
            row.status, row.finalized_at_ms, row.updated_at_ms = DocumentStatus.FINALIZED.value, now_ms, now_ms
            row.html = html = self.renderer.html(numbered)
            after = {"number": numbered.number, "issue_date": numbered.issue_date.isoformat() if numbered.issue_date
                     else None, "total_gross": numbered.total_gross}
            changes.append(
                change_values(row.id, now_ms, actor, ChangeAction.FINALIZED, before={"status": "draft"}, after=after)
            )
            results.append(IssuedDocument(numbered, html))
        await session.flush()  # the rows' UPDATEs, batched by the ORM
        await session.execute(insert(InvoiceChangeRow), changes)
        return results

    def _numbered(self, issued: Invoice, sequence: int) -> Invoice:
        number_format = self.settings.number_formats[issued.kind]
        payer_reference = issued.payer_reference
        if issued.kind is DocumentKind.INVOICE and not payer_reference:
            payer_reference = f"{sequence:0{number_format.width}d}"
        number = number_format.format(sequence)
        return replace(issued, number=number, sequence=sequence, payer_reference=payer_reference)
