"""Hot statements inside a transaction an ORM session already holds (a handler's, a job's), sent on the
session's own driver connection: the event's "done" and the usage a handler metered. They join that transaction
as the ORM's statements would, without the ORM's cost per statement (`direct_sql.py` says why it matters)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import sqlalchemy
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.storage.direct_sql import Params, numbered


async def execute_in_session(
    session: AsyncSession, sql: str, params: Params, *, then_many: tuple[str, Sequence[Params]] | None = None
) -> int:
    """Run `sql` with `params` inside `session`'s transaction straight on its driver connection, then the
    statement of `then_many` once per row of it; returns the rowcount of `sql`.

    For the worker's completion of an event whose handler opened a transaction, with the usage it metered:
    through the ORM the UPDATE took three hops to aiosqlite's thread and the INSERT one more, and metering
    added 12 % to such a handler's CPU. Here, on SQLite, both run in one hop (aiosqlite runs each call as a
    function in its thread: `_execute` queues this one); on PostgreSQL one row to insert rides in the same
    statement (`WITH inserted AS (INSERT …) UPDATE …`: a data-modifying WITH runs exactly once), one round
    trip. Anywhere else, the ORM's way."""
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    insert_sql, rows = then_many if then_many is not None else ("", ())
    dialect = connection.dialect.name
    if dialect == "sqlite" and hasattr(driver, "_execute") and getattr(driver, "_conn", None) is not None:
        return await driver._execute(_execute_then_many, driver._conn, sql, params, insert_sql, rows)  # type: ignore[no-any-return,union-attr]
    if dialect == "postgresql" and driver is not None and driver.is_in_transaction():
        if len(rows) == 1 and not params.keys() & rows[0].keys():
            text, names = numbered(f"WITH inserted AS ({insert_sql}) {sql}")
            merged = {**params, **rows[0]}
            return _pg_rowcount(await driver.execute(text, *[merged[n] for n in names]))
        text, names = numbered(sql)
        count = _pg_rowcount(await driver.execute(text, *[params[n] for n in names]))
        if rows:
            await executemany_in_session(session, insert_sql, rows)
        return count
    result = await session.execute(sqlalchemy.text(sql), params)
    if rows:
        await session.execute(sqlalchemy.text(insert_sql), list(rows))
    return int(result.rowcount)  # type: ignore[attr-defined]


def _execute_then_many(
    connection: sqlite3.Connection, sql: str, params: Params, insert_sql: str, rows: Sequence[Params]
) -> int:
    count = connection.execute(sql, params).rowcount
    if rows:
        connection.executemany(insert_sql, rows)
    return count


def _pg_rowcount(status: str) -> int:
    """The row count of asyncpg's command status ("UPDATE 1", "INSERT 0 1")."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


async def executemany_in_session(session: AsyncSession, sql: str, rows: Sequence[Params]) -> None:
    """Run `sql` once per row inside `session`'s transaction, straight on its driver connection.

    For a statement added to a transaction that is open anyway (a handler's usage records): through the ORM
    the one INSERT took three hops to aiosqlite's thread (open a cursor, execute, close it) and metering added
    17 % to a handler that writes (12 % this way); the driver's own `executemany` is one hop. The statement joins the
    transaction: sqlite3 begins one before a write if none is open, and on PostgreSQL it goes through the
    ORM unless asyncpg is inside the session's transaction already (SQLAlchemy begins it on first use)."""
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    if connection.dialect.name == "sqlite":
        await driver.executemany(sql, rows)  # type: ignore[union-attr]  # aiosqlite's Connection
        return
    if connection.dialect.name == "postgresql" and driver is not None and driver.is_in_transaction():
        text, names = numbered(sql)
        if len(rows) == 1:  # asyncpg's executemany costs 85 µs of CPU more than a plain execute, this 50
            await driver.execute(text, *[rows[0][n] for n in names])
        else:
            await driver.executemany(text, [tuple(row[n] for n in names) for row in rows])
        return
    await session.execute(sqlalchemy.text(sql), list(rows))
