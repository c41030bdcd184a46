"""The intake's "is this one of our OAs?": answered from memory, one query for every tenant at the start."""

from __future__ import annotations

from typing import Any

import pytest

from linemod.framework.clock import ManualClock
from linemod.framework.tenants.known import KnownTenants
from linemod.framework.tenants.store import TenantStore


class CountedRuns:
    """Counts the units of work the database's driver runs, and fails them while `failing`."""

    def __init__(self, db) -> None:  # type: ignore[no-untyped-def]
        self.runs, self.failing, run = 0, False, db.direct.run

        async def counted(work: Any, **options: Any) -> Any:
            self.runs += 1
            if self.failing:
                raise ConnectionError("the database is down")
            return await run(work, **options)

        db.direct.run = counted


async def test_one_query_answers_for_every_tenant(db) -> None:  # type: ignore[no-untyped-def]
    store = TenantStore(db, ManualClock())
    bots = [f"U{i:032x}" for i in range(300)]
    for bot in bots:
        await store.record_attach(bot, ["message:receive"])
    known, counted = KnownTenants(db), CountedRuns(db)
    assert all([await known.is_known(bot) for bot in bots])
    assert counted.runs == 1
    newcomer = "U" + "e" * 32  # attached by another process since: found by asking, once
    await store.record_attach(newcomer, ["message:receive"])
    assert await known.is_known(newcomer) and await known.is_known(newcomer)
    assert counted.runs == 2
    stranger = "U" + "f" * 32
    assert not await known.is_known(stranger)
    assert counted.runs == 3


async def test_a_failed_first_read_is_tried_again(db) -> None:  # type: ignore[no-untyped-def]
    await TenantStore(db, ManualClock()).record_attach("U" + "a" * 32, ["message:receive"])
    known, counted = KnownTenants(db), CountedRuns(db)
    counted.failing = True
    with pytest.raises(ConnectionError):  # the intake answers 503: LINE sends the webhook again
        await known.is_known("U" + "a" * 32)
    counted.failing = False
    assert await known.is_known("U" + "a" * 32)
