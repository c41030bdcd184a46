"""The archive of issued documents, searchable the way 電子帳簿保存法 asks: by issue-date range, amount
range (the grand total, tax included) and counterparty (part of the recipient's name), in any combination,
a page at a time. Rows are read without their HTML and PDF."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.billing.invoicing.documents import DocumentKind, DocumentStatus
from linemod.framework.billing.invoicing.records import InvoiceRow

MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class ArchiveQuery:
    """What to look for; every criterion left None is not applied. Dates and amounts are inclusive."""

    issued_from: date | None = None
    issued_to: date | None = None
    min_total: int | None = None
    max_total: int | None = None
    counterparty: str | None = None
    kinds: frozenset[DocumentKind] = field(default_factory=frozenset)
    statuses: frozenset[DocumentStatus] = field(default_factory=frozenset)
    bot_id: str | None = None
    include_drafts: bool = False


@dataclass(frozen=True)
class InvoiceSummary:
    id: int
    kind: DocumentKind
    status: DocumentStatus
    number: str | None
    issue_date: date | None
    recipient_name: str
    total_net: int
    total_tax: int
    total_gross: int
    due_date: date | None
    bot_id: str | None


@dataclass(frozen=True)
class ArchivePage:
    items: list[InvoiceSummary]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _criteria(provider: str, query: ArchiveQuery) -> list[ColumnElement[bool]]:
    row = InvoiceRow
    where: list[ColumnElement[bool]] = [row.provider == provider]
    if not query.include_drafts:
        where.append(row.status != DocumentStatus.DRAFT.value)
    if query.issued_from is not None:
        where.append(row.issue_date >= query.issued_from)
    if query.issued_to is not None:
        where.append(row.issue_date <= query.issued_to)
    if query.min_total is not None:
        where.append(row.total_gross >= query.min_total)
    if query.max_total is not None:
        where.append(row.total_gross <= query.max_total)
    if query.counterparty:
        # lower() on both sides: case-insensitive on PostgreSQL and SQLite alike (LIKE differs between them).
        where.append(func.lower(row.recipient_name).contains(query.counterparty.strip().lower(), autoescape=True))
    if query.kinds:
        where.append(row.kind.in_(sorted(kind.value for kind in query.kinds)))
    if query.statuses:
        where.append(row.status.in_(sorted(status.value for status in query.statuses)))
    if query.bot_id is not None:
        where.append(row.bot_id == query.bot_id)
    return where


async def search_archive(
    session: AsyncSession, provider: str, query: ArchiveQuery, *, page: int = 1, page_size: int = 50
) -> ArchivePage:
    """One page of the documents matching `query`, newest issue first (then highest id)."""
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page starts at 1 and page_size is 1..{MAX_PAGE_SIZE}")
    where = _criteria(provider, query)
    total = await session.scalar(select(func.count()).select_from(InvoiceRow).where(*where))
    row = InvoiceRow
    rows = await session.execute(
        select(
            row.id,
            row.kind,
            row.status,
            row.number,
            row.issue_date,
            row.recipient_name,
            row.total_net,
            row.total_tax,
            row.total_gross,
            row.due_date,
            row.bot_id,
        )
        .where(*where)
        .order_by(row.issue_date.desc().nulls_last(), row.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    items = [
        InvoiceSummary(
            id=r.id,
            kind=DocumentKind(r.kind),
            status=DocumentStatus(r.status),
            number=r.number,
            issue_date=r.issue_date,
            recipient_name=r.recipient_name,
            total_net=r.total_net,
            total_tax=r.total_tax,
            total_gross=r.total_gross,
            due_date=r.due_date,
            bot_id=r.bot_id,
        )
        for r in rows
    ]
    return ArchivePage(items=items, total=int(total or 0), page=page, page_size=page_size)
