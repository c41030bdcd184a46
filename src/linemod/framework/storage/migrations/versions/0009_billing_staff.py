"""The provider's billing console: the audit log of staff actions, and the coupons staff create.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "billing_audit_log",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("action", sa.String(48), nullable=False),
        sa.Column("bot_id", sa.String(33)),
        sa.Column("subject", sa.String(255)),
        sa.Column("before_json", sa.Text()),
        sa.Column("after_json", sa.Text()),
        sa.Column("request_key", sa.String(64), unique=True),
    )
    op.create_index("ix_billing_audit_log_at", "billing_audit_log", ["at_ms", "id"])
    op.create_index("ix_billing_audit_log_bot_id", "billing_audit_log", ["bot_id", "id"])
    op.create_table(
        "billing_staff_coupons",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("duration", sa.String(16), nullable=False),
        sa.Column("months", sa.Integer()),
        sa.Column("name_ja", sa.String(255), nullable=False),
        sa.Column("name_en", sa.String(255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("deactivated_at_ms", sa.BigInteger()),
    )


def downgrade() -> None:
    op.drop_table("billing_staff_coupons")
    op.drop_index("ix_billing_audit_log_bot_id", table_name="billing_audit_log")
    op.drop_index("ix_billing_audit_log_at", table_name="billing_audit_log")
    op.drop_table("billing_audit_log")
