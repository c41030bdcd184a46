"""Fixtures of the reservation tests: a migrated database on each engine, and a running world (a real
emulator, the reservation module under uvicorn, an OA attached through the consent flow)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from linemod.framework.db import Database
from linemod_reservation import migrate
from tests.reservation.world import POSTGRES_URL, World, postgres_available

ENGINES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


async def open_database(engine: str, tmp_path: Path, *, migrated: bool = True) -> AsyncIterator[Database]:
    """The framework's and the module's tables (none unless `migrated`), in a SQLite file or a fresh
    PostgreSQL schema."""
    if engine == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{tmp_path}/reservation-test.db")
        schema = None
    else:
        if not postgres_available():
            if os.environ.get("CI"):  # .ci/run starts it: unreachable there is a failure, not a skip
                pytest.fail(f"PostgreSQL not reachable at {POSTGRES_URL} in CI")
            pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}")
        schema = f"r_{uuid.uuid4().hex[:12]}"
        db = Database(POSTGRES_URL, schema=schema)
    if migrated:
        await db.upgrade()
        await migrate.upgrade(db)
    try:
        yield db
    finally:
        await db.dispose()
        if schema is not None:
            admin = Database(POSTGRES_URL)
            async with admin.engine.begin() as conn:
                await conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            await admin.dispose()


@pytest.fixture(params=ENGINES)
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    async for database in open_database(request.param, tmp_path):
        yield database


@pytest.fixture(params=ENGINES)
async def fresh_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """An empty database on each engine (no table at all), for tests of migrating it."""
    async for database in open_database(request.param, tmp_path, migrated=False):
        yield database


@pytest.fixture
async def pg(tmp_path: Path) -> AsyncIterator[Database]:
    """PostgreSQL only (concurrency tests)."""
    async for database in open_database("postgres", tmp_path):
        yield database


@pytest.fixture
def world(emulator_url: str, db: Database) -> Iterator[World]:
    w = World(emulator_url, db)
    with w.server:
        w.attach()
        yield w
    w.close()
