"""The booking rules move to the console's settings form "booking": the shop row keeps its name, time zone
and rich menu only.

Slot length, seats per slot, lead time, largest party and days ahead are now the values of the framework's
settings form (stored per OA by the framework, read with `app.console.read_settings`), whose defaults are
the old columns' (60, 8, 60, 6, 60). Values a shop had changed are not carried over: the framework's
settings table is not this history's to write.

Revision ID: rsv0002
Revises: rsv0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "rsv0002"
down_revision = "rsv0001"
branch_labels = None
depends_on = None

COLUMNS = (("slot_minutes", 60), ("capacity", 8), ("lead_minutes", 60), ("max_party", 6), ("days_ahead", 60))


def upgrade() -> None:
    with op.batch_alter_table("rsv_shops") as batch:
        for name, _default in COLUMNS:
            batch.drop_column(name)


def downgrade() -> None:
    with op.batch_alter_table("rsv_shops") as batch:
        for name, default in COLUMNS:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default=str(default)))
