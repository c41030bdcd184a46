"""Workers with the real intake and dispatch: handlers, lifecycle, standby, retries, ordering, jobs."""

from __future__ import annotations

import asyncio
import random

from sqlalchemy import text

from linemod.framework.app import ModuleApp
from linemod.framework.queue.chat_state import current_mode
from tests.framework.helpers import (
    BOT,
    Running,
    attached_event,
    base_event,
    detached_event,
    make_settings,
    message_event,
    postback_event,
    user_id,
    wait_for,
)


async def create_effects(db) -> None:  # type: ignore[no-untyped-def]
    async with db.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE effects (event_id VARCHAR(64), note VARCHAR(200))"))


async def effects(db) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    async with db.session() as session:
        return [tuple(r) for r in (await session.execute(text("SELECT event_id, note FROM effects")))]


async def counts(run) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return await run.runtime.events.counts()


async def all_done(run, n: int) -> bool:  # type: ignore[no-untyped-def]
    return (await counts(run)).get("done", 0) == n


async def test_attached_event_creates_the_tenant_and_runs_the_lifecycle_handler(db) -> None:  # type: ignore[no-untyped-def]
    app = ModuleApp(make_settings(), database=db)
    seen: list[str] = []

    @app.on_lifecycle("attached")
    async def welcome(ctx, event) -> None:  # type: ignore[no-untyped-def]
        seen.append(f"{ctx.tenant.bot_id}:{ctx.tenant.state}:{sorted(event.module.scopes)}")

    async with Running(app) as run:
        assert (await run.post_webhook([attached_event(scopes=["message:receive", "profile:read"])])).status_code == 200
        await wait_for(lambda: all_done(run, 1))
        assert seen == [f"{BOT}:attached:['message:receive', 'profile:read']"]
        tenant = await run.runtime.tenants.get(BOT)
        assert tenant.scopes == {"message:receive", "profile:read"}


async def test_suspend_resume_detach_events_update_the_tenant(db) -> None:  # type: ignore[no-untyped-def]
    app = ModuleApp(make_settings(), database=db)
    async with Running(app) as run:
        await run.post_webhook([attached_event(ts=1000)])
        await run.post_webhook([base_event("botSuspended", ts=2000)])
        await wait_for(lambda: all_done(run, 2))
        assert (await run.runtime.tenants.get(BOT)).state == "suspended"
        await run.post_webhook([base_event("botResumed", ts=3000)])
        await wait_for(lambda: all_done(run, 3))
        assert (await run.runtime.tenants.get(BOT)).state == "attached"
        await run.post_webhook([detached_event(ts=4000), base_event("botResumed", ts=3500)])
        await wait_for(lambda: all_done(run, 5))
        assert (await run.runtime.tenants.get(BOT)).state == "detached"


async def test_handlers_get_chat_state_and_a_session_that_commits_with_the_event(db) -> None:  # type: ignore[no-untyped-def]
    await create_effects(db)
    app = ModuleApp(make_settings(), database=db)

    @app.on_message(regex=r"^count (\w+)$")
    async def count(ctx, event) -> None:  # type: ignore[no-untyped-def]
        ctx.state["n"] = ctx.state.get("n", 0) + 1
        await ctx.db.execute(
            text("INSERT INTO effects VALUES (:e, :n)"),
            {"e": event.webhook_event_id, "n": f"{ctx.match.group(1)}={ctx.state['n']}"},
        )

    async with Running(app) as run:
        alice, bob = user_id(1), user_id(2)
        await run.post_webhook([attached_event()])
        await run.post_webhook([message_event("count a", user=alice), message_event("count b", user=bob)])
        await run.post_webhook([message_event("count c", user=alice), message_event("nothing", user=alice)])
        await wait_for(lambda: all_done(run, 5))
        assert sorted(note for _, note in await effects(db)) == ["a=1", "b=1", "c=2"]


async def test_standby_events_reach_only_handlers_that_ask_for_them(db) -> None:  # type: ignore[no-untyped-def]
    app = ModuleApp(make_settings(), database=db)
    calls: list[str] = []

    @app.on_message(text="hi")
    async def active_only(ctx, event) -> None:  # type: ignore[no-untyped-def]
        calls.append(f"active:{ctx.mode}")

    @app.on_message(standby=True)
    async def watcher(ctx, event) -> None:  # type: ignore[no-untyped-def]
        calls.append(f"watcher:{ctx.mode}")

    async with Running(app) as run:
        alice = user_id(1)
        await run.post_webhook([attached_event()])
        await run.post_webhook([message_event("hi", user=alice, mode="standby", ts=1000)])
        await wait_for(lambda: all_done(run, 2))
        async with db.session() as session:
            assert await current_mode(session, BOT, alice) == "standby"
        await run.post_webhook([message_event("hi", user=alice, ts=2000)])
        await wait_for(lambda: all_done(run, 3))
        assert calls == ["watcher:standby", "active:active"]
        async with db.session() as session:
            assert await current_mode(session, BOT, alice) == "active"


async def test_a_redelivered_duplicate_does_not_run_the_handler_twice(db) -> None:  # type: ignore[no-untyped-def]
    app = ModuleApp(make_settings(), database=db)
    calls: list[str] = []

    @app.on_postback("book=")
    async def book(ctx, event) -> None:  # type: ignore[no-untyped-def]
        calls.append(event.postback.data)

    async with Running(app) as run:
        await run.post_webhook([attached_event()])
        event = postback_event("book=42")
        await run.post_webhook([event])
        await wait_for(lambda: all_done(run, 2))
        await run.post_webhook([dict(event, deliveryContext={"isRedelivery": True})])
        await run.drain()
        assert calls == ["book=42"]
        assert await all_done(run, 2)


async def test_a_failing_handler_is_retried_and_its_partial_effects_rolled_back(db) -> None:  # type: ignore[no-untyped-def]
    await create_effects(db)
    app = ModuleApp(make_settings(), database=db)
    attempts: list[int] = []

    @app.on_message()
    async def flaky(ctx, event) -> None:  # type: ignore[no-untyped-def]
        await ctx.db.execute(text("INSERT INTO effects VALUES (:e, 'x')"), {"e": event.webhook_event_id})
        attempts.append(1)
        if len(attempts) < 3:
            raise RuntimeError("temporary")

    async with Running(app) as run:
        await run.post_webhook([attached_event()])
        await run.post_webhook([message_event("hi")])
        await wait_for(lambda: all_done(run, 2))
        assert len(attempts) == 3
        assert len(await effects(db)) == 1


async def test_exhausted_events_become_dead_letters_that_can_be_replayed(db) -> None:  # type: ignore[no-untyped-def]
    app = ModuleApp(make_settings(max_attempts=2), database=db)
    broken = {"on": True}
    handled: list[str] = []

    @app.on_message()
    async def handler(ctx, event) -> None:  # type: ignore[no-untyped-def]
        if broken["on"]:
            raise ValueError("bug in the handler")
        handled.append(event.message.text)

    async with Running(app) as run:
        alice = user_id(1)
        await run.post_webhook([attached_event()])
        await run.post_webhook([message_event("first", user=alice)])
        await wait_for(lambda: run.runtime.events.list("dead"))
        [dead] = await run.runtime.events.list("dead")
        assert "bug in the handler" in (dead.last_error or "") and dead.attempts == 2
        broken["on"] = False
        await run.post_webhook([message_event("second", user=alice)])
        await wait_for(lambda: all_done(run, 2))
        assert await run.runtime.events.replay() == 1
        run.runtime.notify_workers()
        await wait_for(lambda: all_done(run, 3))
        assert handled == ["second", "first"]


async def test_events_of_a_chat_run_in_order_and_chats_run_in_parallel(db) -> None:  # type: ignore[no-untyped-def]
    app = ModuleApp(make_settings(worker_concurrency=8), database=db)
    order: dict[str, list[int]] = {}
    active = {"now": 0, "max": 0}

    @app.on_message()
    async def handler(ctx, event) -> None:  # type: ignore[no-untyped-def]
        active["now"] += 1
        active["max"] = max(active["max"], active["now"])
        await asyncio.sleep(random.uniform(0.005, 0.03))
        order.setdefault(ctx.chat_id, []).append(int(event.message.text))
        active["now"] -= 1

    async with Running(app) as run:
        await run.post_webhook([attached_event()])
        users = [user_id(n) for n in range(1, 6)]
        for i in range(50):
            await run.post_webhook([message_event(str(i), user=users[i % 5])])
        await wait_for(lambda: all_done(run, 51), timeout=30)
        assert all(seq == sorted(seq) and len(seq) == 10 for seq in order.values())
        assert active["max"] > 1


async def test_unknown_event_types_are_acknowledged_and_skipped(db) -> None:  # type: ignore[no-untyped-def]
    app = ModuleApp(make_settings(), database=db)
    async with Running(app) as run:
        await run.post_webhook([attached_event()])
        await run.post_webhook([base_event("somethingNew", source={"type": "user", "userId": user_id(1)})])
        await wait_for(lambda: all_done(run, 2))


async def test_scheduled_jobs_run_once_per_key_and_can_be_cancelled(db) -> None:  # type: ignore[no-untyped-def]
    app = ModuleApp(make_settings(), database=db)
    ran: list[dict] = []

    @app.job("remind")
    async def remind(jctx, payload) -> None:  # type: ignore[no-untyped-def]
        ran.append({"payload": payload, "bot": jctx.tenant.bot_id if jctx.tenant else None})

    @app.on_message(text="book")
    async def book(ctx, event) -> None:  # type: ignore[no-untyped-def]
        assert await ctx.schedule("remind", {"r": 1}, key="remind:1", delay_seconds=0.2)
        assert not await ctx.schedule("remind", {"r": 1}, key="remind:1")
        assert await ctx.schedule("remind", {"r": 2}, key="remind:2", delay_seconds=30)

    async with Running(app) as run:
        await run.post_webhook([attached_event()])
        await run.post_webhook([message_event("book")])
        await wait_for(lambda: ran, timeout=10)
        assert await run.runtime.scheduler.cancel("remind:2")
        await run.drain()
        assert ran == [{"payload": {"r": 1}, "bot": BOT}]
        assert (await run.runtime.jobs.counts()).get("done") == 1


async def test_jobs_are_claimed_once_per_poll_while_events_flow_and_at_once_when_scheduled_here(db) -> None:  # type: ignore[no-untyped-def]
    # A long poll interval: every claim of jobs but the first is then either hinted or a poll that would show.
    app = ModuleApp(make_settings(worker_poll_seconds=30), database=db)
    ran: list[float] = []

    @app.job("follow-up")
    async def follow_up(jctx, payload) -> None:  # type: ignore[no-untyped-def]
        ran.append(asyncio.get_running_loop().time())

    @app.on_message(text="later")
    async def later(ctx, event) -> None:  # type: ignore[no-untyped-def]
        await ctx.schedule("follow-up", {})

    @app.on_message
    async def noop(ctx, event) -> None:  # type: ignore[no-untyped-def]
        pass

    async with Running(app) as run:
        job_claims = 0
        claim = run.runtime.jobs.claim

        async def counted(worker_id: str, limit: int):  # type: ignore[no-untyped-def]
            nonlocal job_claims
            job_claims += 1
            return await claim(worker_id, limit)

        run.runtime.jobs.claim = counted  # type: ignore[method-assign]
        await run.post_webhook([attached_event()])
        for i in range(20):
            await run.post_webhook([message_event(f"m{i}", user=user_id(i))])
        await wait_for(lambda: all_done(run, 21))
        assert job_claims <= 1, job_claims  # 21 claims of events, not one of jobs after each
        started = asyncio.get_running_loop().time()
        await run.post_webhook([message_event("later")])
        await wait_for(lambda: ran, timeout=5)  # not the 30 s poll: the scheduling process claims it at once
        assert ran[0] - started < 5


async def test_a_due_job_runs_beside_a_backlog_of_events_not_after_it(db) -> None:  # type: ignore[no-untyped-def]
    app = ModuleApp(make_settings(worker_concurrency=2), database=db)
    order: list[str] = []

    @app.job("follow-up")
    async def follow_up(jctx, payload) -> None:  # type: ignore[no-untyped-def]
        order.append("job")

    @app.on_message()
    async def slow(ctx, event) -> None:  # type: ignore[no-untyped-def]
        if event.message.text == "m0":
            await ctx.schedule("follow-up", {})
        await asyncio.sleep(0.05)
        order.append(event.message.text)

    async with Running(app) as run:
        await run.post_webhook([attached_event()])
        await wait_for(lambda: all_done(run, 1))
        await run.post_webhook([message_event(f"m{i}", user=user_id(i)) for i in range(40)])
        await wait_for(lambda: all_done(run, 41), timeout=30)
        await wait_for(lambda: "job" in order)
        # Every slot stays busy until the 40 events are handled; the job must not wait for all of them.
        assert order.index("job") < 10, order


async def test_a_handler_that_never_uses_the_database_opens_no_session_and_its_state_is_saved(db) -> None:  # type: ignore[no-untyped-def]
    app = ModuleApp(make_settings(), database=db)
    sessions: list[object] = []

    @app.on_message()
    async def count(ctx, event) -> None:  # type: ignore[no-untyped-def]
        ctx.state["n"] = ctx.state.get("n", 0) + 1
        sessions.append(ctx.session_opened)

    async with Running(app) as run:
        alice, bob = user_id(1), user_id(2)
        await run.post_webhook([attached_event()])
        await run.post_webhook([message_event("a", user=alice), message_event("b", user=bob)])
        await run.post_webhook([message_event("c", user=alice)])
        await wait_for(lambda: all_done(run, 4))
        async with db.session() as session:
            saved = dict((await session.execute(text("SELECT chat_id, data FROM chat_states"))).all())
            assert await current_mode(session, BOT, alice) == "active"
    assert sessions == [None, None, None]  # completions and chat states went through the batched path
    assert saved == {alice: '{"n": 2}', bob: '{"n": 1}'}


async def test_while_the_intake_is_under_pressure_the_in_process_worker_keeps_a_quarter_of_its_slots(db) -> None:  # type: ignore[no-untyped-def]
    app = ModuleApp(make_settings(worker_concurrency=8), database=db)
    running = most = 0

    @app.on_message()
    async def slow(ctx, event) -> None:  # type: ignore[no-untyped-def]
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.05)
        running -= 1

    async with Running(app) as run:
        await run.post_webhook([attached_event()])
        await wait_for(lambda: all_done(run, 1))
        intake = run.runtime.intake
        intake.oldest_in_flight_seconds = lambda: 1.0  # type: ignore[method-assign]  # as if a store were stuck
        await run.post_webhook([message_event(f"m{i}", user=user_id(i)) for i in range(1, 7)])
        await wait_for(lambda: all_done(run, 7))
        assert most <= 2  # six chats waiting, yet at most two handlers (8 / 4) at once while webhooks come first
        del intake.oldest_in_flight_seconds  # the intake's own reading again: nothing waits
        most = 0
        await run.post_webhook([message_event(f"n{i}", user=user_id(i)) for i in range(1, 7)])
        await wait_for(lambda: all_done(run, 13))
        assert most > 2  # a quiet intake: every chat runs in parallel again


async def test_thirty_events_of_one_chat_in_one_webhook_are_handled_without_waiting_for_polls(db) -> None:  # type: ignore[no-untyped-def]
    # The default poll interval (0.5 s): a lost wake-up would make each event of the chat wait for it.
    app = ModuleApp(make_settings(worker_poll_seconds=0.5), database=db)
    handled: list[float] = []

    @app.on_message
    async def noop(ctx, event) -> None:  # type: ignore[no-untyped-def]
        handled.append(asyncio.get_running_loop().time())

    async with Running(app) as run:
        await run.post_webhook([attached_event()])
        await wait_for(lambda: all_done(run, 1))
        alice = user_id(1)
        started = asyncio.get_running_loop().time()
        assert (await run.post_webhook([message_event(f"m{i}", user=alice) for i in range(30)])).status_code == 200
        await wait_for(lambda: len(handled) == 30, timeout=20)
        # 30 x the poll interval (15 s) if wake-ups were lost; well under one interval in all when they are not.
        assert handled[-1] - started < 1.5, [round(t - started, 3) for t in handled]


async def test_a_backlog_of_oa_wide_events_drains_without_waiting_for_polls(db) -> None:  # type: ignore[no-untyped-def]
    app = ModuleApp(make_settings(worker_poll_seconds=0.5), database=db)

    async with Running(app) as run:
        await run.post_webhook([attached_event()])
        await wait_for(lambda: all_done(run, 1))
        started = asyncio.get_running_loop().time()
        await run.post_webhook([base_event("botResumed") for _ in range(60)])  # no source: OA-wide
        await wait_for(lambda: all_done(run, 61), timeout=30)
        # One at a time (an OA-wide event is a barrier for its OA): at the poll interval that was 30 s.
        assert asyncio.get_running_loop().time() - started < 5


async def test_a_job_nobody_handles_is_a_dead_letter_at_once_not_retried(db) -> None:  # type: ignore[no-untyped-def]
    app = ModuleApp(make_settings(max_attempts=5), database=db)

    async with Running(app) as run:
        async with app.transaction() as tx:
            assert await tx.schedule("renamed.in.the.last.release", {"n": 1})
        await wait_for(lambda: run.runtime.jobs.list("dead"))
        [dead] = await run.runtime.jobs.list("dead")
        assert dead.attempts == 1 and "no handler for job 'renamed.in.the.last.release'" in (dead.last_error or "")


async def test_events_the_sdk_cannot_parse_reach_on_event_and_the_catch_all_with_the_raw_json(db) -> None:  # type: ignore[no-untyped-def]
    app = ModuleApp(make_settings(), database=db)
    seen: list[tuple[str, str, object]] = []

    @app.on_unknown  # registered first, tried last: the on_event below is more specific
    async def anything_else(ctx, event) -> None:  # type: ignore[no-untyped-def]
        seen.append(("on_unknown", event.type, ctx.raw_event["message"]))

    @app.on_message
    async def message(ctx, event) -> None:  # type: ignore[no-untyped-def]
        seen.append(("on_message", type(event).__name__, event.message.text))

    @app.on_event("brandNew")
    async def brand_new(ctx, event) -> None:  # type: ignore[no-untyped-def]
        seen.append(("on_event", type(event).__name__, ctx.raw_event["thing"]))

    new_type = base_event("brandNew", source={"type": "user", "userId": user_id(1)}, thing={"size": 3})
    # a message without the `text` the SDK requires of a text message: the SDK refuses it
    no_text = {"type": "text", "id": "9"}
    malformed = base_event("message", source={"type": "user", "userId": user_id(2)}, message=no_text)
    async with Running(app) as run:
        await run.post_webhook([attached_event()])
        await run.post_webhook([new_type, malformed, message_event("fine", user=user_id(3))])
        await run.drain()
    assert sorted(seen, key=str) == sorted(
        [
            ("on_event", "UnknownEvent", {"size": 3}),
            ("on_unknown", "message", {"type": "text", "id": "9"}),
            ("on_message", "MessageEvent", "fine"),
        ],
        key=str,
    )


async def test_the_intake_is_under_pressure_while_a_webhook_waits_to_be_stored_not_while_many_are_quick(db) -> None:  # type: ignore[no-untyped-def]
    app = ModuleApp(make_settings(), database=db)
    async with Running(app) as run:
        await run.post_webhook([attached_event()])
        intake = run.runtime.intake
        assert intake.oldest_in_flight_seconds() == 0.0 and intake.in_flight == 0
        stored = asyncio.Event()
        original = intake._receive

        async def slow_receive(body: bytes, signature: str | None) -> int:
            await stored.wait()
            return await original(body, signature)

        intake._receive = slow_receive  # type: ignore[method-assign]
        posting = [asyncio.create_task(run.post_webhook([message_event(f"p{i}")])) for i in range(3)]
        await wait_for(lambda: intake.in_flight == 3)
        await asyncio.sleep(0.25)
        assert intake.oldest_in_flight_seconds() >= 0.25
        assert run.runtime.intake is intake and run.app.worker is not None
        assert run.app.worker._intake_saturated()
        stored.set()
        assert [answer.status_code for answer in await asyncio.gather(*posting)] == [200, 200, 200]
        assert intake.in_flight == 0 and intake.oldest_in_flight_seconds() == 0.0
        assert not run.app.worker._intake_saturated()


def gate_completions(run) -> asyncio.Event:  # type: ignore[no-untyped-def]
    """Hold every batch of "done"s until the returned event is set (as if the database's flush were slow)."""
    gate = asyncio.Event()
    completions = run.app.worker.handling._completions
    write = completions._write

    async def held(items):  # type: ignore[no-untyped-def]
        await gate.wait()
        return await write(items)

    completions._write = held
    return gate


async def test_a_slot_frees_once_the_handler_has_run_while_its_chat_waits_for_the_done(db) -> None:  # type: ignore[no-untyped-def]
    app = ModuleApp(make_settings(worker_concurrency=1), database=db)
    handled: list[str] = []

    @app.on_message()
    async def note(ctx, event) -> None:  # type: ignore[no-untyped-def]
        handled.append(event.message.text)

    async with Running(app) as run:
        await run.post_webhook([attached_event()])
        await wait_for(lambda: all_done(run, 1))
        gate = gate_completions(run)
        alice, bob, carol = user_id(1), user_id(2), user_id(3)
        try:
            await run.post_webhook([message_event("a1", user=alice), message_event("b1", user=bob)])
            await run.post_webhook([message_event("a2", user=alice), message_event("c1", user=carol)])
            # One slot, and no "done" committed: every chat's first event ran all the same, one after the
            # other, while alice's second waits for her first to be done.
            await wait_for(lambda: len(handled) == 3)
            await asyncio.sleep(0.3)
            assert handled == ["a1", "b1", "c1"]
            assert (await counts(run)).get("done", 0) == 1
        finally:
            gate.set()
        await wait_for(lambda: all_done(run, 5))
        assert handled == ["a1", "b1", "c1", "a2"]


async def test_events_claimed_ahead_are_given_back_untried_when_the_worker_stops(db) -> None:  # type: ignore[no-untyped-def]
    app = ModuleApp(make_settings(worker_concurrency=1), database=db)
    release = asyncio.Event()
    handled: list[str] = []

    @app.on_message()
    async def slow(ctx, event) -> None:  # type: ignore[no-untyped-def]
        if event.message.text == "m1":
            await release.wait()
        handled.append(event.message.text)

    async with Running(app) as run:
        await run.post_webhook([attached_event()])
        await wait_for(lambda: all_done(run, 1))
        await run.post_webhook([message_event(f"m{i}", user=user_id(i)) for i in range(1, 4)])
        stopping = None
        try:
            # m1 runs in the one slot, m2 is claimed ahead (and m3 too once m1 ends): two running rows.
            await wait_for(lambda: _running_rows(run, 2))
            stopping = asyncio.create_task(run.app.worker.stop(grace_seconds=10))
            rows = await wait_for(lambda: _pending_rows(run, 2))  # given back before the grace for m1 begins
            assert [(r.attempts, r.locked_by, r.locked_until_ms) for r in rows] == [(0, None, None)] * 2
        finally:
            release.set()
            if stopping is not None:
                await stopping
        run.app.worker = None
        assert handled == ["m1"]
        await app.start(workers=True)
        await wait_for(lambda: all_done(run, 4))
        assert sorted(handled) == ["m1", "m2", "m3"]
        assert [r.attempts for r in await run.runtime.events.list(status="done")] == [1] * 4  # each on its first try


async def test_the_heartbeat_extends_the_leases_of_events_claimed_ahead(db) -> None:  # type: ignore[no-untyped-def]
    app = ModuleApp(make_settings(worker_concurrency=1, lease_seconds=0.6), database=db)
    release = asyncio.Event()

    @app.on_message()
    async def slow(ctx, event) -> None:  # type: ignore[no-untyped-def]
        if event.message.text == "m1":
            await release.wait()

    async with Running(app) as run:
        await run.post_webhook([attached_event()])
        await wait_for(lambda: all_done(run, 1))
        await run.post_webhook([message_event(f"m{i}", user=user_id(i)) for i in range(1, 3)])
        try:
            await wait_for(lambda: _running_rows(run, 2))
            await asyncio.sleep(1.5)  # two and a half leases while m1 runs and m2 waits for the slot
            now = run.runtime.clock.now_ms()
            rows = await run.runtime.events.list(status="running")
            assert len(rows) == 2
            assert all(r.locked_until_ms > now and r.attempts == 1 for r in rows), rows
        finally:
            release.set()
        await wait_for(lambda: all_done(run, 3))


async def _running_rows(run, n: int) -> bool:  # type: ignore[no-untyped-def]
    return (await counts(run)).get("running", 0) == n


async def _pending_rows(run, n: int) -> list:  # type: ignore[no-untyped-def]
    rows = await run.runtime.events.list(status="pending")
    return rows if len(rows) == n else []
