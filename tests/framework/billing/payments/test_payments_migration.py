"""Migration 0006 builds exactly the payment tables `billing/payments/records.py` declares, on both engines."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import linemod.framework.billing.payments.records  # noqa: F401  (declares the payment tables on Base)
from linemod.framework.storage.models import Base


async def test_0006_creates_the_tables_the_payment_records_declare(db) -> None:  # type: ignore[no-untyped-def]
    def diff(connection):  # type: ignore[no-untyped-def]
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)

    async with db.engine.connect() as conn:
        differences = await conn.run_sync(diff)
    assert differences == []
