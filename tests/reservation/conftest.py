"""Fixtures of the reservation tests: a migrated database on each engine, and a running world (a real
emulator, the reservation module under uvicorn, an OA attached through the consent flow)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from linemod.framework.storage.database import Database
from tests.framework.helpers import open_test_database
from tests.reservation.world import World, upgrade

ENGINES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


async def open_database(engine: str, tmp_path: Path, *, migrated: bool = True) -> AsyncIterator[Database]:
    """The framework's and the module's tables (none unless `migrated`), in a SQLite file or a fresh
    PostgreSQL schema."""
    prepare = _migrate if migrated else None
    async for db in open_test_database(engine, tmp_path, name="reservation-test", prepare=prepare):
        yield db


async def _migrate(db: Database) -> None:
    await upgrade(db.url, db.schema)


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
