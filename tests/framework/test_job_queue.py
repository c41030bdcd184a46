"""The queue table: per-chat order, parallel chats, leases, backoff, dead letters, replay."""

from __future__ import annotations

import asyncio

import pytest

from linemod.framework.clock import ManualClock
from linemod.framework.queue.event_writer import EventWriter
from linemod.framework.queue.intake import ParsedWebhook, event_rows
from linemod.framework.queue.statements import WINDOW
from linemod.framework.queue.work_queue import LeaseLost, RetryPolicy, event_queue
from tests.framework.helpers import BOT, message_event, user_id


def make_queue(db, clock, **retry):  # type: ignore[no-untyped-def]
    policy = RetryPolicy(**{"max_attempts": 3, "base_seconds": 10, "max_seconds": 100, **retry})
    return event_queue(db, clock=clock, lease_seconds=30, retry=policy)


async def put(db, clock, events):  # type: ignore[no-untyped-def]
    await EventWriter(db).store(event_rows(ParsedWebhook(BOT, events), clock.now_ms()))


async def finish(db, queue, row, worker="w1"):  # type: ignore[no-untyped-def]
    async with db.transaction() as session:
        await queue.complete(session, row, worker)


async def test_one_chat_is_taken_in_order_one_event_at_a_time(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    queue = make_queue(db, clock)
    alice = user_id(1)
    events = [message_event(f"m{i}", user=alice) for i in range(3)]
    await put(db, clock, events)
    first = await queue.claim("w1", 10)
    assert [r.webhook_event_id for r in first] == [events[0]["webhookEventId"]]
    assert await queue.claim("w2", 10) == []  # m1 waits for m0
    await finish(db, queue, first[0])
    second = await queue.claim("w2", 10)
    assert [r.webhook_event_id for r in second] == [events[1]["webhookEventId"]]


async def test_different_chats_are_taken_in_parallel(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    queue = make_queue(db, clock)
    events = [message_event("a", user=user_id(n)) for n in range(1, 5)]
    await put(db, clock, events)
    rows = await queue.claim("w1", 10)
    assert len(rows) == 4
    assert all(r.status == "running" and r.locked_by == "w1" for r in rows)


async def test_a_failed_event_is_retried_after_backoff_then_dead(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    queue = make_queue(db, clock)
    alice = user_id(1)
    await put(db, clock, [message_event("boom", user=alice), message_event("next", user=alice)])
    for attempt in (1, 2):
        [row] = await queue.claim("w1", 10)
        assert row.attempts == attempt
        assert await queue.fail(row, "w1", "error") == "pending"
        assert await queue.claim("w1", 10) == []  # neither the failed one (backoff) nor the next (order)
        clock.advance(10 * 2 ** (attempt - 1) * 1.2)
    [row] = await queue.claim("w1", 10)
    assert row.attempts == 3
    assert await queue.fail(row, "w1", "still failing") == "dead"
    [following] = await queue.claim("w1", 10)  # a dead letter no longer holds its chat back
    assert following.id != row.id
    dead = await queue.list("dead")
    assert [d.id for d in dead] == [row.id]
    assert "still failing" in dead[0].last_error


async def test_dead_letters_can_be_replayed(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    queue = make_queue(db, clock, max_attempts=1)
    await put(db, clock, [message_event("boom")])
    [row] = await queue.claim("w1", 10)
    assert await queue.fail(row, "w1", "error") == "dead"
    assert await queue.claim("w1", 10) == []
    assert await queue.replay() == 1
    [again] = await queue.claim("w1", 10)
    assert again.id == row.id and again.attempts == 1


async def test_an_expired_lease_is_taken_again_and_the_old_holder_cannot_finish(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    queue = make_queue(db, clock)
    await put(db, clock, [message_event("hi")])
    [row] = await queue.claim("dead-worker", 10)
    assert await queue.claim("w2", 10) == []
    clock.advance(31)
    [again] = await queue.claim("w2", 10)
    assert again.id == row.id and again.attempts == 2
    with pytest.raises(LeaseLost):
        await finish(db, queue, row, worker="dead-worker")
    await finish(db, queue, again, worker="w2")
    assert (await queue.counts()) == {"done": 1}


async def test_extending_a_lease_keeps_the_row(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    queue = make_queue(db, clock)
    await put(db, clock, [message_event("hi")])
    [row] = await queue.claim("w1", 10)
    clock.advance(20)
    await queue.extend_leases("w1", [row.id])
    clock.advance(20)
    assert await queue.claim("w2", 10) == []


async def test_a_row_whose_workers_keep_dying_ends_dead(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    queue = make_queue(db, clock, max_attempts=2)
    await put(db, clock, [message_event("poison")])
    for _ in range(2):
        assert len(await queue.claim("w", 10)) == 1
        clock.advance(31)
    assert await queue.claim("w", 10) == []
    assert (await queue.counts()) == {"dead": 1}


async def test_concurrent_claimers_never_share_a_row_or_a_chat(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    queue = make_queue(db, clock)
    events = [message_event(f"m{i}", user=user_id(i % 5 + 1)) for i in range(40)]
    await put(db, clock, events)
    seen: list[int] = []
    order: dict[str, list[int]] = {}

    async def claimer(name: str) -> None:
        while True:
            rows = await queue.claim(name, 3)
            if not rows:
                if (await queue.counts()).get("pending", 0) == 0:
                    return
                await asyncio.sleep(0.01)
                continue
            chats = [r.chat_key for r in rows]
            assert len(chats) == len(set(chats))
            for row in rows:
                seen.append(row.id)
                order.setdefault(row.chat_key, []).append(row.id)
                await finish(db, queue, row, worker=name)

    await asyncio.gather(*(claimer(f"w{i}") for i in range(4)))
    assert sorted(seen) == sorted(set(seen)) and len(seen) == 40
    assert all(ids == sorted(ids) for ids in order.values())


async def test_an_oa_wide_event_is_a_barrier_for_that_oa(db) -> None:  # type: ignore[no-untyped-def]
    from tests.framework.helpers import attached_event

    clock = ManualClock()
    queue = make_queue(db, clock)
    before = message_event("before", user=user_id(1))
    attach = attached_event()
    after = message_event("after", user=user_id(2))
    await put(db, clock, [before, attach, after])
    [first] = await queue.claim("w1", 10)
    assert first.webhook_event_id == before["webhookEventId"]  # the OA event waits for older events
    await finish(db, queue, first)
    [second] = await queue.claim("w1", 10)
    assert second.webhook_event_id == attach["webhookEventId"]  # newer events wait for the OA event
    assert await queue.claim("w1", 10) == []
    await finish(db, queue, second)
    [third] = await queue.claim("w1", 10)
    assert third.webhook_event_id == after["webhookEventId"]


async def test_a_batched_completion_marks_only_rows_still_held(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    queue = make_queue(db, clock)
    await put(db, clock, [message_event("kept", user=user_id(1)), message_event("lost", user=user_id(2))])
    kept, lost = await queue.claim("w1", 10)
    clock.advance(31)
    clock_now = clock.now_ms()
    await queue.extend_leases("w1", [kept.id])  # w1 still works on the first; the second's lease ran out
    [taken] = await queue.claim("w2", 10)
    assert taken.id == lost.id and clock_now == clock.now_ms()

    async def complete(connection):  # type: ignore[no-untyped-def]
        return await queue.complete_many(connection, [(kept.id, kept.attempts), (lost.id, lost.attempts)], "w1")

    done, lost_leases = await db.direct.run(complete)
    assert done == {kept.id}
    assert set(lost_leases) == {lost.id} and isinstance(lost_leases[lost.id], LeaseLost)
    assert (await queue.counts()) == {"done": 1, "running": 1}  # w2 still holds the second


@pytest.mark.parametrize("limit", [1, 2, 5])
async def test_a_claim_never_returns_more_rows_than_asked(db, limit: int) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    queue = make_queue(db, clock)
    await put(db, clock, [message_event(f"m{i}", user=user_id(i % 30 + 1)) for i in range(90)])
    rows = await queue.claim("w1", limit)
    assert len(rows) == limit
    assert len({r.chat_key for r in rows}) == limit
    assert (await queue.counts()) == {"running": limit, "pending": 90 - limit}


async def test_a_claim_takes_at_most_one_event_per_chat(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    queue = make_queue(db, clock)
    await put(db, clock, [message_event(f"m{i}", user=user_id(i % 3 + 1)) for i in range(30)])
    rows = await queue.claim("w1", 10)
    assert sorted(r.chat_key for r in rows) == sorted({r.chat_key for r in rows})
    assert len(rows) == 3


async def test_a_chat_behind_a_long_busy_chat_is_still_taken(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    queue = make_queue(db, clock)
    chatty, quiet = user_id(1), user_id(2)
    window = WINDOW
    await put(db, clock, [message_event(f"c{i}", user=chatty) for i in range(window + 6)])
    await put(db, clock, [message_event("q", user=quiet)])
    [first] = await queue.claim("w1", 10)
    assert first.chat_key.endswith(chatty)
    # The oldest WINDOW pending rows all wait behind the chatty chat's running event: the quiet chat is
    # found through every chat's oldest row.
    [second] = await queue.claim("w1", 10)
    assert second.chat_key.endswith(quiet)
    assert await queue.claim("w1", 10) == []


async def test_an_empty_claim_whose_window_held_every_due_row_skips_the_pass_over_chats(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    queue = make_queue(db, clock)
    await put(db, clock, [message_event(f"c{i}", user=user_id(1)) for i in range(3)])
    passes = 0
    chat_heads = queue.chat_heads

    async def counted() -> list[int]:
        nonlocal passes
        passes += 1
        return await chat_heads()

    queue.chat_heads = counted  # type: ignore[method-assign]
    [first] = await queue.claim("w1", 10)
    assert await queue.claim("w1", 10) == []  # the other two wait behind the running one, all in the window
    assert passes == 0
    await finish(db, queue, first)
    [second] = await queue.claim("w1", 10)
    assert second.id == first.id + 1
    # A full window of waiting rows: the pass runs, and finds the chat behind it (the test above).
    await put(db, clock, [message_event(f"d{i}", user=user_id(2)) for i in range(WINDOW + 1)])
    [third] = await queue.claim("w1", 10)
    assert third.chat_key.endswith(user_id(2))
    passes = 0
    assert await queue.claim("w1", 10) == []
    assert passes == 1


async def test_a_worker_whose_lease_ran_out_cannot_fail_a_row_another_worker_holds(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    queue = make_queue(db, clock)
    await put(db, clock, [message_event("slow")])
    [stale] = await queue.claim("w1", 10)
    clock.advance(31)  # w1's lease runs out; w2 takes the row
    [taken] = await queue.claim("w2", 10)
    assert await queue.fail(stale, "w1", "late failure") == ""
    [row] = await queue.list()
    assert (row.status, row.locked_by, row.attempts, row.last_error) == ("running", "w2", 2, None)
    await finish(db, queue, taken, "w2")
    assert (await queue.list())[0].status == "done"


async def test_a_stale_try_cannot_fail_the_same_workers_newer_claim_of_the_row(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    queue = make_queue(db, clock)
    await put(db, clock, [message_event("slow")])
    [first_try] = await queue.claim("w1", 10)
    clock.advance(31)
    [second_try] = await queue.claim("w1", 10)  # the same process claimed it again after the lease ran out
    assert await queue.fail(first_try, "w1", "from the first try") == ""
    assert (await queue.list())[0].status == "running"
    assert await queue.fail(second_try, "w1", "from the second try") == "pending"


async def test_a_stale_try_cannot_mark_the_same_workers_newer_claim_done(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    queue = make_queue(db, clock)
    await put(db, clock, [message_event("slow")])
    [first_try] = await queue.claim("w1", 10)
    clock.advance(31)
    [second_try] = await queue.claim("w1", 10)
    with pytest.raises(LeaseLost):
        await finish(db, queue, first_try)

    async def complete(connection):  # type: ignore[no-untyped-def]
        return await queue.complete_many(connection, [(first_try.id, first_try.attempts)], "w1")

    done, lost = await db.direct.run(complete)
    assert done == set() and set(lost) == {first_try.id}
    assert (await queue.list())[0].status == "running"
    await finish(db, queue, second_try)
    assert (await queue.list())[0].status == "done"


async def test_the_job_hint_counts_a_job_once_its_transaction_commits(db) -> None:  # type: ignore[no-untyped-def]
    from linemod.framework.queue.scheduler import JobScheduler

    clock = ManualClock(1_000_000)
    scheduler = JobScheduler(db, clock)
    async with db.session() as session:
        assert await scheduler.schedule("later", {}, delay_seconds=5, session=session)
        assert await scheduler.schedule("now", {}, session=session)
        assert not scheduler.take_due_hint(clock.now_ms())  # not committed: a claim would not see them
        await session.commit()
    assert scheduler.take_due_hint(clock.now_ms())  # the soonest, "now", is due
    assert not scheduler.take_due_hint(clock.now_ms())  # said once
    async with db.session() as session:
        await scheduler.schedule("undone", {}, session=session)
        await session.rollback()
    assert not scheduler.take_due_hint(clock.now_ms())
    await scheduler.schedule("own transaction", {}, delay_seconds=2)
    assert not scheduler.take_due_hint(clock.now_ms())
    clock.advance(2)
    assert scheduler.take_due_hint(clock.now_ms())
