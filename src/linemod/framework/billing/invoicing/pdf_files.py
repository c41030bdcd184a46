"""The PDF of each issued document: made from its stored HTML off the event loop, and stored once (the one
change an issued row accepts, which the migration's triggers allow only while the PDF is missing)."""

from __future__ import annotations

import asyncio
import os
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.billing.invoicing.document_rows import load_row, write_transaction
from linemod.framework.billing.invoicing.errors import InvoiceStateError
from linemod.framework.billing.invoicing.records import InvoiceRow
from linemod.framework.billing.invoicing.rendering import InvoiceRenderer
from linemod.framework.storage.database import Database

PRINT_BATCH = 200
"""Documents printed together, at most: Chromium's fixed cost per print (~80 ms, and the batch's font subset)
spread thin (a batch of 25 costs twice the CPU a document of one of 100, one of 200 a tenth less than 100, one
of 400 no less than 200), and the font subset every file of a batch carries (the batch's glyphs) still small."""
MIN_PRINT_BATCH = 50
"""What is pending is cut into at least one batch per core when each still holds this many: a lone batch would
leave the pool's other processes idle."""


class PdfFiles:
    def __init__(self, db: Database, renderer: InvoiceRenderer, provider: str) -> None:
        self.db = db
        self.renderer = renderer
        self.provider = provider

    async def get(self, invoice_id: int) -> bytes:
        """The document's PDF, made now if it is missing (a crash after issuing, or PDFs left for later)."""
        async with self.db.session() as session:
            row = await load_row(session, self.provider, invoice_id, files=True)
            if row.pdf is not None:
                return row.pdf
            if row.html is None:
                raise InvoiceStateError(f"document {invoice_id} is a draft: it has no PDF until it is issued")
            html = row.html
        return await self.make(invoice_id, html)

    async def make(self, invoice_id: int, html: str) -> bytes:
        """Render and store the PDF of `html`; if another caller stored one first, that one is kept and
        returned."""
        pdf = await self.renderer.pdf(html)
        async with write_transaction(self.db) as session:
            stored = await session.execute(
                update(InvoiceRow)
                .where(InvoiceRow.id == invoice_id, InvoiceRow.pdf.is_(None))
                .values(pdf=pdf)
                .execution_options(synchronize_session=False)
            )
            if stored.rowcount == 0:  # type: ignore[attr-defined]  # an UPDATE's result has a rowcount
                kept = await session.scalar(select(InvoiceRow.pdf).where(InvoiceRow.id == invoice_id))
                return kept or pdf
        return pdf

    async def make_pending(self, limit: int) -> int:
        """Make the PDFs of up to `limit` issued documents that have none, in batches of `PRINT_BATCH` printed
        together, the batches at once through the renderer's executor; returns how many."""
        async with self.db.session() as session:
            pending = await _pending(session, self.provider, limit)
        # Near-equal batches (401 documents: 134 + 134 + 133, not 200 + 200 + 1, whose last would be printed
        # alone), at least one per core while each keeps MIN_PRINT_BATCH.
        count = max(-(-len(pending) // PRINT_BATCH), min(os.cpu_count() or 1, len(pending) // MIN_PRINT_BATCH), 1)
        size = -(-len(pending) // count)
        batches = [pending[start : start + size] for start in range(0, len(pending), size)] if pending else []
        await asyncio.gather(*(self._make_batch(batch) for batch in batches))
        return len(pending)

    async def _make_batch(self, batch: list[tuple[int, str]]) -> None:
        pdfs = await self.renderer.pdfs([html for _, html in batch])
        async with write_transaction(self.db) as session:
            # One statement for the batch, each stored unless another caller stored one first (that one is kept).
            invoices = cast(Table, InvoiceRow.__table__)
            await (await session.connection()).execute(
                update(invoices)
                .where(invoices.c.id == bindparam("document_id"), invoices.c.pdf.is_(None))
                .values(pdf=bindparam("made_pdf")),
                [{"document_id": doc_id, "made_pdf": pdf} for (doc_id, _), pdf in zip(batch, pdfs, strict=True)],
            )


async def _pending(session: AsyncSession, provider: str, limit: int) -> list[tuple[int, str]]:
    """(id, HTML) of issued documents whose PDF is not made yet, oldest first."""
    rows = await session.execute(
        select(InvoiceRow.id, InvoiceRow.html)
        .where(InvoiceRow.provider == provider, InvoiceRow.pdf.is_(None), InvoiceRow.html.is_not(None))
        .order_by(InvoiceRow.id)
        .limit(limit)
    )
    return [(row.id, row.html) for row in rows]
