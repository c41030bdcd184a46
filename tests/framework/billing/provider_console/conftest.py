"""Fixtures of the provider billing console's in-process tests: the billing module on each engine, on a
manual clock, with browsers that keep cookies and send the CSRF token (tests/framework/console)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from linemod.framework.clock import ManualClock
from linemod.framework.storage.database import Database
from tests.framework.billing.provider_console.world import SEPT_10_2026_MS, billing_module, collection_of
from tests.framework.console.conftest import Console
from tests.framework.helpers import Running, make_settings


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(SEPT_10_2026_MS)


@pytest.fixture
async def console(db: Database, clock: ManualClock) -> AsyncIterator[Console]:
    app = billing_module(make_settings(development=True), clock, database=db)
    async with Running(app, workers=False) as run:
        collection_of(app).book.pdf_on_issue = False  # PDFs when asked for: WeasyPrint is slow to run per issue
        world = Console(run, db)
        yield world
        for b in world.browsers:
            await b.close()
