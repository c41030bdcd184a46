"""The collection cycle's tables (migration `0007_collection`): who is invoiced (billing profiles), each
run's invoice and how collecting it stands (dunning), and the Stripe webhooks received.

Declared on the framework's `Base` like `records.py`; nothing else is imported here (`storage/models.py`
imports this module).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import BigInteger, Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from linemod.framework.storage.models import Base, BigId


class CollectionStatus(StrEnum):
    """claimed (charges taken by a run, its invoice being made) → open (issued, awaiting payment) →
    past_due (a card charge failed, or a transfer is overdue) → restricted → paid; `closed`: nothing more
    is done (the subscription ended before it was paid: the invoice stays open for staff)."""

    CLAIMED = "claimed"
    OPEN = "open"
    PAST_DUE = "past_due"
    RESTRICTED = "restricted"
    PAID = "paid"
    CLOSED = "closed"


UNPAID = frozenset({CollectionStatus.OPEN, CollectionStatus.PAST_DUE, CollectionStatus.RESTRICTED})


class BillingProfileRow(Base):
    """Who an OA's invoices are addressed and mailed to (宛名, 送付先). `cc_emails`: comma-separated."""

    __tablename__ = "billing_profiles"

    bot_id: Mapped[str] = mapped_column(String(33), primary_key=True)
    company_name: Mapped[str] = mapped_column(String(255))
    honorific: Mapped[str] = mapped_column(String(4))  # 御中 or 様
    address: Mapped[str] = mapped_column(Text)
    email: Mapped[str] = mapped_column(String(254))
    cc_emails: Mapped[str] = mapped_column(Text)
    registration_number: Mapped[str | None] = mapped_column(String(14))  # the recipient's own T number
    language: Mapped[str] = mapped_column(String(8))
    updated_at_ms: Mapped[int] = mapped_column(BigInteger)


class CollectionRow(Base):
    """One collection run's invoice for one OA. The run claims its charges by writing `claim:{id}` into
    their `invoice_ref` (a conditional update: two runs never claim the same charge), then replaces it with
    the invoice's number once issued. `lease_until_ms` keeps a second worker off a run in progress."""

    __tablename__ = "billing_collections"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bot_id: Mapped[str] = mapped_column(String(33))
    status: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(16))  # card or bank_transfer
    amount_yen: Mapped[int] = mapped_column(BigInteger)  # tax included; set once issued
    invoice_id: Mapped[int | None] = mapped_column(BigInteger)
    invoice_number: Mapped[str | None] = mapped_column(String(64))
    receipt_id: Mapped[int | None] = mapped_column(BigInteger)
    due_date: Mapped[date | None] = mapped_column(Date)
    card_attempts: Mapped[int] = mapped_column(Integer)
    first_failure_at_ms: Mapped[int | None] = mapped_column(BigInteger)
    last_outcome: Mapped[str | None] = mapped_column(String(20))
    lease_until_ms: Mapped[int | None] = mapped_column(BigInteger)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    updated_at_ms: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_billing_collections_bot_status", "bot_id", "status"),
        Index("ix_billing_collections_invoice", "invoice_id"),
    )


class StripeWebhookEventRow(Base):
    """A verified Stripe webhook, kept by Stripe's event id: a redelivery inserts nothing and is not applied
    again. `event_json` is linemod's payment event (`payment_event_json.py`), applied by a job."""

    __tablename__ = "stripe_webhook_events"

    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    event_json: Mapped[str] = mapped_column(Text)
    received_at_ms: Mapped[int] = mapped_column(BigInteger)
    applied_at_ms: Mapped[int | None] = mapped_column(BigInteger)
