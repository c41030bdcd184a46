"""Database timeouts: no statement waits forever (PostgreSQL's statement_timeout, SQLite's busy timeout), and a
unit of work given a deadline (the webhook intake's) raises `TimeoutError` by then, leaving nothing half-written
and no broken connection behind."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import text

from linemod.framework.storage.database import Database
from linemod.framework.storage.direct_sql import DirectConnection

SHORT = 0.5


@asynccontextmanager
async def with_short_timeouts(db: Database) -> AsyncIterator[Database]:
    """The same database, opened with a statement timeout of SHORT seconds."""
    short = Database(db.url, schema=db.schema, statement_timeout=SHORT)
    try:
        yield short
    finally:
        await short.dispose()


@asynccontextmanager
async def held_write_lock(db: Database) -> AsyncIterator[None]:
    """SQLite's write lock held by another connection (another process, say)."""
    other = sqlite3.connect(db.sqlite_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


async def create_notes(db: Database) -> None:
    async def create(connection: DirectConnection) -> None:
        await connection.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body VARCHAR(50))")

    await db.direct.run(create)


async def insert_note(connection: DirectConnection) -> None:
    await connection.execute("INSERT INTO notes (id, body) VALUES (1, 'late')")


async def note_count(db: Database) -> int:
    async def count(connection: DirectConnection) -> int:
        return int((await connection.fetch("SELECT count(*) AS n FROM notes"))[0]["n"])

    return await db.direct.run(count)


async def test_a_statement_past_the_statement_timeout_fails_instead_of_waiting(db: Database) -> None:
    await create_notes(db)
    async with with_short_timeouts(db) as short:
        started = time.monotonic()
        if short.is_postgres:
            with pytest.raises(Exception, match="statement timeout"):
                await short.direct.run(lambda connection: connection.execute("SELECT pg_sleep(5)"))
            with pytest.raises(Exception, match="statement timeout"):
                async with short.session() as session:
                    await session.execute(text("SELECT pg_sleep(5)"))
        else:
            async with held_write_lock(db):
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    await short.direct.run(insert_note)
                with pytest.raises(Exception, match="locked"):
                    async with short.transaction() as session:
                        await session.execute(text("INSERT INTO notes (id, body) VALUES (2, 'orm')"))
        assert time.monotonic() - started < 4  # each gave up after about SHORT seconds, not 5 s or 30 s
        assert await short.direct.run(lambda connection: connection.fetch("SELECT 1 AS one")) == [{"one": 1}]


async def test_a_unit_past_its_deadline_raises_timeout_error_and_writes_nothing(db: Database) -> None:
    await create_notes(db)

    async def slow_insert(connection: DirectConnection) -> None:
        await insert_note(connection)
        await connection.execute("SELECT pg_sleep(5)")

    if db.is_postgres:
        with pytest.raises(TimeoutError):
            await db.direct.run(slow_insert, timeout=SHORT)
    else:
        async with held_write_lock(db):
            with pytest.raises(TimeoutError):
                await db.direct.run(insert_note, timeout=SHORT)
    assert await asyncio.wait_for(note_count(db), timeout=3) == 0  # the next unit gets a working connection
    await db.direct.run(insert_note, timeout=SHORT)
    assert await note_count(db) == 1
