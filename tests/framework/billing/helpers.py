"""A module with a small catalog on a manual clock, and readers of what billing wrote."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import select

from linemod.framework.app import ModuleApp
from linemod.framework.billing.catalog import Limit, Price, UsageCharge
from linemod.framework.billing.ledger import charges_of
from linemod.framework.billing.lines import BillableLine
from linemod.framework.billing.periods import start_ms
from linemod.framework.billing.records import BillingHistoryRow, BillingSubscriptionRow
from linemod.framework.clock import ManualClock
from linemod.framework.line.apis import LineApis
from linemod.framework.storage.database import Database
from tests.framework.helpers import make_settings

START = start_ms(date(2025, 6, 5)) + 10 * 3600 * 1000  # 2025-06-05 10:00 JST
DAY = 86_400


def billing_app(
    db: Database,
    clock: ManualClock,
    *,
    line: LineApis | None = None,
    settings: dict[str, Any] | None = None,
    **policy: Any,
) -> ModuleApp:
    """Plans "basic" (¥3,000/month or ¥30,000/year, the default) and "pro" (¥6,000/month, ¥10,000 initial
    fee, ¥10 per reservation beyond 100, needs message:send and profile:read)."""
    values = {"billing_quota_interval_seconds": 0, "billing_sweep_interval_seconds": 0, **(settings or {})}
    app = ModuleApp(make_settings(**values), database=db, clock=clock, line=line)
    app.billing.meter("reservation.created", aggregation="count", name_ja="予約", name_en="Reservations")
    app.billing.plan(
        "basic",
        name_ja="ベーシック",
        name_en="Basic",
        prices=[Price.monthly(3000), Price.annual(30000)],
        entitlements=["booking"],
        limits={"reservations_per_month": Limit(3, meter="reservation.created", kind="hard")},
        default=True,
    )
    app.billing.plan(
        "pro",
        name_ja="プロ",
        name_en="Pro",
        prices=[Price.monthly(6000)],
        initial_fee_yen=10000,
        usage=[UsageCharge.per_unit("reservation.created", 10, included=100)],
        entitlements=["booking", "reminders"],
        limits={"reservations_per_month": Limit(1000, meter="reservation.created", kind="soft")},
        required_scopes=["message:send", "profile:read"],
    )
    if policy:
        app.billing.configure(**policy)
    return app


async def subscription(db: Database, bot_id: str) -> BillingSubscriptionRow:
    async with db.session() as session:
        row = await session.get(BillingSubscriptionRow, bot_id)
        assert row is not None, f"{bot_id} has no subscription"
        return row


async def history(db: Database, bot_id: str) -> list[tuple[str | None, str, str]]:
    async with db.session() as session:
        rows = await session.scalars(
            select(BillingHistoryRow).where(BillingHistoryRow.bot_id == bot_id).order_by(BillingHistoryRow.id)
        )
        return [(row.from_status, row.to_status, row.reason) for row in rows]


async def charges(db: Database, bot_id: str) -> list[tuple[str, list[BillableLine]]]:
    async with db.session() as session:
        return [(row.reason, lines) for row, lines in await charges_of(session, bot_id)]


def amounts(lines: list[BillableLine]) -> list[int]:
    return [line.amount_yen for line in lines]


def detail(row: Any) -> dict[str, Any]:
    return json.loads(row.detail_json)
