"""What the tests of rules 37–73 (docs/emulator-behaviour.md) share: set-ups, what users do, what the module
calls, and what the webhook receiver saw.

A module's webhooks land at `/module` on the test receiver (a second module's at `/second`), the
Primary Channel's at `/primary`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from collections.abc import Callable
from typing import Any

import httpx

from tests.support.flows import Attached, attach, exchange, get_code, stateless_token
from tests.support.servers import Emulator, WebhookReceiver

PRIMARY = "/primary"
MODULE = "/module"
SECOND = "/second"
THIRD = "/third"
PATHS = (PRIMARY, MODULE, SECOND, THIRD)
MODULE_ONLY = frozenset({"module", "activated", "deactivated", "botSuspended", "botResumed"})
REPLYABLE = frozenset({"message", "messageEdited", "follow", "join", "memberJoined", "postback",
                       "videoPlayComplete", "beacon", "accountLink", "membership"})
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
