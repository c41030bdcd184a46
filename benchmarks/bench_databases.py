"""The databases the framework benchmarks run against: a fresh SQLite file or a fresh PostgreSQL schema."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PG_URL = os.environ.get("LINEMOD_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


def fresh_database(engine: str, workdir: Path, name: str) -> tuple[str, str | None]:
    """(URL, schema) of an empty database for `engine` ("sqlite" or "postgres"); drop the schema after."""
    if engine == "postgres":
        return PG_URL, f"bench_{secrets.token_hex(4)}"
    if engine == "sqlite":
        return f"sqlite+aiosqlite:///{workdir}/{name}-{secrets.token_hex(3)}.db", None
    raise SystemExit(f"unknown engine {engine!r}: sqlite or postgres")


async def drop_schema(schema: str) -> None:
    from linemod.framework.storage.database import Database

    db = Database(PG_URL)
    async with db.engine.begin() as conn:
        await conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    await db.dispose()
