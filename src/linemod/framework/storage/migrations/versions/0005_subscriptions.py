"""Billing: plans and versioned prices, billing accounts, the trial ledger, subscriptions and their history,
charges for the invoice engine, usage records, and the OAs' LINE message quota.

Revision ID: 0005
Revises: 0004
Create Date: 2026-08-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "billing_plans",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("name_ja", sa.String(255), nullable=False),
        sa.Column("name_en", sa.String(255), nullable=False),
        sa.Column("entitlements_json", sa.Text(), nullable=False),
        sa.Column("limits_json", sa.Text(), nullable=False),
        sa.Column("required_scopes_json", sa.Text(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("declared", sa.Boolean(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "billing_prices",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("plan_code", sa.String(64), nullable=False),
        sa.Column("interval", sa.String(8), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("amount_yen", sa.BigInteger(), nullable=False),
        sa.Column("tax_rate_percent", sa.Integer(), nullable=False),
        sa.Column("terms_json", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("superseded_at_ms", sa.BigInteger()),
        sa.UniqueConstraint("plan_code", "interval", "version", name="uq_billing_prices_version"),
    )
    op.create_table(
        "billing_accounts",
        sa.Column("bot_id", sa.String(33), primary_key=True),
        sa.Column("payment_method", sa.String(32)),
        sa.Column("initial_fee_charged_at_ms", sa.BigInteger()),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "billing_trials",
        sa.Column("bot_id", sa.String(33), primary_key=True),
        sa.Column("plan_code", sa.String(64), nullable=False),
        sa.Column("started_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("ends_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "billing_subscriptions",
        sa.Column("bot_id", sa.String(33), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("plan_code", sa.String(64), nullable=False),
        sa.Column("price_id", sa.BigInteger(), nullable=False),
        sa.Column("interval", sa.String(8), nullable=False),
        sa.Column("anchor_date", sa.Date()),
        sa.Column("period_start", sa.Date()),
        sa.Column("period_end", sa.Date()),
        sa.Column("usage_since", sa.Date()),
        sa.Column("trial_ends_at_ms", sa.BigInteger()),
        sa.Column("resume_status", sa.String(16)),
        sa.Column("paused_reason", sa.String(32)),
        sa.Column("coupon_json", sa.Text()),
        sa.Column("coupon_remaining", sa.Integer()),
        sa.Column("started_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("ended_at_ms", sa.BigInteger()),
        sa.Column("ended_reason", sa.String(32)),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "billing_subscription_history",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("bot_id", sa.String(33), nullable=False),
        sa.Column("from_status", sa.String(16)),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("plan_code", sa.String(64), nullable=False),
        sa.Column("price_id", sa.BigInteger(), nullable=False),
        sa.Column("detail_json", sa.Text(), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_billing_history_bot_id", "billing_subscription_history", ["bot_id", "id"])
    op.create_table(
        "billing_charges",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("bot_id", sa.String(33), nullable=False),
        sa.Column("charge_key", sa.String(200), nullable=False, unique=True),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("period_start", sa.Date()),
        sa.Column("period_end", sa.Date()),
        sa.Column("lines_json", sa.Text(), nullable=False),
        sa.Column("subtotal_yen", sa.BigInteger(), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("invoice_ref", sa.String(64)),
    )
    op.create_index("ix_billing_charges_bot_id", "billing_charges", ["bot_id", "id"])
    op.create_table(
        "billing_usage",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("bot_id", sa.String(33), nullable=False),
        sa.Column("meter", sa.String(100), nullable=False),
        sa.Column("idem_key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("subject", sa.String(200)),
        sa.Column("voids_id", sa.BigInteger()),
        sa.Column("note", sa.Text()),
        sa.Column("occurred_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("bot_id", "meter", "idem_key", name="uq_billing_usage_key"),
    )
    op.create_index("ix_billing_usage_meter_time", "billing_usage", ["bot_id", "meter", "occurred_at_ms"])
    op.create_index("ix_billing_usage_voids", "billing_usage", ["voids_id"])
    op.create_table(
        "billing_line_quota",
        sa.Column("bot_id", sa.String(33), primary_key=True),
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("quota_type", sa.String(16), nullable=False),
        sa.Column("quota_value", sa.BigInteger()),
        sa.Column("total_usage", sa.BigInteger(), nullable=False),
        sa.Column("read_at_ms", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "billing_line_quota",
        "billing_usage",
        "billing_charges",
        "billing_subscription_history",
        "billing_subscriptions",
        "billing_trials",
        "billing_accounts",
        "billing_prices",
        "billing_plans",
    ):
        op.drop_table(table)
