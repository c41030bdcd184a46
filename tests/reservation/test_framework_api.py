"""The reservation module on the framework's public API: its tables come with `linemod db upgrade APP` (its
own history, registered with `app.add_migrations`), and its handlers take the time from `ctx.now_ms()`."""

from __future__ import annotations

import asyncio
import sys
import time

import pytest
from sqlalchemy import inspect, select, text
from typer.testing import CliRunner

from linemod.cli import app as cli
from linemod.framework.storage.database import Database
from linemod_reservation import create_app, migrate
from linemod_reservation.models import Customer
from tests.framework.helpers import make_settings
from tests.reservation.world import World

RESERVATION_TABLES = {"rsv_shops", "rsv_reservations", "rsv_customers"}


async def test_db_upgrade_of_the_reservation_app_makes_the_framework_and_reservation_tables(
    fresh_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINEMOD_DATABASE_URL", fresh_db.url)
    if fresh_db.schema:
        monkeypatch.setenv("LINEMOD_DATABASE_SCHEMA", fresh_db.schema)
    monkeypatch.delitem(sys.modules, "linemod_reservation.main", raising=False)  # its settings: these

    # On a thread: the command runs its own event loop.
    result = await asyncio.to_thread(CliRunner().invoke, cli, ["db", "upgrade", "linemod_reservation.main:app"])
    assert result.exit_code == 0, result.output
    async with fresh_db.engine.connect() as conn:
        tables = set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
        module_version = (await conn.execute(text(f"SELECT version_num FROM {migrate.VERSION_TABLE}"))).scalar()
    assert {"tenants", "events", *RESERVATION_TABLES} <= tables
    assert module_version is not None


def test_the_reservation_app_registers_its_history_and_does_not_migrate_at_start_unless_asked() -> None:
    app = create_app(make_settings())
    [history] = app.module_migrations
    assert (history.script_location, history.version_table) == (migrate.SCRIPT_LOCATION, "rsv_alembic_version")
    assert app.upgrade_on_start is False
    assert create_app(make_settings(), upgrade_on_start=True).upgrade_on_start is True


async def test_handlers_stamp_customers_with_the_modules_clock_not_the_wall_clock(world: World) -> None:
    thirty_days = 30 * 86_400
    moved_to = world.advance(thirty_days)  # the emulator's clock, and the module's with it
    world.person().follow()
    await world.settled()
    async with world.db.session() as session:
        [customer] = (await session.scalars(select(Customer))).all()
    assert customer.last_seen_ms >= moved_to
    assert customer.last_seen_ms > time.time() * 1000 + (thirty_days - 60) * 1000
