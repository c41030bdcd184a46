"""Spec §14 rules 37–73, one test each: Chat Control, webhook delivery, reply tokens and messages,
retry keys, bot info and list, and the OA lifecycle.

Everything goes over HTTP to a real emulator server (`emulator`), and webhooks land on a real
receiver on loopback (`receiver`): a module's webhooks at `/module` (a second module's at
`/second`), the Primary Channel's at `/primary`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import time
from collections.abc import Callable
from typing import Any

import httpx

from linemod.emulator.delivery import sign
from tests.support.flows import Attached, attach, exchange, get_code, stateless_token
from tests.support.servers import Emulator, WebhookReceiver, free_port

PRIMARY = "/primary"
MODULE = "/module"
SECOND = "/second"
THIRD = "/third"
PATHS = (PRIMARY, MODULE, SECOND, THIRD)
MODULE_ONLY = frozenset({"module", "activated", "deactivated", "botSuspended", "botResumed"})
REPLYABLE = frozenset({"message", "messageEdited", "follow", "join", "memberJoined", "postback",
                       "videoPlayComplete", "beacon", "accountLink"})
INVALID_CHAT_ID = {"message": "The value for the 'chatId' parameter is invalid"}
INVALID_REPLY_TOKEN = {"message": "Invalid reply token"}
RETRY_ACCEPTED = "The retry key is already accepted"
ULID_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
BOT_ID_RE = re.compile(r"^U[0-9a-f]{32}$")
NO_REDELIVERY = {"isRedelivery": False}
TEXT = {"type": "text", "text": "ご予約ありがとうございます"}
LOCATION = {"type": "location", "title": "Cafe", "address": "Tokyo", "latitude": 35.68, "longitude": 139.76}
KEY = "123e4567-e89b-12d3-a456-426614174000"
KEY2 = "223e4567-e89b-12d3-a456-426614174000"
KEY3 = "323e4567-e89b-12d3-a456-426614174000"
KEY4 = "423e4567-e89b-12d3-a456-426614174000"
DAY = 24 * 3600


# ---- set-ups ------------------------------------------------------------------------------------

def with_primary(emulator: Emulator, receiver: WebhookReceiver, **extra: Any) -> Attached:
    """An OA whose Primary Channel posts to /primary, with a module (Default-Active unless told) on /module."""
    account_extra = {"primary_channel": {"webhook_url": receiver.url + PRIMARY}, **extra.pop("account_extra", {})}
    return attach(emulator, receiver.url + MODULE, account_extra=account_extra, **extra)


def attach_another(emulator: Emulator, first: Attached, webhook_url: str, *, default_active: bool = False,
                   scopes: str = "message:send message:receive") -> Attached:
    """A further module attached to `first`'s OA (only one Default-Active module fits an OA)."""
    channel = emulator.module_channel(webhook_url, default_active=default_active)
    code = get_code(emulator, channel["channel_id"], first.bot_id, scopes)
    answer = exchange(emulator, channel, code)
    assert answer.status_code == 200, answer.text
    user_id = seen_ids(emulator, first.bot_id, first.person["user_id"])[channel["channel_id"]]
    return Attached(channel, first.account, first.person, first.bot_id, stateless_token(emulator, channel), user_id)


def seen_ids(emulator: Emulator, bot_id: str, user_id: str) -> dict[str, str]:
    ids: dict[str, str] = emulator.call("GET", f"/_emulator/accounts/{bot_id}/users/{user_id}", expect=200)["ids"]
    return ids


def befriend(emulator: Emulator, bot_id: str, name: str) -> dict[str, Any]:
    person = emulator.person(name)
    emulator.call("POST", f"/_emulator/accounts/{bot_id}/friends", json={"user_id": person["user_id"]}, expect=200)
    return person


def refreshed(emulator: Emulator, setup: Attached) -> Attached:
    """The same attachment with a fresh stateless token (they last 15 minutes of emulator time)."""
    return Attached(setup.channel, setup.account, setup.person, setup.bot_id,
                    stateless_token(emulator, setup.channel), setup.user_id)


def primary_secret(setup: Attached) -> str:
    return str(setup.account["primary_channel"]["channel_secret"])


# ---- what users do ------------------------------------------------------------------------------

def say(emulator: Emulator, setup: Attached, text: str = "予約したい", user_id: str | None = None) -> str:
    user = user_id or setup.person["user_id"]
    answer = emulator.call("POST", f"/_emulator/accounts/{setup.bot_id}/chats/{user}/messages",
                           json={"type": "text", "text": text}, expect=202)
    return str(answer["message_id"])


def postback(emulator: Emulator, setup: Attached, data: str) -> None:
    emulator.call("POST", f"/_emulator/accounts/{setup.bot_id}/chats/{setup.person['user_id']}/postback",
                  json={"data": data}, expect=202)


def block(emulator: Emulator, setup: Attached) -> None:
    emulator.call("DELETE", f"/_emulator/accounts/{setup.bot_id}/friends/{setup.person['user_id']}", expect=200)


def follow(emulator: Emulator, setup: Attached) -> None:
    emulator.call("POST", f"/_emulator/accounts/{setup.bot_id}/friends", json={"user_id": setup.person["user_id"]},
                  expect=200)


def chat_log(emulator: Emulator, setup: Attached) -> list[dict[str, Any]]:
    """What the user's phone shows, restricted to what the module sent."""
    messages = emulator.call("GET", f"/_emulator/accounts/{setup.bot_id}/chats/{setup.person['user_id']}/messages",
                             expect=200)["messages"]
    return [m for m in messages if m["from"] == f"channel:{setup.channel['channel_id']}"]


# ---- what the module calls ----------------------------------------------------------------------

def acquire(emulator: Emulator, setup: Attached, chat: str | None = None, body: Any = None,
            headers: dict[str, str] | None = None) -> httpx.Response:
    kwargs: dict[str, Any] = {} if body is None else {"json": body}
    return emulator.http.post(f"/v2/bot/chat/{chat or setup.user_id}/control/acquire",
                              headers={**setup.headers, **(headers or {})}, **kwargs)


def release(emulator: Emulator, setup: Attached, chat: str | None = None,
            headers: dict[str, str] | None = None) -> httpx.Response:
    return emulator.http.post(f"/v2/bot/chat/{chat or setup.user_id}/control/release",
                              headers={**setup.headers, **(headers or {})})


def reply(emulator: Emulator, setup: Attached, token: str, messages: list[dict[str, Any]] | None = None,
          headers: dict[str, str] | None = None) -> httpx.Response:
    return emulator.http.post("/v2/bot/message/reply", headers={**setup.headers, **(headers or {})},
                              json={"replyToken": token, "messages": [TEXT] if messages is None else messages})


def send(emulator: Emulator, setup: Attached, kind: str, messages: list[dict[str, Any]] | None = None,
         key: str | None = None, to: Any = None) -> httpx.Response:
    """push / multicast / broadcast to the set-up's user, optionally with a retry key."""
    body: dict[str, Any] = {"messages": [TEXT] if messages is None else messages}
    if kind == "push":
        body["to"] = setup.user_id if to is None else to
    elif kind == "multicast":
        body["to"] = [setup.user_id] if to is None else to
    headers = {**setup.headers, **({"X-Line-Retry-Key": key} if key else {})}
    return emulator.http.post(f"/v2/bot/message/{kind}", headers=headers, json=body)


def result(response: httpx.Response) -> tuple[int, Any]:
    return response.status_code, response.json()


# ---- what the receiver saw ----------------------------------------------------------------------

def now_ms(emulator: Emulator) -> int:
    return int(emulator.call("GET", "/_emulator/clock", expect=200)["now_ms"])


def of_type(receiver: WebhookReceiver, path: str, kind: str) -> list[dict[str, Any]]:
    return [e for e in receiver.events(path) if e["type"] == kind]


def message_event(receiver: WebhookReceiver, path: str, message_id: str) -> dict[str, Any]:
    [event] = [e for e in receiver.events(path) if e["type"] == "message" and e["message"]["id"] == message_id]
    return event


def mode_of(receiver: WebhookReceiver, path: str, message_id: str) -> str:
    return str(message_event(receiver, path, message_id)["mode"])


def strip(event: dict[str, Any]) -> dict[str, Any]:
    """An event without the two values that differ every time (timestamp, webhookEventId)."""
    return {k: v for k, v in event.items() if k not in ("timestamp", "webhookEventId")}


def deliveries(emulator: Emulator, channel_id: str | None = None) -> list[dict[str, Any]]:
    params = {"limit": 1000, **({"channel_id": channel_id} if channel_id else {})}
    found: list[dict[str, Any]] = emulator.call("GET", "/_emulator/deliveries", params=params, expect=200)["deliveries"]
    return found


def delivery_of(emulator: Emulator, channel_id: str, message_id: str) -> dict[str, Any]:
    for delivery in deliveries(emulator, channel_id):
        if any(e.get("message", {}).get("id") == message_id for e in delivery["body"]["events"]):
            return delivery
    raise AssertionError(f"no delivery carries message {message_id}")


def token_of(delivery: dict[str, Any], message_id: str) -> str:
    [event] = [e for e in delivery["body"]["events"] if e.get("message", {}).get("id") == message_id]
    return str(event["replyToken"])


def wait_until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def attempts(delivery: dict[str, Any]) -> list[tuple[int | None, str | None]]:
    return [(a["status_code"], a["error"]) for a in delivery["attempts"]]


def signature(secret: str, raw: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha256).digest()).decode()


def nulls(value: Any, where: str = "") -> list[str]:
    """Paths of every null in a JSON value (LINE omits absent values instead)."""
    if value is None:
        return [where]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in nulls(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in nulls(v, f"{where}[{i}]")]
    return []


# ---- Chat Control (rules 37–48) -----------------------------------------------------------------

def test_rule_37_acquire_with_empty_body_means_expired_true_ttl_3600(emulator: Emulator,
                                                                      receiver: WebhookReceiver) -> None:
    setup = with_primary(emulator, receiver, channel_extra={"default_active": False})
    other = befriend(emulator, setup.bot_id, "Taro")
    other_id = seen_ids(emulator, setup.bot_id, other["user_id"])[setup.channel["channel_id"]]
    before = now_ms(emulator)
    no_body = acquire(emulator, setup)  # no body, no Content-Type at all
    empty_object = acquire(emulator, setup, chat=other_id, body={})
    after = now_ms(emulator)
    assert result(no_body) == (200, {})
    assert result(empty_object) == (200, {})
    emulator.flush()
    activated = of_type(receiver, MODULE, "activated")
    assert [e["source"]["userId"] for e in activated] == [setup.user_id, other_id]
    for event in activated:
        assert before + 3_600_000 <= event["chatControl"]["expireAt"] <= after + 3_600_000

    emulator.advance(3590)  # expired=true, ttl=3600: still Active just before the hour...
    inside = say(emulator, setup)
    emulator.advance(11)  # ...and back with the Primary Channel just after it
    outside = say(emulator, setup)
    emulator.flush()
    assert (mode_of(receiver, MODULE, inside), mode_of(receiver, PRIMARY, inside)) == ("active", "standby")
    assert (mode_of(receiver, MODULE, outside), mode_of(receiver, PRIMARY, outside)) == ("standby", "active")


def test_rule_38_acquire_makes_the_caller_active_for_that_chat_only(emulator: Emulator,
                                                                    receiver: WebhookReceiver) -> None:
    setup = with_primary(emulator, receiver, channel_extra={"default_active": False})
    other = befriend(emulator, setup.bot_id, "Taro")
    assert result(acquire(emulator, setup, body={"expired": True, "ttl": 600})) == (200, {})
    mine = say(emulator, setup)
    theirs = say(emulator, setup, user_id=other["user_id"])
    emulator.flush()
    assert (mode_of(receiver, MODULE, mine), mode_of(receiver, PRIMARY, mine)) == ("active", "standby")
    assert (mode_of(receiver, MODULE, theirs), mode_of(receiver, PRIMARY, theirs)) == ("standby", "active")
    assert "replyToken" in message_event(receiver, MODULE, mine)
    assert "replyToken" not in message_event(receiver, MODULE, theirs)
    assert [e["source"]["userId"] for e in of_type(receiver, MODULE, "activated")] == [setup.user_id]


def test_rule_39_caller_receives_activated_with_expire_at(emulator: Emulator, receiver: WebhookReceiver) -> None:
    setup = with_primary(emulator, receiver, channel_extra={"default_active": False})
    emulator.flush()
    receiver.clear()
    before = now_ms(emulator)
    assert acquire(emulator, setup, body={"expired": True, "ttl": 120}).status_code == 200
    after = now_ms(emulator)
    emulator.flush()
    [event] = receiver.events(MODULE)
    expire_at = event["chatControl"]["expireAt"]
    assert before + 120_000 <= expire_at <= after + 120_000
    assert abs(expire_at - event["timestamp"] - 120_000) < 1000
    assert strip(event) == {
        "type": "activated", "chatControl": {"expireAt": expire_at},
        "source": {"type": "user", "userId": setup.user_id}, "mode": "active", "deliveryContext": NO_REDELIVERY,
    }
    # Control came from the Primary Channel: nobody gets `deactivated`, and the Primary nothing at all.
    assert receiver.events(PRIMARY) == []


def test_rule_40_previous_active_module_receives_deactivated(emulator: Emulator,
                                                             receiver: WebhookReceiver) -> None:
    first = with_primary(emulator, receiver)  # Default-Active: holds every chat
    second = attach_another(emulator, first, receiver.url + SECOND)
    emulator.flush()
    receiver.clear()

    assert acquire(emulator, second).status_code == 200
    emulator.flush()
    assert [strip(e) for e in receiver.events(MODULE)] == [{
        "type": "deactivated", "source": {"type": "user", "userId": first.user_id}, "mode": "active",
        "deliveryContext": NO_REDELIVERY,
    }]
    assert [e["type"] for e in receiver.events(SECOND)] == ["activated"]

    emulator.advance(4)  # past the 423 window (rule 46)
    receiver.clear()
    assert acquire(emulator, first).status_code == 200
    emulator.flush()
    assert [strip(e) for e in receiver.events(SECOND)] == [{
        "type": "deactivated", "source": {"type": "user", "userId": second.user_id}, "mode": "active",
        "deliveryContext": NO_REDELIVERY,
    }]
    assert [e["type"] for e in receiver.events(MODULE)] == ["activated"]
    assert receiver.events(PRIMARY) == []


def test_rule_41_ttl_expiry_returns_control_to_primary_silently(emulator: Emulator,
                                                                 receiver: WebhookReceiver) -> None:
    setup = with_primary(emulator, receiver)  # a Default-Active module
    assert acquire(emulator, setup, body={"expired": True, "ttl": 60}).status_code == 200
    emulator.advance(55)
    before_expiry = say(emulator, setup)
    emulator.flush()
    assert mode_of(receiver, MODULE, before_expiry) == "active"
    logged = len(deliveries(emulator))
    receiver.clear()

    emulator.advance(6)
    emulator.flush()
    assert receiver.received == []  # no activated / deactivated on expiry
    assert len(deliveries(emulator)) == logged

    message_id = say(emulator, setup)
    emulator.flush()
    to_primary = message_event(receiver, PRIMARY, message_id)
    to_module = message_event(receiver, MODULE, message_id)
    assert to_primary["mode"] == "active" and to_primary["replyToken"]
    assert to_module["mode"] == "standby" and "replyToken" not in to_module
    assert [e["type"] for path in PATHS for e in receiver.events(path)] == ["message", "message"]


def test_rule_42_expired_false_never_returns_and_ignores_ttl(emulator: Emulator,
                                                             receiver: WebhookReceiver) -> None:
    setup = with_primary(emulator, receiver, channel_extra={"default_active": False})
    emulator.flush()
    receiver.clear()
    before = now_ms(emulator)
    assert result(acquire(emulator, setup, body={"expired": False, "ttl": 99_999_999_999})) == (200, {})
    assert result(acquire(emulator, setup, body={"expired": False, "ttl": "not a number"})) == (200, {})
    assert result(acquire(emulator, setup, body={"expired": False, "ttl": -1})) == (200, {})
    emulator.flush()
    activated = of_type(receiver, MODULE, "activated")
    assert len(activated) == 3
    # OAS requires expireAt; with no expiry the emulator sends a far-future value (spec §15.16).
    assert all(e["chatControl"]["expireAt"] > before + 50 * 365 * DAY * 1000 for e in activated)

    emulator.advance(2 * 365 * DAY)  # far past any ttl, including the 1-year maximum
    message_id = say(emulator, setup)
    emulator.flush()
    assert (mode_of(receiver, MODULE, message_id), mode_of(receiver, PRIMARY, message_id)) == ("active", "standby")


def test_rule_43_ttl_above_one_year_is_refused(emulator: Emulator, receiver: WebhookReceiver) -> None:
    setup = with_primary(emulator, receiver, channel_extra={"default_active": False})
    emulator.flush()
    receiver.clear()
    for ttl in (31_536_001, 0, -5, "3600"):
        refused = acquire(emulator, setup, body={"expired": True, "ttl": ttl})
        assert refused.status_code == 400, (ttl, refused.text)
        body = refused.json()
        assert body["message"] == "The request body has 1 error(s)", ttl
        assert [d["property"] for d in body["details"]] == ["ttl"], ttl
    emulator.flush()
    assert receiver.events(MODULE) == []  # a refused acquire changes nothing

    before = now_ms(emulator)
    assert result(acquire(emulator, setup, body={"expired": True, "ttl": 31_536_000})) == (200, {})
    after = now_ms(emulator)
    emulator.flush()
    [event] = of_type(receiver, MODULE, "activated")
    assert before + 31_536_000_000 <= event["chatControl"]["expireAt"] <= after + 31_536_000_000


def test_rule_44_invalid_chat_id_is_400_for_acquire_and_release(emulator: Emulator,
                                                                receiver: WebhookReceiver) -> None:
    setup = with_primary(emulator, receiver)
    for chat in ("not-a-chat", "U1234", "Lnope", setup.user_id[:-1], "C" + "0" * 31, "X" + "0" * 32):
        for call in (acquire, release):
            answer = call(emulator, setup, chat=chat)
            assert result(answer) == (400, INVALID_CHAT_ID), (chat, call.__name__, answer.text)


def test_rule_45_acquire_for_non_friend_or_foreign_group_is_404(emulator: Emulator,
                                                                 receiver: WebhookReceiver) -> None:
    setup = with_primary(emulator, receiver, channel_extra={"default_active": False})
    stranger = emulator.person("Jiro")
    stranger_id = seen_ids(emulator, setup.bot_id, stranger["user_id"])[setup.channel["channel_id"]]
    for chat in (stranger_id, "C" + "a" * 32, "R" + "b" * 32):
        answer = acquire(emulator, setup, chat=chat)
        assert answer.status_code == 404, (chat, answer.text)
        assert isinstance(answer.json()["message"], str)
    block(emulator, setup)
    assert acquire(emulator, setup).status_code == 404  # blocked: no longer a friend
    emulator.flush()
    assert of_type(receiver, MODULE, "activated") == []


def test_rule_46_second_acquire_by_another_channel_within_window_is_423(emulator: Emulator,
                                                                         receiver: WebhookReceiver) -> None:
    first = with_primary(emulator, receiver)
    second = attach_another(emulator, first, receiver.url + SECOND)  # only one Default-Active per OA
    other = befriend(emulator, first.bot_id, "Taro")
    other_id = seen_ids(emulator, first.bot_id, other["user_id"])[second.channel["channel_id"]]
    emulator.flush()
    receiver.clear()

    assert acquire(emulator, first).status_code == 200
    locked = acquire(emulator, second)
    assert locked.status_code == 423, locked.text
    assert isinstance(locked.json()["message"], str)
    assert acquire(emulator, second, chat=other_id).status_code == 200  # another chat is not locked
    assert acquire(emulator, first).status_code == 200  # the same channel again is not locked out
    emulator.advance(2)
    assert acquire(emulator, second).status_code == 423  # 2 s after the last acquire: still locked
    emulator.flush()
    message_id = say(emulator, first)
    emulator.flush()
    assert (mode_of(receiver, MODULE, message_id), mode_of(receiver, SECOND, message_id)) == ("active", "standby")
    assert [e["source"]["userId"] for e in of_type(receiver, SECOND, "activated")] == [other_id]

    emulator.advance(1.5)  # 3.5 s: the 3-second window is over
    assert result(acquire(emulator, second)) == (200, {})
    emulator.flush()
    assert [e["source"]["userId"] for e in of_type(receiver, SECOND, "activated")] == [other_id, second.user_id]


def test_rule_47_release_returns_control_to_primary_and_deactivates(emulator: Emulator,
                                                                     receiver: WebhookReceiver) -> None:
    setup = with_primary(emulator, receiver)
    emulator.flush()
    receiver.clear()
    assert result(release(emulator, setup)) == (200, {})
    emulator.flush()
    assert [strip(e) for e in receiver.events(MODULE)] == [{
        "type": "deactivated", "source": {"type": "user", "userId": setup.user_id}, "mode": "active",
        "deliveryContext": NO_REDELIVERY,
    }]
    assert receiver.events(PRIMARY) == []

    receiver.clear()
    message_id = say(emulator, setup)
    emulator.flush()
    assert message_event(receiver, PRIMARY, message_id)["mode"] == "active"
    assert message_event(receiver, PRIMARY, message_id)["replyToken"]
    assert message_event(receiver, MODULE, message_id)["mode"] == "standby"

    receiver.clear()
    assert result(release(emulator, setup)) == (200, {})  # not Active any more: a no-op (§15.16)
    emulator.flush()
    assert receiver.received == []


def test_rule_48_unfollow_then_follow_resets_control_to_default(emulator: Emulator,
                                                                receiver: WebhookReceiver) -> None:
    first = with_primary(emulator, receiver)  # Default-Active
    second = attach_another(emulator, first, receiver.url + SECOND)
    assert acquire(emulator, second, body={"expired": False}).status_code == 200
    emulator.flush()
    receiver.clear()

    block(emulator, first)
    follow(emulator, first)
    message_id = say(emulator, first)
    emulator.flush()
    [unfollow_second] = of_type(receiver, SECOND, "unfollow")
    assert unfollow_second["mode"] == "active"  # still the acquirer's until the user comes back
    [follow_module] = of_type(receiver, MODULE, "follow")
    [follow_second] = of_type(receiver, SECOND, "follow")
    assert follow_module["mode"] == "active" and follow_module["replyToken"]
    assert follow_module["follow"] == {"isUnblocked": True}
    assert follow_second["mode"] == "standby" and "replyToken" not in follow_second
    assert [mode_of(receiver, p, message_id) for p in (MODULE, SECOND, PRIMARY)] == ["active", "standby", "standby"]
    # The reset is announced by follow/unfollow only: no activated or deactivated.
    assert not [e for p in PATHS for e in receiver.events(p) if e["type"] in ("activated", "deactivated")]
    # Acquired state is gone, the 423 lock with it: the default module can take the chat back.
    assert acquire(emulator, first).status_code == 200


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


# ---- Lifecycle (rules 72–73) --------------------------------------------------------------------

def test_rule_72_suspend_and_resume_notify_receiving_modules_only(emulator: Emulator,
                                                                  receiver: WebhookReceiver) -> None:
    first = with_primary(emulator, receiver)
    attach_another(emulator, first, receiver.url + SECOND)
    attach_another(emulator, first, receiver.url + THIRD, scopes="message:send")  # no message:receive
    emulator.flush()
    receiver.clear()
    emulator.call("POST", f"/_emulator/accounts/{first.bot_id}/suspend", expect=200)
    emulator.call("POST", f"/_emulator/accounts/{first.bot_id}/resume", expect=200)
    emulator.flush()
    for path in (MODULE, SECOND):
        assert [strip(e) for e in receiver.events(path)] == [
            {"type": "botSuspended", "mode": "active", "deliveryContext": NO_REDELIVERY},
            {"type": "botResumed", "mode": "active", "deliveryContext": NO_REDELIVERY}], path
        assert {r.body["destination"] for r in receiver.received if r.path == path} == {first.bot_id}
    assert receiver.events(THIRD) == []
    assert receiver.events(PRIMARY) == []


def test_rule_73_deleted_oa_is_detached_after_the_purge_delay(emulator: Emulator,
                                                              receiver: WebhookReceiver) -> None:
    setup = with_primary(emulator, receiver)
    emulator.flush()
    receiver.clear()
    emulator.call("POST", f"/_emulator/accounts/{setup.bot_id}/delete", json={"purge_after_seconds": 100},
                  expect=200)
    emulator.advance(95)
    emulator.flush()
    assert [e["type"] for e in receiver.events(MODULE)] == ["botSuspended"]  # suspended, not detached
    listed = emulator.http.get("/v2/bot/list", headers={"Authorization": f"Bearer {setup.token}"}).json()
    assert [b["userId"] for b in listed["bots"]] == [setup.bot_id]

    emulator.advance(6)
    emulator.flush()
    detached = receiver.events(MODULE)[-1]
    assert strip(detached) == {"type": "module", "mode": "active", "deliveryContext": NO_REDELIVERY,
                               "module": {"type": "detached", "botId": setup.bot_id, "reason": "bot_deleted"}}
    assert receiver.events(PRIMARY) == []
    listed = emulator.http.get("/v2/bot/list", headers={"Authorization": f"Bearer {setup.token}"}).json()
    assert listed == {"bots": []}

    # Without purge_after_seconds the purge is about 3 months away (7,776,000 s).
    other = attach(emulator, receiver.url + MODULE, befriend=False)
    before = now_ms(emulator)
    emulator.call("POST", f"/_emulator/accounts/{other.bot_id}/delete", expect=200)
    after = now_ms(emulator)
    purge_at = emulator.call("GET", f"/_emulator/accounts/{other.bot_id}", expect=200)["purge_at_ms"]
    assert before + 7_776_000_000 <= purge_at <= after + 7_776_000_000
