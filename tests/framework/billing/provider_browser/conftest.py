"""Fixtures of the provider billing console's browser tests: Debian's Chromium through Playwright (its own
package: Playwright's sync API holds this thread's event loop), localstripe, and one module server per test
module on a SQLite file, seeded with five months of subscriptions, an invoice waiting for a transfer, one
paid by card and a manual one.

The seed runs in an app of its own on the same database file, on a manual clock that starts five months ago,
so the dashboard's charts have a history to draw. The server runs no workers: nothing changes behind the
test's back (renewals of the seeded months, mails).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from linemod.framework.billing.collection import IssuedRun
from linemod.framework.billing.manual_charges import ManualCharge, add_manual_charge
from linemod.framework.clock import ManualClock
from linemod.framework.settings import Settings
from linemod.framework.storage.database import Database
from tests.framework.billing.provider_console.world import billing_module, collection_of, detach_oa, subscribed_oa
from tests.framework.console.browser.conftest import PASSWORD, SCREENSHOTS, in_thread
from tests.framework.helpers import BOT, OTHER_BOT, ThreadedServer, free_port, make_settings
from tests.support.browser import chromium_session
from tests.support.localstripe import PUBLISHABLE_KEY, SECRET_KEY, LocalStripe
from tests.support.localstripe import localstripe_server as localstripe_server

STAFF = "keiri@provider.example"
GOOD_CARD = "4242424242424242"
DAY_S = 86_400
EARLIER_OAS = ["喫茶ひだまり", "美容室リュクス", "整体院なごみ", "ベーカリー麦", "居酒屋とりまる", "ネイルサロン彩"]


@pytest.fixture(scope="package")
def chromium() -> Iterator[Browser]:
    with chromium_session(timeout_ms=15_000) as browser:
        yield browser


@dataclass
class BillingSite:
    base: str
    stripe: LocalStripe
    transfer: IssuedRun  # waiting for its bank transfer
    card: IssuedRun  # paid by card at localstripe
    manual: IssuedRun  # a manual invoice of ¥33,000
    manual_reference: str  # the payer reference printed on it
    earliest: IssuedRun  # the first seeded OA's first invoice, still waiting for its transfer

    def signed_in(self, browser: Browser, lang: str = "ja") -> Page:
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ja-JP")
        page.goto(f"{self.base}/console/lang/{lang}?next=/console/signin")
        form = page.get_by_test_id("signin-form")
        form.locator("[name=email]").fill(STAFF)
        form.locator("[name=password]").fill(PASSWORD)
        form.get_by_role("button").click()
        page.wait_for_url(f"{self.base}/provider/")
        return page

    def shot(self, page: Page, name: str) -> None:
        """Photograph a page for the README (docs/screenshots/billing-provider-*.png) when asked to:
        `LINEMOD_SCREENSHOTS=1 .venv/bin/pytest tests/framework/billing/provider_browser`."""
        import os

        if os.environ.get("LINEMOD_SCREENSHOTS"):
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"billing-provider-{name}.png"), full_page=True)


def bot_id(n: int) -> str:
    return "U" + f"{n:032x}"


async def seed(settings: Settings, stripe: LocalStripe) -> tuple[IssuedRun, IssuedRun, IssuedRun, str, IssuedRun]:
    now_ms = int(time.time() * 1000)
    clock = ManualClock(now_ms - 150 * DAY_S * 1000)
    app = billing_module(settings, clock)
    await app.start(workers=False, intake=False)
    try:
        await app.console.services().accounts.create_staff(STAFF, PASSWORD)
        collection = collection_of(app)
        collection.book.pdf_on_issue = False  # made when downloaded
        runs = []
        for n, name in enumerate(EARLIER_OAS, start=1):  # an OA a month, two of them leave again
            runs.append(await subscribed_oa(app, bot_id(n), name))
            if n in (3, 5):
                await detach_oa(app, bot_id(n - 1))
            clock.advance(24 * DAY_S)
        clock.advance((now_ms - clock.now_ms()) / 1000)
        transfer = await subscribed_oa(app, BOT, "カフェさくら")
        card = await subscribed_oa(app, OTHER_BOT, "らーめん風")
        setup = await collection.start_card_setup(OTHER_BOT)
        confirmed = stripe.confirm_card_setup(setup.client_secret, GOOD_CARD)  # what Stripe.js does
        assert confirmed.get("status") == "succeeded", confirmed
        await collection.save_card(OTHER_BOT, setup.setup_id)  # charges the open invoice to the card
        manual = await add_manual_charge(app.runtime.db, collection, BOT,  # type: ignore[union-attr]
                                         ManualCharge("invoice", "導入サポート", 30_000, 10),
                                         request_key="seed-manual-invoice-1")
        assert transfer is not None and card is not None and manual is not None and runs[0] is not None
        reference = (await collection.book.get(manual.invoice_id)).payer_reference
        assert reference is not None
        return transfer, card, manual, reference, runs[0]
    finally:
        await app.stop()


@pytest.fixture(scope="module")
def billing_site(localstripe_server: LocalStripe, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BillingSite]:
    localstripe_server.reset()
    folder: Path = tmp_path_factory.mktemp("billing-console")
    url = f"sqlite+aiosqlite:///{folder}/billing.db"
    in_thread(lambda: _migrate(url))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = make_settings(
        database_url=url, public_base_url=base, development=True, run_workers_in_process=False,
        stripe_api_key=SECRET_KEY, stripe_publishable_key=PUBLISHABLE_KEY, stripe_api_base=localstripe_server.url,
    )
    transfer, card, manual, reference, earliest = in_thread(lambda: seed(settings, localstripe_server))
    app: Any = billing_module(settings)
    with ThreadedServer(app.asgi(), port=port):
        yield BillingSite(base, localstripe_server, transfer, card, manual, reference, earliest)


async def _migrate(url: str) -> None:
    db = Database(url)
    try:
        await db.upgrade()
    finally:
        await db.dispose()
