"""Running the reservation module's own migrations (separate history, version table `rsv_alembic_version`)."""

from __future__ import annotations

from importlib import resources
from typing import Any

from linemod.framework.db import Database


def alembic_config(connection: Any = None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("linemod_reservation") / "migrations"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


async def upgrade(db: Database, revision: str = "head") -> None:
    """Create or migrate the module's tables in `db` (idempotent; safe to run at every start-up)."""
    if db.is_postgres and db.schema:
        async with db.engine.begin() as conn:
            await conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{db.schema}"')
    async with db.engine.begin() as conn:
        await conn.run_sync(_run, revision)


def _run(sync_connection: Any, revision: str) -> None:
    from alembic import command

    command.upgrade(alembic_config(sync_connection), revision)
