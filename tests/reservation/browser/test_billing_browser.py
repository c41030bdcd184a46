"""Issue 13's operator billing story through the pages, in Debian's Chromium, against a real localstripe:
the owner fills in the billing profile and adds a card through the Stripe.js Elements form (localstripe's
shim of Stripe.js v3); the trial ends on the emulator's clock, the first invoice is issued and charged to the
card, and its PDF is downloaded from the invoice list; the owner switches to annual billing after the
prorated preview, then cancels at period end with a reason, exporting the module's data first. With
LINEMOD_SCREENSHOTS=1 the pages are photographed into docs/screenshots/reservation-billing-*.png."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from linemod.framework.billing.billing_routes import STRIPE_WEBHOOK_PATH
from linemod_reservation.console import create_demo_operator
from tests.framework.billing.builders import ISSUER
from tests.reservation.browser.conftest import _migrated, shot
from tests.reservation.test_conversation import reserve
from tests.reservation.world import World, open_day
from tests.support.localstripe import (  # noqa: F401  (localstripe_server: a fixture)
    PUBLISHABLE_KEY,
    SECRET_KEY,
    WEBHOOK_SECRET,
    LocalStripe,
    localstripe_server,
)

pytestmark = pytest.mark.browser
DAY_SECONDS = 86_400


@pytest.fixture
def billing_site(emulator_url: str, tmp_path: Path, localstripe_server: LocalStripe) -> Iterator[World]:  # noqa: F811
    localstripe_server.reset()
    world = World(
        emulator_url,
        _migrated(f"sqlite+aiosqlite:///{tmp_path}/reservation.db"),
        follow=True,
        development=True,
        session_max_age_seconds=90 * DAY_SECONDS,  # the owner stays signed in while the trial's month passes
        billing_issuer_name=ISSUER.name,
        billing_issuer_registration_number=ISSUER.registration_number,
        billing_issuer_address=ISSUER.address,
        billing_bank_name="みずほ銀行",
        billing_bank_branch="丸の内支店",
        billing_bank_account_number="1234567",
        billing_bank_account_holder="カ)リンクモッド",
        billing_quota_interval_seconds=0,
        billing_sweep_interval_seconds=0,
        stripe_api_key=SECRET_KEY,
        stripe_publishable_key=PUBLISHABLE_KEY,
        stripe_webhook_secret=WEBHOOK_SECRET,
        stripe_api_base=localstripe_server.url,
        stripe_js_url=f"{localstripe_server.url}/js.stripe.com/v3/",
    )
    localstripe_server.send_webhooks_to(world.base + STRIPE_WEBHOOK_PATH, WEBHOOK_SECRET)
    with world.server:
        world.attach()
        yield world
    world.close()


def _shop_ready(world: World) -> None:
    world.in_server(world.shop_ready)


def _download(page: Page, test_id: str) -> bytes:
    with page.expect_download() as info:
        page.get_by_test_id(test_id).first.click()
    path = info.value.path()
    return Path(path).read_bytes()


def _reload_until(page: Page, selector: str, what: str, timeout: float = 60) -> None:
    """Reload until `selector` is on the page: the invoice is made by background jobs on the app's clock."""
    deadline = time.monotonic() + timeout
    while page.locator(selector).count() == 0:
        assert time.monotonic() < deadline, f"{what} did not appear"
        time.sleep(0.3)
        page.reload()


def test_an_owner_adds_a_card_gets_the_invoice_switches_to_annual_and_cancels(
    chromium: Browser, billing_site: World
) -> None:
    site = billing_site
    _shop_ready(site)
    hanako = site.person()
    hanako.follow()
    number = reserve(hanako, open_day(3).isoformat())
    account: dict[str, Any] = site.in_server(create_demo_operator, site.app, site.bot_id, "owner@cafe-sakura.example")

    console = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP", accept_downloads=True)
    page = console.new_page()
    page.goto(f"{site.base}/console/signin")
    page.locator("input[name='email']").fill(account["email"])
    page.locator("input[name='password']").fill(account["password"])
    page.get_by_test_id("signin-form").get_by_role("button").click()
    billing = f"{site.base}/console/oas/{site.bot_id}/billing"

    # The overview: the trial, the plan with and without tax, the meter; "請求・プラン" in the navigation.
    page.goto(f"{site.base}/console/oas/{site.bot_id}")
    page.get_by_role("link", name="請求・プラン").click()
    expect(page.get_by_test_id("billing-status")).to_have_attribute("data-status", "trialing")
    expect(page.get_by_test_id("trial-days-left")).to_contain_text("残り30日")
    expect(page.get_by_test_id("price-gross")).to_have_text("¥3,300")
    expect(page.get_by_test_id("price-net")).to_have_text("¥3,000")
    meter = page.locator("[data-testid=meter][data-meter='reservation.created']")
    expect(meter.get_by_test_id("meter-used")).to_have_text("1")

    # The billing profile: a wrong registration number is refused with a message, then saved.
    page.get_by_test_id("edit-profile").click()
    page.locator("#f-company").fill("株式会社さくら")
    page.locator("#f-email").fill("billing@sakura.example")
    page.locator("#f-cc").fill("keiri@sakura.example")
    page.locator("#f-number").fill("T1234567890123")
    page.get_by_test_id("save-profile").click()
    expect(page.get_by_test_id("error-registration_number")).to_be_visible()
    page.locator("#f-number").fill(ISSUER.registration_number)
    page.get_by_test_id("save-profile").click()
    expect(page.get_by_test_id("addressee")).to_have_text("株式会社さくら 御中")

    # The card, through the Elements form (localstripe's shim draws plain inputs in the page).
    page.get_by_test_id("edit-payment").click()
    element = page.get_by_test_id("card-element")
    element.locator("input[placeholder='number']").fill("4242424242424242")
    element.locator("input[placeholder='exp_month']").fill("12")
    element.locator("input[placeholder='exp_year']").fill("34")
    element.locator("input[placeholder='cvc']").fill("123")
    element.locator("input[placeholder='postal_code']").fill("1500001")
    shot(page, "billing-card")
    page.get_by_test_id("save-card").click()
    expect(page.get_by_test_id("notice")).to_contain_text("カードを登録しました")
    expect(page.get_by_test_id("card")).to_contain_text("4242")

    # The trial ends (the emulator's clock, followed by the module): the first invoice, charged to the card.
    site.advance(31 * DAY_SECONDS)
    page.goto(billing)
    _reload_until(page, "[data-testid=receipt-pdf]", "the paid invoice's receipt")
    expect(page.get_by_test_id("billing-status")).to_have_attribute("data-status", "active")
    shot(page, "billing-overview")
    pdf = _download(page, "invoice-pdf")
    assert pdf.startswith(b"%PDF")

    # Annual billing: the prorated preview, then the change.
    page.get_by_test_id("switch-annual").click()
    preview = page.get_by_test_id("plan-preview")
    expect(preview).to_contain_text("日割り計算")
    expect(page.get_by_test_id("preview-total")).to_contain_text("¥")
    shot(page, "billing-plan")
    page.get_by_test_id("confirm-plan").click()
    expect(page.get_by_test_id("notice")).to_contain_text("プランを変更しました")
    expect(page.get_by_test_id("price")).to_contain_text("年払い")
    expect(page.get_by_test_id("price-gross")).to_have_text("¥33,000")

    # Cancel at period end: export the data first, then give a reason.
    page.get_by_test_id("cancel").click()
    page.get_by_test_id("export-link").click()
    exported = json.loads(_download(page, "export-json"))
    assert exported["bot_id"] == site.bot_id
    assert [r["number"] for r in exported["tables"]["reservations"]] == [number]
    rows = list(csv.DictReader(io.StringIO(_download(page, "export-csv-reservations").decode("utf-8-sig"))))
    assert [row["number"] for row in rows] == [number]
    page.go_back()
    page.get_by_test_id("confirm-cancel").click()
    expect(page.get_by_test_id("error")).to_be_visible()  # no reason given
    page.get_by_test_id("reason-too_expensive").check()
    page.locator("#f-note").fill("店舗を移転するため")
    shot(page, "billing-cancel")
    page.get_by_test_id("confirm-cancel").click()
    expect(page.get_by_test_id("notice")).to_contain_text("期間の終了をもって終了します")
    expect(page.get_by_test_id("billing-status")).to_have_attribute("data-status", "canceling")
    expect(page.get_by_test_id("resume")).to_be_visible()
    console.close()
