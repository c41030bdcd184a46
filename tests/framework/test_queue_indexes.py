"""The event queue's indexes and the claim's floor: the claim, the per-chat rule and the lease search read
indexes of the rows still to be handled (migration 0013), and on PostgreSQL a claim walks the pending rows
from a floor, walking from the oldest id again often enough that no pending row is left behind."""

from __future__ import annotations

from typing import Any

import pytest

from linemod.framework.clock import ManualClock
from linemod.framework.queue.statements import WINDOW
from linemod.framework.queue.work_queue import WorkQueue
from linemod.framework.storage.direct_sql import DirectConnection
from tests.framework.helpers import message_event, user_id
from tests.framework.test_job_queue import finish, make_queue, put


async def plan(db: Any, sql: str, params: dict[str, Any]) -> str:
    """The query plan of `sql`, with sequential scans ruled out on PostgreSQL: the question is whether the
    index can serve the statement at all (its predicate is implied by the statement's conditions), not
    whether the planner prefers it for a handful of rows."""

    async def explain(connection: DirectConnection) -> str:
        if db.is_postgres:
            await connection.execute("SET LOCAL enable_seqscan = off")
            rows = await connection.fetch(f"EXPLAIN {sql}", params)
        else:
            rows = await connection.fetch(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(value) for row in rows for value in row.values())

    return await db.direct.run(explain)


async def test_the_claim_the_chat_rule_and_the_lease_search_read_the_partial_indexes(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    queue = make_queue(db, clock)
    await put(db, clock, [message_event(f"m{i}", user=user_id(i % 3 + 1)) for i in range(12)])
    now = clock.now_ms()
    claim = await plan(db, queue.sql.claim, {"me": "w", "lease": now, "now": now, "limit": 5, "floor": 0})
    assert "ix_events_pending" in claim
    assert "ix_events_unfinished_chat" in claim
    assert "ix_events_running" in await plan(db, queue.sql.release_expired, {"now": now})
    assert "ix_events_unfinished_chat" in await plan(db, queue.sql.chat_heads, {})


async def test_a_row_pending_again_below_the_floor_is_claimed_once_the_claim_walks_from_the_oldest_id(
    db,  # type: ignore[no-untyped-def]
) -> None:
    clock = ManualClock()
    worker = make_queue(db, clock, max_attempts=1)
    console = make_queue(db, clock)  # another process: its replay does not tell the worker's queue
    await put(db, clock, [message_event(f"m{i}", user=user_id(i + 1)) for i in range(3 * WINDOW)])
    [poison] = await worker.claim("w", 1)
    assert await worker.fail(poison, "w", "boom") == "dead"
    assert poison.id not in [r.id for r in await worker.claim("w", 10)]  # the floor moves past it
    assert await console.replay() == 1

    before_walk = [r.id for r in await worker.claim("w", 10)]
    if worker.engine.claims_from_floor:
        assert poison.id not in before_walk  # below the floor, until the next walk from the oldest id
        clock.advance(WorkQueue.WALK_EVERY_MS / 1000)
        after_walk = [r.id for r in await worker.claim("w", 10)]
        assert after_walk[0] == poison.id
    else:
        assert before_walk[0] == poison.id  # SQLite claims always walk from the oldest id


async def test_a_retry_of_this_queue_is_claimed_when_due_without_waiting_for_a_walk(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    queue = make_queue(db, clock, base_seconds=0.001)  # a retry due at once
    await put(db, clock, [message_event(f"m{i}", user=user_id(i + 1)) for i in range(3 * WINDOW)])
    [first] = await queue.claim("w", 1)
    await queue.claim("w", 10)  # the floor moves past it
    assert await queue.fail(first, "w", "try again") == "pending"
    clock.advance(0.002)  # due, but a walk is not (WALK_EVERY_MS)
    again = await queue.claim("w", 10)
    assert again[0].id == first.id and again[0].attempts == 2


@pytest.mark.parametrize("rows", [WINDOW - 1, WINDOW])
async def test_the_floor_is_kept_only_after_a_full_window(db, rows: int) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    queue = make_queue(db, clock)
    await put(db, clock, [message_event(f"m{i}", user=user_id(i + 1)) for i in range(rows)])
    first = await queue.claim("w", 1)
    # A window of fewer rows than WINDOW may have missed a row committed late below it: no floor then.
    expected = first[0].id if queue.engine.claims_from_floor and rows >= WINDOW else None
    assert queue._floor == expected


async def test_done_rows_are_purged_in_batches_and_nothing_else_is(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    queue = make_queue(db, clock, max_attempts=1)
    await put(db, clock, [message_event(f"m{i}", user=user_id(i + 1)) for i in range(8)])
    rows = await queue.claim("w", 10)
    for row in rows[:5]:
        await finish(db, queue, row, worker="w")
    assert await queue.fail(rows[5], "w", "boom") == "dead"
    clock.advance(10)
    cutoff = clock.now_ms()
    await finish(db, queue, rows[6], worker="w")  # done after the cutoff: kept
    await put(db, clock, [message_event("later", user=user_id(1))])
    queue.PURGE_BATCH = 2  # three batches: 2, 2, 1
    assert await queue.purge_finished(cutoff) == 5
    assert await queue.counts() == {"done": 1, "dead": 1, "running": 1, "pending": 1}
    assert await queue.purge_finished(cutoff) == 0
