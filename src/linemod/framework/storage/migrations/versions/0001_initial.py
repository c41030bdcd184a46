"""The framework's first tables: tenants, events (the webhook queue), jobs, chat states, attach states.

Revision ID: 0001
Revises:
Create Date: 2026-08-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("bot_id", sa.String(33), primary_key=True),
        sa.Column("basic_id", sa.String(64)),
        sa.Column("premium_id", sa.String(64)),
        sa.Column("display_name", sa.String(255)),
        sa.Column("picture_url", sa.Text()),
        sa.Column("scopes_json", sa.Text()),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("lifecycle_ts_ms", sa.BigInteger()),
        sa.Column("attached_at_ms", sa.BigInteger()),
        sa.Column("detached_at_ms", sa.BigInteger()),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "events",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("webhook_event_id", sa.String(64), nullable=False, unique=True),
        sa.Column("bot_id", sa.String(33), nullable=False),
        sa.Column("chat_key", sa.String(200), nullable=False),
        sa.Column("event_type", sa.String(40), nullable=False),
        sa.Column("mode", sa.String(16)),
        sa.Column("event_ts_ms", sa.BigInteger(), nullable=False),
        sa.Column("is_redelivery", sa.Boolean(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("run_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("locked_by", sa.String(100)),
        sa.Column("locked_until_ms", sa.BigInteger()),
        sa.Column("last_error", sa.Text()),
        sa.Column("received_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("finished_at_ms", sa.BigInteger()),
    )
    op.create_index("ix_events_status_id", "events", ["status", "id"])
    op.create_index("ix_events_chat_key_status", "events", ["chat_key", "status", "id"])
    op.create_index("ix_events_bot_id_status", "events", ["bot_id", "status", "id"])
    op.create_table(
        "jobs",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("key", sa.String(200), unique=True),
        sa.Column("bot_id", sa.String(33)),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("run_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("locked_by", sa.String(100)),
        sa.Column("locked_until_ms", sa.BigInteger()),
        sa.Column("last_error", sa.Text()),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("finished_at_ms", sa.BigInteger()),
    )
    op.create_index("ix_jobs_status_run_at", "jobs", ["status", "run_at_ms"])
    op.create_table(
        "chat_states",
        sa.Column("bot_id", sa.String(33), primary_key=True),
        sa.Column("chat_id", sa.String(100), primary_key=True),
        sa.Column("mode", sa.String(16)),
        sa.Column("mode_ts_ms", sa.BigInteger()),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "attach_states",
        sa.Column("state", sa.String(64), primary_key=True),
        sa.Column("code_verifier", sa.String(128), nullable=False),
        sa.Column("redirect_uri", sa.Text(), nullable=False),
        sa.Column("params_json", sa.Text(), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("used_at_ms", sa.BigInteger()),
    )


def downgrade() -> None:
    for table in ("attach_states", "chat_states", "jobs", "events", "tenants"):
        op.drop_table(table)
