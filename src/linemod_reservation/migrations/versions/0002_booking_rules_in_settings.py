"""The booking rules move to the console's settings form "booking": the shop row keeps its name, time zone
and rich menu only.

Slot length, seats per slot, lead time, largest party and days ahead are now the values of the framework's
settings form (stored per OA in the framework's `tenant_settings`, read with `app.console.read_settings`),
whose defaults are the old columns' (60, 8, 60, 6, 60). Every shop's values are carried over first, in
the JSON object the form stores, so no shop loses the rules it set; an OA that already saved the form
keeps what it saved. The downgrade carries them back.

Revision ID: rsv0002
Revises: rsv0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "rsv0002"
down_revision = "rsv0001"
branch_labels = None
depends_on = None

COLUMNS = (("slot_minutes", 60), ("capacity", 8), ("lead_minutes", 60), ("max_party", 6), ("days_ahead", 60))


FORM = "booking"
NAMES = [name for name, _default in COLUMNS]


def upgrade() -> None:
    connection = op.get_bind()
    shops = connection.execute(sa.text(f"SELECT bot_id, updated_at_ms, {', '.join(NAMES)} FROM rsv_shops"))
    for shop in shops.mappings().all():
        values = json.dumps({name: int(shop[name]) for name in NAMES}, sort_keys=True)
        connection.execute(
            sa.text(
                "INSERT INTO tenant_settings (bot_id, name, values_json, updated_at_ms, updated_by) "
                "VALUES (:bot_id, :form, :values, :at, NULL) ON CONFLICT (bot_id, name) DO NOTHING"
            ),
            {"bot_id": shop["bot_id"], "form": FORM, "values": values, "at": shop["updated_at_ms"]},
        )
    with op.batch_alter_table("rsv_shops") as batch:
        for name in NAMES:
            batch.drop_column(name)


def downgrade() -> None:
    with op.batch_alter_table("rsv_shops") as batch:
        for name, default in COLUMNS:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default=str(default)))
    connection = op.get_bind()
    saved = connection.execute(
        sa.text("SELECT bot_id, values_json FROM tenant_settings WHERE name = :form"), {"form": FORM}
    )
    for row in saved.mappings().all():
        values = json.loads(row["values_json"])
        kept = {name: int(values[name]) for name in NAMES if isinstance(values.get(name), int)}
        if kept:
            assignments = ", ".join(f"{name} = :{name}" for name in kept)
            connection.execute(
                sa.text(f"UPDATE rsv_shops SET {assignments} WHERE bot_id = :bot_id"), {**kept, "bot_id": row["bot_id"]}
            )
