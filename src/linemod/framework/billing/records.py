"""Billing's tables (migration 0005_subscriptions), on the framework's declarative `Base`.

Times are UNIX ms as everywhere in the framework; billing days (periods, anchors) are `Date`s in JST.
History, usage and charges are append-only: corrections are new rows, never updates or deletes.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Boolean, Date, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from linemod.framework.storage.models import Base, BigId


class BillingPlanRow(Base):
    """A plan as last declared in code (names, entitlements, limits, scopes); prices are versioned apart."""

    __tablename__ = "billing_plans"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_ja: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255))
    entitlements_json: Mapped[str] = mapped_column(Text)
    limits_json: Mapped[str] = mapped_column(Text)
    required_scopes_json: Mapped[str] = mapped_column(Text)
    is_default: Mapped[bool] = mapped_column(Boolean)
    declared: Mapped[bool] = mapped_column(Boolean)  # False once the code no longer declares it
    updated_at_ms: Mapped[int] = mapped_column(BigInteger)


class BillingPriceRow(Base):
    """One version of a plan's price for an interval. Never changed once written: a different amount, tax
    rate, initial fee or usage charge in the code is a new version, and subscriptions keep theirs."""

    __tablename__ = "billing_prices"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    plan_code: Mapped[str] = mapped_column(String(64))
    interval: Mapped[str] = mapped_column(String(8))
    version: Mapped[int] = mapped_column(Integer)
    amount_yen: Mapped[int] = mapped_column(BigInteger)
    tax_rate_percent: Mapped[int] = mapped_column(Integer)
    terms_json: Mapped[str] = mapped_column(Text)  # `PriceTerms.to_json()`
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    superseded_at_ms: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (UniqueConstraint("plan_code", "interval", "version", name="uq_billing_prices_version"),)


class BillingAccountRow(Base):
    """The OA's billing account: outlives detach, so a re-attach finds it (and pays no second initial fee)."""

    __tablename__ = "billing_accounts"

    bot_id: Mapped[str] = mapped_column(String(33), primary_key=True)
    payment_method: Mapped[str | None] = mapped_column(String(32))  # e.g. "card", "bank_transfer"; set by payments
    initial_fee_charged_at_ms: Mapped[int | None] = mapped_column(BigInteger)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    updated_at_ms: Mapped[int] = mapped_column(BigInteger)


class BillingTrialRow(Base):
    """The trial ledger: one row per OA that ever had a trial, kept forever (once per OA, across detach)."""

    __tablename__ = "billing_trials"

    bot_id: Mapped[str] = mapped_column(String(33), primary_key=True)
    plan_code: Mapped[str] = mapped_column(String(64))
    started_at_ms: Mapped[int] = mapped_column(BigInteger)
    ends_at_ms: Mapped[int] = mapped_column(BigInteger)


class BillingSubscriptionRow(Base):
    """The one subscription of an OA (keyed by its bot ID, like the tenant): ended rows come back to life on
    a re-attach. `revision` guards every change against a concurrent one (optimistic locking)."""

    __tablename__ = "billing_subscriptions"

    bot_id: Mapped[str] = mapped_column(String(33), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    plan_code: Mapped[str] = mapped_column(String(64))
    price_id: Mapped[int] = mapped_column(BigInteger)
    interval: Mapped[str] = mapped_column(String(8))
    anchor_date: Mapped[date | None] = mapped_column(Date)
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)  # first day after the paid period
    usage_since: Mapped[date | None] = mapped_column(Date)  # first day of usage not charged yet
    trial_ends_at_ms: Mapped[int | None] = mapped_column(BigInteger)
    resume_status: Mapped[str | None] = mapped_column(String(16))  # where paused / canceling returns to
    paused_reason: Mapped[str | None] = mapped_column(String(32))
    coupon_json: Mapped[str | None] = mapped_column(Text)  # the coupon's terms when redeemed
    coupon_remaining: Mapped[int | None] = mapped_column(Integer)  # charged periods left; None: forever
    started_at_ms: Mapped[int] = mapped_column(BigInteger)
    ended_at_ms: Mapped[int | None] = mapped_column(BigInteger)
    ended_reason: Mapped[str | None] = mapped_column(String(32))
    revision: Mapped[int] = mapped_column(Integer)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    updated_at_ms: Mapped[int] = mapped_column(BigInteger)

    __mapper_args__ = {"version_id_col": revision}  # noqa: RUF012 (SQLAlchemy reads it from the class)


class BillingHistoryRow(Base):
    """Every status transition (and plan change, renewal) of a subscription, append-only."""

    __tablename__ = "billing_subscription_history"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bot_id: Mapped[str] = mapped_column(String(33))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(40))
    plan_code: Mapped[str] = mapped_column(String(64))
    price_id: Mapped[int] = mapped_column(BigInteger)
    detail_json: Mapped[str] = mapped_column(Text)
    at_ms: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_billing_history_bot_id", "bot_id", "id"),)


class BillingChargeRow(Base):
    """Billable lines ready for the invoice engine (a period's fee and usage, a plan change's proration, a
    final charge). `charge_key` makes writing one idempotent; the invoice engine fills `invoice_ref`."""

    __tablename__ = "billing_charges"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bot_id: Mapped[str] = mapped_column(String(33))
    charge_key: Mapped[str] = mapped_column(String(200), unique=True)
    reason: Mapped[str] = mapped_column(String(32))
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    lines_json: Mapped[str] = mapped_column(Text)
    subtotal_yen: Mapped[int] = mapped_column(BigInteger)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    invoice_ref: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_billing_charges_bot_id", "bot_id", "id"),
        Index("ix_billing_charges_invoice_ref", "invoice_ref", "bot_id"),  # claims; the OAs not invoiced yet
    )


class BillingUsageRow(Base):
    """A usage record, or an adjustment: `kind` "usage" (value, optional subject for unique counts), "delta"
    (adds to count and sum) or "void" (cancels the record `voids_id`). Unique on (bot, meter, key): a
    redelivered event or a racing worker inserts nothing (insert-ignore)."""

    __tablename__ = "billing_usage"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bot_id: Mapped[str] = mapped_column(String(33))
    meter: Mapped[str] = mapped_column(String(100))
    idem_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(8))
    value: Mapped[int] = mapped_column(BigInteger)
    subject: Mapped[str | None] = mapped_column(String(200))
    voids_id: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(Text)
    occurred_at_ms: Mapped[int] = mapped_column(BigInteger)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        UniqueConstraint("bot_id", "meter", "idem_key", name="uq_billing_usage_key"),
        Index("ix_billing_usage_meter_time", "bot_id", "meter", "occurred_at_ms"),
        Index("ix_billing_usage_voids", "voids_id"),
    )


class BillingLineQuotaRow(Base):
    """The OA's LINE message quota and its consumption, as last read in a month (JST, "YYYY-MM")."""

    __tablename__ = "billing_line_quota"

    bot_id: Mapped[str] = mapped_column(String(33), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    quota_type: Mapped[str] = mapped_column(String(16))  # "limited" or "none" (unlimited)
    quota_value: Mapped[int | None] = mapped_column(BigInteger)
    total_usage: Mapped[int] = mapped_column(BigInteger)
    read_at_ms: Mapped[int] = mapped_column(BigInteger)
