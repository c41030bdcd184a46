"""お問い合わせ through the pages, in Debian's Chromium and in Japanese: a customer taps お問い合わせ in the
emulator's LINE app page and asks a question; the operator finds it in the console's inbox, sees that the
answer will go as a free reply, answers, and the answer appears in the LINE app page; then closes the
inquiry and the module answers the customer again. With LINEMOD_SCREENSHOTS=1 the inbox is photographed
into docs/screenshots/inbox-*.png for the README."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.reservation.browser.conftest import SCREENSHOTS
from tests.reservation.inbox_world import image_message, png
from tests.reservation.world import World

pytestmark = pytest.mark.browser


def inbox_shot(page: Page, name: str) -> None:
    if os.environ.get("LINEMOD_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"inbox-{name}.png"), full_page=True)


async def _operator(world: World) -> dict[str, str]:
    from linemod_reservation.console import create_demo_operator

    return await create_demo_operator(world.app, world.bot_id, "inbox@cafe-sakura.example")


def test_a_customers_question_reaches_the_inbox_and_the_answer_reaches_the_line_app(
    chromium: Browser, site: World
) -> None:
    site.attach()
    person = site.control("POST", "/_emulator/users", 201, json={"display_name": "山田 花子"})

    # The customer: add the OA, tap お問い合わせ, ask.
    app = chromium.new_context(viewport={"width": 420, "height": 860}, locale="ja-JP").new_page()
    app.goto(f"{site.emulator_url}/_pages/app/{site.bot_id}/{person['user_id']}")
    app.get_by_test_id("add-friend").get_by_role("button", name="友だち追加").click()
    log = app.get_by_test_id("chat-log")
    expect(log).to_contain_text("友だち追加ありがとうございます！")
    app.get_by_test_id("richmenu").get_by_role("button", name="お問い合わせ").click()
    expect(log).to_contain_text("担当者におつなぎします。")
    app.get_by_role("textbox").fill("窓際の席は予約できますか？")
    app.get_by_role("button", name="送信").click()
    expect(log).to_contain_text("窓際の席は予約できますか？")
    site.control(
        "POST", f"/_emulator/accounts/{site.bot_id}/chats/{person['user_id']}/messages", 202, json=image_message(png())
    )

    # The operator: sign in, open the inbox, read the question and how the answer will go.
    account = site.in_server(_operator, site)
    console = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP").new_page()
    console.goto(f"{site.base}/console/signin")
    console.locator("input[name='email']").fill(account["email"])
    console.locator("input[name='password']").fill(account["password"])
    console.get_by_test_id("signin-form").get_by_role("button").click()
    console.goto(f"{site.base}/console/oas/{site.bot_id}")
    console.get_by_role("link", name="お問い合わせ", exact=True).click()
    row = console.get_by_test_id("inquiry").first
    expect(row).to_contain_text("山田 花子")
    expect(row.get_by_test_id("awaiting")).to_have_text("未返信")
    inbox_shot(console, "list")
    row.get_by_test_id("inquiry-link").click()
    thread = console.get_by_test_id("thread")
    expect(thread).to_contain_text("窓際の席は予約できますか？")
    console.reload()  # the picture is copied by a job a moment after the message
    expect(thread.get_by_test_id("media")).to_be_visible()
    route = console.get_by_test_id("route")
    expect(route).to_have_attribute("data-via", "reply")
    expect(route).to_contain_text("応答メッセージで送信：無料")
    console.get_by_test_id("reply-text").fill("はい、窓際のお席をご用意できます。")
    inbox_shot(console, "thread")
    console.get_by_test_id("send").click()
    expect(console.get_by_test_id("notice")).to_contain_text("応答メッセージ（無料）で送信しました。")
    expect(thread.locator("[data-direction=out]")).to_have_attribute("data-via", "reply")

    # The customer sees the answer in the LINE app page.
    expect(log).to_contain_text("はい、窓際のお席をご用意できます。")
    inbox_shot(app, "app")

    # Done: the chat goes back to the module.
    console.get_by_test_id("close").click()
    expect(console.get_by_test_id("notice")).to_contain_text("対応済みにしました。")
    app.get_by_test_id("richmenu").get_by_role("button", name="予約する").click()
    expect(log).to_contain_text("ご希望の日付を選んでください。")

    # The OA's business hours and automatic answer, in the inbox's own settings page.
    console.get_by_role("link", name="営業時間").click()
    form = console.get_by_test_id("hours-form")
    expect(form).to_contain_text("月曜日")
    form.locator("input[name='auto_answer']").check()
    form.get_by_role("button", name="保存").click()
    expect(console.get_by_test_id("notice")).to_contain_text("営業時間を保存しました。")
    inbox_shot(console, "settings")
