"""Accounts and consoles: accounts, sessions, single-use mail tokens, sign-in attempts, OA memberships,
invitations, the development mail outbox, extension settings; the account that started an attach.

Revision ID: 0002
Revises: 0001
Create Date: 2026-08-12
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("provider_staff", sa.Boolean(), nullable=False),
        sa.Column("email_verified_at_ms", sa.BigInteger()),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "auth_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("last_seen_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("expires_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at_ms", sa.BigInteger()),
        sa.Column("ip", sa.String(64)),
        sa.Column("user_agent", sa.String(255)),
    )
    op.create_index("ix_auth_sessions_account_id", "auth_sessions", ["account_id"])
    op.create_table(
        "account_tokens",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("expires_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("used_at_ms", sa.BigInteger()),
    )
    op.create_index("ix_account_tokens_account_id", "account_tokens", ["account_id"])
    op.create_table(
        "signin_attempts",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_signin_attempts_key_at", "signin_attempts", ["key_hash", "at_ms"])
    op.create_table(
        "memberships",
        sa.Column("account_id", sa.BigInteger(), primary_key=True),
        sa.Column("bot_id", sa.String(33), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_memberships_bot_id", "memberships", ["bot_id"])
    op.create_table(
        "invitations",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("bot_id", sa.String(33), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("invited_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("expires_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("accepted_at_ms", sa.BigInteger()),
        sa.Column("accepted_by", sa.BigInteger()),
        sa.Column("revoked_at_ms", sa.BigInteger()),
    )
    op.create_index("ix_invitations_bot_id", "invitations", ["bot_id"])
    op.create_table(
        "mail_outbox",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("to_addr", sa.String(254), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "tenant_settings",
        sa.Column("bot_id", sa.String(33), primary_key=True),
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("values_json", sa.Text(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_by", sa.BigInteger()),
    )
    with op.batch_alter_table("attach_states") as batch:
        batch.add_column(sa.Column("account_id", sa.BigInteger()))


def downgrade() -> None:
    with op.batch_alter_table("attach_states") as batch:
        batch.drop_column("account_id")
    for table in (
        "tenant_settings",
        "mail_outbox",
        "invitations",
        "memberships",
        "signin_attempts",
        "account_tokens",
        "auth_sessions",
        "accounts",
    ):
        op.drop_table(table)
