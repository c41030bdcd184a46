"""Who may do what on an OA's billing pages: its owner everything; a staff member of the OA sees the
overview and the invoices but changes nothing (every other billing URL, GET or POST, is a 404 page for
them, and no form is shown); an operator of another OA sees nothing at all (404 on every billing URL)."""

from __future__ import annotations

import re
from typing import Any

from fastapi.routing import APIRoute
from sqlalchemy import select

from linemod.framework.billing.billing_contacts import contact_of
from linemod.framework.billing.console.operator_routes import router as billing_routes
from linemod.framework.billing.records import BillingHistoryRow
from linemod.framework.clock import ManualClock
from linemod.framework.console import ConsoleContext
from linemod.framework.console.registry import DataTables
from linemod.framework.storage.database import Database
from tests.framework.billing.builders import ISSUER
from tests.framework.billing.helpers import START, billing_app, subscription
from tests.framework.console.conftest import Console
from tests.framework.helpers import BOT, OTHER_BOT, Running, attached_event
from tests.support.localstripe import PUBLISHABLE_KEY, SECRET_KEY, LocalStripe

SETTINGS = {
    "development": True,
    "billing_issuer_name": ISSUER.name,
    "billing_issuer_registration_number": ISSUER.registration_number,
    "stripe_api_key": SECRET_KEY,
    "stripe_publishable_key": PUBLISHABLE_KEY,
}
PROFILE = {"company_name": "株式会社さくら", "honorific": "御中", "email": "billing@sakura.example", "language": "ja"}


def billing_urls() -> list[tuple[str, str]]:
    """(method, path template) of every billing page of an OA."""
    return [
        (method, route.path)
        for route in billing_routes.routes
        if isinstance(route, APIRoute) and "{bot_id}" in route.path
        for method in sorted(route.methods)
    ]


def fill(template: str, bot_id: str) -> str:
    values = {"bot_id": bot_id, "document_id": "1", "table": "notes"}
    return re.sub(r"\{([^}]+)\}", lambda m: values[m.group(1)], template)


async def world(db: Database, localstripe: LocalStripe) -> tuple[Running, Console]:
    app = billing_app(db, ManualClock(START), settings={
        **SETTINGS, "stripe_api_base": localstripe.url, "stripe_js_url": f"{localstripe.url}/js.stripe.com/v3/"
    })

    @app.console.data_export
    async def export(cx: ConsoleContext) -> DataTables:
        return {"notes": [{"bot_id": cx.tenant.bot_id, "text": "=1+1"}]}

    run = await Running(app).__aenter__()
    for bot in (BOT, OTHER_BOT):
        assert (await run.post_webhook([attached_event(bot_id=bot, ts=START)], destination=bot)).status_code == 200
    await run.drain()
    return run, Console(run, db)


async def post(browser: Any, method: str, path: str) -> Any:
    if method == "GET":
        return await browser.get(path)
    if path.endswith("/card"):
        return await browser.http.post(path, json={"setup_id": "seti_x"}, headers={"x-csrf-token": browser.token})
    fields = {**PROFILE, "plan": "pro", "interval": "month", "reason": "too_expensive"}
    return await browser.post(path, fields)


async def test_a_staff_member_sees_billing_but_cannot_change_it_and_another_oa_sees_nothing(
    db: Database, localstripe: LocalStripe
) -> None:
    run, console = await world(db, localstripe)
    try:
        owner = await console.operator("owner@sakura.example")
        await console.give_oa("owner@sakura.example", BOT, name="Cafe Sakura")
        staff = await console.operator("staff@sakura.example")
        await console.give_oa("staff@sakura.example", BOT, name="Cafe Sakura", role="staff")
        stranger = await console.operator("owner@kaze.example")
        await console.give_oa("owner@kaze.example", OTHER_BOT, name="Ramen Kaze")
        urls = billing_urls()
        assert len(urls) >= 14
        before = await subscription(db, BOT)

        # The owner reaches every page (so the 404s below are refusals, not broken routes).
        for method, template in urls:
            if method == "GET" and "document_id" not in template:
                answer = await owner.get(fill(template, BOT))
                assert answer.status_code == 200, (template, answer.status_code, answer.text[:300])

        # A staff member: the overview without a single form or change link; everything else a 404 page.
        overview = await staff.get(f"/console/oas/{BOT}/billing")
        assert overview.status_code == 200 and 'data-testid="plan-card"' in overview.text
        main = overview.text.split('<section class="oa-main">', 1)[1]
        assert "<form" not in main
        for path in ("/billing/plan", "/billing/cancel", "/billing/profile", "/billing/payment", "/billing/export",
                     "/billing/coupon"):
            assert f"/console/oas/{BOT}{path}" not in main, path
        for method, template in urls:
            path = fill(template, BOT)
            if method == "GET" and template.endswith("/billing"):
                continue
            answer = await post(staff, method, path)
            assert answer.status_code == 404, (method, path, answer.status_code)
            assert 'data-kind="not_found"' in answer.text or not answer.text, (method, path)

        # An operator of another OA: 404 on every billing URL of the first, and nothing of it shown.
        for method, template in urls:
            path = fill(template, BOT)
            answer = await post(stranger, method, path)
            assert answer.status_code == 404, (method, path, answer.status_code)
            assert "Cafe Sakura" not in answer.text and "owner@sakura.example" not in answer.text

        # Nothing was changed by either of them.
        after = await subscription(db, BOT)
        assert (after.status, after.plan_code, after.interval) == (before.status, before.plan_code, before.interval)
        async with db.session() as session:
            assert await contact_of(session, BOT) is None
            history = select(BillingHistoryRow).where(BillingHistoryRow.bot_id == BOT)
            reasons = await session.scalars(history.where(BillingHistoryRow.reason == "cancel_reason"))
            assert list(reasons) == []
        for b in console.browsers:
            await b.close()
    finally:
        await run.__aexit__(None, None, None)
