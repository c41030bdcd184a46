"""Rules 49–59 of docs/emulator-behaviour.md: webhook delivery (platform/webhooks.py, delivery.py), one test per rule.

Everything goes over HTTP to a real emulator server (`emulator`), and webhooks land on a real
receiver on loopback (`receiver`); see `chats.py` for its paths.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from linemod.emulator.delivery import sign
from tests.emulator.chats import (
    BOT_ID_RE,
    MODULE,
    MODULE_ONLY,
    NO_REDELIVERY,
    PATHS,
    PRIMARY,
    REPLYABLE,
    SECOND,
    ULID_RE,
    acquire,
    attach_another,
    attempts,
    block,
    deliveries,
    delivery_of,
    follow,
    mode_of,
    now_ms,
    nulls,
    of_type,
    postback,
    primary_secret,
    release,
    reply,
    say,
    signature,
    wait_until,
    with_primary,
)
from tests.support.flows import attach, exchange, get_code
from tests.support.servers import Emulator, WebhookReceiver, free_port

# ---- Webhook delivery (rules 49–59) --------------------------------------------------------------

def test_rule_49_webhooks_are_signed_with_the_receiving_channels_secret(emulator: Emulator,
                                                                        receiver: WebhookReceiver) -> None:
    vector = b'{"destination":"U8e742f61d673b39c7fff3cecb7536ef0","events":[]}'
    assert sign("8c570fa6dd201bb328f1c1eac23a96d8", vector) == "GhRKmvmHys4Pi8DxkF4+EayaH0OqtJtaZxgTD9fMDLs="

    setup = with_primary(emulator, receiver)
    say(emulator, setup)
    assert acquire(emulator, setup).status_code == 200
    emulator.flush()
    secrets = {MODULE: setup.channel["channel_secret"], PRIMARY: primary_secret(setup)}
    assert {r.path for r in receiver.received} == {MODULE, PRIMARY}
    for received in receiver.received:
        expected = signature(secrets[received.path], received.raw)
        assert received.headers["x-line-signature"] == expected, received.path
        wrong = secrets[PRIMARY if received.path == MODULE else MODULE]
        assert signature(wrong, received.raw) != expected  # each channel has its own key
        assert received.headers["content-type"].startswith("application/json")
        assert set(received.body) == {"destination", "events"} and received.body["events"]
    logged = {d["signature"] for d in deliveries(emulator)}
    assert logged == {r.headers["x-line-signature"] for r in receiver.received}


def test_rule_50_destination_is_the_oa_bot_user_id(emulator: Emulator, receiver: WebhookReceiver) -> None:
    setup = with_primary(emulator, receiver)
    other = emulator.account(display_name="Cafe Ume", primary_channel={"webhook_url": receiver.url + PRIMARY})
    code = get_code(emulator, setup.channel["channel_id"], other["bot_id"])
    assert exchange(emulator, setup.channel, code).status_code == 200
    emulator.call("POST", f"/_emulator/accounts/{other['bot_id']}/friends",
                  json={"user_id": setup.person["user_id"]}, expect=200)
    say(emulator, setup)
    emulator.call("POST", f"/_emulator/accounts/{other['bot_id']}/chats/{setup.person['user_id']}/messages",
                  json={"type": "text", "text": "hi"}, expect=202)
    emulator.flush()

    owner = {setup.account["primary_channel"]["channel_id"]: setup.bot_id,
             other["primary_channel"]["channel_id"]: other["bot_id"]}
    module_destinations = set()
    for delivery in deliveries(emulator):
        destination = delivery["body"]["destination"]
        assert BOT_ID_RE.match(destination) and destination == delivery["bot_id"]
        if delivery["channel_id"] in owner:
            assert destination == owner[delivery["channel_id"]]
        else:
            module_destinations.add(destination)
            for event in delivery["body"]["events"]:
                if "source" in event:  # what the module sees of the user is scoped to that same OA
                    assert event["source"]["userId"].endswith("-" + destination)
                if event["type"] == "module":
                    assert event["module"]["botId"] == destination
    assert module_destinations == {setup.bot_id, other["bot_id"]}
    assert {r.body["destination"] for r in receiver.received} == {setup.bot_id, other["bot_id"]}


def test_rule_51_every_event_has_the_common_properties_and_no_nulls(emulator: Emulator,
                                                                     receiver: WebhookReceiver) -> None:
    start = now_ms(emulator)
    first = with_primary(emulator, receiver)
    second = attach_another(emulator, first, receiver.url + SECOND)
    say(emulator, first)
    postback(emulator, first, "action=reserve")
    assert acquire(emulator, second).status_code == 200
    assert release(emulator, second).status_code == 200
    block(emulator, first)
    follow(emulator, first)
    emulator.call("POST", f"/_emulator/accounts/{first.bot_id}/suspend", expect=200)
    emulator.call("POST", f"/_emulator/accounts/{first.bot_id}/resume", expect=200)
    detached = emulator.http.post("/v2/bot/channel/detach", json={"botId": first.bot_id},
                                  headers={"Authorization": f"Bearer {second.token}"})
    assert detached.status_code == 200, detached.text
    emulator.call("POST", f"/_emulator/accounts/{first.bot_id}/delete", json={"purge_after_seconds": 10}, expect=200)
    emulator.advance(11)
    emulator.flush()
    end = now_ms(emulator)

    events = [e for path in PATHS for e in receiver.events(path)]
    kinds = {e["type"] for e in events}
    assert kinds >= {"module", "follow", "message", "postback", "activated", "deactivated", "unfollow",
                     "botSuspended", "botResumed"}
    for event in events:
        assert nulls(event) == [], event
        assert isinstance(event["type"], str) and event["mode"] in ("active", "standby"), event
        assert isinstance(event["timestamp"], int) and start <= event["timestamp"] <= end, event
        assert ULID_RE.match(event["webhookEventId"]), event
        assert event["deliveryContext"] == NO_REDELIVERY, event
    assert len({e["webhookEventId"] for e in events}) == len(events)
    for received in receiver.received:
        assert nulls(received.body) == []


def test_rule_52_exactly_one_channel_gets_each_user_event_as_active(emulator: Emulator,
                                                                    receiver: WebhookReceiver) -> None:
    first = with_primary(emulator, receiver)
    second = attach_another(emulator, first, receiver.url + SECOND)
    default = say(emulator, first)
    postback(emulator, first, "default")
    assert acquire(emulator, second).status_code == 200
    acquired = say(emulator, first)
    postback(emulator, first, "acquired")
    assert release(emulator, second).status_code == 200
    released = say(emulator, first)
    postback(emulator, first, "released")
    emulator.flush()

    def modes(match: Callable[[dict[str, Any]], bool]) -> dict[str, str]:
        out = {}
        for path in (PRIMARY, MODULE, SECOND):
            [event] = [e for e in receiver.events(path) if match(e)]
            out[path] = event["mode"]
        return out

    for message_id, data, holder in ((default, "default", MODULE), (acquired, "acquired", SECOND),
                                     (released, "released", PRIMARY)):
        expected = {p: "active" if p == holder else "standby" for p in (PRIMARY, MODULE, SECOND)}
        assert modes(lambda e, m=message_id: e["type"] == "message" and e["message"]["id"] == m) == expected
        assert modes(lambda e, d=data: e["type"] == "postback" and e["postback"]["data"] == d) == expected


def test_rule_53_reply_tokens_only_on_active_replyable_events(emulator: Emulator,
                                                              receiver: WebhookReceiver) -> None:
    setup = with_primary(emulator, receiver)
    emulator.flush()
    receiver.clear()
    say(emulator, setup)
    postback(emulator, setup, "module-active")
    block(emulator, setup)
    follow(emulator, setup)
    assert release(emulator, setup).status_code == 200
    say(emulator, setup)
    postback(emulator, setup, "primary-active")
    emulator.flush()

    events = [(path, e) for path in (PRIMARY, MODULE) for e in receiver.events(path)]
    active_replyable = [(p, e) for p, e in events if e["mode"] == "active" and e["type"] in REPLYABLE]
    assert sorted((p, e["type"]) for p, e in active_replyable) == sorted([
        (MODULE, "message"), (MODULE, "postback"), (MODULE, "follow"), (PRIMARY, "message"), (PRIMARY, "postback")])
    for path, event in events:
        if event["mode"] == "active" and event["type"] in REPLYABLE:
            assert isinstance(event["replyToken"], str) and event["replyToken"], (path, event)
        else:
            assert "replyToken" not in event, (path, event)
    assert {e["mode"] for _, e in events if e["type"] == "unfollow"} == {"active", "standby"}


def test_rule_54_module_events_go_to_modules_only_always_active(emulator: Emulator,
                                                                 receiver: WebhookReceiver) -> None:
    first = with_primary(emulator, receiver)
    second = attach_another(emulator, first, receiver.url + SECOND)  # Standby in every chat
    assert acquire(emulator, second).status_code == 200
    assert release(emulator, second).status_code == 200
    emulator.call("POST", f"/_emulator/accounts/{first.bot_id}/suspend", expect=200)
    emulator.call("POST", f"/_emulator/accounts/{first.bot_id}/resume", expect=200)
    detached = emulator.http.post("/v2/bot/channel/detach", json={"botId": first.bot_id},
                                  headers={"Authorization": f"Bearer {second.token}"})
    assert detached.status_code == 200
    emulator.flush()

    assert [e["type"] for e in receiver.events(PRIMARY)] == ["follow"]
    assert [e["type"] for e in receiver.events(MODULE)] == [
        "module", "follow", "deactivated", "botSuspended", "botResumed"]
    assert [e["type"] for e in receiver.events(SECOND)] == [
        "module", "activated", "deactivated", "botSuspended", "botResumed", "module"]
    for path in (MODULE, SECOND):
        for event in receiver.events(path):
            if event["type"] in MODULE_ONLY:
                assert event["mode"] == "active" and "replyToken" not in event, (path, event)


def test_rule_55_no_webhooks_without_receive_scope_or_with_webhook_off(emulator: Emulator,
                                                                        receiver: WebhookReceiver) -> None:
    setup = with_primary(emulator, receiver, scopes="message:send")
    say(emulator, setup)
    postback(emulator, setup, "x")
    emulator.call("POST", f"/_emulator/accounts/{setup.bot_id}/suspend", expect=200)
    emulator.call("POST", f"/_emulator/accounts/{setup.bot_id}/resume", expect=200)
    emulator.flush()
    assert receiver.events(MODULE) == []
    assert deliveries(emulator, setup.channel["channel_id"]) == []
    assert [e["type"] for e in receiver.events(PRIMARY)] == ["follow", "message", "postback"]

    other = attach_another(emulator, setup, receiver.url + SECOND)
    emulator.call("PATCH", f"/_emulator/module-channels/{other.channel['channel_id']}",
                  json={"webhook_enabled": False}, expect=200)
    off = say(emulator, setup)
    emulator.flush()
    assert [e["type"] for e in receiver.events(SECOND)] == ["module"]  # the attached event, before "off"
    emulator.call("PATCH", f"/_emulator/module-channels/{other.channel['channel_id']}",
                  json={"webhook_enabled": True}, expect=200)
    on = say(emulator, setup)
    emulator.flush()
    assert [e["message"]["id"] for e in of_type(receiver, SECOND, "message")] == [on]
    assert off != on


def test_rule_56_oa_webhook_setting_off_silences_primary_only(emulator: Emulator,
                                                              receiver: WebhookReceiver) -> None:
    setup = with_primary(emulator, receiver)
    primary_id = setup.account["primary_channel"]["channel_id"]
    emulator.flush()
    receiver.clear()
    logged = len(deliveries(emulator, primary_id))
    emulator.call("PATCH", f"/_emulator/accounts/{setup.bot_id}", json={"webhook_enabled": False}, expect=200)
    off = say(emulator, setup)
    postback(emulator, setup, "off")
    emulator.flush()
    assert receiver.events(PRIMARY) == []
    assert len(deliveries(emulator, primary_id)) == logged
    assert mode_of(receiver, MODULE, off) == "active"
    assert [e["postback"]["data"] for e in of_type(receiver, MODULE, "postback")] == ["off"]

    emulator.call("PATCH", f"/_emulator/accounts/{setup.bot_id}", json={"webhook_enabled": True}, expect=200)
    on = say(emulator, setup)
    emulator.flush()
    assert [e["message"]["id"] for e in receiver.events(PRIMARY)] == [on]


def test_rule_57_no_2xx_within_2_seconds_is_a_failed_delivery(emulator: Emulator,
                                                              receiver: WebhookReceiver) -> None:
    setup = attach(emulator, receiver.url + MODULE)
    channel_id = setup.channel["channel_id"]
    emulator.flush()

    receiver.status, receiver.delay = 202, 1.0  # any 2xx, in time
    ok = say(emulator, setup)
    emulator.flush()
    delivered = delivery_of(emulator, channel_id, ok)
    assert (delivered["state"], attempts(delivered)) == ("delivered", [(202, None)])

    receiver.status, receiver.delay = 200, 2.5  # a 200, but too late
    slow = say(emulator, setup)
    emulator.flush()
    timed_out = delivery_of(emulator, channel_id, slow)
    assert (timed_out["state"], attempts(timed_out)) == ("failed", [(None, "request_timeout")])
    assert 1900 <= timed_out["attempts"][0]["duration_ms"] < 2500

    receiver.delay = 0.0
    receiver.statuses = [500]
    broken = say(emulator, setup)
    emulator.flush()
    errored = delivery_of(emulator, channel_id, broken)
    assert (errored["state"], attempts(errored)) == ("failed", [(500, "error_status_code")])

    emulator.call("PATCH", f"/_emulator/module-channels/{channel_id}",
                  json={"webhook_url": f"http://127.0.0.1:{free_port()}/module"}, expect=200)
    unreachable = say(emulator, setup)
    emulator.flush()
    refused = delivery_of(emulator, channel_id, unreachable)
    assert (refused["state"], attempts(refused)) == ("failed", [(None, "could_not_connect")])


def test_rule_58_failed_deliveries_are_redelivered_only_when_enabled(emulator: Emulator,
                                                                     receiver: WebhookReceiver) -> None:
    setup = attach(emulator, receiver.url + MODULE)
    channel_id = setup.channel["channel_id"]
    emulator.flush()

    # Redelivery off (the default): one attempt, however long one waits.
    receiver.clear()
    receiver.statuses = [500]
    once = say(emulator, setup)
    emulator.flush()
    emulator.advance(60)
    emulator.flush()
    assert attempts(delivery_of(emulator, channel_id, once)) == [(500, "error_status_code")]
    assert len(receiver.received) == 1

    # Redelivery on: the same event again, flagged as a redelivery.
    emulator.call("PATCH", f"/_emulator/module-channels/{channel_id}", json={"redelivery": True}, expect=200)
    receiver.clear()
    receiver.statuses = [500]
    retried = say(emulator, setup)
    wait_until(lambda: bool(delivery_of(emulator, channel_id, retried)["attempts"]))
    emulator.advance(2)
    emulator.flush()
    delivery = delivery_of(emulator, channel_id, retried)
    assert delivery["state"] == "delivered"
    assert [(a["status_code"], a["error"], a["redelivery"]) for a in delivery["attempts"]] == [
        (500, "error_status_code", False), (200, None, True)]
    original, again = receiver.received
    assert original.body["destination"] == again.body["destination"] == setup.bot_id
    [first_event], [second_event] = original.events, again.events
    assert first_event["deliveryContext"] == {"isRedelivery": False}
    assert second_event["deliveryContext"] == {"isRedelivery": True}
    assert second_event == {**first_event, "deliveryContext": {"isRedelivery": True}}
    assert again.headers["x-line-signature"] == signature(setup.channel["channel_secret"], again.raw)
    assert reply(emulator, setup, second_event["replyToken"]).status_code == 200

    # Every attempt failing: the configured retries (default 3), then the delivery has failed for good.
    receiver.clear()
    receiver.status = 500
    doomed = say(emulator, setup)
    for count in (1, 2, 3, 4):
        wait_until(lambda n=count: len(delivery_of(emulator, channel_id, doomed)["attempts"]) >= n)
        emulator.advance(10)
    wait_until(lambda: delivery_of(emulator, channel_id, doomed)["state"] == "failed")
    emulator.advance(60)
    emulator.flush()
    final = delivery_of(emulator, channel_id, doomed)
    assert [a["redelivery"] for a in final["attempts"]] == [False, True, True, True]
    assert len(receiver.received) == 4
    ids = {r.events[0]["webhookEventId"] for r in receiver.received}
    assert len(ids) == 1


def test_rule_59_connectivity_check_sends_empty_events(emulator: Emulator, receiver: WebhookReceiver) -> None:
    setup = attach(emulator, receiver.url + MODULE)
    channel_id = setup.channel["channel_id"]
    emulator.flush()
    receiver.clear()
    answer = emulator.call("POST", f"/_emulator/module-channels/{channel_id}/webhook-test",
                           json={"bot_id": setup.bot_id}, expect=200)
    assert answer["success"] is True and answer["statusCode"] == 200
    [probe] = receiver.received
    assert probe.body == {"destination": setup.bot_id, "events": []}
    assert probe.headers["x-line-signature"] == signature(setup.channel["channel_secret"], probe.raw)

    receiver.status = 500
    failing = emulator.call("POST", f"/_emulator/module-channels/{channel_id}/webhook-test",
                            json={"bot_id": setup.bot_id}, expect=200)
    assert (failing["success"], failing["statusCode"], failing["reason"]) == (False, 500, "error_status_code")
