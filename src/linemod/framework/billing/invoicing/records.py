"""The invoice engine's tables, on the framework's declarative base (migration `0004_invoices`).

Times are UNIX milliseconds like every framework table; calendar dates of the documents (issue, transaction,
due) are `Date` columns, compared as dates on both engines. The issued content of a document is kept as the
snapshot it was issued with (issuer, recipient, lines as JSON) next to the columns the archive searches on.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column

from linemod.framework.storage.models import Base, BigId


class InvoiceRow(Base):
    """One document (invoice, receipt or return invoice) in any status.

    Drafts have no series, sequence, number or issue date; finalization sets them once. `html` and `pdf`
    are the rendered document as issued; they are loaded only when asked for, so archive queries stay light.
    """

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("provider", "series", "sequence", name="uq_invoices_series_sequence"),
        UniqueConstraint("provider", "number", name="uq_invoices_number"),
        Index("ix_invoices_provider_issue_date", "provider", "issue_date"),
        Index("ix_invoices_provider_total_gross", "provider", "total_gross"),
        Index("ix_invoices_bot_id", "bot_id"),
        Index("ix_invoices_related_invoice_id", "related_invoice_id"),
        Index("ix_invoices_payer_reference", "payer_reference"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    provider: Mapped[str] = mapped_column(String(64))
    bot_id: Mapped[str | None] = mapped_column(String(33))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    series: Mapped[str | None] = mapped_column(String(32))
    sequence: Mapped[int | None] = mapped_column(BigInteger)
    number: Mapped[str | None] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3), default="JPY")
    language: Mapped[str] = mapped_column(String(8))
    issue_date: Mapped[date | None] = mapped_column(Date)
    transaction_date: Mapped[date | None] = mapped_column(Date)
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    total_net: Mapped[int] = mapped_column(BigInteger)
    total_tax: Mapped[int] = mapped_column(BigInteger)
    total_gross: Mapped[int] = mapped_column(BigInteger)
    recipient_name: Mapped[str] = mapped_column(String(255))
    payer_reference: Mapped[str | None] = mapped_column(String(64))
    recipient_json: Mapped[str] = mapped_column(Text)
    issuer_json: Mapped[str] = mapped_column(Text)
    lines_json: Mapped[str] = mapped_column(Text)
    # Rounding, whether prices include tax, notes, the original sale (returns), the payment (receipts).
    details_json: Mapped[str] = mapped_column(Text)
    # A receipt's invoice, a return invoice's original.
    related_invoice_id: Mapped[int | None] = mapped_column(BigInteger)
    void_reason: Mapped[str | None] = mapped_column(Text)
    html: Mapped[str | None] = deferred(mapped_column(Text))
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    updated_at_ms: Mapped[int] = mapped_column(BigInteger)
    finalized_at_ms: Mapped[int | None] = mapped_column(BigInteger)
    paid_at_ms: Mapped[int | None] = mapped_column(BigInteger)
    voided_at_ms: Mapped[int | None] = mapped_column(BigInteger)


class InvoiceCounterRow(Base):
    """The next number of one series of one provider. Finalization increments it in its own transaction
    (`UPDATE … RETURNING`), so a number is used only if that transaction commits: no gaps, no repeats."""

    __tablename__ = "invoice_counters"

    provider: Mapped[str] = mapped_column(String(64), primary_key=True)
    series: Mapped[str] = mapped_column(String(32), primary_key=True)
    next_value: Mapped[int] = mapped_column(BigInteger)


class InvoiceChangeRow(Base):
    """The append-only history of a document (電子帳簿保存法: no silent edits): who did what when, with the
    fields before and after. Nothing updates or deletes these rows."""

    __tablename__ = "invoice_changes"
    __table_args__ = (Index("ix_invoice_changes_invoice_id", "invoice_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    invoice_id: Mapped[int] = mapped_column(BigInteger)
    at_ms: Mapped[int] = mapped_column(BigInteger)
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(32))
    before_json: Mapped[str | None] = mapped_column(Text)
    after_json: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
