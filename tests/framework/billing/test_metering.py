"""Metering: idempotent on a key under redelivery and racing writers, exact under concurrency, aggregated
five ways over a period, corrected by adjustment records only."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select

from linemod.framework.billing.catalog import CatalogError
from linemod.framework.billing.records import BillingUsageRow
from linemod.framework.clock import ManualClock
from linemod.framework.context import Context
from linemod.framework.queue.handling import parse_event
from tests.framework.billing.helpers import START, billing_app
from tests.framework.helpers import BOT, Running, attached_event, message_event, user_id


async def usage_rows(db: Any, meter: str = "reservation.created") -> int:
    async with db.session() as session:
        stmt = select(func.count()).select_from(BillingUsageRow).where(BillingUsageRow.meter == meter)
        return int((await session.execute(stmt)).scalar_one())


async def test_a_redelivered_webhook_meters_once(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(START)
    app = billing_app(db, clock)
    runs: list[str] = []

    @app.on_message()
    async def reserve(ctx: Any, event: Any) -> None:
        runs.append(event.webhook_event_id)
        await ctx.meter("reservation.created")

    async with Running(app) as run:
        event = message_event("book", ts=clock.now_ms())
        await run.post_webhook([attached_event(ts=clock.now_ms()), event])
        await run.drain()
        # the processed event is purged after its retention; LINE then redelivers it
        await run.runtime.events.purge_finished(clock.now_ms() + 1)
        again = {**event, "deliveryContext": {"isRedelivery": True}}
        await run.post_webhook([again])
        await run.drain()
    assert runs == [event["webhookEventId"]] * 2
    assert await usage_rows(db) == 1


async def test_two_workers_racing_on_one_event_meter_once(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(START)
    app = billing_app(db, clock)
    event = message_event("book", ts=clock.now_ms())
    async with Running(app, workers=False) as run:
        rt = run.runtime
        await rt.tenants.record_attach(BOT, ["message:send", "message:receive"])
        tenant = await rt.tenants.get(BOT)
        both_started = asyncio.Barrier(2)

        async def worker() -> None:
            """What a worker does with the event: a Context on its own session, its usage written there."""
            async with rt.db.session() as session:
                ctx = Context(
                    tenant=tenant,
                    line=rt.line.for_tenant(tenant),
                    db=session,
                    event=parse_event(event),
                    raw_event=event,
                    settings=rt.settings,
                    clock=clock,
                    catalogs=app.catalogs,
                    scheduler=rt.scheduler,
                    billing=rt.billing,
                )
                await ctx.meter("reservation.created")
                await both_started.wait()  # both transactions are open before either writes
                await ctx.flush_usage()
                await asyncio.sleep(0.05)
                await session.commit()

        await asyncio.gather(worker(), worker())
    assert await usage_rows(db) == 1


async def test_a_thousand_events_metered_concurrently_sum_exactly(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(START)
    app = billing_app(db, clock)
    app.billing.meter("party.size", aggregation="sum")

    @app.on_message()
    async def reserve(ctx: Any, event: Any) -> None:
        await ctx.meter("party.size", int(event.message.text))
        await ctx.meter("reservation.created")

    async with Running(app) as run:
        await run.post_webhook([attached_event(ts=clock.now_ms())])
        events = [message_event(str(n % 7 + 1), user=user_id(n % 40), ts=clock.now_ms()) for n in range(1000)]
        batches = [events[i : i + 50] for i in range(0, 1000, 50)]
        answers = await asyncio.gather(*(run.post_webhook(batch) for batch in batches))
        assert {a.status_code for a in answers} == {200}
        await run.drain(timeout=120)
        async with app.transaction() as tx:
            billing = tx.billing_for(BOT)
            assert await billing.usage("reservation.created") == 1000
            assert await billing.usage("party.size") == sum(n % 7 + 1 for n in range(1000))


async def test_aggregations_over_a_period_and_corrections_by_records(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(START)
    app = billing_app(db, clock)
    for name, how in (("seats", "max"), ("visitors", "unique_count"), ("stock", "last"), ("points", "sum")):
        app.billing.meter(name, aggregation=how)
    async with Running(app, workers=False), app.transaction() as tx:
        for n, (value, who) in enumerate([(3, "a"), (5, "b"), (2, "a"), (4, "c")]):
            clock.advance(60)
            for meter in ("seats", "stock", "points", "reservation.created"):
                await tx.meter(meter, value, key=f"k{n}", bot_id=BOT)
            await tx.meter("visitors", 1, key=f"k{n}", subject=who, bot_id=BOT)
        billing = tx.billing_for(BOT)
        totals = {m: await billing.usage(m) for m in ("reservation.created", "points", "seats", "visitors", "stock")}
        assert totals == {"reservation.created": 4, "points": 14, "seats": 5, "visitors": 3, "stock": 4}
        window = {"start_ms": START, "end_ms": START + 150_000}  # the first two records
        assert await billing.usage("points", **window) == 8
        assert await billing.usage("points", aggregation="max", **window) == 5
        # corrections: a delta, a void; each idempotent on its key; nothing deleted
        assert await billing.adjust_usage("points", -4, note="refunded booking", key="fix-1")
        assert not await billing.adjust_usage("points", -4, note="refunded booking", key="fix-1")
        assert await billing.void_usage("seats", "k1", note="test booking")
        assert not await billing.void_usage("seats", "k1", note="test booking")
        assert await billing.usage("points") == 10
        assert await billing.usage("seats") == 4
        with pytest.raises(CatalogError, match="voiding"):
            await billing.adjust_usage("seats", 1, note="no")
        with pytest.raises(LookupError):
            await billing.void_usage("seats", "nope", note="no")
    async with db.session() as session:
        kinds = (await session.execute(select(BillingUsageRow.kind, func.count()).group_by(BillingUsageRow.kind))).all()
    assert dict(kinds) == {"usage": 20, "delta": 1, "void": 1}


async def test_metering_refuses_what_it_cannot_bill(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(START)
    app = billing_app(db, clock)
    app.billing.meter("visitors", aggregation="unique_count")
    async with Running(app, workers=False), app.transaction() as tx:
        with pytest.raises(CatalogError, match=r"app\.billing\.meter\('reservation\.craeted'"):
            await tx.meter("reservation.craeted", bot_id=BOT)
        with pytest.raises(CatalogError, match="subject="):
            await tx.meter("visitors", bot_id=BOT)
        with pytest.raises(TypeError):
            await tx.meter("reservation.created", 1.5, bot_id=BOT)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="adjustment"):
            await tx.meter("reservation.created", -1, bot_id=BOT)
        with pytest.raises(RuntimeError, match="bot_id"):
            await tx.meter("reservation.created")


async def test_a_handler_that_writes_meters_with_its_work_once_per_event_even_redelivered(db) -> None:  # type: ignore[no-untyped-def]
    """The usage of a handler that opened a transaction is written with the event's "done" in it: one row
    rides in the completing statement, two take the other way; a redelivered event meters nothing more."""
    from sqlalchemy import text

    clock = ManualClock(START)
    app = billing_app(db, clock)
    app.billing.meter("party.size", aggregation="sum")

    @app.on_message()
    async def reserve(ctx: Any, event: Any) -> None:
        await ctx.db.execute(text("INSERT INTO test_notes (event_id) VALUES (:e)"), {"e": event.webhook_event_id})
        await ctx.meter("reservation.created")
        if int(event.message.text) % 2 == 0:
            await ctx.meter("party.size", int(event.message.text))

    async with Running(app) as run:
        async with run.runtime.db.engine.begin() as conn:
            await conn.execute(text("CREATE TABLE test_notes (event_id VARCHAR(64))"))
        await run.post_webhook([attached_event(ts=clock.now_ms())])
        events = [message_event(str(n % 7 + 1), user=user_id(n % 20), ts=clock.now_ms()) for n in range(200)]
        for i in range(0, 200, 50):
            await run.post_webhook(events[i : i + 50])
        await run.drain(timeout=120)
        await run.runtime.events.purge_finished(clock.now_ms() + 1)
        await run.post_webhook([{**e, "deliveryContext": {"isRedelivery": True}} for e in events[:30]])
        await run.drain(timeout=120)
        async with app.transaction() as tx:
            billing = tx.billing_for(BOT)
            assert await billing.usage("reservation.created") == 200
            assert await billing.usage("party.size") == sum(n % 7 + 1 for n in range(200) if (n % 7 + 1) % 2 == 0)
        async with run.runtime.db.session() as session:
            notes = (await session.execute(text("SELECT COUNT(*) FROM test_notes"))).scalar()
    assert notes == 230  # the redelivered events ran again (their own writes are the handler's business)
