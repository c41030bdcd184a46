"""Tenant lifecycle: states, out-of-order and repeated events, provider detach, reconciliation."""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy import text

from linemod.framework.clock import ManualClock
from linemod.framework.tenants.store import BotProfile, TenantStore
from tests.framework.helpers import BOT, OTHER_BOT


async def apply(store, db, kind, ts, scopes=None):  # type: ignore[no-untyped-def]
    async with db.transaction() as session:
        return await store.apply_lifecycle(session, BOT, kind, ts, scopes)


async def state(store) -> str:  # type: ignore[no-untyped-def]
    tenant = await store.get(BOT)
    return tenant.state if tenant else "none"


async def test_attached_suspended_resumed_detached(db) -> None:  # type: ignore[no-untyped-def]
    store = TenantStore(db, ManualClock())
    assert await apply(store, db, "attached", 100, ["message:receive", "message:send"])
    tenant = await store.get(BOT)
    assert tenant.state == "attached" and tenant.scopes == {"message:receive", "message:send"}
    assert await apply(store, db, "suspended", 200)
    assert await state(store) == "suspended"
    assert await apply(store, db, "resumed", 300)
    assert await state(store) == "attached"
    assert await apply(store, db, "detached", 400)
    assert await state(store) == "detached"


async def test_an_older_event_arriving_late_changes_nothing(db) -> None:  # type: ignore[no-untyped-def]
    store = TenantStore(db, ManualClock())
    await apply(store, db, "attached", 100, ["message:receive"])
    await apply(store, db, "resumed", 300)
    assert not await apply(store, db, "suspended", 200)  # suspension older than the resume
    assert await state(store) == "attached"
    await apply(store, db, "detached", 500)
    assert not await apply(store, db, "attached", 400)
    assert await state(store) == "detached"


async def test_the_same_event_twice_is_harmless(db) -> None:  # type: ignore[no-untyped-def]
    store = TenantStore(db, ManualClock())
    await apply(store, db, "attached", 100, ["message:receive"])
    await apply(store, db, "suspended", 200)
    await apply(store, db, "suspended", 200)
    assert await state(store) == "suspended"
    await apply(store, db, "resumed", 300)
    await apply(store, db, "resumed", 300)
    assert await state(store) == "attached"


async def test_suspension_before_the_attached_event_keeps_the_scopes(db) -> None:  # type: ignore[no-untyped-def]
    store = TenantStore(db, ManualClock())
    await apply(store, db, "suspended", 200)
    assert not await apply(store, db, "attached", 100, ["message:receive", "profile:read"])
    tenant = await store.get(BOT)
    assert tenant.state == "suspended"
    assert tenant.scopes == {"message:receive", "profile:read"}


async def test_a_detached_oa_is_attached_again_by_a_newer_attach(db) -> None:  # type: ignore[no-untyped-def]
    store = TenantStore(db, ManualClock())
    await apply(store, db, "attached", 100, ["message:receive"])
    await apply(store, db, "detached", 200)
    await apply(store, db, "resumed", 250)  # not stale, but a detached OA is not resumed
    assert await state(store) == "detached"
    await apply(store, db, "attached", 300, ["message:receive", "message:send"])
    assert await state(store) == "attached"


async def test_record_attach_and_provider_detach(db) -> None:  # type: ignore[no-untyped-def]
    store = TenantStore(db, ManualClock())
    profile = BotProfile(BOT, basic_id="@123abcd", display_name="Cafe")
    tenant = await store.record_attach(BOT, ["message:receive"], profile)
    assert tenant.display_name == "Cafe" and tenant.basic_id == "@123abcd"
    assert await store.mark_detached(BOT)
    assert not await store.mark_detached(BOT)
    assert await state(store) == "detached"


async def test_reconcile_reports_and_fixes_both_directions(db) -> None:  # type: ignore[no-untyped-def]
    store = TenantStore(db, ManualClock())
    await store.record_attach(BOT, ["message:receive"])
    remote = [BotProfile(OTHER_BOT, basic_id="@999zzzz", display_name="Other")]
    report = await store.reconcile(remote, apply=False)
    assert report.unknown_here == [OTHER_BOT] and report.missing_on_line == [BOT] and report.in_sync == 0
    assert await store.get(OTHER_BOT) is None  # a dry run changes nothing
    report = await store.reconcile(remote, apply=True)
    other = await store.get(OTHER_BOT)
    assert other.state == "attached" and other.scopes is None and other.display_name == "Other"
    assert await state(store) == "detached"
    again = await store.reconcile(remote, apply=True)
    assert again.unknown_here == [] and again.missing_on_line == [] and again.in_sync == 1


class CountingStore(TenantStore):
    """Counts the per-tenant database reads the hot path makes."""

    reads = 0

    async def get(self, bot_id, session=None):  # type: ignore[no-untyped-def]
        self.reads += 1
        return await super().get(bot_id, session)


async def test_the_hot_path_cache_reads_changes_not_every_tenant(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    here, elsewhere = CountingStore(db, clock), TenantStore(db, clock)  # two processes on one database
    bots = [f"U{i:032x}" for i in range(50)]
    for bot in bots:
        await elsewhere.record_attach(bot, ["message:receive"])
    for bot in bots:  # the first call reads every tenant in one query
        assert (await here.get_cached(bot)).state == "attached"
    assert here.reads == 0
    newcomer = "U" + "e" * 32
    await elsewhere.record_attach(newcomer, ["message:receive"])
    assert (await here.get_cached(newcomer)).state == "attached" and here.reads == 1  # not seen yet: read
    for _ in range(5):  # periods pass: every tenant stays in memory, whatever the number of OAs
        clock.advance(here.cache_ms / 1000)
        for bot in bots:
            await here.get_cached(bot)
    assert here.reads == 1
    clock.advance(1)
    async with db.transaction() as session:  # another process suspends one OA
        assert await elsewhere.apply_lifecycle(session, bots[7], "suspended", clock.now_ms())
    assert (await here.get_cached(bots[7])).state == "attached"  # within the cache time
    clock.advance(here.cache_ms / 1000)
    assert (await here.get_cached(bots[7])).state == "suspended"
    assert (await here.get_cached(bots[8])).state == "attached" and here.reads == 1
    clock.advance(TenantStore.FULL_READ_MS / 1000)  # a clock far behind is caught by the periodic full read
    async with db.session() as session:
        await session.execute(text("UPDATE tenants SET state = 'detached', updated_at_ms = 5 WHERE bot_id = :b"),
                              {"b": bots[9]})
        await session.commit()
    assert (await here.get_cached(bots[9])).state == "detached" and here.reads == 1


async def test_events_missing_the_cache_at_once_read_the_tenant_once(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    store, elsewhere = TenantStore(db, clock, cache_seconds=2), TenantStore(db, clock)
    assert await store.get_cached("U" + "f" * 32) is None  # the first periodic read, before BOT exists
    await elsewhere.record_attach(BOT, ["message:receive"])  # another process attaches it: not cached here
    reads = 0
    read = store.get

    async def counted(bot_id, session=None):  # type: ignore[no-untyped-def]
        nonlocal reads
        reads += 1
        return await read(bot_id, session)

    store.get = counted  # type: ignore[method-assign]
    tenants = await asyncio.gather(*(store.get_cached(BOT) for _ in range(20)))
    assert reads == 1 and {t.state for t in tenants} == {"attached"}
    store.forget(BOT)  # changed here: the next events miss together again, and read it once
    await asyncio.gather(*(store.get_cached(BOT) for _ in range(20)))
    assert reads == 2


async def test_a_tenant_forgotten_while_it_is_read_is_not_cached_from_that_read(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    store, elsewhere = TenantStore(db, clock), TenantStore(db, clock)
    assert await store.get_cached("U" + "f" * 32) is None  # the first periodic read, before BOT exists
    await elsewhere.record_attach(BOT, ["message:receive"])
    read, was_read, release = store.get, asyncio.Event(), asyncio.Event()

    async def slow(bot_id, session=None):  # type: ignore[no-untyped-def]
        tenant = await read(bot_id, session)
        was_read.set()
        await release.wait()
        return tenant

    store.get = slow  # type: ignore[method-assign]
    loading = asyncio.ensure_future(store.get_cached(BOT))
    await was_read.wait()
    store.forget(BOT)  # this process changes the tenant meanwhile
    await apply(store, db, "suspended", 200)
    store.get = read  # type: ignore[method-assign]
    release.set()
    assert (await loading).state == "attached"  # what that read saw
    assert (await store.get_cached(BOT)).state == "suspended"  # not cached from it


async def test_a_tenant_forgotten_during_the_periodic_read_is_not_cached_from_it(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    store = TenantStore(db, clock)
    await apply(store, db, "attached", 100, ["message:receive"])
    real_db, read, release = store.db, asyncio.Event(), asyncio.Event()

    class SlowToFinish:
        """The database, but a session ends only when the test says: the rows are read, not yet cached."""

        def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
            return getattr(real_db, name)

        @contextlib.asynccontextmanager
        async def session(self):  # type: ignore[no-untyped-def]
            async with real_db.session() as session:
                yield session
            read.set()
            await release.wait()

    store.db = SlowToFinish()  # type: ignore[assignment]
    reading = asyncio.ensure_future(store.get_cached(BOT))
    await read.wait()
    store.db = real_db
    await apply(store, db, "suspended", 200)  # this process changes the tenant meanwhile (and forgets it)
    release.set()
    assert (await reading).state == "suspended"  # the periodic read's older row was not cached over the change
    assert (await store.get_cached(BOT)).state == "suspended"
