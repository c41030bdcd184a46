"""Rules 60–69 of docs/emulator-behaviour.md: reply tokens, sending messages and retry keys (platform/messaging.py),
one test per rule.

Everything goes over HTTP to a real emulator server (`emulator`), and webhooks land on a real
receiver on loopback (`receiver`); see `chats.py` for its paths.
"""

from __future__ import annotations

import asyncio

import httpx

from tests.emulator.chats import (
    INVALID_REPLY_TOKEN,
    KEY,
    KEY2,
    KEY3,
    KEY4,
    LOCATION,
    MODULE,
    RETRY_ACCEPTED,
    TEXT,
    block,
    chat_log,
    delivery_of,
    message_event,
    refreshed,
    reply,
    result,
    say,
    send,
    token_of,
    wait_until,
)
from tests.support.flows import attach
from tests.support.servers import Emulator, WebhookReceiver

# ---- Reply tokens and messages (rules 60–65) ----------------------------------------------------

def test_rule_60_reply_token_works_once(emulator: Emulator, receiver: WebhookReceiver) -> None:
    setup = attach(emulator, receiver.url + MODULE)
    message_id = say(emulator, setup)
    emulator.flush()
    token = message_event(receiver, MODULE, message_id)["replyToken"]
    first = reply(emulator, setup, token)
    assert first.status_code == 200, first.text
    assert result(reply(emulator, setup, token)) == (400, INVALID_REPLY_TOKEN)
    assert [m["id"] for m in chat_log(emulator, setup)] == [first.json()["sentMessages"][0]["id"]]


def test_rule_61_reply_token_lapses_after_60_s_and_20_min_after_redelivery(emulator: Emulator,
                                                                           receiver: WebhookReceiver) -> None:
    setup = attach(emulator, receiver.url + MODULE)
    channel_id = setup.channel["channel_id"]

    # Plain delivery: 60 seconds.
    early, late = say(emulator, setup, "one"), say(emulator, setup, "two")
    emulator.flush()
    emulator.advance(55)
    assert reply(emulator, setup, message_event(receiver, MODULE, early)["replyToken"]).status_code == 200
    emulator.advance(6)
    assert result(reply(emulator, setup, message_event(receiver, MODULE, late)["replyToken"])) == (
        400, INVALID_REPLY_TOKEN)

    # A redelivered webhook: the minute runs from the redelivery.
    emulator.call("PATCH", f"/_emulator/module-channels/{channel_id}", json={"redelivery": True}, expect=200)
    setup = refreshed(emulator, setup)
    control = say(emulator, setup, "delivered at once")
    emulator.flush()
    receiver.status = 500  # from here on every attempt fails, so retries stay scheduled
    redelivered = say(emulator, setup, "redelivered")
    wait_until(lambda: bool(delivery_of(emulator, channel_id, redelivered)["attempts"]))
    start = emulator.advance(50)
    wait_until(lambda: any(a["redelivery"] and a["at"] >= start
                           for a in delivery_of(emulator, channel_id, redelivered)["attempts"]))
    emulator.advance(30)  # 80 s after the event, 30 s after its redelivery
    assert result(reply(emulator, setup, token_of(delivery_of(emulator, channel_id, control), control))) == (
        400, INVALID_REPLY_TOKEN)
    assert reply(emulator, setup, token_of(delivery_of(emulator, channel_id, redelivered), redelivered)
                 ).status_code == 200

    # ...unless the token was already used before the redelivery...
    used = say(emulator, setup, "used")
    wait_until(lambda: bool(delivery_of(emulator, channel_id, used)["attempts"]))
    used_token = token_of(delivery_of(emulator, channel_id, used), used)
    assert reply(emulator, setup, used_token).status_code == 200
    start = emulator.advance(5)
    wait_until(lambda: any(a["redelivery"] and a["at"] >= start
                           for a in delivery_of(emulator, channel_id, used)["attempts"]))
    assert result(reply(emulator, setup, used_token)) == (400, INVALID_REPLY_TOKEN)

    # ...or 20 minutes have passed since the event occurred.
    within, beyond = say(emulator, setup, "within"), say(emulator, setup, "beyond")
    wait_until(lambda: all(delivery_of(emulator, channel_id, m)["attempts"] for m in (within, beyond)))
    start = emulator.advance(1190)
    wait_until(lambda: all(any(a["redelivery"] and a["at"] >= start
                               for a in delivery_of(emulator, channel_id, m)["attempts"]) for m in (within, beyond)))
    setup = refreshed(emulator, setup)
    assert reply(emulator, setup, token_of(delivery_of(emulator, channel_id, within), within)).status_code == 200
    emulator.advance(11)  # 11 s after the redelivery, but over 20 min after the event
    assert result(reply(emulator, setup, token_of(delivery_of(emulator, channel_id, beyond), beyond))) == (
        400, INVALID_REPLY_TOKEN)


def test_rule_62_one_to_five_messages_per_send(emulator: Emulator, receiver: WebhookReceiver) -> None:
    setup = attach(emulator, receiver.url + MODULE)
    message_id = say(emulator, setup)
    emulator.flush()
    token = message_event(receiver, MODULE, message_id)["replyToken"]
    too_many = {"message": "The request body has 1 error(s)",
                "details": [{"message": "Size must be between 1 and 5", "property": "messages"}]}
    for messages in ([TEXT] * 6, []):
        assert result(reply(emulator, setup, token, messages)) == (400, too_many)
        for kind in ("push", "multicast", "broadcast"):
            assert result(send(emulator, setup, kind, messages)) == (400, too_many), kind
    assert chat_log(emulator, setup) == []  # nothing sent on an error

    replied = reply(emulator, setup, token, [TEXT] * 5)  # the refused calls did not use the token up
    assert replied.status_code == 200 and len(replied.json()["sentMessages"]) == 5
    assert len(send(emulator, setup, "push", [TEXT] * 5).json()["sentMessages"]) == 5
    assert result(send(emulator, setup, "multicast", [TEXT] * 5)) == (200, {})
    assert result(send(emulator, setup, "broadcast", [TEXT])) == (200, {})
    assert len(chat_log(emulator, setup)) == 16


def test_rule_63_send_responses(emulator: Emulator, receiver: WebhookReceiver) -> None:
    setup = attach(emulator, receiver.url + MODULE)
    message_id = say(emulator, setup)
    emulator.flush()
    token = message_event(receiver, MODULE, message_id)["replyToken"]

    replied = reply(emulator, setup, token, [TEXT, LOCATION])
    assert replied.status_code == 200
    sticker = {"type": "sticker", "packageId": "446", "stickerId": "1988"}
    pushed = send(emulator, setup, "push", [sticker, LOCATION])
    assert pushed.status_code == 200
    sent = replied.json()["sentMessages"] + pushed.json()["sentMessages"]
    assert list(replied.json()) == list(pushed.json()) == ["sentMessages"]
    assert [sorted(item) for item in sent] == [["id", "quoteToken"], ["id"], ["id", "quoteToken"], ["id"]]
    assert all(isinstance(item["id"], str) and item["id"] for item in sent)
    assert [m["id"] for m in chat_log(emulator, setup)] == [item["id"] for item in sent]

    assert result(send(emulator, setup, "multicast")) == (200, {})
    assert result(send(emulator, setup, "broadcast")) == (200, {})
    loading = emulator.http.post("/v2/bot/chat/loading/start", headers=setup.headers,
                                 json={"chatId": setup.user_id, "loadingSeconds": 10})
    assert result(loading) == (202, {})


def test_rule_64_push_to_a_blocking_user_is_200_but_undelivered(emulator: Emulator,
                                                                receiver: WebhookReceiver) -> None:
    setup = attach(emulator, receiver.url + MODULE)
    assert send(emulator, setup, "push").status_code == 200
    block(emulator, setup)
    pushed = send(emulator, setup, "push")
    assert pushed.status_code == 200
    [item] = pushed.json()["sentMessages"]
    assert sorted(item) == ["id", "quoteToken"]
    assert [(m["id"] == item["id"], m["delivered"]) for m in chat_log(emulator, setup)] == [
        (False, True), (True, False)]


def test_rule_65_multicast_limits_and_no_groups(emulator: Emulator, receiver: WebhookReceiver) -> None:
    setup = attach(emulator, receiver.url + MODULE)
    assert result(send(emulator, setup, "multicast", to=[setup.user_id] * 501)) == (400, {
        "message": "The request body has 1 error(s)",
        "details": [{"message": "Size must be between 1 and 500", "property": "to"}]})
    for chat in ("C" + "1" * 32, "R" + "2" * 32):
        assert result(send(emulator, setup, "multicast", to=[setup.user_id, chat])) == (400, {
            "message": "The property, to[1], in the request body is invalid (line: -, column: -)"})
    assert chat_log(emulator, setup) == []  # one bad recipient: nothing sent to anyone
    assert result(send(emulator, setup, "multicast", to=[setup.user_id])) == (200, {})
    assert len(chat_log(emulator, setup)) == 1


# ---- Retry key (rules 66–69) --------------------------------------------------------------------

def test_rule_66_retry_key_elsewhere_is_400(emulator: Emulator, receiver: WebhookReceiver) -> None:
    setup = attach(emulator, receiver.url + MODULE)
    message_id = say(emulator, setup)
    emulator.flush()
    token = message_event(receiver, MODULE, message_id)["replyToken"]
    keyed = {**setup.headers, "X-Line-Retry-Key": KEY}
    calls = [
        ("POST", "/v2/bot/message/reply", {"replyToken": token, "messages": [TEXT]}),
        ("POST", "/v2/bot/chat/loading/start", {"chatId": setup.user_id}),
        ("POST", f"/v2/bot/chat/{setup.user_id}/control/acquire", {}),
        ("POST", f"/v2/bot/chat/{setup.user_id}/control/release", None),
        ("POST", "/v2/bot/channel/detach", {"botId": setup.bot_id}),
        ("POST", f"/v2/bot/user/{setup.user_id}/linkToken", None),
        ("POST", "/v2/bot/message/validate/push", {"messages": [TEXT]}),
        ("GET", "/v2/bot/list", None),
        ("GET", "/v2/bot/info", None),
        ("GET", "/v2/bot/message/quota", None),
    ]
    for method, path, body in calls:
        answer = emulator.http.request(method, path, headers=keyed, json=body)
        assert answer.status_code == 400, (path, answer.text)
        assert isinstance(answer.json()["message"], str)
    # Refused calls did nothing: the token still works, the module is still attached.
    assert reply(emulator, setup, token).status_code == 200
    assert send(emulator, setup, "push", key=KEY).status_code == 200


def test_rule_67_repeated_retry_key_is_409_with_the_accepted_request_id(emulator: Emulator,
                                                                         receiver: WebhookReceiver) -> None:
    setup = attach(emulator, receiver.url + MODULE)
    first = send(emulator, setup, "push", key=KEY)
    assert first.status_code == 200
    again = send(emulator, setup, "push", key=KEY)
    assert result(again) == (409, {"message": RETRY_ACCEPTED, "sentMessages": first.json()["sentMessages"]})
    assert again.headers["x-line-accepted-request-id"] == first.headers["x-line-request-id"]
    assert again.headers["x-line-request-id"] != first.headers["x-line-request-id"]

    for kind, key in (("multicast", KEY2), ("broadcast", KEY3)):
        accepted = send(emulator, setup, kind, key=key)
        assert result(accepted) == (200, {}), kind
        repeated = send(emulator, setup, kind, key=key)
        assert result(repeated) == (409, {"message": RETRY_ACCEPTED}), kind
        assert repeated.headers["x-line-accepted-request-id"] == accepted.headers["x-line-request-id"]
    assert len(chat_log(emulator, setup)) == 3  # one each: no second delivery

    # "Executed only once, no matter how many times": retries that overlap the first are refused too.
    async def overlapping(count: int) -> list[httpx.Response]:
        headers = {**setup.headers, "X-Line-Retry-Key": KEY4}
        body = {"to": setup.user_id, "messages": [TEXT]}
        async with httpx.AsyncClient(base_url=emulator.url) as client:
            return list(await asyncio.gather(*[client.post("/v2/bot/message/push", headers=headers, json=body)
                                               for _ in range(count)]))

    assert sorted(a.status_code for a in asyncio.run(overlapping(10))) == [200] + [409] * 9
    assert len(chat_log(emulator, setup)) == 4


def test_rule_68_retry_key_after_a_5xx_is_processed(emulator: Emulator, receiver: WebhookReceiver) -> None:
    setup = attach(emulator, receiver.url + MODULE)
    emulator.call("POST", "/_emulator/faults", expect=201,
                  json={"method": "POST", "path": "/v2/bot/message/push", "status": 500, "count": 1})
    assert send(emulator, setup, "push", key=KEY).status_code == 500
    assert chat_log(emulator, setup) == []
    retried = send(emulator, setup, "push", key=KEY)
    assert retried.status_code == 200, retried.text
    again = send(emulator, setup, "push", key=KEY)
    assert again.status_code == 409
    assert again.headers["x-line-accepted-request-id"] == retried.headers["x-line-request-id"]
    assert [m["id"] for m in chat_log(emulator, setup)] == [retried.json()["sentMessages"][0]["id"]]
    # Only a 2xx locks a key [INF]: a refused request leaves it free too.
    assert send(emulator, setup, "push", messages=[], key=KEY2).status_code == 400
    assert send(emulator, setup, "push", key=KEY2).status_code == 200


def test_rule_69_retry_key_is_new_again_after_24_hours(emulator: Emulator, receiver: WebhookReceiver) -> None:
    setup = attach(emulator, receiver.url + MODULE)
    first = send(emulator, setup, "push", key=KEY)
    assert first.status_code == 200
    emulator.advance(23 * 3600)
    setup = refreshed(emulator, setup)
    assert send(emulator, setup, "push", key=KEY).status_code == 409
    emulator.advance(3600 + 1)
    setup = refreshed(emulator, setup)
    later = send(emulator, setup, "push", key=KEY)
    assert later.status_code == 200, later.text
    assert later.json()["sentMessages"][0]["id"] != first.json()["sentMessages"][0]["id"]
    assert len(chat_log(emulator, setup)) == 2
