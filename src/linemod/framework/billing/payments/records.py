"""The payment tables: customers and cards at the provider, payments (every attempt to collect an invoice,
card or bank transfer), refunds, payer references, imported bank statement lines and the reconciliation
queue. Declared on the framework's `Base`; migration `0006_payments.py` creates them.

Times are UNIX milliseconds of the app's clock, as in `storage/models.py`; bank dates (a transfer's value date,
a date staff typed) are calendar dates. Invoices are referred to by linemod's invoice id as text: this package
does not depend on the invoice engine's tables.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, Date, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from linemod.framework.storage.models import Base, BigId


class PaymentStatus(StrEnum):
    PENDING = "pending"
    """Written before the provider is called; stays so if the call's outcome is unknown (a timeout)."""
    SUCCEEDED = "succeeded"
    DECLINED = "declined"
    HARD_DECLINED = "hard_declined"
    REQUIRES_ACTION = "requires_action"
    PROCESSING = "processing"
    ERROR = "error"
    """The provider refused the call itself (not the card): nothing was charged."""


FINAL_STATUSES = frozenset(
    {PaymentStatus.SUCCEEDED, PaymentStatus.DECLINED, PaymentStatus.HARD_DECLINED, PaymentStatus.ERROR}
)


class PaymentMethodKind(StrEnum):
    CARD = "card"
    BANK_TRANSFER = "bank_transfer"


class PaymentCustomerRow(Base):
    """An OA's customer record at a provider (one per provider and OA)."""

    __tablename__ = "payment_customers"

    provider: Mapped[str] = mapped_column(String(16), primary_key=True)
    bot_id: Mapped[str] = mapped_column(String(33), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(254))
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    updated_at_ms: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (UniqueConstraint("provider", "customer_id", name="uq_payment_customers_customer"),)


class PaymentMethodRow(Base):
    """A card saved at a provider for an OA. The default one is charged; `removed_at_ms` keeps history."""

    __tablename__ = "payment_methods"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    provider: Mapped[str] = mapped_column(String(16))
    bot_id: Mapped[str] = mapped_column(String(33), index=True)
    payment_method_id: Mapped[str] = mapped_column(String(255))
    customer_id: Mapped[str] = mapped_column(String(255))
    brand: Mapped[str] = mapped_column(String(32))
    last4: Mapped[str] = mapped_column(String(4))
    exp_month: Mapped[int] = mapped_column(Integer)
    exp_year: Mapped[int] = mapped_column(Integer)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    updated_at_ms: Mapped[int] = mapped_column(BigInteger)
    removed_at_ms: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (UniqueConstraint("provider", "payment_method_id", name="uq_payment_methods_provider_id"),)


class PaymentRow(Base):
    """One attempt to collect an invoice, or one receipt of money for it.

    The row is written *before* the provider is called, unique on (invoice, method, attempt) and on its
    idempotency key: a repeated call finds it and returns what the first one got, instead of charging again.
    A pending row's `lease_until_ms` says until when the call that wrote it is still presumed running.
    Attempts are numbered per method: card attempt 2 is the first retry, whatever was paid by transfer.
    """

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    invoice_id: Mapped[str] = mapped_column(String(64))
    attempt: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    method: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(20))
    amount_yen: Mapped[int] = mapped_column(BigInteger)
    bot_id: Mapped[str | None] = mapped_column(String(33))
    provider: Mapped[str | None] = mapped_column(String(16))
    customer_id: Mapped[str | None] = mapped_column(String(255))
    payment_method_id: Mapped[str | None] = mapped_column(String(255))
    provider_payment_id: Mapped[str | None] = mapped_column(String(255), index=True)
    provider_charge_id: Mapped[str | None] = mapped_column(String(255))
    failure_code: Mapped[str | None] = mapped_column(String(64))
    decline_code: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str | None] = mapped_column(Text)
    paid_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(BigInteger)
    statement_line_id: Mapped[int | None] = mapped_column(BigInteger)
    lease_until_ms: Mapped[int | None] = mapped_column(BigInteger)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    updated_at_ms: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        UniqueConstraint("invoice_id", "method", "attempt", name="uq_payments_invoice_method_attempt"),
    )


class RefundRow(Base):
    """A refund of a payment, unique on linemod's own reference (e.g. the return invoice it settles)."""

    __tablename__ = "payment_refunds"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    payment_id: Mapped[int] = mapped_column(BigInteger, index=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    amount_yen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    provider_refund_id: Mapped[str | None] = mapped_column(String(255))
    message: Mapped[str | None] = mapped_column(Text)
    lease_until_ms: Mapped[int | None] = mapped_column(BigInteger)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    updated_at_ms: Mapped[int] = mapped_column(BigInteger)


class PayerReferenceRow(Base):
    """The code a payer writes before their name on a bank transfer, one per invoice (`payer_reference.py`)."""

    __tablename__ = "payer_references"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    invoice_id: Mapped[str] = mapped_column(String(64), unique=True)
    reference: Mapped[str | None] = mapped_column(String(16), unique=True)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)


class StatementImportRow(Base):
    __tablename__ = "bank_statement_imports"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    file_sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    imported_by: Mapped[int | None] = mapped_column(BigInteger)
    lines_total: Mapped[int] = mapped_column(Integer)
    lines_new: Mapped[int] = mapped_column(Integer)
    matched: Mapped[int] = mapped_column(Integer)
    queued: Mapped[int] = mapped_column(Integer)
    imported_at_ms: Mapped[int] = mapped_column(BigInteger)


class StatementLineStatus(StrEnum):
    MATCHED = "matched"
    QUEUED = "queued"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


class StatementLineRow(Base):
    """A credit on the provider's bank account, imported from a statement. `line_hash` makes an import
    idempotent: the same line imported again (same file, or an overlapping export) is recognised and skipped."""

    __tablename__ = "bank_statement_lines"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    line_hash: Mapped[str] = mapped_column(String(64), unique=True)
    import_id: Mapped[int] = mapped_column(BigInteger, index=True)
    value_date: Mapped[date] = mapped_column(Date)
    amount_yen: Mapped[int] = mapped_column(BigInteger)
    payer_name: Mapped[str] = mapped_column(String(255))
    payer_name_normalized: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    invoice_id: Mapped[str | None] = mapped_column(String(64))
    payment_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)


class ReconciliationStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


class ReconciliationItemRow(Base):
    """A statement line the matcher could not settle alone, waiting for staff (`reason`: see
    `statement_matching.QueueReason`). `candidates` are the invoice ids it might be for, comma-separated."""

    __tablename__ = "reconciliation_items"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    statement_line_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    reason: Mapped[str] = mapped_column(String(24))
    candidates: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))
    invoice_id: Mapped[str | None] = mapped_column(String(64))
    resolved_by: Mapped[int | None] = mapped_column(BigInteger)
    resolved_at_ms: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(Text)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_reconciliation_items_status", "status", "id"),)
