"""Tenant lifecycle: states, out-of-order and repeated events, provider detach, reconciliation."""

from __future__ import annotations

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
