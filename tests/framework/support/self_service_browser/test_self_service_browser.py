"""In Debian's Chromium, in Japanese: an operator searches the help center in Japanese and opens the article;
the banner of an active announcement is on every operator console page until the operator dismisses it;
staff see their article, announcement and report pages. With LINEMOD_SCREENSHOTS=1 it also photographs
them into docs/screenshots/support-*.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.framework.support.self_service_browser.conftest import (
    INCIDENT,
    OPERATOR,
    STAFF,
    Site,
    new_context,
    sign_in,
)

pytestmark = pytest.mark.browser


def test_an_operator_searches_the_help_center_in_japanese(chromium: Browser, site: Site) -> None:
    context = new_context(chromium)
    page = context.new_page()
    try:
        sign_in(page, site, OPERATOR)
        page.get_by_test_id("help-link").click()
        expect(page.get_by_role("heading", name="ヘルプセンター")).to_be_visible()
        expect(page.get_by_test_id("help-categories")).to_contain_text("料金")  # operators-only articles too
        site.shot(page, "help")
        page.get_by_test_id("help-q").fill("予約の変更")
        # suggestions come as the words are typed (the ticket form's slot, here on the search box)
        expect(page.get_by_test_id("help-suggestion").first).to_contain_text("予約を変更する方法")
        page.get_by_test_id("help-search").get_by_role("button", name="検索").click()
        results = page.get_by_test_id("help-result")
        expect(results.first).to_contain_text("予約を変更する方法")
        site.shot(page, "help-search")
        results.first.get_by_role("link").click()
        expect(page.get_by_test_id("article-title")).to_have_text("予約を変更する方法")
        expect(page.get_by_test_id("article-body").locator("strong")).to_have_text("変更する")
        site.shot(page, "help-article")
    finally:
        context.close()


def test_the_announcement_banner_is_on_console_pages_until_dismissed(chromium: Browser, site: Site) -> None:
    context = new_context(chromium)
    page = context.new_page()
    try:
        sign_in(page, site, OPERATOR)
        banner = page.get_by_test_id("announcement-banner").filter(has_text=INCIDENT)
        expect(banner).to_be_visible()
        expect(page.get_by_test_id("announcement-banner")).to_have_count(2)
        site.shot(page, "banner")
        page.goto(f"{site.base}/console/account")
        expect(banner).to_be_visible()  # on every operator page
        expect(page.get_by_test_id("announcement-mail-setting")).to_be_visible()
        banner.get_by_test_id("dismiss-announcement").click()
        expect(banner).to_have_count(0)
        expect(page.get_by_test_id("announcement-banner")).to_have_count(1)  # the other one stays
        page.goto(f"{site.base}/console/")
        expect(page.get_by_test_id("announcement-banner")).to_have_count(1)
        expect(page.get_by_test_id("announcement-banners")).not_to_contain_text(INCIDENT)
        page.goto(f"{site.base}/console/announcements")
        expect(page.get_by_test_id("announcement").filter(has_text=INCIDENT)).to_be_visible()
        site.shot(page, "announcements")
    finally:
        context.close()


def test_staff_pages(chromium: Browser, site: Site) -> None:
    context = new_context(chromium)
    page = context.new_page()
    try:
        sign_in(page, site, STAFF)
        expect(page.get_by_test_id("announcement-banner")).to_have_count(0)  # operators' banner only
        page.goto(f"{site.base}/provider/support/articles")
        expect(page.get_by_test_id("article-row")).to_have_count(5)
        site.shot(page, "staff-articles")
        page.get_by_test_id("article-row").filter(has_text="予約を変更する方法").get_by_role("link").click()
        expect(page.get_by_test_id("article-preview").locator("ol li")).to_have_count(2)
        site.shot(page, "staff-article")
        page.goto(f"{site.base}/provider/support/announcements/new")
        site.shot(page, "staff-announcement")
        page.goto(f"{site.base}/provider/support/reports")
        expect(page.get_by_test_id("backlog-total")).to_have_text("2")  # 解約したい (new), 通知が届かない (open)
        expect(page.locator("svg.chart")).to_have_count(3)
        site.shot(page, "reports")
    finally:
        context.close()
