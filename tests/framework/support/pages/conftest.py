"""Fixtures of the help desk's pages: the module app in-process on each engine with its consoles, on a manual
clock (consents expire), and two OAs with an operator each, plus provider staff."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date

import httpx
import pytest
from argon2 import PasswordHasher

from linemod.framework.accounts.passwords import Passwords
from linemod.framework.app import ModuleApp
from linemod.framework.billing.records import BillingSubscriptionRow
from linemod.framework.clock import ManualClock
from linemod.framework.storage.database import Database
from tests.framework.console.conftest import Browser, Console
from tests.framework.helpers import BOT, OTHER_BOT, Running, make_settings
from tests.framework.support.builders import FRIDAY_10_00

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Desk:
    console: Console
    clock: ManualClock
    owner: Browser  # owner of BOT ("Cafe Sakura")
    rival: Browser  # owner of OTHER_BOT ("Ramen Kaze")
    staff: Browser

    @property
    def app(self) -> ModuleApp:
        return self.console.app


async def post_files(
    browser: Browser, path: str, data: dict[str, str], files: list[tuple[str, tuple[str, bytes, str]]]
) -> httpx.Response:
    """A multipart form (the ticket forms with files), with the CSRF token of the last page loaded."""
    answer = await browser.http.post(path, data={**data, "csrf_token": browser.token}, files=files)
    found = CSRF.search(answer.text)
    if found:
        browser.token = found.group(1)
    return answer


def location(answer: httpx.Response) -> str:
    assert answer.status_code == 303, (answer.status_code, answer.text[:800])
    return answer.headers["location"]


def ticket_id_in(url: str) -> int:
    found = re.search(r"/tickets/(\d+)", url)
    assert found, url
    return int(found.group(1))


@pytest.fixture
async def desk(db: Database) -> AsyncIterator[Desk]:
    clock = ManualClock(FRIDAY_10_00)
    app = ModuleApp(make_settings(development=True), database=db, clock=clock)
    # Cheap hashes: these tests sign five people in per test; what they check is who sees what, not argon2.
    app.console.state.passwords = Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    async with Running(app, workers=False) as run:
        world = Console(run, db)
        owner = await world.operator("owner@cafe.example")
        await world.give_oa("owner@cafe.example", BOT, name="Cafe Sakura")
        rival = await world.operator("owner@ramen.example")
        await world.give_oa("owner@ramen.example", OTHER_BOT, name="Ramen Kaze")
        staff = await world.staff()
        yield Desk(world, clock, owner, rival, staff)
        for b in world.browsers:
            await b.close()


async def add_subscription(db: Database, bot_id: str, plan: str, status: str) -> None:
    """The OA's subscription as billing keeps it (what the tenant context shows of billing)."""
    async with db.transaction() as session:
        session.add(
            BillingSubscriptionRow(
                bot_id=bot_id,
                status=status,
                plan_code=plan,
                price_id=1,
                interval="month",
                period_end=date(2027, 2, 1),
                started_at_ms=1,
                revision=1,
                created_at_ms=1,
                updated_at_ms=1,
            )
        )
