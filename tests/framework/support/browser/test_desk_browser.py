"""The help desk in Debian's Chromium, in Japanese: an operator opens a ticket with a file and the OA's state
attached; staff find it in the queue, answer with a 定型文 (its variables filled) and leave an internal note;
the operator reads the answer (never the note) and rates it; with the operator's consent staff view the OA's
console, and the staff access log shows it. With LINEMOD_SCREENSHOTS=1 it photographs the main pages into
docs/screenshots/support-*.png."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.framework.helpers import BOT
from tests.framework.support.browser.conftest import OWNER, PASSWORD, RIVAL, STAFF, DeskSite

pytestmark = pytest.mark.browser
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def new_context(chromium: Browser) -> BrowserContext:
    return chromium.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")


def sign_in(page: Page, site: DeskSite, email: str) -> None:
    page.goto(f"{site.base}/console/signin")
    form = page.get_by_test_id("signin-form")
    form.locator("[name=email]").fill(email)
    form.locator("[name=password]").fill(PASSWORD)
    form.get_by_role("button").click()
    expect(page.get_by_test_id("account-link")).to_have_text(email)


def test_a_ticket_from_the_operator_to_staff_and_back(chromium: Browser, desk_site: DeskSite) -> None:
    site = desk_site
    owner_ctx, staff_ctx, rival_ctx = new_context(chromium), new_context(chromium), new_context(chromium)
    owner, staff, rival = owner_ctx.new_page(), staff_ctx.new_page(), rival_ctx.new_page()
    try:
        # the operator opens a ticket from the console's サポート entry; the OA's state is shown as attached
        sign_in(owner, site, OWNER)
        owner.get_by_test_id("nav-support").click()
        expect(owner.locator("h1")).to_have_text("サポート")
        owner.get_by_test_id("new-ticket").click()
        expect(owner.get_by_test_id("tenant-context")).to_contain_text("カフェさくら")
        owner.get_by_test_id("ticket-type").select_option("incident")
        owner.get_by_test_id("ticket-subject").fill("予約一覧が表示されません")
        owner.get_by_test_id("ticket-body").fill("昨日の夜から、コンソールの予約一覧が空のままです。")
        owner.get_by_test_id("ticket-files").set_input_files(
            [{"name": "画面.png", "mimeType": "image/png", "buffer": PNG}]
        )
        site.shot(owner, "operator-new")
        owner.get_by_test_id("ticket-submit").click()
        expect(owner.get_by_test_id("notice")).to_have_text("お問い合わせを送信しました。このページとメールでご回答します。")
        expect(owner.get_by_test_id("ticket-status")).to_have_text("新規")
        expect(owner.get_by_test_id("attachment")).to_have_text("画面.png")
        ticket_url = owner.url
        number = re.search(r"/tickets/(\d+)", ticket_url).group(1)  # type: ignore[union-attr]

        # another OA's operator gets the 404 page on it
        sign_in(rival, site, RIVAL)
        rival.goto(ticket_url)
        expect(rival.get_by_test_id("message")).to_have_attribute("data-kind", "not_found")
        expect(rival.locator("body")).not_to_contain_text("予約一覧が表示されません")

        # staff write a 定型文, find the ticket in the queue and answer with it, plus an internal note
        sign_in(staff, site, STAFF)
        staff.get_by_test_id("nav-support").click()
        staff.get_by_test_id("nav-canned").click()
        staff.get_by_test_id("canned-new").click()
        staff.get_by_test_id("canned-title").fill("調査中のお知らせ")
        staff.get_by_test_id("canned-body").fill(
            "{{ oa_name }} ご担当者様\n\nお問い合わせ #{{ ticket_id }}「{{ ticket_subject }}」を確認しました。"
        )
        staff.get_by_test_id("canned-save").click()
        expect(staff.get_by_test_id("canned-row")).to_have_count(1)
        site.shot(staff, "canned")
        staff.get_by_test_id("nav-support").click()
        row = staff.locator(f"[data-testid=queue-row][data-ticket-id='{number}']")
        expect(row).to_contain_text("カフェさくら")
        site.shot(staff, "queue")
        # the tenant filter is a text field: the suggestions come while typing, the filter takes part of a name
        staff.get_by_test_id("queue-tenant").press_sequentially("さくら")
        expect(staff.locator(f"[data-testid=queue-tenant-choices] option[value='{BOT}']")).to_have_count(1)
        staff.get_by_test_id("apply-filters").click()
        expect(staff.get_by_test_id("queue-tenant")).to_have_value(BOT)
        expect(staff.get_by_test_id("queue-tenant-chosen")).to_have_text("カフェさくら")
        expect(row).to_be_visible()
        row.get_by_test_id("queue-link").click()
        expect(staff.get_by_test_id("tenant-context")).to_contain_text("message:send")
        staff.get_by_test_id("canned-select").select_option(label="調査中のお知らせ")
        staff.get_by_test_id("canned-insert").click()
        reply = staff.get_by_test_id("staff-reply-body")
        filled = f"カフェさくら ご担当者様\n\nお問い合わせ #{number}「予約一覧が表示されません」を確認しました。"
        expect(reply).to_have_value(filled)
        staff.get_by_test_id("note-body").fill("社内メモ: 昨夜のデプロイが原因の可能性")
        staff.get_by_test_id("note-submit").click()
        expect(staff.get_by_test_id("notice")).to_have_text("社内メモを追加しました。")
        staff.get_by_test_id("canned-select").select_option(label="調査中のお知らせ")
        staff.get_by_test_id("canned-insert").click()
        expect(reply).to_have_value(filled)
        reply.fill(filled + "\n原因を修正し、復旧しましたので、ご確認ください。")
        staff.get_by_test_id("staff-reply-status").select_option("solved")
        staff.get_by_test_id("staff-reply-submit").click()
        expect(staff.get_by_test_id("notice")).to_have_text("依頼者に返信を送信しました。")
        expect(staff.get_by_test_id("ticket-status")).to_have_text("解決済み")
        expect(staff.locator("[data-testid=message][data-kind=internal]")).to_contain_text("昨夜のデプロイ")
        site.shot(staff, "ticket")

        # the operator reads the answer, never the note, and rates it
        owner.goto(ticket_url)
        expect(owner.get_by_test_id("thread")).to_contain_text("復旧しましたので")
        expect(owner.get_by_test_id("thread")).not_to_contain_text("社内メモ")
        expect(owner.locator("[data-testid=message][data-kind=internal]")).to_have_count(0)
        owner.get_by_test_id("rate-bad").check()
        owner.get_by_test_id("rate-submit").click()
        expect(owner.get_by_test_id("error")).to_have_text("「悪い」の評価には理由の入力が必要です。")
        owner.get_by_test_id("rate-good").check()
        owner.get_by_test_id("rate-submit").click()
        expect(owner.get_by_test_id("notice")).to_have_text("評価をありがとうございました。")
        expect(owner.get_by_test_id("rated")).to_have_attribute("data-rating", "good")
        site.shot(owner, "operator-ticket")

        # staff cannot view the console until the operator allows it; then they can, and it is logged
        staff.get_by_test_id("nav-view-as").click()
        staff.locator(f"[data-testid=view-as-row][data-bot-id='{BOT}']").get_by_test_id("view-as-start").click()
        expect(staff.get_by_test_id("notice")).to_contain_text("許可していません")
        owner.get_by_test_id("nav-support").click()
        owner.locator(f"[data-testid=consent-row][data-bot-id='{BOT}']").get_by_test_id("grant").click()
        expect(owner.get_by_test_id("consent-state")).to_have_attribute("data-state", "granted")
        staff.locator(f"[data-testid=view-as-row][data-bot-id='{BOT}']").get_by_test_id("view-as-start").click()
        expect(staff.get_by_test_id("view-as-banner")).to_be_visible()
        expect(staff.get_by_test_id("oa-name")).to_have_text("カフェさくら")
        site.shot(staff, "view-as")
        staff.goto(f"{site.base}/provider/support/access-log")
        expect(staff.locator("[data-testid=access-row][data-action=view_as_page]")).to_have_count(1)
        expect(staff.locator("[data-testid=access-row][data-action=view_as_refused]")).to_have_count(1)
        site.shot(staff, "access-log")
        owner.reload()
        expect(owner.get_by_test_id("access-log")).to_contain_text(STAFF)
        site.shot(owner, "operator-list")
    finally:
        for ctx in (owner_ctx, staff_ctx, rival_ctx):
            ctx.close()
