"""Fixtures of the framework tests: a database on each engine, webhook builders, loopback servers."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from linemod.framework.storage.database import Database
from tests.framework.helpers import POSTGRES_URL, ThreadedServer, open_test_database

ENGINES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(params=ENGINES)
async def db(request: pytest.FixtureRequest, tmp_path: object) -> AsyncIterator[Database]:
    """A migrated, empty database: a SQLite file, or a fresh schema on the PostgreSQL test server."""
    async for database in open_test_database(request.param, tmp_path, name="linemod-test", prepare=_migrate):
        yield database


async def _migrate(db: Database) -> None:
    await db.upgrade()


@pytest.fixture
def engine_name(db: Database) -> str:
    return db.dialect


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("LINEMOD_TEST_POSTGRES_URL", POSTGRES_URL)


@pytest.fixture(scope="session")
def line_emulator() -> Iterator[str]:
    """A real emulator server on a loopback port (its base URL), checked to answer before use."""
    from linemod.emulator import create_app

    with ThreadedServer(create_app()) as server:
        assert httpx.get(f"{server.url}/_emulator/clock", timeout=5).status_code == 200
        yield server.url
