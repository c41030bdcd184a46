"""DocumentReader: the provider's documents read back: by id or number, as HTML and PDF, with their history,
the documents issued for them, and the archive search.

`InvoiceBook` is a reader that also writes (drafts, issuing, payment, returns). Reading needs no issuer and no
clock; the one thing it stores is a PDF an issued document is still missing, made from the HTML it was issued
with.
"""

from __future__ import annotations

from collections.abc import Sequence

from linemod.framework.billing.invoicing.archive import ArchivePage, ArchiveQuery, search_archive
from linemod.framework.billing.invoicing.change_log import InvoiceChange, changes_of
from linemod.framework.billing.invoicing.document_rows import (
    documents_related_to,
    load_row,
    load_row_by_number,
    load_rows,
)
from linemod.framework.billing.invoicing.documents import Invoice
from linemod.framework.billing.invoicing.invoice_settings import InvoiceSettings
from linemod.framework.billing.invoicing.pdf_files import PdfFiles
from linemod.framework.billing.invoicing.rendering import InvoiceRenderer
from linemod.framework.billing.invoicing.snapshots import document_from_row
from linemod.framework.storage.database import Database


class DocumentReader:
    """The documents of `settings.provider` in `db`; `renderer` makes a draft's preview and a missing PDF."""

    def __init__(
        self,
        db: Database,
        *,
        settings: InvoiceSettings | None = None,
        renderer: InvoiceRenderer | None = None,
    ) -> None:
        self.db = db
        self.settings = settings or InvoiceSettings()
        self.renderer = renderer or InvoiceRenderer()
        self.pdfs = PdfFiles(db, self.renderer, self.settings.provider)

    @property
    def provider(self) -> str:
        return self.settings.provider

    async def get(self, invoice_id: int) -> Invoice:
        async with self.db.session() as session:
            return document_from_row(await load_row(session, self.provider, invoice_id))

    async def get_many(self, invoice_ids: Sequence[int]) -> list[Invoice]:
        """The documents found among `invoice_ids`, by id."""
        async with self.db.session() as session:
            return [document_from_row(row) for row in await load_rows(session, self.provider, invoice_ids)]

    async def get_by_number(self, number: str) -> Invoice:
        async with self.db.session() as session:
            return document_from_row(await load_row_by_number(session, self.provider, number))

    async def html(self, invoice_id: int) -> str:
        """The HTML as issued; for a draft, a preview marked as a draft."""
        async with self.db.session() as session:
            row = await load_row(session, self.provider, invoice_id, files=True)
            if row.html is not None:
                return row.html
            return self.renderer.html(document_from_row(row))

    async def pdf(self, invoice_id: int) -> bytes:
        """The PDF as issued (made now from the stored HTML if it is not there yet)."""
        return await self.pdfs.get(invoice_id)

    async def render_pending_pdfs(self, *, limit: int = 50) -> int:
        """Make and store the PDFs of up to `limit` issued documents that have none yet, all at once through
        the renderer's executor; returns how many. Two callers at once may render the same document: the
        first PDF stored is kept."""
        return await self.pdfs.make_pending(limit)

    async def history(self, invoice_id: int) -> list[InvoiceChange]:
        async with self.db.session() as session:
            return await changes_of(session, invoice_id)

    async def related(self, invoice_id: int) -> list[Invoice]:
        """The receipts and return invoices issued for an invoice, oldest first."""
        async with self.db.session() as session:
            return await documents_related_to(session, invoice_id)

    async def search(self, query: ArchiveQuery | None = None, *, page: int = 1, page_size: int = 50) -> ArchivePage:
        """The archive: issued documents by issue-date range, amount range and counterparty, combined."""
        async with self.db.session() as session:
            return await search_archive(session, self.provider, query or ArchiveQuery(), page=page, page_size=page_size)
