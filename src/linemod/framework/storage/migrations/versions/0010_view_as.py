"""Help desk pages: operators' consents to "view as operator", staff view sessions, and the staff access log.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "support_view_grants",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("bot_id", sa.String(33), nullable=False),
        sa.Column("granted_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("expires_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at_ms", sa.BigInteger()),
        sa.Column("revoked_by", sa.BigInteger()),
    )
    op.create_index("ix_support_view_grants_bot_id", "support_view_grants", ["bot_id", "expires_at_ms"])
    op.create_table(
        "support_view_sessions",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("grant_id", sa.BigInteger(), nullable=False),
        sa.Column("bot_id", sa.String(33), nullable=False),
        sa.Column("staff_account_id", sa.BigInteger(), nullable=False),
        sa.Column("started_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("expires_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("ended_at_ms", sa.BigInteger()),
    )
    op.create_index("ix_support_view_sessions_staff", "support_view_sessions", ["staff_account_id", "bot_id"])
    op.create_table(
        "support_staff_access",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("staff_account_id", sa.BigInteger(), nullable=False),
        sa.Column("staff_email", sa.String(254), nullable=False),
        sa.Column("bot_id", sa.String(33), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("ticket_id", sa.BigInteger()),
        sa.Column("session_id", sa.BigInteger()),
        sa.Column("path", sa.String(500)),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_support_staff_access_bot_id", "support_staff_access", ["bot_id", "id"])


def downgrade() -> None:
    op.drop_table("support_staff_access")
    op.drop_table("support_view_sessions")
    op.drop_table("support_view_grants")
