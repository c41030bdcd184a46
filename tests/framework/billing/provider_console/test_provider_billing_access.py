"""Who reaches the provider's billing console: staff only. An operator gets the same 404 as for a page that
does not exist on every billing URL, GET and POST (with a valid CSRF token, so it is not the CSRF check
answering); nobody signed in is sent to sign in; a POST without the CSRF token changes nothing."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute

from linemod.framework.billing.collection_records import CollectionRow
from linemod.framework.billing.console import provider_actions, provider_pages
from linemod.framework.billing.invoicing.documents import DocumentStatus
from tests.framework.billing.provider_console.world import collection_of, subscribed_oa
from tests.framework.console.conftest import Console
from tests.framework.helpers import BOT

BILLING_ROUTERS = (provider_pages.router, provider_actions.router)


def billing_urls(values: dict[str, str]) -> list[tuple[str, str]]:
    """(method, path) of every route of the billing console, its path parameters filled from `values`."""
    urls = []
    for router in BILLING_ROUTERS:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            path = re.sub(r"\{(\w+)\}", lambda found: values[found.group(1)], route.path)
            urls += [(method, path) for method in sorted(route.methods)]
    return urls


async def test_an_operator_gets_404_on_every_billing_url_get_and_post(console: Console) -> None:
    run = await subscribed_oa(console.app, BOT, "Cafe Sakura")
    assert run is not None
    operator = await console.operator("owner@example.com")
    await console.give_oa("owner@example.com", BOT)  # even the OA's own owner: billing is the provider's
    values = {"bot_id": BOT, "invoice_id": str(run.invoice_id), "code": "launch", "item_id": "1"}
    urls = billing_urls(values)
    assert len(urls) >= 18 and {method for method, _ in urls} == {"GET", "POST"}
    for method, path in urls:
        if method == "GET":
            answer = await operator.get(path)
        else:
            answer = await operator.post(path, {"amount": "5500", "paid_on": "2026-09-10", "request_key": "k" * 24})
        assert answer.status_code == 404, (method, path, answer.status_code)
        assert 'data-kind="not_found"' in answer.text
    assert (await collection_of(console.app).book.get(run.invoice_id)).status is DocumentStatus.FINALIZED


async def test_staff_open_every_billing_page(console: Console) -> None:
    run = await subscribed_oa(console.app, BOT, "Cafe Sakura")
    assert run is not None
    staff = await console.staff()
    values = {"bot_id": BOT, "invoice_id": str(run.invoice_id)}
    pages = [path for method, path in billing_urls({**values, "code": "-", "item_id": "-"}) if method == "GET"]
    assert len(pages) >= 9
    for path in pages:
        answer = await staff.get(path)
        assert answer.status_code == 200, (path, answer.status_code)
    assert (await staff.get("/provider/billing/invoices/99999")).status_code == 404
    assert (await staff.get("/provider/billing/invoices/x1")).status_code == 404
    assert (await staff.get("/provider/billing/tenants/Unknown")).status_code == 404


async def test_nobody_signed_in_is_sent_to_sign_in(console: Console) -> None:
    stranger = console.browser()
    for path in ("/provider/billing/", "/provider/billing/tax.csv", "/provider/billing/audit"):
        answer = await stranger.get(path)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/console/signin")


async def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(console: Console) -> None:
    run = await subscribed_oa(console.app, BOT, "Cafe Sakura")
    assert run is not None
    staff = await console.staff()
    path = f"/provider/billing/invoices/{run.invoice_id}/mark-paid"
    refused = await staff.post(path, {"amount": str(run.amount_yen), "paid_on": "2026-09-10"}, csrf=False)
    assert refused.status_code == 403 and 'data-kind="csrf"' in refused.text
    forged = await staff.http.post(path, data={"amount": str(run.amount_yen), "paid_on": "2026-09-10",
                                               "csrf_token": "forged"})
    assert forged.status_code == 403
    async with console.db.session() as session:
        row = await session.get(CollectionRow, run.collection_id)
        assert row is not None and row.status == "open"
    for bad in ({"paid_on": "2026-09-11"}, {"paid_on": "10/9/2026"}, {"amount": "0"}, {"amount": "五千"}):
        refused = await staff.post(path, {"amount": str(run.amount_yen), "paid_on": "2026-09-10", **bad})
        assert refused.status_code == 400 and 'data-testid="bad-parameter"' in refused.text, bad
    accepted = await staff.post(path, {"amount": str(run.amount_yen), "paid_on": "2026-09-10"})
    assert accepted.status_code == 303
    assert (await collection_of(console.app).book.get(run.invoice_id)).status is DocumentStatus.PAID
