"""The framework's statements on the driver: parameters, transactions, SQLite's inline and waiting paths."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from linemod.framework.storage.direct_sql import DirectConnection, numbered


def test_named_parameters_become_numbered_ones_and_literals_are_left_alone() -> None:
    sql, names = numbered("SELECT :a, :b, :a, x || ':-', CAST(:c AS text[]), y::text FROM t WHERE z = :b")
    assert sql == "SELECT $1, $2, $1, x || ':-', CAST($3 AS text[]), y::text FROM t WHERE z = $2"
    assert names == ("a", "b", "c")


async def create_notes(db) -> None:  # type: ignore[no-untyped-def]
    async def create(connection: DirectConnection) -> None:
        await connection.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body VARCHAR(50))")

    await db.direct.run(create)


async def notes(db) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    async def read(connection: DirectConnection) -> list[tuple[int, str]]:
        return [(r["id"], r["body"]) for r in await connection.fetch("SELECT id, body FROM notes ORDER BY id")]

    return await db.direct.run(read)


async def test_a_unit_commits_when_it_returns_and_rolls_back_when_it_raises(db) -> None:  # type: ignore[no-untyped-def]
    await create_notes(db)

    async def insert(connection: DirectConnection) -> str:
        await connection.executemany("INSERT INTO notes (id, body) VALUES (:id, :body)", [{"id": 1, "body": "kept"}])
        return "ok"

    async def insert_then_fail(connection: DirectConnection) -> None:
        await connection.execute("INSERT INTO notes (id, body) VALUES (:id, :body)", {"id": 2, "body": "lost"})
        raise ValueError("handler broke")

    assert await db.direct.run(insert) == "ok"
    with pytest.raises(ValueError, match="handler broke"):
        await db.direct.run(insert_then_fail)
    assert await notes(db) == [(1, "kept")]


async def test_an_id_list_parameter_selects_exactly_those_rows(db) -> None:  # type: ignore[no-untyped-def]
    from linemod.framework.queue.engine import engine_for

    await create_notes(db)
    direct, engine = db.direct, engine_for(db)

    async def fill_and_update(connection: DirectConnection) -> list[int]:
        await connection.executemany(
            "INSERT INTO notes (id, body) VALUES (:id, :body)", [{"id": i, "body": "old"} for i in range(1, 7)]
        )
        changed = await connection.fetch(
            f"UPDATE notes SET body = 'new' WHERE {engine.in_ids('id', 'ids')} RETURNING id",
            {"ids": engine.ids([2, 5, 99])},
        )
        return sorted(r["id"] for r in changed)

    assert await direct.run(fill_and_update) == [2, 5]
    assert [body for _, body in await notes(db)] == ["old", "new", "old", "old", "new", "old"]


async def test_sqlite_unit_waits_in_a_thread_while_another_connection_holds_the_write_lock(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from linemod.framework.storage.database import Database

    db = Database(f"sqlite+aiosqlite:///{tmp_path}/locked.db")
    try:
        await create_notes(db)
        other = sqlite3.connect(db.sqlite_path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO notes (id, body) VALUES (1, 'other process')")

        async def insert(connection: DirectConnection) -> None:
            await connection.execute("INSERT INTO notes (id, body) VALUES (:id, :body)", {"id": 2, "body": "ours"})

        waiting = asyncio.create_task(db.direct.run(insert))
        await asyncio.sleep(0.3)
        assert not waiting.done()  # not failed with "database is locked": it waits for the lock
        other.execute("COMMIT")
        other.close()
        await asyncio.wait_for(waiting, timeout=10)
        assert await notes(db) == [(1, "other process"), (2, "ours")]
    finally:
        await db.dispose()


async def test_a_sqlite_unit_that_awaits_something_else_is_refused_and_rolled_back(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from linemod.framework.storage.database import Database

    db = Database(f"sqlite+aiosqlite:///{tmp_path}/suspend.db")
    try:
        await create_notes(db)

        async def insert_then_sleep(connection: DirectConnection) -> None:
            await connection.execute("INSERT INTO notes (id, body) VALUES (1, 'x')")
            await asyncio.sleep(0.01)  # would hold SQLite's write lock across the event loop

        with pytest.raises(RuntimeError, match="suspended"):
            await db.direct.run(insert_then_sleep)
        assert await notes(db) == []
    finally:
        await db.dispose()


async def test_a_unit_cancelled_mid_statement_leaves_no_broken_connection_behind(db) -> None:  # type: ignore[no-untyped-def]
    if not db.is_postgres:
        pytest.skip("a SQLite unit never suspends, so it cannot be cancelled half-way")
    await create_notes(db)

    async def slow_insert(connection: DirectConnection) -> None:
        await connection.execute("INSERT INTO notes (id, body) VALUES (1, 'never')")
        await connection.execute("SELECT pg_sleep(5)")

    task = asyncio.create_task(db.direct.run(slow_insert))
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.wait_for(notes(db), timeout=3) == []  # the next unit gets a working connection


def test_a_new_file_is_switched_to_wal_once_another_connections_transaction_ends(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    from linemod.framework.storage.direct_sql import enable_wal

    path = tmp_path / "new.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process, migrating the new file
    holder.execute("CREATE TABLE t (x INTEGER)")
    waiter = sqlite3.connect(path, timeout=30, isolation_level=None)  # a busy timeout does not help here
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 3:
            holder.execute("COMMIT")

    enable_wal(waiter.execute, sleep)
    assert len(waits) == 3
    assert waiter.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.postgres
async def test_a_prologue_runs_in_the_units_transaction_which_rolls_back_on_error(db) -> None:  # type: ignore[no-untyped-def]
    if not db.is_postgres:
        pytest.skip("the prologue is PostgreSQL's (SQLite's claims have none)")
    await create_notes(db)

    async def setting(connection: DirectConnection) -> str:
        [row] = await connection.fetch("SELECT current_setting('enable_bitmapscan') AS value")
        return str(row["value"])

    async def insert_then_fail(connection: DirectConnection) -> None:
        await connection.execute("INSERT INTO notes (id, body) VALUES (:id, :body)", {"id": 1, "body": "lost"})
        raise ValueError("handler broke")

    assert await db.direct.run(setting, prologue="SET LOCAL enable_bitmapscan = off") == "off"
    assert await db.direct.run(setting) == "on"  # LOCAL: ended with the unit's transaction
    with pytest.raises(ValueError, match="handler broke"):
        await db.direct.run(insert_then_fail, prologue="SET LOCAL enable_bitmapscan = off")
    assert await notes(db) == []
    assert await db.direct.run(setting) == "on"  # the connection went back to the pool usable
