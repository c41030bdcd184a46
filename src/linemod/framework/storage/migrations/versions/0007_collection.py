"""The collection cycle: billing profiles, each run's invoice and its dunning state, Stripe webhooks
received; HTML, CC and attachments on outbox mails.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "billing_profiles",
        sa.Column("bot_id", sa.String(33), primary_key=True),
        sa.Column("company_name", sa.String(255), nullable=False),
        sa.Column("honorific", sa.String(4), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("cc_emails", sa.Text(), nullable=False),
        sa.Column("registration_number", sa.String(14)),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "billing_collections",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("bot_id", sa.String(33), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("amount_yen", sa.BigInteger(), nullable=False),
        sa.Column("invoice_id", sa.BigInteger()),
        sa.Column("invoice_number", sa.String(64)),
        sa.Column("receipt_id", sa.BigInteger()),
        sa.Column("due_date", sa.Date()),
        sa.Column("card_attempts", sa.Integer(), nullable=False),
        sa.Column("first_failure_at_ms", sa.BigInteger()),
        sa.Column("last_outcome", sa.String(20)),
        sa.Column("lease_until_ms", sa.BigInteger()),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_billing_collections_bot_status", "billing_collections", ["bot_id", "status"])
    op.create_index("ix_billing_collections_invoice", "billing_collections", ["invoice_id"])
    op.create_table(
        "stripe_webhook_events",
        sa.Column("event_id", sa.String(255), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("event_json", sa.Text(), nullable=False),
        sa.Column("received_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("applied_at_ms", sa.BigInteger()),
    )
    with op.batch_alter_table("mail_outbox") as batch:
        batch.add_column(sa.Column("cc_addrs", sa.Text()))
        batch.add_column(sa.Column("html", sa.Text()))
        batch.add_column(sa.Column("attachments_json", sa.Text()))


def downgrade() -> None:
    with op.batch_alter_table("mail_outbox") as batch:
        batch.drop_column("attachments_json")
        batch.drop_column("html")
        batch.drop_column("cc_addrs")
    for table in ("stripe_webhook_events", "billing_collections", "billing_profiles"):
        op.drop_table(table)
