"""The tenants cache on the per-event hot path: changes made here are seen at once, changes made by another
process within the cache time, and the cost of a period follows what changed, not the number of OAs."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import text

from linemod.framework.clock import ManualClock
from linemod.framework.tenants.cache import TenantCache
from linemod.framework.tenants.store import BotProfile, TenantStore
from tests.framework.helpers import BOT


async def apply(store, db, kind, ts, scopes=None, bot_id=BOT):  # type: ignore[no-untyped-def]
    async with db.transaction() as session:
        return await store.apply_lifecycle(session, bot_id, kind, ts, scopes)


class Counted:
    """Counts what a store's cache reads: tenants missing from memory, read one by one (`loads`), and by the
    periodic reads, versions (`versions`) and rows read whole (`rows`)."""

    def __init__(self, store: TenantStore) -> None:
        self.loads = self.rows = self.versions = 0
        cache = store.cache
        load, read_rows, read_versions = cache._load, cache._read_rows, cache._versions_unlike_the_cache

        async def counted_versions(since: int) -> Any:
            versions = await read_versions(since)
            self.versions += len(versions)
            return versions

        async def counted_load(bot_id: str) -> Any:
            self.loads += 1
            return await load(bot_id)

        async def counted_rows(bot_ids: Any) -> Any:
            self.rows += len(bot_ids)
            return await read_rows(bot_ids)

        cache._load = counted_load  # type: ignore[method-assign]
        cache._versions_unlike_the_cache = counted_versions  # type: ignore[method-assign]
        cache._read_rows = counted_rows  # type: ignore[method-assign]


async def test_the_hot_path_cache_reads_changes_not_every_tenant(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    here, elsewhere = TenantStore(db, clock), TenantStore(db, clock)  # two processes on one database
    counted = Counted(here)
    bots = [f"U{i:032x}" for i in range(50)]
    for bot in bots:
        await elsewhere.record_attach(bot, ["message:receive"])
    for bot in bots:  # the first call reads every tenant in one query
        assert (await here.get_cached(bot)).state == "attached"
    assert counted.loads == 0
    newcomer = "U" + "e" * 32
    await elsewhere.record_attach(newcomer, ["message:receive"])
    assert (await here.get_cached(newcomer)).state == "attached" and counted.loads == 1  # not seen yet: read
    rows_before, versions_before = counted.rows - 1, counted.versions
    for _ in range(5):  # periods pass, all 51 changes within the look-back: no version or row is read again
        clock.advance(here.cache.cache_ms / 1000)
        for bot in bots:
            await here.get_cached(bot)
    assert counted.loads == 1 and counted.rows - 1 == rows_before and counted.versions == versions_before
    clock.advance(1)
    async with db.transaction() as session:  # another process suspends one OA
        assert await elsewhere.apply_lifecycle(session, bots[7], "suspended", clock.now_ms())
    assert (await here.get_cached(bots[7])).state == "attached"  # within the cache time
    clock.advance(here.cache.cache_ms / 1000)
    assert (await here.get_cached(bots[7])).state == "suspended"
    assert counted.rows - 1 == rows_before + 1  # that one tenant, read whole
    assert (await here.get_cached(bots[8])).state == "attached" and counted.loads == 1
    clock.advance(TenantCache.FULL_READ_MS / 1000)  # a clock far behind is caught by the periodic full read
    async with db.session() as session:
        await session.execute(text("UPDATE tenants SET state = 'detached', updated_at_ms = 5 WHERE bot_id = :b"),
                              {"b": bots[9]})
        await session.commit()
    assert (await here.get_cached(bots[9])).state == "detached" and counted.loads == 1


async def test_the_full_read_finds_a_change_made_by_hand_that_kept_the_version(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    here, elsewhere = TenantStore(db, clock), TenantStore(db, clock)
    await elsewhere.record_attach(BOT, ["message:receive"])
    assert (await here.get_cached(BOT)).state == "attached"
    async with db.session() as session:  # an operator in psql, leaving updated_at_ms as it was
        await session.execute(text("UPDATE tenants SET display_name = 'Renamed' WHERE bot_id = :b"), {"b": BOT})
        await session.commit()
    clock.advance(here.cache.cache_ms / 1000)
    assert (await here.get_cached(BOT)).display_name is None  # the periodic read compares versions only
    clock.advance(TenantCache.FULL_READ_MS / 1000)
    assert (await here.get_cached(BOT)).display_name == "Renamed"


async def test_two_changes_within_one_millisecond_are_two_versions(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()  # it never moves here: every change below happens in the same millisecond
    here, elsewhere = TenantStore(db, clock), TenantStore(db, clock)
    await apply(elsewhere, db, "attached", 100, ["message:receive"])
    assert (await here.get_cached(BOT)).state == "attached"
    await apply(elsewhere, db, "suspended", 200)
    here.cache._next_refresh_ms = 0  # the next period, without moving the clock
    assert (await here.get_cached(BOT)).state == "suspended"
    await elsewhere.reconcile([BotProfile(BOT, display_name="Shop")], apply=True)  # resumes, and a name
    here.cache._next_refresh_ms = 0
    tenant = await here.get_cached(BOT)
    assert tenant.state == "suspended" and tenant.display_name == "Shop"  # reconciliation keeps suspended


async def test_a_profile_that_did_not_change_writes_no_new_version(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    store = TenantStore(db, clock)
    await store.record_attach(BOT, ["message:receive"], BotProfile(BOT, display_name="Shop"))
    version = await _version(db)
    clock.advance(5)
    await store.update_profile(BotProfile(BOT, display_name="Shop"))
    assert await _version(db) == version
    await store.update_profile(BotProfile(BOT, display_name="Shop 2"))
    assert await _version(db) == clock.now_ms() > version


async def _version(db) -> int:  # type: ignore[no-untyped-def]
    async with db.session() as session:
        return int(await session.scalar(text("SELECT updated_at_ms FROM tenants WHERE bot_id = :b"), {"b": BOT}))


async def test_events_missing_the_cache_at_once_read_the_tenant_once(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    store, elsewhere = TenantStore(db, clock, cache_seconds=2), TenantStore(db, clock)
    assert await store.get_cached("U" + "f" * 32) is None  # the first periodic read, before BOT exists
    await elsewhere.record_attach(BOT, ["message:receive"])  # another process attaches it: not cached here
    counted = Counted(store)
    tenants = await asyncio.gather(*(store.get_cached(BOT) for _ in range(20)))
    assert counted.loads == 1 and {t.state for t in tenants} == {"attached"}
    store.forget(BOT)  # changed here: the next events miss together again, and read it once
    await asyncio.gather(*(store.get_cached(BOT) for _ in range(20)))
    assert counted.loads == 2


async def test_a_tenant_forgotten_while_it_is_read_is_not_cached_from_that_read(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    store, elsewhere = TenantStore(db, clock), TenantStore(db, clock)
    assert await store.get_cached("U" + "f" * 32) is None  # the first periodic read, before BOT exists
    await elsewhere.record_attach(BOT, ["message:receive"])
    read, was_read, release = store.cache._read_rows, asyncio.Event(), asyncio.Event()

    async def slow(bot_ids):  # type: ignore[no-untyped-def]
        rows = await read(bot_ids)
        was_read.set()
        await release.wait()
        return rows

    store.cache._read_rows = slow  # type: ignore[method-assign]
    loading = asyncio.ensure_future(store.get_cached(BOT))
    await was_read.wait()
    store.forget(BOT)  # this process changes the tenant meanwhile
    await apply(store, db, "suspended", 200)
    store.cache._read_rows = read  # type: ignore[method-assign]
    release.set()
    assert (await loading).state == "attached"  # what that read saw
    assert (await store.get_cached(BOT)).state == "suspended"  # not cached from it


async def test_a_tenant_forgotten_during_the_periodic_read_is_not_cached_from_it(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    store = TenantStore(db, clock)
    await apply(store, db, "attached", 100, ["message:receive"])
    run_reading, read, release = store.cache._run_reading, asyncio.Event(), asyncio.Event()

    async def slow_to_finish(work):  # type: ignore[no-untyped-def]
        """The rows are read, not yet cached, until the test says."""
        rows = await run_reading(work)
        read.set()
        await release.wait()
        return rows

    store.cache._run_reading = slow_to_finish  # type: ignore[method-assign]
    reading = asyncio.ensure_future(store.get_cached(BOT))
    await read.wait()
    store.cache._run_reading = run_reading  # type: ignore[method-assign]
    await apply(store, db, "suspended", 200)  # this process changes the tenant meanwhile (and forgets it)
    release.set()
    assert (await reading).state == "suspended"  # the periodic read's older row was not cached over the change
    assert (await store.get_cached(BOT)).state == "suspended"
