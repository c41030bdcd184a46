"""Reading, locking and inserting document rows, and the write transaction the engine uses."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from linemod.framework.billing.invoicing.documents import DocumentKind, DocumentStatus, Invoice
from linemod.framework.billing.invoicing.errors import InvoiceNotFoundError
from linemod.framework.billing.invoicing.records import InvoiceRow
from linemod.framework.billing.invoicing.snapshots import document_from_row, fill_row
from linemod.framework.storage.database import Database


@asynccontextmanager
async def write_transaction(db: Database) -> AsyncIterator[AsyncSession]:
    """A transaction that writes. On SQLite it takes the write lock before anything else (BEGIN IMMEDIATE):
    one that read first and wrote later could find its snapshot outdated by another writer and fail at once,
    where waiting its turn is what issuing needs. Within a process, writers queue on `db.write_lock()`."""
    async with db.write_lock(), db.sessions() as session, session.begin():
        if db.is_sqlite:
            await session.execute(text("BEGIN IMMEDIATE"))
        yield session


async def load_row(
    session: AsyncSession, provider: str, invoice_id: int, *, lock: bool = False, files: bool = False
) -> InvoiceRow:
    """A document's row. `lock`: FOR UPDATE on PostgreSQL, so two changes of one document take turns
    (SQLite's write lock already serializes them). `files`: with its HTML and PDF, left out otherwise."""
    statement = select(InvoiceRow).where(InvoiceRow.id == invoice_id, InvoiceRow.provider == provider)
    if files:
        statement = statement.options(undefer(InvoiceRow.html), undefer(InvoiceRow.pdf))
    row = await session.scalar(statement.with_for_update() if lock else statement)
    if row is None:
        raise InvoiceNotFoundError(f"no document {invoice_id}")
    return row


async def load_rows(
    session: AsyncSession, provider: str, invoice_ids: Sequence[int], *, lock: bool = False
) -> list[InvoiceRow]:
    """The rows of the documents found among `invoice_ids` (without HTML and PDF), by id; `lock` as `load_row`."""
    statement = (
        select(InvoiceRow)
        .where(InvoiceRow.id.in_(list(invoice_ids)), InvoiceRow.provider == provider)
        .order_by(InvoiceRow.id)
    )
    return list(await session.scalars(statement.with_for_update() if lock else statement))


async def load_row_by_number(session: AsyncSession, provider: str, number: str) -> InvoiceRow:
    row = await session.scalar(select(InvoiceRow).where(InvoiceRow.provider == provider, InvoiceRow.number == number))
    if row is None:
        raise InvoiceNotFoundError(f"no document numbered {number}")
    return row


async def insert_row(session: AsyncSession, provider: str, document: Invoice, now_ms: int) -> InvoiceRow:
    """A new draft row for `document` (its id is set once this returns)."""
    return (await insert_rows(session, provider, [document], now_ms))[0]


async def insert_rows(
    session: AsyncSession, provider: str, documents: Sequence[Invoice], now_ms: int
) -> list[InvoiceRow]:
    """New draft rows for `documents`, in order, written together (one multi-row INSERT … RETURNING)."""
    rows = []
    for document in documents:
        row = InvoiceRow(
            provider=provider, status=DocumentStatus.DRAFT.value, currency="JPY", created_at_ms=now_ms,
            updated_at_ms=now_ms,
        )
        fill_row(row, document)
        rows.append(row)
    session.add_all(rows)
    await session.flush()
    return rows


async def returns_against(session: AsyncSession, original_id: int) -> list[Invoice]:
    """Every return invoice issued against an invoice, voided ones included."""
    rows = await session.scalars(
        select(InvoiceRow).where(
            InvoiceRow.related_invoice_id == original_id, InvoiceRow.kind == DocumentKind.RETURN_INVOICE.value
        )
    )
    return [document_from_row(row) for row in rows]


async def documents_related_to(session: AsyncSession, invoice_id: int) -> list[Invoice]:
    """The receipts and return invoices issued for an invoice, oldest first."""
    rows = await session.scalars(
        select(InvoiceRow).where(InvoiceRow.related_invoice_id == invoice_id).order_by(InvoiceRow.id)
    )
    return [document_from_row(row) for row in rows]

