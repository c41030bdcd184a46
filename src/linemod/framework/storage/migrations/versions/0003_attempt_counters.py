"""Attempt counters: sign-ins and mail requests counted per key in fixed windows, replacing the log of failed
sign-ins (whose "how many?" and "one more" were separate steps that requests sent at once all passed).
The old rows are dropped: they only held the last quarter of an hour.

Revision ID: 0003
Revises: 0002
Create Date: 2026-08-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "attempt_counters",
        sa.Column("key_hash", sa.String(64), primary_key=True),
        sa.Column("window_start_ms", sa.BigInteger(), nullable=False),
        sa.Column("expires_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
    )
    op.create_index("ix_attempt_counters_expires_at_ms", "attempt_counters", ["expires_at_ms"])
    op.drop_index("ix_signin_attempts_key_at", table_name="signin_attempts")
    op.drop_table("signin_attempts")


def downgrade() -> None:
    op.create_table(
        "signin_attempts",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_signin_attempts_key_at", "signin_attempts", ["key_hash", "at_ms"])
    op.drop_index("ix_attempt_counters_expires_at_ms", table_name="attempt_counters")
    op.drop_table("attempt_counters")
