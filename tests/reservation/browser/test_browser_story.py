"""Issue 6's story through the pages only, in Debian's Chromium: the OA admin attaches the module on the
consent screen; a customer adds the OA in the LINE app view, reserves from the rich menu with the date
picker, quick replies and the Flex card; the operator signs in to the console, sees the reservation, takes a
phone booking and cancels the LINE one (the customer sees why); the emulator's clock is moved on the
inspector page and the reminder of the phone booking arrives. With LINEMOD_SCREENSHOTS=1 the pages are
photographed into docs/screenshots/reservation-*.png for the README."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from linemod_reservation.languages import day_label
from linemod_reservation.slots import ShopRules
from tests.reservation.browser.conftest import shot
from tests.reservation.world import World, open_day

pytestmark = pytest.mark.browser


def phone(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 420, "height": 860}, locale="ja-JP", device_scale_factor=2)
    return context.new_page()


def desk(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    return context.new_page()


def chip(page: Page, label: str) -> None:
    page.get_by_test_id("quick-replies").get_by_role("button", name=label).click()


def test_the_story_through_the_pages(chromium: Browser, site: World) -> None:
    emulator = site.emulator_url
    person = site.control("POST", "/_emulator/users", 201, json={"display_name": "山田 花子"})
    day, phone_day = open_day(3), open_day(4)

    # 1. The OA admin: the module's attach start → LINE's consent screen → back to the module.
    admin = desk(chromium)
    admin.goto(f"{site.base}/attach/start")
    admin.get_by_test_id("oa-choice").filter(has_text="カフェ さくら").locator("input").check()
    admin.get_by_role("button", name="連携する").click()
    expect(admin.locator("body")).to_have_attribute("data-attach-result", "complete")

    # 2. The customer: add the OA; the welcome and the rich menu appear.
    app = phone(chromium)
    app.goto(f"{emulator}/_pages/app/{site.bot_id}/{person['user_id']}")
    app.get_by_test_id("add-friend").get_by_role("button", name="友だち追加").click()
    log = app.get_by_test_id("chat-log")
    expect(log).to_contain_text("友だち追加ありがとうございます！")
    menu = app.get_by_test_id("richmenu")
    expect(menu).to_be_visible()
    shot(app, "app-welcome")

    # 3. Reserve: rich menu → date picker → time → party → name → note → Flex card → confirmed.
    menu.get_by_role("button", name="予約する").click()
    expect(log).to_contain_text("ご希望の日付を選んでください。")
    chip(app, "日付を選ぶ")
    picker = app.get_by_test_id("datetime-picker").last
    picker.locator("input[name='picked']").fill(day.isoformat())
    picker.get_by_role("button", name="決定").click()
    expect(log).to_contain_text("の空いている時間です")
    shot(app, "app-slots")
    chip(app, "18:00（残り8席）")
    chip(app, "2名")
    chip(app, "山田 花子")
    chip(app, "なし")
    card = log.locator(".fx-bubble").last
    expect(card).to_contain_text("ご予約内容の確認")
    shot(app, "app-confirm")
    card.get_by_text("この内容で予約する").click()
    expect(log).to_contain_text("ご予約を承りました。")
    number = re.search(r"予約番号: ([A-Z0-9]{6})", log.inner_text())
    assert number, log.inner_text()
    shot(app, "app-confirmed")

    # 4. The operator: sign in; the reservation is in the day view and the week view.
    account = site.in_server(_operator, site)
    console = desk(chromium)
    console.goto(f"{site.base}/console/signin")
    console.locator("input[name='email']").fill(account["email"])
    console.locator("input[name='password']").fill(account["password"])
    console.get_by_test_id("signin-form").get_by_role("button").click()
    oa = f"{site.base}/console/oas/{site.bot_id}"
    console.goto(f"{oa}/reservations?day={day.isoformat()}")
    expect(console.locator(f"[data-testid=reservation-chip][data-number='{number.group(1)}']")).to_be_visible()
    shot(console, "console-day")

    # 5. A phone booking for the same customer, from the console's form; she is told on LINE.
    console.get_by_test_id("new-reservation").click()
    console.get_by_test_id("field-user").select_option(label="山田 花子")
    console.get_by_test_id("field-day").fill(phone_day.isoformat())
    console.get_by_test_id("field-start").select_option("19:00")
    console.get_by_test_id("field-party").fill("3")
    console.get_by_test_id("field-name").fill("山田 花子")
    console.get_by_test_id("field-note").fill("誕生日のケーキ")
    console.get_by_test_id("save-reservation").click()
    expect(console.get_by_test_id("notice")).to_contain_text("予約を登録しました")
    expect(log).to_contain_text("ご予約を承りました（お電話にて）")
    console.goto(f"{oa}/reservations/week?start={day.isoformat()}")
    expect(console.get_by_test_id("week")).to_contain_text("2/8")
    shot(console, "console-week")

    # 6. The operator cancels the LINE reservation; the customer sees it.
    console.goto(f"{oa}/reservations?day={day.isoformat()}")
    asked: list[str] = []

    def answer(dialog: Any) -> None:  # the console asks first (console.js, the pages' CSP runs no inline script)
        asked.append(dialog.message)
        dialog.accept()

    console.once("dialog", answer)
    console.locator(f"[data-testid=reservation-row][data-number='{number.group(1)}']").get_by_test_id(
        "cancel-reservation"
    ).click()
    expect(console.get_by_test_id("notice")).to_contain_text("予約をキャンセルしました")
    assert asked == ["この予約をキャンセルしますか？お客様にはLINEでお知らせします。"]
    expect(log).to_contain_text(f"予約番号 {number.group(1)}（{day_label('ja', day)} 18:00）はキャンセルされました。")
    shot(app, "app-cancelled")
    console.goto(f"{oa}/shop")
    shot(console, "console-shop")
    console.goto(f"{oa}/customers")
    expect(console.get_by_test_id("customer").first).to_have_attribute("data-handler", "module")
    shot(console, "console-customers")

    # 7. Time passes on the inspector page: the phone booking's reminder arrives the day before.
    inspector = desk(chromium)
    inspector.goto(f"{emulator}/_pages/inspector")
    now = int(site.control("GET", "/_emulator/clock")["now_ms"])
    seconds = (ShopRules().reminder_ms(phone_day) - now) // 1000 + 60
    inspector.locator("#advance-seconds").fill(str(seconds))
    inspector.get_by_test_id("clock").get_by_role("button").click()
    expect(log).to_contain_text("【明日のご予約】", timeout=20_000)
    expect(log).to_contain_text("19:00 に3名様")
    shot(app, "app-reminder")


async def _operator(world: World) -> dict[str, str]:
    from linemod_reservation.console import create_demo_operator

    return await create_demo_operator(world.app, world.bot_id)
