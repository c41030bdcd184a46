"""Fixtures of the framework tests: a database on each engine, webhook builders, loopback servers."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from linemod.framework.db import Database
from tests.framework.helpers import POSTGRES_URL, ThreadedServer, postgres_available

ENGINES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


async def _database(engine: str, tmp_path: object) -> AsyncIterator[Database]:
    if engine == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{tmp_path}/linemod-test.db")
        await db.upgrade()
        try:
            yield db
        finally:
            await db.dispose()
        return
    if not postgres_available():
        if os.environ.get("CI"):  # .ci/run starts it: unreachable there is a failure, not a skip
            pytest.fail(f"PostgreSQL not reachable at {POSTGRES_URL} in CI")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    db = Database(POSTGRES_URL, schema=schema)
    await db.upgrade()
    try:
        yield db
    finally:
        await db.dispose()
        admin = Database(POSTGRES_URL)
        async with admin.engine.begin() as conn:
            await conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await admin.dispose()


@pytest.fixture(params=ENGINES)
async def db(request: pytest.FixtureRequest, tmp_path: object) -> AsyncIterator[Database]:
    """A migrated, empty database: a SQLite file, or a fresh schema on the PostgreSQL test server."""
    async for database in _database(request.param, tmp_path):
        yield database


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
