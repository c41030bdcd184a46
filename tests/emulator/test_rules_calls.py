"""Rules 23–32 of docs/emulator-behaviour.md: calling LINE APIs as a module (who the caller is, its scopes, rate limits,
the IDs it sees, error bodies: platform/world.py, rate_limits.py, identity.py, http/requests.py),
one test per rule, through HTTP only against a real emulator server.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from linemod.emulator.platform import rate_limits
from tests.emulator.calls import (
    NOT_AVAILABLE,
    RATE_LIMITED,
    FrozenClock,
    attach_to,
    befriend,
    bot_list,
    chat_texts,
    headers,
    push,
    say,
)
from tests.support.flows import (
    attach,
    stateless_token,
)
from tests.support.servers import Emulator, WebhookReceiver

# ---- calling APIs as a module -----------------------------------------------------------------------


def test_rule_23_every_response_has_a_unique_request_id(emulator: Emulator) -> None:
    setup = attach(emulator, None)
    emulator.call("POST", "/_emulator/faults", expect=201,
                  json={"method": "POST", "path": "/v2/bot/message/push", "status": 500, "count": 1})
    calls = [
        lambda: push(emulator, setup.headers, setup.user_id),  # injected 500
        lambda: push(emulator, setup.headers, setup.user_id),  # 200
        lambda: push(emulator, setup.headers, setup.user_id),  # the same request again
        lambda: push(emulator, {"Authorization": f"Bearer {setup.token}"}, setup.user_id),  # 403
        lambda: push(emulator, {}, setup.user_id),  # 401
        lambda: emulator.http.get("/v2/bot/list", headers=headers(setup.token)),
        lambda: emulator.http.get("/v2/bot/info", headers=setup.headers),
        lambda: emulator.http.post("/v2/bot/channel/detach", headers=headers(setup.token), json={"botId": "x"}),
        lambda: emulator.http.get("/v2/bot/profile/" + setup.user_id, headers=setup.headers),  # 403: no scope
        lambda: emulator.http.post("/oauth2/v3/token", data={"grant_type": "client_credentials"}),
        lambda: emulator.http.post("/v2/oauth/accessToken", data={"grant_type": "client_credentials"}),
        lambda: emulator.http.get("/v2/bot/no-such-endpoint", headers=setup.headers),
    ]
    seen = []
    statuses = []
    for call in calls:
        answer = call()
        statuses.append(answer.status_code)
        request_id = answer.headers.get("x-line-request-id")
        assert request_id, (answer.request.url, answer.status_code)
        seen.append(request_id)
    assert statuses[:5] == [500, 200, 200, 403, 401]
    assert len(set(seen)) == len(seen)
    logged = {e["request_id"] for e in emulator.call("GET", "/_emulator/requests?limit=100", expect=200)["requests"]}
    assert set(seen) <= logged


def test_rule_24_bot_id_header_is_required(emulator: Emulator, emulator_app: Any) -> None:
    setup = attach(emulator, None)
    bare = headers(setup.token)
    calls = [
        ("POST", "/v2/bot/message/push", {"to": setup.user_id, "messages": [{"type": "text", "text": "x"}]}),
        ("GET", "/v2/bot/info", None),
        ("POST", "/v2/bot/chat/loading/start", {"chatId": setup.user_id}),
        ("GET", "/v2/bot/message/quota", None),
        ("POST", f"/v2/bot/chat/{setup.user_id}/control/acquire", {}),
        ("POST", f"/v2/bot/chat/{setup.user_id}/control/release", None),
        ("POST", f"/v2/bot/user/{setup.user_id}/linkToken", None),
    ]
    for method, path, body in calls:
        for hdrs in (bare, {**bare, "X-Line-Bot-Id": ""}):
            answer = emulator.http.request(method, path, headers=hdrs, json=body)
            assert answer.status_code == 403, (path, answer.text)
            assert answer.json() == NOT_AVAILABLE
    assert chat_texts(emulator, setup.bot_id, setup.person["user_id"]) == []

    # The header name is case-insensitive ...
    answer = push(emulator, {**bare, "x-line-bot-id": setup.bot_id}, setup.user_id, "lower")
    assert answer.status_code == 200, answer.text
    answer = push(emulator, {**bare, "X-LINE-BOT-ID": setup.bot_id}, setup.user_id, "upper")
    assert answer.status_code == 200, answer.text
    # ... and configurable.
    emulator_app.state.platform.settings.bot_id_header = "X-Module-Bot"
    answer = push(emulator, setup.headers, setup.user_id, "old name")
    assert answer.status_code == 403 and answer.json() == NOT_AVAILABLE
    answer = push(emulator, {**bare, "x-module-bot": setup.bot_id}, setup.user_id, "new name")
    assert answer.status_code == 200, answer.text
    assert chat_texts(emulator, setup.bot_id, setup.person["user_id"]) == ["lower", "upper", "new name"]


def test_rule_25_bot_id_of_an_unattached_oa(emulator: Emulator) -> None:
    setup = attach(emulator, None)
    elsewhere = emulator.account(display_name="Attached elsewhere")
    other_module = emulator.module_channel(None, name="Other")
    attach_to(emulator, other_module, elsewhere["bot_id"])
    lonely = emulator.account(display_name="No modules")
    for bot_id in (elsewhere["bot_id"], lonely["bot_id"], "U" + "0" * 32, "not-a-bot", setup.user_id):
        hdrs = headers(setup.token, bot_id)
        for method, path in (("GET", "/v2/bot/info"), ("POST", "/v2/bot/message/push")):
            body = {"to": setup.user_id, "messages": [{"type": "text", "text": "x"}]} if method == "POST" else None
            answer = emulator.http.request(method, path, headers=hdrs, json=body)
            assert answer.status_code == 403, (bot_id, path, answer.text)
            assert answer.json() == NOT_AVAILABLE
    assert emulator.http.get("/v2/bot/info", headers=setup.headers).status_code == 200


def test_rule_26_calls_outside_the_granted_scopes(emulator: Emulator) -> None:
    channel = emulator.module_channel(None)
    sender = emulator.account(display_name="Sender")
    listener = emulator.account(display_name="Listener")
    person = emulator.person()
    attach_to(emulator, channel, sender["bot_id"], "message:send message:receive")
    attach_to(emulator, channel, listener["bot_id"], "message:receive")
    token = stateless_token(emulator, channel)
    seen_sender = befriend(emulator, sender["bot_id"], person["user_id"])[channel["channel_id"]]
    seen_listener = befriend(emulator, listener["bot_id"], person["user_id"])[channel["channel_id"]]

    as_listener = headers(token, listener["bot_id"])
    denied = [
        ("POST", "/v2/bot/message/push", {"to": seen_listener, "messages": [{"type": "text", "text": "x"}]}),
        ("POST", "/v2/bot/message/broadcast", {"messages": [{"type": "text", "text": "x"}]}),
        ("GET", "/v2/bot/message/quota", None),
        ("POST", "/v2/bot/chat/loading/start", {"chatId": seen_listener}),
        ("GET", f"/v2/bot/profile/{seen_listener}", None),
        ("POST", "/v2/bot/message/markAsRead", {"chat": {"userId": seen_listener}}),
        ("POST", "/v2/bot/user/all/richmenu/richmenu-0123456789abcdef0123456789abcdef", None),
        ("GET", "/v2/bot/richmenu/list", None),
    ]
    for method, path, body in denied:
        answer = emulator.http.request(method, path, headers=as_listener, json=body)
        assert answer.status_code == 403, (path, answer.status_code, answer.text)
        assert answer.json() == NOT_AVAILABLE
    assert chat_texts(emulator, listener["bot_id"], person["user_id"]) == []

    # Scopes are per (module, OA): the same module may send for the OA that granted message:send.
    answer = push(emulator, headers(token, sender["bot_id"]), seen_sender)
    assert answer.status_code == 200, answer.text
    assert emulator.http.get(f"/v2/bot/profile/{seen_sender}",
                             headers=headers(token, sender["bot_id"])).status_code == 403
    # Acquire needs message:receive, which both granted.
    answer = emulator.http.post(f"/v2/bot/chat/{seen_listener}/control/acquire", headers=as_listener, json={})
    assert answer.status_code == 200, answer.text

    # A scope added later by re-authorization takes effect.
    attach_to(emulator, channel, listener["bot_id"], "message:send message:receive")
    answer = push(emulator, as_listener, seen_listener)
    assert answer.status_code == 200, answer.text


def test_rule_27_link_token_needs_no_scope(emulator: Emulator) -> None:
    setup = attach(emulator, None, scopes="account:manage")
    answer = emulator.http.post(f"/v2/bot/user/{setup.user_id}/linkToken", headers=setup.headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"linkToken"} and isinstance(body["linkToken"], str) and body["linkToken"]
    # The same module is refused where a scope is needed.
    answer = push(emulator, setup.headers, setup.user_id)
    assert answer.status_code == 403 and answer.json() == NOT_AVAILABLE


def test_rule_28_rate_limit_buckets_per_module_bot_and_endpoint(
        emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(rate_limits.LIMITS, ("POST", "/v2/bot/message/push"), (3, 3600.0))
    monkeypatch.setitem(rate_limits.LIMITS, ("GET", "/v2/bot/user/all/richmenu"), (1, 3600.0))
    channel = emulator.module_channel(None)
    second_module = emulator.module_channel(None, name="Second", default_active=False)
    bot_a, bot_b = emulator.account(display_name="A"), emulator.account(display_name="B")
    person = emulator.person()
    for account in (bot_a, bot_b):
        attach_to(emulator, channel, account["bot_id"], "message:send message:receive account:manage")
    attach_to(emulator, second_module, bot_a["bot_id"])
    ids_a = befriend(emulator, bot_a["bot_id"], person["user_id"])
    ids_b = befriend(emulator, bot_b["bot_id"], person["user_id"])
    token = stateless_token(emulator, channel)
    as_a = headers(token, bot_a["bot_id"])

    for n in range(3):
        answer = push(emulator, as_a, ids_a[channel["channel_id"]], f"a{n}")
        assert answer.status_code == 200, answer.text
    answer = push(emulator, as_a, ids_a[channel["channel_id"]], "a-over")
    assert answer.status_code == 429, answer.text
    assert answer.json() == RATE_LIMITED
    assert chat_texts(emulator, bot_a["bot_id"], person["user_id"]) == ["a0", "a1", "a2"]

    # Bot B, another module on bot A, and another endpoint on bot A are unaffected.
    assert push(emulator, headers(token, bot_b["bot_id"]), ids_b[channel["channel_id"]], "b").status_code == 200
    second_token = stateless_token(emulator, second_module)
    answer = push(emulator, headers(second_token, bot_a["bot_id"]), ids_a[second_module["channel_id"]], "second")
    assert answer.status_code == 200, answer.text
    assert emulator.http.get("/v2/bot/info", headers=as_a).status_code == 200
    answer = emulator.http.post("/v2/bot/message/multicast", headers=as_a, json={
        "to": [ids_a[channel["channel_id"]]], "messages": [{"type": "text", "text": "multi"}]})
    assert answer.status_code == 200, answer.text

    # The same path with another method is another endpoint.
    assert emulator.http.get("/v2/bot/user/all/richmenu", headers=as_a).status_code != 429
    answer = emulator.http.get("/v2/bot/user/all/richmenu", headers=as_a)
    assert answer.status_code == 429 and answer.json() == RATE_LIMITED
    assert emulator.http.delete("/v2/bot/user/all/richmenu", headers=as_a).status_code == 200

    # Token bucket: it refills gradually (3 per hour: one every 20 minutes).
    emulator.advance(1250)
    token = stateless_token(emulator, channel)
    as_a = headers(token, bot_a["bot_id"])
    assert push(emulator, as_a, ids_a[channel["channel_id"]], "refilled").status_code == 200
    answer = push(emulator, as_a, ids_a[channel["channel_id"]], "over again")
    assert answer.status_code == 429 and answer.json() == RATE_LIMITED


def test_rule_29_module_apis_are_limited_to_2000_per_second(emulator: Emulator, emulator_app: Any) -> None:
    setup = attach(emulator, None)
    platform = emulator_app.state.platform
    clock = FrozenClock(platform.clock.now_ms())
    platform.rate_limiter.clock = clock
    channel_id = setup.channel["channel_id"]
    not_attached = "U" + "1" * 32
    endpoints = [
        ("POST", "/v2/bot/channel/detach", "/v2/bot/channel/detach", headers(setup.token),
         {"botId": not_attached}, 400),
        ("POST", f"/v2/bot/chat/{setup.user_id}/control/acquire", "/v2/bot/chat/{chatId}/control/acquire",
         setup.headers, {}, 200),
        ("POST", f"/v2/bot/chat/{setup.user_id}/control/release", "/v2/bot/chat/{chatId}/control/release",
         setup.headers, None, 200),
        ("GET", "/v2/bot/list", "/v2/bot/list", headers(setup.token), None, 200),
    ]
    for method, path, template, hdrs, body, ok in endpoints:
        def call(method: str = method, path: str = path, hdrs: dict[str, str] = hdrs, body: Any = body) -> Any:
            return emulator.http.request(method, path, headers=hdrs, json=body)

        assert call().status_code == ok, path
        buckets = [b for (cid, _bot, m, t), b in platform.rate_limiter.buckets.items()
                   if (cid, m, t) == (channel_id, method, template)]
        assert len(buckets) == 1, (path, list(platform.rate_limiter.buckets))
        assert buckets[0].capacity == 2000  # a burst of 2,000
        buckets[0].tokens = 0.0
        answer = call()
        assert answer.status_code == 429, (path, answer.text)
        assert answer.json() == RATE_LIMITED
        clock.ms += 1  # 2,000 per second refill two tokens per millisecond
        assert call().status_code == ok, path
        assert call().status_code == ok, path
        assert call().status_code == 429, path
        clock.ms += 1000
        assert call().status_code == ok, path
    assert bot_list(emulator, setup.token) == [setup.bot_id]


def test_rule_30_module_user_ids_are_l_ids_per_oa(emulator: Emulator, receiver: WebhookReceiver) -> None:
    channel = emulator.module_channel(receiver.url + "/module")
    person = emulator.person()
    bots = []
    for name in ("A", "B"):
        account = emulator.account(display_name=name,
                                   primary_channel={"webhook_url": receiver.url + f"/primary-{name}"})
        attach_to(emulator, channel, account["bot_id"])
        bots.append(account["bot_id"])
        befriend(emulator, account["bot_id"], person["user_id"])
        say(emulator, account["bot_id"], person["user_id"], f"hi {name}")
    emulator.flush()

    seen: dict[str, str] = {}
    for received in receiver.received:
        for event in received.events:
            if event["type"] != "message":
                continue
            user_id = event["source"]["userId"]
            bot_id = received.body["destination"]
            if received.path == "/module":
                assert len(user_id) == 68 and re.fullmatch(r"LU[0-9a-f]{32}-U[0-9a-f]{32}", user_id)
                assert user_id[1:34].startswith("U") and user_id[34] == "-" and user_id[35:] == bot_id
                seen[bot_id] = user_id
            else:
                assert re.fullmatch(r"U[0-9a-f]{32}", user_id), user_id
                assert received.path == "/primary-" + ("A" if bot_id == bots[0] else "B")
    assert set(seen) == set(bots)
    assert seen[bots[0]] != seen[bots[1]]
    for bot_id in bots:
        relation = emulator.call("GET", f"/_emulator/accounts/{bot_id}/users/{person['user_id']}", expect=200)
        assert relation["ids"][channel["channel_id"]] == seen[bot_id]


def test_rule_31_apis_accept_the_l_id_the_module_received(emulator: Emulator, receiver: WebhookReceiver) -> None:
    channel = emulator.module_channel(receiver.url + "/module", default_active=False)
    account = emulator.account()
    bot_id = account["bot_id"]
    person = emulator.person("Hanako")
    attach_to(emulator, channel, bot_id, "message:send message:receive profile:read")
    befriend(emulator, bot_id, person["user_id"])
    emulator.flush()
    (follow,) = [e for e in receiver.events("/module") if e["type"] == "follow"]
    user_id = follow["source"]["userId"]
    assert user_id.startswith("L")
    hdrs = headers(stateless_token(emulator, channel), bot_id)

    answer = push(emulator, hdrs, user_id, "pushed")
    assert answer.status_code == 200, answer.text
    assert chat_texts(emulator, bot_id, person["user_id"]) == ["pushed"]
    answer = emulator.http.get(f"/v2/bot/profile/{user_id}", headers=hdrs)
    assert answer.status_code == 200, answer.text
    assert answer.json()["userId"] == user_id and answer.json()["displayName"] == "Hanako"
    answer = emulator.http.post("/v2/bot/chat/loading/start", headers=hdrs, json={"chatId": user_id})
    assert answer.status_code == 202, answer.text
    assert answer.json() == {}
    answer = emulator.http.post(f"/v2/bot/chat/{user_id}/control/acquire", headers=hdrs, json={})
    assert answer.status_code == 200, answer.text
    control = emulator.call("GET", f"/_emulator/accounts/{bot_id}/chats/{person['user_id']}/control", expect=200)
    assert control["active_channel_id"] == channel["channel_id"]


def test_rule_32_error_body_shape(emulator: Emulator) -> None:
    setup = attach(emulator, None)
    six = [{"type": "text", "text": str(n)} for n in range(6)]
    answer = emulator.http.post("/v2/bot/message/push", headers=setup.headers,
                                json={"to": setup.user_id, "messages": six})
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert set(body) == {"message", "details"}
    assert body["details"] and all(set(d) <= {"message", "property"} and d for d in body["details"])

    answer = emulator.http.post("/v2/bot/message/push", headers=setup.headers,
                                json={"to": setup.user_id, "messages": [{"type": "text", "text": ""},
                                                                        {"type": "nope"}]})
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["message"] == f"The request body has {len(body['details'])} error(s)"
    assert {d["property"] for d in body["details"]} >= {"messages[0].text", "messages[1].type"}
    assert all(isinstance(d["message"], str) for d in body["details"])

    # Errors without details omit the key (never null, never []).
    for answer in (push(emulator, headers(setup.token), setup.user_id),
                   emulator.http.post("/v2/bot/channel/detach", headers=headers(setup.token), json={"botId": "x"}),
                   emulator.http.post("/v2/bot/message/push", headers=setup.headers, content=b"{"),
                   emulator.http.get("/v2/bot/list", headers=headers("nonsense"))):
        assert answer.status_code >= 400
        assert set(answer.json()) == {"message"}, answer.text
        assert isinstance(answer.json()["message"], str)
