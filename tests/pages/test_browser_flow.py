"""Issue 3's story, driven through the pages only in Debian's Chromium.

Set up an OA, a person and a module channel with forms; attach the module on the consent screen;
chat in the LINE app view and see the module's replies render; tap a quick reply, a rich menu
area and a datetime picker; answer as the operator in the OA Manager; suspend the OA and find the
`botSuspended` webhook in the inspector. Every request the browser makes stays on loopback.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.pages.standin import StandIn
from tests.support.servers import Emulator

pytestmark = pytest.mark.browser


def create_with_form(page: Page, base: str, form: str, fields: dict[str, str]) -> str:
    page.goto(f"{base}/_pages/setup")
    scope = page.get_by_test_id(form)
    for name, value in fields.items():
        scope.locator(f"[name='{name}']").fill(value)
    scope.get_by_role("button").click()
    expect(page.get_by_test_id("flash")).to_be_visible()
    return page.get_by_test_id("created-id").inner_text()


def chat_log(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_test_id("chat-log")


def test_the_whole_story_through_the_pages(context: BrowserContext, page: Page, emulator: Emulator,
                                           standin: StandIn) -> None:
    base = emulator.url
    requested: list[str] = []
    context.on("request", lambda r: requested.append(r.url))

    # 1. Set-up forms: an OA, a person, and the module channel pointing at the stand-in.
    bot_id = create_with_form(page, base, "form-account", {"display_name": "カフェさくら"})
    user_id = create_with_form(page, base, "form-person", {"display_name": "山田花子"})
    create_with_form(page, base, "form-module", {
        "name": "来店予約", "description": "席を予約できます", "webhook_url": standin.webhook_url,
        "redirect_uris": standin.callback_url})
    module_box = page.get_by_test_id("module-channel")
    standin.channel_id = module_box.get_by_test_id("channel-id").inner_text()
    standin.channel_secret = module_box.get_by_test_id("channel-secret").inner_text()

    # 2. The consent screen: the module's name, description and scopes; link the OA.
    module_box.get_by_test_id("start-attach").click()
    expect(page.locator("#module-name")).to_have_text("来店予約")
    expect(page.locator("#module-description")).to_have_text("席を予約できます")
    expect(page.locator("#scopes")).to_contain_text("account:manage")
    page.get_by_test_id("oa-choice").filter(has_text="カフェさくら").locator("input").check()
    page.get_by_role("button", name="連携する").click()
    expect(page.locator("#result")).to_have_text("attached")  # the stand-in exchanged the code

    # 3. The LINE app: add the OA as a friend; the module's welcome renders.
    page.goto(f"{base}/_pages/app?user={user_id}")
    page.get_by_test_id("chat-row").filter(has_text="カフェさくら").click()
    expect(page).to_have_url(re.compile(f"/_pages/app/{bot_id}/{user_id}$"))
    page.get_by_test_id("add-friend").get_by_role("button", name="友だち追加").click()
    expect(chat_log(page)).to_contain_text("友だち追加ありがとうございます！")

    # 4. Send a message: the module's reply renders (text, Flex bubble, template, quick replies).
    page.get_by_placeholder("メッセージを入力").fill("予約")
    page.get_by_placeholder("メッセージを入力").press("Enter")
    expect(chat_log(page).locator(".row.mine").last).to_contain_text("予約")
    expect(chat_log(page)).to_contain_text("受信: 予約")
    expect(chat_log(page).locator(".fx-bubble")).to_contain_text("ご予約の確認")
    expect(chat_log(page).locator(".fx-button")).to_have_text("確定する")
    expect(page.get_by_placeholder("メッセージを入力")).to_have_value("")

    # 5. A quick reply: the chip sends its text, and the module answers it.
    page.get_by_test_id("quick-replies").get_by_role("button", name="はい").click()
    expect(chat_log(page)).to_contain_text("受信: はい")

    # 6. The rich menu, drawn from the uploaded image with an area per bound: tap both areas.
    menu = page.get_by_test_id("richmenu")
    expect(menu.locator("img")).to_have_js_property("naturalWidth", 2500)
    menu.locator(".area").nth(0).click()
    expect(chat_log(page)).to_contain_text("受信: メニュー")
    menu.locator(".area").nth(1).click()
    expect(chat_log(page).locator(".row.mine").last).to_contain_text("予約する")  # displayText
    expect(chat_log(page)).to_contain_text("postback: menu=reserve")

    # 7. The datetime picker: a real date input within min/max, whose value goes in params.
    chat_log(page).get_by_role("button", name="日付を選ぶ").click()
    date = page.locator(":popover-open input[name='picked']")
    expect(date).to_have_attribute("type", "date")
    expect(date).to_have_attribute("min", "2025-06-01")
    expect(date).to_have_value("2025-06-14")
    date.fill("2025-06-20")
    page.locator(":popover-open").get_by_role("button", name="決定").click()
    expect(chat_log(page)).to_contain_text("postback: pick=date date=2025-06-20")
    expect(page.locator(":popover-open")).to_have_count(0)  # the picker closed
    assert any(e["postback"].get("params") == {"date": "2025-06-20"} for e in standin.events_of("postback"))

    # 8. The OA Manager: the operator reads the chat and answers; the person sees it.
    page.goto(f"{base}/_pages/manager")
    page.get_by_test_id("account-card").filter(has_text="カフェさくら").click()
    expect(page.get_by_test_id("attached-module")).to_contain_text("来店予約")
    expect(page.get_by_test_id("attached-module")).to_contain_text("account:manage")
    page.get_by_test_id("manager-chat-row").filter(has_text="山田花子").click()
    expect(page.get_by_test_id("manager-chat-log")).to_contain_text("受信: 予約")
    expect(page.get_by_test_id("chat-control")).to_contain_text("来店予約")
    page.get_by_placeholder("返信を入力").fill("担当の鈴木です")
    page.get_by_role("button", name="送信").click()
    expect(page.get_by_test_id("manager-chat-log")).to_contain_text("担当の鈴木です")
    page.goto(f"{base}/_pages/app/{bot_id}/{user_id}")
    expect(chat_log(page)).to_contain_text("担当の鈴木です")
    emulator.flush()  # the stand-in has had every webhook there is: none carried the operator's text
    assert not any(e.get("message", {}).get("text") == "担当の鈴木です" for e in standin.events)

    # 9. Suspend the OA, and find the botSuspended webhook in the inspector.
    page.goto(f"{base}/_pages/manager/{bot_id}")
    page.get_by_role("button", name="アカウントを停止").click()
    expect(page.get_by_test_id("account-status")).to_have_text("停止中")
    page.goto(f"{base}/_pages/inspector?bot_id={bot_id}&event=botSuspended")
    expect(page.get_by_test_id("delivery")).to_have_count(1)
    delivery = page.get_by_test_id("delivery").first
    expect(delivery).to_contain_text("botSuspended")
    delivery.locator("summary").click()
    expect(delivery.locator("pre.json")).to_contain_text('"type": "botSuspended"')
    page.goto(f"{base}/_pages/inspector/requests?path=/v2/bot/message/reply")
    expect(page.get_by_test_id("request-row").first).to_contain_text("200")

    # Nothing was fetched from outside the emulator (and the stand-in's callback).
    origins = {f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" for u in requested}
    assert origins <= {base, standin.url}, origins
    assert not standin.problems, standin.problems


def test_an_invalid_authorize_request_shows_an_error_page_and_stays(page: Page, emulator: Emulator) -> None:
    page.goto(f"{emulator.url}/module/auth/v1/authorize?response_type=code&client_id=42&state=abc"
              "&redirect_uri=https%3A%2F%2Fevil.example%2Fcb&scope=message%3Asend")
    expect(page.get_by_test_id("consent-error")).to_be_visible()
    expect(page.locator("#error-message")).to_contain_text("client_id")
    assert urlsplit(page.url).path == "/module/auth/v1/authorize"


def test_japanese_by_default_and_english_on_request(page: Page, emulator: Emulator) -> None:
    page.goto(f"{emulator.url}/")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.get_by_role("link", name="インスペクター").first).to_be_visible()
    page.get_by_role("link", name="EN").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto(f"{emulator.url}/_pages/setup")  # the choice is remembered
    expect(page.get_by_role("heading", name="New Official Account")).to_be_visible()
