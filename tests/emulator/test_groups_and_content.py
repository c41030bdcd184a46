"""Choices 34 and 35 of docs/emulator-behaviour.md: group chats (a join, members' messages with a group
source, reply and push to the group, one quota message per member) and how long users' content can be
downloaded."""

from __future__ import annotations

import base64

from tests.emulator.chats import MODULE, TEXT, of_type, refreshed, reply, send
from tests.support.flows import attach
from tests.support.servers import Emulator, WebhookReceiver

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def test_choice_34_a_group_chat_reaches_the_module_and_its_answers_reach_the_group(
    emulator: Emulator, receiver: WebhookReceiver
) -> None:
    setup = attach(emulator, receiver.url + MODULE)
    other = emulator.call("POST", "/_emulator/users", json={"display_name": "佐藤 太郎"}, expect=201)
    members = [setup.person["user_id"], other["user_id"]]
    created = emulator.call(
        "POST", f"/_emulator/accounts/{setup.bot_id}/groups", json={"name": "幹事", "members": members}, expect=201
    )
    group = created["group_id"]
    path = f"/_emulator/accounts/{setup.bot_id}/groups/{group}/messages"
    emulator.call(
        "POST", path, json={"user_id": other["user_id"], "message": {"type": "text", "text": "やあ"}}, expect=202
    )
    emulator.flush()
    [join] = of_type(receiver, MODULE, "join")
    assert join["source"] == {"type": "group", "groupId": group} and join["replyToken"]
    [message] = of_type(receiver, MODULE, "message")
    assert message["source"]["type"] == "group" and message["source"]["groupId"] == group
    assert message["source"]["userId"].startswith("L") and message["mode"] == "active"

    assert reply(emulator, setup, message["replyToken"]).status_code == 200
    before = emulator.call("GET", "/v2/bot/message/quota/consumption", headers=setup.headers, expect=200)
    assert send(emulator, setup, "push", to=group).status_code == 200
    after = emulator.call("GET", "/v2/bot/message/quota/consumption", headers=setup.headers, expect=200)
    assert after["totalUsage"] - before["totalUsage"] == 2  # one per member
    shown = emulator.call("GET", path, expect=200)["messages"]
    assert [m["from"] for m in shown] == [f"user:{other['user_id']}"] + [f"channel:{setup.channel['channel_id']}"] * 2
    assert shown[-1]["message"]["text"] == TEXT["text"]
    stranger = emulator.call("POST", "/_emulator/users", json={"display_name": "部外者"}, expect=201)
    outsider = {"user_id": stranger["user_id"], "message": {"type": "text", "text": "?"}}
    assert emulator.http.post(path, json=outsider).status_code == 409


def test_choice_35_users_content_can_be_downloaded_for_seven_days(
    emulator: Emulator, receiver: WebhookReceiver
) -> None:
    setup = attach(emulator, receiver.url + MODULE)
    image = {"type": "image", "content_base64": base64.b64encode(PNG).decode(), "content_type": "image/png"}
    sent = emulator.call(
        "POST", f"/_emulator/accounts/{setup.bot_id}/chats/{setup.person['user_id']}/messages", json=image, expect=202
    )
    content = f"/v2/bot/message/{sent['message_id']}/content"
    emulator.advance(7 * 24 * 3600 - 60)
    setup = refreshed(emulator, setup)  # the module token of a week ago has expired
    fetched = emulator.http.get(content, headers=setup.headers)
    assert fetched.status_code == 200 and fetched.content == PNG
    emulator.advance(120)
    assert emulator.http.get(content, headers=setup.headers).status_code == 404
