"""The pages over plain HTTP: routes, CSRF, language, chat polling, taps, OA Manager, inspector."""

from __future__ import annotations

from typing import Any

from tests.pages.conftest import PageClient
from tests.pages.standin import menu_image
from tests.support.flows import Attached, attach
from tests.support.servers import Emulator, WebhookReceiver

PICKER = {"type": "datetimepicker", "label": "日付", "data": "pick", "mode": "date",
          "initial": "2025-06-14", "min": "2025-06-01", "max": "2025-07-31"}


def push(emulator: Emulator, att: Attached, *messages: dict[str, Any]) -> list[dict[str, Any]]:
    emulator.call("POST", "/v2/bot/message/push", expect=200, headers=att.headers,
                  json={"to": att.user_id, "messages": list(messages)})
    chat = emulator.call("GET", f"/_emulator/accounts/{att.bot_id}/chats/{att.person['user_id']}/messages")
    return list(chat["messages"])


def chat_path(att: Attached) -> str:
    return f"/_pages/app/{att.bot_id}/{att.person['user_id']}"


def test_root_leads_to_the_pages(pages: PageClient) -> None:
    answer = pages.get("/")
    assert answer.status_code == 307 and answer.headers["location"] == "/_pages/"
    assert pages.get("/_pages/").status_code == 200


def test_pages_are_japanese_unless_english_is_asked_for_and_remembered(pages: PageClient) -> None:
    assert '<html lang="ja">' in pages.get("/_pages/").text
    english = pages.get("/_pages/?lang=en")
    assert '<html lang="en">' in english.text
    assert "linemod_lang=en" in english.headers["set-cookie"]
    assert '<html lang="en">' in pages.get("/_pages/inspector").text
    assert '<html lang="ja">' in pages.get("/_pages/inspector?lang=ja").text


def test_every_post_needs_the_csrf_token_of_its_cookie(pages: PageClient, emulator: Emulator) -> None:
    pages.get("/_pages/setup")
    refused = pages.http.post("/_pages/setup/people", data={"display_name": "Mallory"})
    assert refused.status_code == 403
    forged = pages.http.post("/_pages/setup/people", data={"display_name": "Mallory", "csrf_token": "x" * 43})
    assert forged.status_code == 403
    assert emulator.call("GET", "/_emulator/users")["users"] == []
    accepted = pages.post("/_pages/setup/people", {"display_name": "Hanako"})
    assert accepted.status_code == 303
    assert [u["display_name"] for u in emulator.call("GET", "/_emulator/users")["users"]] == ["Hanako"]
    htmx = pages.http.post("/_pages/setup/people", data={"display_name": "Eve"}, headers={"HX-Request": "true"})
    assert htmx.status_code == 403 and htmx.headers["content-type"].startswith("text/plain")


def test_setup_forms_create_what_the_control_api_would(pages: PageClient, emulator: Emulator) -> None:
    pages.post("/_pages/setup/accounts", {"display_name": "Cafe", "brand_type": "premium", "region": "TW",
                                          "primary": "on"})
    pages.post("/_pages/setup/module-channels", {"name": "Booking", "webhook_url": "https://m.example/hook",
                                                 "redirect_uris": "https://m.example/a\nhttps://m.example/b",
                                                 "webhook_enabled": "on"})
    account = emulator.call("GET", "/_emulator/accounts")["accounts"][0]
    assert (account["brand_type"], account["region"]) == ("premium", "TW") and account["primary_channel"]
    channel = emulator.call("GET", "/_emulator/module-channels")["module_channels"][0]
    assert channel["redirect_uris"] == ["https://m.example/a", "https://m.example/b"]
    assert channel["default_active"] is False and channel["webhook_enabled"] is True
    refused = pages.post("/_pages/setup/module-channels", {"name": "Bad", "redirect_uris": "http://evil.example/"})
    assert refused.status_code == 400 and "redirect URI must be https" in refused.text


def test_start_attach_builds_the_authorize_url(pages: PageClient, emulator: Emulator) -> None:
    channel = emulator.module_channel(None)
    answer = pages.get(f"/_pages/setup/attach/{channel['channel_id']}?scope=message:send&scope=profile:read"
                       "&region=JP")
    location = answer.headers["location"]
    assert answer.status_code == 303 and location.startswith("/module/auth/v1/authorize?")
    assert "scope=message%3Asend+profile%3Aread" in location and "region=JP" in location
    consent = pages.get(location)
    assert consent.status_code == 200 and "profile:read" in consent.text


def test_chat_updates_answer_204_until_something_changes(pages: PageClient, emulator: Emulator,
                                                         receiver: WebhookReceiver) -> None:
    att = attach(emulator, receiver.url)
    page = pages.get(chat_path(att)).text
    poll = page.split('hx-get="', 2)[-1].split('"')[0].replace("&amp;", "&")
    assert "/updates?n=0" in poll
    assert pages.get(poll).status_code == 204
    push(emulator, att, {"type": "text", "text": "hello from the module"})
    changed = pages.get(poll)
    assert changed.status_code == 200 and "hello from the module" in changed.text
    assert 'id="poller" hidden hx-swap-oob="true"' in changed.text and "updates?n=1" in changed.text
    stale = pages.get(poll.replace("n=0", "n=5"))  # more than the chat holds: the emulator was reset
    assert stale.headers.get("hx-refresh") == "true"


def test_a_tap_performs_the_action_the_message_carries(pages: PageClient, emulator: Emulator,
                                                       receiver: WebhookReceiver) -> None:
    att = attach(emulator, receiver.url)
    chat = push(emulator, att, {"type": "template", "altText": "alt", "template": {
        "type": "buttons", "text": "Pick", "actions": [
            {"type": "postback", "label": "Later", "data": "later", "displayText": "あとで"}, PICKER]}})
    message_id = chat[-1]["id"]
    html = pages.get(chat_path(att)).text
    assert f'"ref": "{message_id}:0"' in html and 'type="date"' in html and 'min="2025-06-01"' in html
    emulator.flush()
    receiver.clear()
    assert pages.post(f"{chat_path(att)}/act", {"ref": f"{message_id}:0"}, htmx=True).status_code == 204
    assert pages.post(f"{chat_path(att)}/act", {"ref": f"{message_id}:1", "picked": "2025-06-20"},
                      htmx=True).status_code == 204
    emulator.flush()  # every delivery done: what did not arrive never will
    assert [e["postback"] for e in receiver.events()] == [
        {"data": "later"}, {"data": "pick", "params": {"date": "2025-06-20"}}]
    shown = emulator.call("GET", f"/_emulator/accounts/{att.bot_id}/chats/{att.person['user_id']}/messages")
    assert shown["messages"][-1]["message"] == {"type": "text", "text": "あとで"}
    missing = pages.post(f"{chat_path(att)}/act", {"ref": f"{message_id}:9"}, htmx=True)
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/plain")


def test_quick_replies_of_the_newest_message_only(pages: PageClient, emulator: Emulator,
                                                  receiver: WebhookReceiver) -> None:
    att = attach(emulator, receiver.url)
    chip = {"items": [{"type": "action", "action": {"type": "message", "label": "Yes!", "text": "yes"}}]}
    push(emulator, att, {"type": "text", "text": "Shall we?", "quickReply": chip})
    assert 'class="chip tap"' in pages.get(chat_path(att)).text
    pages.post(f"{chat_path(att)}/send", {"text": "no"}, htmx=True)
    assert 'class="chip tap"' not in pages.get(chat_path(att)).text


def test_rich_menu_image_and_area_taps(pages: PageClient, emulator: Emulator, receiver: WebhookReceiver) -> None:
    att = attach(emulator, receiver.url, scopes="message:send message:receive account:manage")
    menu = {"size": {"width": 2500, "height": 843}, "selected": False, "name": "m", "chatBarText": "Tap",
            "areas": [{"bounds": {"x": 1250, "y": 0, "width": 1250, "height": 843},
                       "action": {"type": "message", "text": "right half"}}]}
    menu_id = emulator.call("POST", "/v2/bot/richmenu", json=menu, headers=att.headers, expect=200)["richMenuId"]
    image = menu_image()
    emulator.call("POST", f"/v2/bot/richmenu/{menu_id}/content", content=image, expect=200,
                  headers={**att.headers, "Content-Type": "image/png"})
    emulator.call("POST", f"/v2/bot/user/all/richmenu/{menu_id}", headers=att.headers, expect=200)
    html = pages.get(chat_path(att)).text
    assert f"/_pages/richmenu/{menu_id}/image" in html
    assert "left: 50.0000%; top: 0.0000%; width: 50.0000%; height: 100.0000%" in html
    assert pages.get(f"/_pages/richmenu/{menu_id}/image").content == image
    assert pages.get("/_pages/richmenu/richmenu-nothing/image").status_code == 404
    emulator.flush()
    receiver.clear()
    pages.post(f"{chat_path(att)}/act", {"ref": "rm:0"}, htmx=True)
    emulator.flush()
    assert [e["message"]["text"] for e in receiver.events()] == ["right half"]


def test_operator_chat_settings_and_lifecycle(pages: PageClient, emulator: Emulator,
                                              receiver: WebhookReceiver) -> None:
    att = attach(emulator, receiver.url)
    base = f"/_pages/manager/{att.bot_id}"
    user = att.person["user_id"]
    assert pages.post(f"{base}/chats/{user}/send", {"text": "いらっしゃいませ"}, htmx=True).status_code == 204
    html = pages.get(f"{base}/chats/{user}").text
    assert "いらっしゃいませ" in html and "オペレーター" in html and "Reservation" in html
    pages.post(f"{base}/settings", {"display_name": "Cafe Two", "chat_mode": "bot"})
    account = emulator.call("GET", f"/_emulator/accounts/{att.bot_id}")
    assert (account["display_name"], account["chat_mode"], account["webhook_enabled"]) == ("Cafe Two", "bot", False)
    assert pages.post(f"{base}/chats/{user}/send", {"text": "hi"}, htmx=True).status_code == 409
    emulator.flush()
    receiver.clear()
    assert pages.post(f"{base}/suspend").status_code == 303
    assert pages.post(f"{base}/resume").status_code == 303
    emulator.flush()
    assert [e["type"] for e in receiver.events()] == ["botSuspended", "botResumed"]
    assert pages.post(f"{base}/delete", {"purge_after_seconds": "60"}).status_code == 400  # not confirmed
    assert pages.post(f"{base}/delete", {"purge_after_seconds": "60", "confirm": "on"}).status_code == 303
    assert emulator.call("GET", f"/_emulator/accounts/{att.bot_id}")["status"] == "deleted"


def test_operator_takes_a_chat_over_and_hands_it_back(pages: PageClient, emulator: Emulator,
                                                      receiver: WebhookReceiver) -> None:
    att = attach(emulator, receiver.url)
    base = f"/_pages/manager/{att.bot_id}/chats/{att.person['user_id']}"
    assert 'data-testid="take-over"' in pages.get(base).text
    emulator.flush()
    receiver.clear()
    assert pages.post(f"{base}/takeover", htmx=True).status_code == 204
    emulator.flush()
    assert [e["type"] for e in receiver.events()] == ["deactivated"]
    control = f"/_emulator/accounts/{att.bot_id}/chats/{att.person['user_id']}/control"
    assert emulator.call("GET", control)["active_channel_id"] is None
    assert pages.post(f"{base}/handback", htmx=True).status_code == 204
    assert emulator.call("GET", control)["active_channel_id"] == att.channel["channel_id"]


def test_inspector_filters_and_the_clock(pages: PageClient, emulator: Emulator, receiver: WebhookReceiver) -> None:
    att = attach(emulator, receiver.url)
    push(emulator, att, {"type": "text", "text": "x"})
    emulator.flush()
    deliveries = pages.get("/_pages/inspector?event=follow").text
    assert deliveries.count('data-testid="delivery"') == 1 and "x-line-signature" in deliveries
    assert pages.get("/_pages/inspector?state=failed").text.count('data-testid="delivery"') == 0
    calls = pages.get("/_pages/inspector/requests?path=/v2/bot/message/push&status=2xx").text
    assert calls.count('data-testid="request-row"') == 1 and att.channel["channel_id"] in calls
    before = emulator.call("GET", "/_emulator/clock")["now_ms"]
    answer = pages.post("/_pages/inspector/clock/advance", {"seconds": "3600", "next": "https://evil.example/"})
    assert answer.headers["location"] == "/_pages/inspector"
    assert emulator.call("GET", "/_emulator/clock")["now_ms"] - before >= 3_600_000
    assert pages.post("/_pages/inspector/clock/advance", {"seconds": "-1"}).status_code == 400


def test_unknown_things_get_a_page_not_json(pages: PageClient) -> None:
    answer = pages.get("/_pages/app/U0/U1")
    assert answer.status_code == 404 and answer.headers["content-type"].startswith("text/html")
    assert 'data-testid="error"' in answer.text


def test_a_richmenuswitch_area_shows_the_other_menu_at_the_next_poll(pages: PageClient, emulator: Emulator,
                                                                      receiver: WebhookReceiver) -> None:
    att = attach(emulator, receiver.url, scopes="message:send message:receive account:manage")
    ids = []
    for alias in ("menu-a", "menu-b"):
        other = "menu-b" if alias == "menu-a" else "menu-a"
        menu = {"size": {"width": 2500, "height": 843}, "selected": True, "name": alias, "chatBarText": alias,
                "areas": [{"bounds": {"x": 0, "y": 0, "width": 2500, "height": 843},
                           "action": {"type": "richmenuswitch", "richMenuAliasId": other, "data": "to=" + other}}]}
        menu_id = emulator.call("POST", "/v2/bot/richmenu", json=menu, headers=att.headers, expect=200)["richMenuId"]
        emulator.call("POST", f"/v2/bot/richmenu/{menu_id}/content", content=menu_image(), expect=200,
                      headers={**att.headers, "Content-Type": "image/png"})
        emulator.call("POST", "/v2/bot/richmenu/alias", json={"richMenuAliasId": alias, "richMenuId": menu_id},
                      headers=att.headers, expect=200)
        ids.append(menu_id)
    emulator.call("POST", f"/v2/bot/user/all/richmenu/{ids[0]}", headers=att.headers, expect=200)
    page = pages.get(chat_path(att)).text
    assert f'data-menu="{ids[0]}"' in page
    poll = page.split('id="poller"', 1)[1].split('hx-get="', 1)[1].split('"')[0].replace("&amp;", "&")
    emulator.flush()
    receiver.clear()
    pages.post(f"{chat_path(att)}/act", {"ref": "rm:0"}, htmx=True)
    update = pages.get(poll).text
    assert f'data-menu="{ids[1]}"' in update and 'id="richmenu" class="richmenu-wrap" hx-swap-oob="true"' in update
    emulator.flush()
    assert [e["postback"] for e in receiver.events()] == [
        {"data": "to=menu-b", "params": {"newRichMenuAliasId": "menu-b", "status": "SUCCESS"}}]


def test_block_and_unblock_from_the_chat(pages: PageClient, emulator: Emulator, receiver: WebhookReceiver) -> None:
    att = attach(emulator, receiver.url)
    user = att.person["user_id"]
    assert pages.post(f"{chat_path(att)}/block").status_code == 303
    blocked = pages.get(chat_path(att)).text
    assert 'data-testid="banner-blocked"' in blocked and "disabled" in blocked.split('id="composer"')[1][:600]
    assert pages.post(f"{chat_path(att)}/send", {"text": "hi"}, htmx=True).status_code == 409
    pages.post(f"{chat_path(att)}/follow")
    assert emulator.call("GET", f"/_emulator/accounts/{att.bot_id}/users/{user}")["friend"] is True
    emulator.flush()
    follows = [e for e in receiver.events() if e["type"] == "follow"]
    assert follows[-1]["follow"] == {"isUnblocked": True}
