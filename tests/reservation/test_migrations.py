"""The module's own history keeps what shops set: rsv0002 moves the booking rules into the console's
settings form without losing a shop's values, and its downgrade brings them back."""

from __future__ import annotations

import json

from sqlalchemy import text

from linemod.framework.storage.database import Database, ModuleMigrations, module_alembic_config
from linemod_reservation import migrate

MIGRATIONS = ModuleMigrations(migrate.SCRIPT_LOCATION, migrate.VERSION_TABLE)
BOT = "U" + "5" * 32
RULES = {"slot_minutes": 30, "capacity": 3, "lead_minutes": 120, "max_party": 10, "days_ahead": 14}


async def downgrade(db: Database, revision: str) -> None:
    from alembic import command

    async with db.engine.begin() as conn:
        await conn.run_sync(lambda sync: command.downgrade(module_alembic_config(MIGRATIONS, sync), revision))


async def test_a_shops_booking_rules_are_carried_into_the_settings_form_and_back(fresh_db: Database) -> None:
    await fresh_db.upgrade()
    await fresh_db.upgrade_module(MIGRATIONS, "rsv0001")
    async with fresh_db.transaction() as session:
        await session.execute(
            text(
                "INSERT INTO rsv_shops (bot_id, name, timezone, slot_minutes, capacity, lead_minutes, max_party, "
                "days_ahead, created_at_ms, updated_at_ms) VALUES (:bot, 'Cafe', 'Asia/Tokyo', :slot_minutes, "
                ":capacity, :lead_minutes, :max_party, :days_ahead, 1, 2)"
            ),
            {"bot": BOT, **RULES},
        )
    await fresh_db.upgrade_module(MIGRATIONS)
    async with fresh_db.session() as session:
        saved = (await session.execute(text("SELECT name, values_json FROM tenant_settings"))).all()
    assert [(name, json.loads(values)) for name, values in saved] == [("booking", RULES)]

    await downgrade(fresh_db, "rsv0001")
    async with fresh_db.session() as session:
        row = (
            await session.execute(
                text("SELECT slot_minutes, capacity, lead_minutes, max_party, days_ahead FROM rsv_shops")
            )
        ).one()
    assert dict(zip(RULES, row, strict=True)) == RULES
