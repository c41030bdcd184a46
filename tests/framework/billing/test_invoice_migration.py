"""Migration 0004 builds exactly the tables the invoice records describe, on both engines."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

import linemod.framework.billing.invoicing.records as records
from linemod.framework.storage.database import Database, alembic_config
from linemod.framework.storage.models import Base

TABLES = {"invoices", "invoice_counters", "invoice_changes"}


async def test_the_migration_matches_the_invoice_records(db: Database) -> None:
    assert set(Base.metadata.tables) >= TABLES, records.__name__

    def diff(connection):  # type: ignore[no-untyped-def]
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)

    async with db.engine.connect() as conn:
        differences = await conn.run_sync(diff)
    assert differences == []


async def test_the_invoice_revision_downgrades_and_upgrades_again(db: Database) -> None:
    def downgrade(connection):  # type: ignore[no-untyped-def]
        command.downgrade(alembic_config(connection), "0003")
        return set(inspect(connection).get_table_names())

    async with db.engine.begin() as conn:
        tables = await conn.run_sync(downgrade)
    assert not TABLES & tables
    await db.upgrade()
    async with db.engine.connect() as conn:
        assert set(await conn.run_sync(lambda sync: inspect(sync).get_table_names())) >= TABLES
