"""The LINE app page's group chats in Debian's Chromium: a member finds the group in their chat list, sees its
members, writes and sends a file there, sees another member's message under that member's name, and leaves;
each step reaches the module as the webhook the control API would cause."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.emulator.chats import MODULE, of_type
from tests.pages.conftest import PageClient
from tests.support.flows import attach
from tests.support.servers import Emulator, WebhookReceiver

pytestmark = pytest.mark.browser


def test_a_member_talks_in_a_group_from_the_line_app_page(page: Page, emulator: Emulator,
                                                          receiver: WebhookReceiver) -> None:
    setup = attach(emulator, receiver.url + MODULE)
    me = setup.person["user_id"]
    other = emulator.person("佐藤 太郎")["user_id"]
    base = f"/_emulator/accounts/{setup.bot_id}/groups"
    group = emulator.call("POST", base, json={"name": "読書会", "members": [me, other]}, expect=201)["group_id"]

    page.goto(f"{emulator.url}/_pages/app?user={me}")
    page.get_by_test_id("group-row").filter(has_text="読書会").click()
    expect(page.get_by_test_id("members")).to_contain_text("佐藤 太郎")
    expect(page.get_by_test_id("members")).to_contain_text("Hanako")

    page.locator("#composer input[name='text']").fill("こんにちは")
    page.locator("#composer button.send").click()
    expect(page.get_by_test_id("chat-log")).to_contain_text("こんにちは")
    page.get_by_test_id("attach-file").set_input_files(
        files=[{"name": "予定.txt", "mimeType": "text/plain", "buffer": "土曜 10時".encode()}])
    expect(page.get_by_test_id("chat-log")).to_contain_text("予定.txt")
    emulator.call("POST", f"{base}/{group}/messages", expect=202,
                  json={"user_id": other, "message": {"type": "text", "text": "了解です"}})
    latest = page.locator(".row.theirs").last
    expect(latest).to_contain_text("了解です")
    expect(page.locator(".row.theirs .who").last).to_have_text("佐藤 太郎")

    page.get_by_role("button", name="メニュー").click()
    page.get_by_role("button", name="退会").click()
    expect(page).to_have_url(f"{emulator.url}/_pages/app?user={me}")
    expect(page.get_by_test_id("group-row")).to_have_count(0)

    emulator.flush()
    messages = of_type(receiver, MODULE, "message")
    assert [m["message"]["type"] for m in messages] == ["text", "file", "text"]
    assert messages[1]["message"]["fileName"] == "予定.txt" and messages[1]["source"]["groupId"] == group
    assert messages[0]["source"]["userId"] == setup.user_id
    [left] = of_type(receiver, MODULE, "memberLeft")
    assert left["left"]["members"] == [{"type": "user", "userId": setup.user_id}]


def test_the_chat_page_sends_an_uploaded_photo_as_an_image_message(pages: PageClient, emulator: Emulator,
                                                                    receiver: WebhookReceiver) -> None:
    setup = attach(emulator, receiver.url + MODULE)
    chat = f"/_pages/app/{setup.bot_id}/{setup.person['user_id']}"
    pages.get(chat)
    png = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")
    htmx = {"X-CSRF-Token": pages.token, "HX-Request": "true"}
    answer = pages.http.post(f"{chat}/upload", files={"file": ("photo.png", png, "image/png")}, headers=htmx)
    assert answer.status_code == 204
    empty = pages.http.post(f"{chat}/upload", files={"file": ("empty.bin", b"", "application/octet-stream")},
                            headers=htmx)
    assert empty.status_code == 400
    mixed = [("file", ("a.png", png, "image/png")), ("file", ("b.txt", b"text", "text/plain"))]
    refused = pages.http.post(f"{chat}/upload", files=mixed, headers=htmx)
    assert refused.status_code == 400
    together = [("file", (f"{n}.png", png, "image/png")) for n in ("a", "b", "c")]
    sent = pages.http.post(f"{chat}/upload", files=together, headers=htmx)
    assert sent.status_code == 204
    emulator.flush()
    event, *photos = of_type(receiver, MODULE, "message")
    assert event["message"]["type"] == "image" and event["message"]["contentProvider"] == {"type": "line"}
    assert "imageSet" not in event["message"]
    assert [(p["message"]["imageSet"]["index"], p["message"]["imageSet"]["total"]) for p in photos] == [
        (1, 3), (2, 3), (3, 3)]
    assert len({p["message"]["imageSet"]["id"] for p in photos}) == 1
    shown = pages.get(chat).text
    assert f"/_pages/content/{event['message']['id']}/preview" in shown


def test_a_member_taps_the_oas_quick_reply_in_a_group(pages: PageClient, emulator: Emulator,
                                                      receiver: WebhookReceiver) -> None:
    setup = attach(emulator, receiver.url + MODULE)
    me = setup.person["user_id"]
    base = f"/_emulator/accounts/{setup.bot_id}/groups"
    group = emulator.call("POST", base, json={"name": "幹事会", "members": [me]}, expect=201)["group_id"]
    quick = {"items": [{"type": "action", "action": {"type": "postback", "label": "出席", "data": "rsvp=yes"}},
                       {"type": "action", "action": {"type": "message", "label": "欠席", "text": "欠席します"}}]}
    emulator.call("POST", "/v2/bot/message/push", headers=setup.headers, expect=200,
                  json={"to": group, "messages": [{"type": "text", "text": "出欠は？", "quickReply": quick}]})
    page = f"/_pages/app/{setup.bot_id}/{me}/chats/{group}"
    shown = pages.get(page).text
    assert "出席" in shown and "欠席" in shown
    message_id = emulator.call("GET", f"{base}/{group}/messages")["messages"][0]["id"]
    for index in (0, 1):
        assert pages.post(f"{page}/act", {"ref": f"{message_id}:{index}"}, htmx=True).status_code == 204
    assert pages.post(f"{page}/act", {"ref": f"{message_id}:9"}, htmx=True).status_code == 404
    emulator.flush()
    [postback] = of_type(receiver, MODULE, "postback")
    assert postback["postback"] == {"data": "rsvp=yes"} and postback["source"]["groupId"] == group
    [said] = of_type(receiver, MODULE, "message")
    assert said["message"]["text"] == "欠席します" and said["source"]["userId"] == setup.user_id
