"""The reservation module's first tables: shops, hours, holidays, slots, reservations, customers, standby log.

Revision ID: rsv0001
Revises:
Create Date: 2026-08-12
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "rsv0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "rsv_shops",
        sa.Column("bot_id", sa.String(33), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("lead_minutes", sa.Integer(), nullable=False),
        sa.Column("max_party", sa.Integer(), nullable=False),
        sa.Column("days_ahead", sa.Integer(), nullable=False),
        sa.Column("rich_menu_id", sa.String(100)),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "rsv_hours",
        sa.Column("bot_id", sa.String(33), primary_key=True),
        sa.Column("weekday", sa.Integer(), primary_key=True),
        sa.Column("opens", sa.String(5), nullable=False),
        sa.Column("closes", sa.String(5), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "rsv_holidays",
        sa.Column("bot_id", sa.String(33), primary_key=True),
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("note", sa.String(255), nullable=False),
    )
    op.create_table(
        "rsv_slots",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("bot_id", sa.String(33), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("start", sa.String(5), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        sa.UniqueConstraint("bot_id", "day", "start", name="uq_rsv_slots_bot_day_start"),
        sa.CheckConstraint("booked >= 0 AND booked <= capacity", name="ck_rsv_slots_booked_within_capacity"),
    )
    op.create_table(
        "rsv_reservations",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("bot_id", sa.String(33), nullable=False),
        sa.Column("number", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(100)),
        sa.Column("customer_name", sa.String(100), nullable=False),
        sa.Column("party_size", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("start", sa.String(5), nullable=False),
        sa.Column("slot_id", BigId, sa.ForeignKey("rsv_slots.id"), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("cancelled_at_ms", sa.BigInteger()),
        sa.Column("reminded_at_ms", sa.BigInteger()),
        sa.UniqueConstraint("bot_id", "number", name="uq_rsv_reservations_bot_number"),
        sa.CheckConstraint("party_size >= 1", name="ck_rsv_reservations_party_positive"),
    )
    op.create_index("ix_rsv_reservations_bot_day", "rsv_reservations", ["bot_id", "day", "start"])
    op.create_index("ix_rsv_reservations_bot_user", "rsv_reservations", ["bot_id", "user_id"])
    op.create_table(
        "rsv_customers",
        sa.Column("bot_id", sa.String(33), primary_key=True),
        sa.Column("user_id", sa.String(100), primary_key=True),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("friend", sa.Boolean(), nullable=False),
        sa.Column("handled_by", sa.String(16), nullable=False),
        sa.Column("handled_since_ms", sa.BigInteger()),
        sa.Column("last_seen_ms", sa.BigInteger()),
    )
    op.create_table(
        "rsv_standby_events",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("bot_id", sa.String(33), nullable=False),
        sa.Column("user_id", sa.String(100), nullable=False),
        sa.Column("event_type", sa.String(32), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_rsv_standby_bot_user", "rsv_standby_events", ["bot_id", "user_id", "id"])


def downgrade() -> None:
    for index, table in (
        ("ix_rsv_standby_bot_user", "rsv_standby_events"),
        ("ix_rsv_reservations_bot_user", "rsv_reservations"),
        ("ix_rsv_reservations_bot_day", "rsv_reservations"),
    ):
        op.drop_index(index, table_name=table)
    for table in (
        "rsv_standby_events",
        "rsv_customers",
        "rsv_reservations",
        "rsv_slots",
        "rsv_holidays",
        "rsv_hours",
        "rsv_shops",
    ):
        op.drop_table(table)
