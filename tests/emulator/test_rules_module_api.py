"""Rules 33–36 and 70–71 of docs/emulator-behaviour.md: the module APIs besides Chat Control, detach and the
bot list and info (platform/module_api.py), one test per rule, through HTTP against a real emulator server.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.emulator.calls import (
    NOT_AVAILABLE,
    attach_to,
    bot_list,
    headers,
    push,
    say,
)
from tests.emulator.chats import DAY, MODULE, SECOND, result
from tests.support.flows import (
    attach,
    exchange,
    get_code,
    stateless_token,
)
from tests.support.servers import Emulator, WebhookReceiver

# ---- detach -----------------------------------------------------------------------------------------


def test_rule_33_detach_removes_the_oa(emulator: Emulator, receiver: WebhookReceiver) -> None:
    setup = attach(emulator, receiver.url + "/module")
    kept = emulator.account(display_name="Kept")
    attach_to(emulator, setup.channel, kept["bot_id"])
    assert bot_list(emulator, setup.token) == [setup.bot_id, kept["bot_id"]]
    assert push(emulator, setup.headers, setup.user_id).status_code == 200

    answer = emulator.http.post("/v2/bot/channel/detach", headers=headers(setup.token),
                                json={"botId": setup.bot_id})
    assert answer.status_code == 200, answer.text
    assert bot_list(emulator, setup.token) == [kept["bot_id"]]
    for answer in (push(emulator, setup.headers, setup.user_id),
                   emulator.http.get("/v2/bot/info", headers=setup.headers),
                   emulator.http.post(f"/v2/bot/chat/{setup.user_id}/control/acquire", headers=setup.headers,
                                      json={})):
        assert answer.status_code == 403, answer.text
        assert answer.json() == NOT_AVAILABLE
    assert emulator.http.get("/v2/bot/info", headers=headers(setup.token, kept["bot_id"])).status_code == 200

    # The OA's users no longer reach the module.
    emulator.flush()
    receiver.clear()
    say(emulator, setup.bot_id, setup.person["user_id"], "anyone there?")
    emulator.flush()
    assert receiver.events("/module") == []


def test_rule_34_detach_with_a_malformed_bot_id(emulator: Emulator) -> None:
    setup = attach(emulator, None, befriend=False)
    expected = {"message": "user/group/room Id is not available."}
    for body in ({"botId": "x"}, {"botId": "U123"}, {"botId": setup.bot_id.upper()}, {"botId": setup.bot_id + "0"},
                 {"botId": "C" + setup.bot_id[1:]}, {"botId": 12345}, {"botId": None}, {}):
        answer = emulator.http.post("/v2/bot/channel/detach", headers=headers(setup.token), json=body)
        assert answer.status_code == 400, (body, answer.text)
        assert answer.json() == expected
    assert bot_list(emulator, setup.token) == [setup.bot_id]


def test_rule_35_detach_a_bot_not_attached_to_this_module(emulator: Emulator) -> None:
    setup = attach(emulator, None, befriend=False)
    other_module = emulator.module_channel(None, name="Other")
    elsewhere = emulator.account(display_name="Elsewhere")
    attach_to(emulator, other_module, elsewhere["bot_id"])
    unattached = emulator.account(display_name="Unattached")
    expected = {"message": "Specified channel is not detachable"}
    for bot_id in (elsewhere["bot_id"], unattached["bot_id"], "U" + "0" * 32):
        answer = emulator.http.post("/v2/bot/channel/detach", headers=headers(setup.token), json={"botId": bot_id})
        assert answer.status_code == 400, (bot_id, answer.text)
        assert answer.json() == expected
    assert bot_list(emulator, stateless_token(emulator, other_module)) == [elsewhere["bot_id"]]

    # Detaching twice: the second time it is no longer attached.
    ok = emulator.http.post("/v2/bot/channel/detach", headers=headers(setup.token), json={"botId": setup.bot_id})
    assert ok.status_code == 200, ok.text
    again = emulator.http.post("/v2/bot/channel/detach", headers=headers(setup.token), json={"botId": setup.bot_id})
    assert again.status_code == 400 and again.json() == expected


def test_rule_36_detach_with_a_non_module_token(emulator: Emulator) -> None:
    setup = attach(emulator, None, befriend=False,
                   account_extra={"primary_channel": {"webhook_url": None}})
    primary = setup.account["primary_channel"]
    primary_token = stateless_token(emulator, primary)
    for hdrs in (headers(primary_token), headers(primary_token, setup.bot_id)):
        answer = emulator.http.post("/v2/bot/channel/detach", headers=hdrs, json={"botId": setup.bot_id})
        assert answer.status_code == 400, answer.text
        assert set(answer.json()) == {"message"}
    assert bot_list(emulator, setup.token) == [setup.bot_id]
    # The Primary Channel's token is otherwise good.
    assert emulator.http.get("/v2/bot/info", headers=headers(primary_token)).status_code == 200


# ---- Bot info and list (rules 70–71) ------------------------------------------------------------

def test_rule_70_bot_list_pages_through_attached_oas(emulator: Emulator, receiver: WebhookReceiver) -> None:
    setup = attach(emulator, receiver.url + MODULE, befriend=False,
                   account_extra={"premium_id": "@cafesakura", "picture_url": "https://example.com/p.png"})
    attached = [setup.bot_id]
    for number in range(100):
        account = emulator.account(display_name=f"Shop {number}")
        code = get_code(emulator, setup.channel["channel_id"], account["bot_id"])
        assert exchange(emulator, setup.channel, code).status_code == 200
        attached.append(account["bot_id"])
    attach(emulator, receiver.url + SECOND, befriend=False)  # another module's OA: never listed
    auth = {"Authorization": f"Bearer {setup.token}"}

    def page(**params: Any) -> httpx.Response:
        return emulator.http.get("/v2/bot/list", headers=auth, params=params)

    first = page()
    assert first.status_code == 200
    assert len(first.json()["bots"]) == 100 and first.json()["next"]
    rest = page(start=first.json()["next"]).json()
    assert len(rest["bots"]) == 1 and "next" not in rest
    listed = [b["userId"] for b in first.json()["bots"] + rest["bots"]]
    assert sorted(listed) == sorted(attached)
    by_id = {b["userId"]: b for b in first.json()["bots"] + rest["bots"]}
    assert by_id[setup.bot_id] == {"userId": setup.bot_id, "basicId": setup.account["basic_id"],
                                   "displayName": "Cafe Sakura", "premiumId": "@cafesakura",
                                   "pictureUrl": "https://example.com/p.png"}
    assert all(sorted(b) == ["basicId", "displayName", "userId"] for i, b in by_id.items() if i != setup.bot_id)

    small, walked = page(limit=40).json(), []
    while True:
        walked += [b["userId"] for b in small["bots"]]
        assert len(small["bots"]) <= 40
        if "next" not in small:
            break
        small = page(limit=40, start=small["next"]).json()
    assert walked == listed
    assert page(limit=101).status_code == 400
    assert result(page(start="no-such-token")) == (400, {"message": "Invalid start param"})

    stale = page(limit=1).json()["next"]
    emulator.advance(DAY + 1)
    auth["Authorization"] = f"Bearer {stateless_token(emulator, setup.channel)}"
    assert result(page(start=stale)) == (400, {"message": "Invalid start param"})


def test_rule_71_bot_info_for_the_header_oa(emulator: Emulator, receiver: WebhookReceiver) -> None:
    plain = attach(emulator, receiver.url + MODULE, befriend=False)
    answer = emulator.http.get("/v2/bot/info", headers=plain.headers)
    assert result(answer) == (200, {"userId": plain.bot_id, "basicId": plain.account["basic_id"],
                                    "displayName": "Cafe Sakura", "chatMode": "chat", "markAsReadMode": "manual"})
    dressed = attach(emulator, receiver.url + MODULE, befriend=False, account_extra={
        "display_name": "Bot Bar", "premium_id": "@botbar", "picture_url": "https://example.com/b.png",
        "chat_mode": "bot"})
    answer = emulator.http.get("/v2/bot/info", headers=dressed.headers)
    assert result(answer) == (200, {
        "userId": dressed.bot_id, "basicId": dressed.account["basic_id"], "premiumId": "@botbar",
        "displayName": "Bot Bar", "pictureUrl": "https://example.com/b.png", "chatMode": "bot",
        "markAsReadMode": "auto"})
