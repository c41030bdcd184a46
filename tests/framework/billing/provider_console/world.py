"""A module that sells one plan, with an invoice issuer and a bank account, and the people and OAs the
provider billing console tests need: staff, an operator, OAs with subscriptions and issued invoices."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from linemod.framework.app import ModuleApp
from linemod.framework.billing.catalog import Price
from linemod.framework.billing.collection import IssuedRun
from linemod.framework.billing.collection_service import CollectionService
from linemod.framework.billing.periods import start_ms
from linemod.framework.clock import Clock
from linemod.framework.settings import Settings
from linemod.framework.tenants.store import BotProfile
from tests.framework.billing.builders import ISSUER

ISSUER_SETTINGS: dict[str, Any] = {
    "billing_issuer_name": ISSUER.name,
    "billing_issuer_registration_number": ISSUER.registration_number,
    "billing_issuer_address": ISSUER.address,
    "billing_bank_name": "みずほ銀行",
    "billing_bank_branch": "丸の内支店",
    "billing_bank_account_number": "1234567",
    "billing_bank_account_holder": "カ)リンクモッド",
    "billing_quota_interval_seconds": 0,
    "billing_sweep_interval_seconds": 0,
}
SEPT_10_2026_MS = start_ms(date(2026, 9, 10)) + 10 * 3_600_000  # 10:00 JST
PLAN_YEN = 5_000
REQUEST_KEY = re.compile(r'name="request_key" value="([^"]+)"')


def billing_module(settings: Settings, clock: Clock | None = None, **app_options: Any) -> ModuleApp:
    """¥5,000 a month (10 %), no trial: an OA is charged its first month when it attaches."""
    app = ModuleApp(settings.model_copy(update=ISSUER_SETTINGS), clock=clock, **app_options)
    app.billing.plan("standard", name_ja="スタンダード", name_en="Standard", prices=[Price.monthly(PLAN_YEN)])
    app.billing.coupon("launch", percent=20, duration="repeating", months=3, name_ja="ローンチ", name_en="Launch")
    app.billing.configure(trial_days=0)
    return app


def collection_of(app: ModuleApp) -> CollectionService:
    runtime = app.runtime
    assert runtime is not None and runtime.billing is not None and runtime.billing.collection is not None
    return runtime.billing.collection


async def subscribed_oa(app: ModuleApp, bot_id: str, name: str) -> IssuedRun | None:
    """An attached OA with its subscription started (as LINE's `attached` event does) and its first month
    invoiced now (by bank transfer: it has no card)."""
    runtime = app.runtime
    assert runtime is not None and runtime.billing is not None
    await runtime.tenants.record_attach(bot_id, ["message:send"], BotProfile(bot_id, basic_id="@" + bot_id[-7:],
                                                                              display_name=name))
    async with runtime.db.transaction() as session:
        await runtime.billing.lifecycle.attach(session, bot_id)
    return await collection_of(app).collect(bot_id)


async def detach_oa(app: ModuleApp, bot_id: str) -> None:
    runtime = app.runtime
    assert runtime is not None and runtime.billing is not None
    async with runtime.db.transaction() as session:
        await runtime.billing.lifecycle.detach(session, bot_id, reason="detached")
