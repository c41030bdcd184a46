"""Payments: customers and cards at the provider, payments (attempts and receipts), refunds, payer
references, bank statement imports and lines, the reconciliation queue.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "payment_customers",
        sa.Column("provider", sa.String(16), primary_key=True),
        sa.Column("bot_id", sa.String(33), primary_key=True),
        sa.Column("customer_id", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("provider", "customer_id", name="uq_payment_customers_customer"),
    )
    op.create_table(
        "payment_methods",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("bot_id", sa.String(33), nullable=False),
        sa.Column("payment_method_id", sa.String(255), nullable=False),
        sa.Column("customer_id", sa.String(255), nullable=False),
        sa.Column("brand", sa.String(32), nullable=False),
        sa.Column("last4", sa.String(4), nullable=False),
        sa.Column("exp_month", sa.Integer(), nullable=False),
        sa.Column("exp_year", sa.Integer(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("removed_at_ms", sa.BigInteger()),
        sa.UniqueConstraint("provider", "payment_method_id", name="uq_payment_methods_provider_id"),
    )
    op.create_index("ix_payment_methods_bot_id", "payment_methods", ["bot_id"])
    op.create_table(
        "payments",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("invoice_id", sa.String(64), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("amount_yen", sa.BigInteger(), nullable=False),
        sa.Column("bot_id", sa.String(33)),
        sa.Column("provider", sa.String(16)),
        sa.Column("customer_id", sa.String(255)),
        sa.Column("payment_method_id", sa.String(255)),
        sa.Column("provider_payment_id", sa.String(255)),
        sa.Column("provider_charge_id", sa.String(255)),
        sa.Column("failure_code", sa.String(64)),
        sa.Column("decline_code", sa.String(64)),
        sa.Column("message", sa.Text()),
        sa.Column("paid_on", sa.Date()),
        sa.Column("note", sa.Text()),
        sa.Column("recorded_by", sa.BigInteger()),
        sa.Column("statement_line_id", sa.BigInteger()),
        sa.Column("lease_until_ms", sa.BigInteger()),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("invoice_id", "method", "attempt", name="uq_payments_invoice_method_attempt"),
    )
    op.create_index("ix_payments_provider_payment_id", "payments", ["provider_payment_id"])
    op.create_table(
        "payment_refunds",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("payment_id", sa.BigInteger(), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True),
        sa.Column("amount_yen", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("provider_refund_id", sa.String(255)),
        sa.Column("message", sa.Text()),
        sa.Column("lease_until_ms", sa.BigInteger()),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_payment_refunds_payment_id", "payment_refunds", ["payment_id"])
    op.create_table(
        "payer_references",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("invoice_id", sa.String(64), nullable=False, unique=True),
        sa.Column("reference", sa.String(16), unique=True),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "bank_statement_imports",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("imported_by", sa.BigInteger()),
        sa.Column("lines_total", sa.Integer(), nullable=False),
        sa.Column("lines_new", sa.Integer(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("queued", sa.Integer(), nullable=False),
        sa.Column("imported_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "bank_statement_lines",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("line_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("import_id", sa.BigInteger(), nullable=False),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.Column("amount_yen", sa.BigInteger(), nullable=False),
        sa.Column("payer_name", sa.String(255), nullable=False),
        sa.Column("payer_name_normalized", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("invoice_id", sa.String(64)),
        sa.Column("payment_id", sa.BigInteger()),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_bank_statement_lines_import_id", "bank_statement_lines", ["import_id"])
    op.create_table(
        "reconciliation_items",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("statement_line_id", sa.BigInteger(), nullable=False, unique=True),
        sa.Column("reason", sa.String(24), nullable=False),
        sa.Column("candidates", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("invoice_id", sa.String(64)),
        sa.Column("resolved_by", sa.BigInteger()),
        sa.Column("resolved_at_ms", sa.BigInteger()),
        sa.Column("note", sa.Text()),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_reconciliation_items_status", "reconciliation_items", ["status", "id"])


def downgrade() -> None:
    for table in (
        "reconciliation_items",
        "bank_statement_lines",
        "bank_statement_imports",
        "payer_references",
        "payment_refunds",
        "payments",
        "payment_methods",
        "payment_customers",
    ):
        op.drop_table(table)
