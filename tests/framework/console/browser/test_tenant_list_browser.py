"""Console lists of OAs are pages with a search: with 120 tenants, the provider's tenant list and the help desk's
"view as operator" list show 50 at a time, page forward and back, and find one OA by name, basic ID or bot ID."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from linemod.framework.clock import SystemClock
from linemod.framework.storage.database import Database
from linemod.framework.tenants.store import BotProfile, TenantStore
from tests.framework.console.browser.conftest import PASSWORD, Site, in_thread

TENANTS = 120


def attach_many(site: Site) -> list[str]:
    bots = [f"U{i:032x}" for i in range(1, TENANTS + 1)]

    async def make() -> None:
        db = Database(site.app.settings.database_url)
        store = TenantStore(db, SystemClock())
        try:
            for i, bot in enumerate(bots, start=1):
                profile = BotProfile(bot, basic_id=f"@{i:03d}shop", display_name=f"店舗 {i:03d}")
                await store.record_attach(bot, ["message:receive", "message:send"], profile)
        finally:
            await db.dispose()

    in_thread(make)
    return bots


def sign_in_staff(page: Page, site: Site) -> None:
    site.create_staff("pages@provider.example")
    page.goto(f"{site.base}/console/signin")
    page.locator("[name=email]").fill("pages@provider.example")
    page.locator("[name=password]").fill(PASSWORD)
    page.get_by_test_id("signin-form").get_by_role("button").click()
    expect(page.get_by_test_id("tenants")).to_be_visible()


def test_tenant_lists_are_paged_and_searchable(chromium: Browser, site: Site) -> None:
    bots = attach_many(site)
    context = chromium.new_context(viewport={"width": 1280, "height": 860}, locale="ja-JP")
    page = context.new_page()
    try:
        sign_in_staff(page, site)
        rows = page.get_by_test_id("tenant-row")
        expect(page.get_by_test_id("tenant-count")).to_have_text(str(TENANTS))
        expect(rows).to_have_count(50)
        expect(rows.first).to_have_attribute("data-bot-id", bots[0])
        pager = page.get_by_test_id("tenants-pager")
        expect(pager).to_contain_text("120件中 1〜50件")
        pager.get_by_role("link", name="次へ").click()
        expect(rows.first).to_have_attribute("data-bot-id", bots[50])
        pager.get_by_role("link", name="次へ").click()
        expect(rows).to_have_count(TENANTS - 100)
        expect(pager).to_contain_text("120件中 101〜120件")
        expect(pager.get_by_role("link", name="次へ")).to_have_count(0)
        pager.get_by_role("link", name="前へ").click()
        expect(rows.first).to_have_attribute("data-bot-id", bots[50])

        search = page.get_by_test_id("tenants-search")
        search.get_by_role("searchbox").fill("店舗 077")  # by name
        search.get_by_role("button").click()
        expect(rows).to_have_count(1)
        expect(rows.first).to_have_attribute("data-bot-id", bots[76])
        search.get_by_role("searchbox").fill("@11")  # by basic ID: @110shop to @119shop
        search.get_by_role("button").click()
        expect(rows).to_have_count(10)
        expect(page.get_by_test_id("tenant-count")).to_have_text("10")
        search.get_by_role("searchbox").fill(bots[3].lower())  # by bot ID, whatever the case
        search.get_by_role("button").click()
        expect(rows).to_have_count(1)
        search.get_by_role("searchbox").fill("100%_")  # LIKE's wildcards are searched as text
        search.get_by_role("button").click()
        expect(rows).to_have_count(0)
        expect(page.get_by_test_id("tenants")).to_contain_text("「100%_」に一致するOAはありません。")

        page.goto(f"{site.base}/provider/?page=abc")
        expect(page.locator("body")).to_contain_text("10000")  # a 400 page that says which page numbers exist

        page.goto(f"{site.base}/provider/support/view-as")
        view_rows = page.get_by_test_id("view-as-row")
        expect(view_rows).to_have_count(50)
        page.get_by_test_id("view-as-pager").get_by_role("link", name="次へ").click()
        expect(view_rows.first).to_have_attribute("data-bot-id", bots[50])
        page.get_by_test_id("view-as-search").get_by_role("searchbox").fill("店舗 120")
        page.get_by_test_id("view-as-search").get_by_role("button").click()
        expect(view_rows).to_have_count(1)
        expect(view_rows.first).to_have_attribute("data-bot-id", bots[119])
    finally:
        context.close()
