"""Rules 11–17 of docs/emulator-behaviour.md: the attach token endpoint and what attaching does (platform/attach.py:
exchange, attach), one test per rule, through HTTP only against a real emulator server.
"""

from __future__ import annotations

from tests.emulator.calls import (
    BOT_ID_RE,
    attach_to,
    befriend,
    bot_list,
    headers,
    say,
)
from tests.support.flows import (
    REDIRECT,
    attach,
    exchange,
    get_code,
    pkce_pair,
    stateless_token,
)
from tests.support.servers import Emulator, WebhookReceiver

# ---- token (attach) endpoint ------------------------------------------------------------------------


def test_rule_11_token_call_takes_basic_or_body_credentials(emulator: Emulator) -> None:
    channel = emulator.module_channel(None)
    account = emulator.account()
    bot_id = account["bot_id"]
    form = {"grant_type": "authorization_code", "redirect_uri": REDIRECT}

    code = get_code(emulator, channel["channel_id"], bot_id)
    answer = emulator.http.post("/module/auth/v1/token", data={
        **form, "code": code, "client_id": channel["channel_id"], "client_secret": channel["channel_secret"]})
    assert answer.status_code == 200, answer.text

    code = get_code(emulator, channel["channel_id"], bot_id)
    answer = emulator.http.post("/module/auth/v1/token", data={**form, "code": code},
                                auth=(channel["channel_id"], channel["channel_secret"]))
    assert answer.status_code == 200, answer.text

    # LINE's Node.js SDK: the form's credentials beside a Bearer header (it cannot send Basic)
    code = get_code(emulator, channel["channel_id"], bot_id)
    node_sdk = {**form, "code": code, "client_id": channel["channel_id"], "client_secret": channel["channel_secret"]}
    answer = emulator.http.post("/module/auth/v1/token", data=node_sdk, headers={"Authorization": "Bearer x.y.z"})
    assert answer.status_code == 200, answer.text

    code = get_code(emulator, channel["channel_id"], bot_id)
    wrong = [
        {"data": {**form, "code": code}},
        {"data": {**form, "code": code}, "auth": (channel["channel_id"], "0" * 32)},
        {"data": {**form, "code": code}, "auth": ("9999999999", channel["channel_secret"])},
        {"data": {**form, "code": code, "client_id": channel["channel_id"], "client_secret": "0" * 32}},
        {"data": {**form, "code": code, "client_id": channel["channel_id"]}},
        {"data": {**form, "code": code, "client_secret": channel["channel_secret"]}},
        {"data": {**form, "code": code}, "headers": {"Authorization": "Bearer x.y.z"}},  # no credentials at all
        {  # a Bearer header does not make wrong form credentials right
            "data": {**form, "code": code, "client_id": channel["channel_id"], "client_secret": "0" * 32},
            "headers": {"Authorization": "Bearer x.y.z"},
        },
    ]
    for kwargs in wrong:
        answer = emulator.http.post("/module/auth/v1/token", **kwargs)  # type: ignore[arg-type]
        assert answer.status_code in (400, 403), (kwargs, answer.text)
        assert "bot_id" not in answer.json()


def test_rule_12_grant_type_code_and_matching_redirect_uri_required(emulator: Emulator) -> None:
    other = "https://module.example/other"
    channel = emulator.module_channel(None, redirect_uris=[REDIRECT, other])
    account = emulator.account()
    code = get_code(emulator, channel["channel_id"], account["bot_id"])
    creds = (channel["channel_id"], channel["channel_secret"])
    good = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    cases = [
        {**good, "grant_type": "client_credentials"},
        {k: v for k, v in good.items() if k != "grant_type"},
        {k: v for k, v in good.items() if k != "code"},
        {k: v for k, v in good.items() if k != "redirect_uri"},
        {**good, "redirect_uri": other},
        {**good, "redirect_uri": REDIRECT + "/"},
    ]
    for form in cases:
        answer = emulator.http.post("/module/auth/v1/token", data=form, auth=creds)
        assert answer.status_code == 400, (form, answer.text)
        assert "error" in answer.json()
    mismatch = emulator.http.post("/module/auth/v1/token", data={**good, "redirect_uri": other}, auth=creds)
    assert mismatch.json()["error"] == "invalid_grant"
    assert bot_list(emulator, stateless_token(emulator, channel)) == []


def test_rule_13_pkce_verifier_must_match_the_challenge(emulator: Emulator) -> None:
    channel = emulator.module_channel(None)
    account = emulator.account()
    bot_id = account["bot_id"]
    verifier, challenge = pkce_pair()
    other_verifier, _ = pkce_pair()
    pkce = {"code_challenge": challenge, "code_challenge_method": "S256"}

    code = get_code(emulator, channel["channel_id"], bot_id, **pkce)
    answer = exchange(emulator, channel, code)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "invalid_grant"

    code = get_code(emulator, channel["channel_id"], bot_id, **pkce)
    answer = exchange(emulator, channel, code, code_verifier=other_verifier)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "invalid_grant"

    code = get_code(emulator, channel["channel_id"], bot_id, **pkce)
    answer = exchange(emulator, channel, code, code_verifier=challenge)  # the challenge is not the verifier
    assert answer.status_code == 400, answer.text
    assert bot_list(emulator, stateless_token(emulator, channel)) == []

    code = get_code(emulator, channel["channel_id"], bot_id, **pkce)
    answer = exchange(emulator, channel, code, code_verifier=verifier)
    assert answer.status_code == 200, answer.text

    # Choice 31: a challenge without a method is S256.
    code = get_code(emulator, channel["channel_id"], bot_id, code_challenge=challenge)
    assert exchange(emulator, channel, code, code_verifier=other_verifier).status_code == 400
    code = get_code(emulator, channel["channel_id"], bot_id, code_challenge=challenge)
    assert exchange(emulator, channel, code, code_verifier=verifier).status_code == 200


def test_rule_14_token_success_answers_bot_id_and_scopes(emulator: Emulator) -> None:
    channel = emulator.module_channel(None)
    account = emulator.account()
    code = get_code(emulator, channel["channel_id"], account["bot_id"], "message:send message:receive profile:read")
    answer = exchange(emulator, channel, code)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].split(";")[0] == "application/json"
    assert answer.json() == {"bot_id": account["bot_id"],
                             "scopes": ["message:send", "message:receive", "profile:read"]}
    assert BOT_ID_RE.match(answer.json()["bot_id"])


def test_rule_15_attach_sends_exactly_one_attached_webhook(emulator: Emulator, receiver: WebhookReceiver) -> None:
    channel = emulator.module_channel(receiver.url + "/module")
    account = emulator.account(primary_channel={"webhook_url": receiver.url + "/primary"})
    bot_id = account["bot_id"]
    code = get_code(emulator, channel["channel_id"], bot_id, "message:send message:receive")
    answer = exchange(emulator, channel, code)
    assert answer.status_code == 200, answer.text
    emulator.flush()
    assert len(receiver.received) == 1
    received = receiver.received[0]
    assert received.path == "/module"
    assert received.body["destination"] == bot_id == answer.json()["bot_id"]
    (event,) = received.events
    assert event["type"] == "module" and event["mode"] == "active"
    assert event["module"] == {"type": "attached", "botId": bot_id, "scopes": ["message:send", "message:receive"]}
    assert "source" not in event and "replyToken" not in event
    assert event["deliveryContext"] == {"isRedelivery": False}

    # Not sent to a module without message:receive, nor to one with webhooks off.
    receiver.clear()
    no_receive = emulator.module_channel(receiver.url + "/no-receive", default_active=False)
    attach_to(emulator, no_receive, bot_id, "message:send")
    webhook_off = emulator.module_channel(receiver.url + "/off", default_active=False, webhook_enabled=False)
    attach_to(emulator, webhook_off, bot_id, "message:send message:receive")
    emulator.flush()
    assert receiver.received == []


def test_rule_16_default_active_module_gets_active_primary_standby(
        emulator: Emulator, receiver: WebhookReceiver) -> None:
    channel = emulator.module_channel(receiver.url + "/module")
    account = emulator.account(primary_channel={"webhook_url": receiver.url + "/primary"})
    bot_id = account["bot_id"]
    early, taken, released, late = (emulator.person(name) for name in ("Early", "Taken", "Released", "Late"))
    for person in (early, taken, released):
        befriend(emulator, bot_id, person["user_id"])
    say(emulator, bot_id, early["user_id"], "before attach")
    emulator.flush()
    (before,) = [e for e in receiver.events("/primary") if e["type"] == "message"]
    assert before["mode"] == "active" and "replyToken" in before

    # Chats where another (non-Default-Active) module took or gave back control before the attach.
    other = emulator.module_channel(receiver.url + "/other", name="Other", default_active=False)
    attach_to(emulator, other, bot_id)
    other_headers = headers(stateless_token(emulator, other), bot_id)
    for person in (taken, released):
        seen = emulator.call("GET", f"/_emulator/accounts/{bot_id}/users/{person['user_id']}",
                             expect=200)["ids"][other["channel_id"]]
        answer = emulator.http.post(f"/v2/bot/chat/{seen}/control/acquire", headers=other_headers,
                                    json={"expired": False})
        assert answer.status_code == 200, answer.text
    seen = emulator.call("GET", f"/_emulator/accounts/{bot_id}/users/{released['user_id']}",
                         expect=200)["ids"][other["channel_id"]]
    answer = emulator.http.post(f"/v2/bot/chat/{seen}/control/release", headers=other_headers)
    assert answer.status_code == 200, answer.text

    attach_to(emulator, channel, bot_id)
    befriend(emulator, bot_id, late["user_id"])
    emulator.flush()
    receiver.clear()
    texts = {"Early": "one", "Taken": "two", "Released": "three", "Late": "four"}
    for person in (early, taken, released, late):
        say(emulator, bot_id, person["user_id"], texts[person["display_name"]])
    emulator.flush()
    module = [e for e in receiver.events("/module") if e["type"] == "message"]
    primary = [e for e in receiver.events("/primary") if e["type"] == "message"]
    others = [e for e in receiver.events("/other") if e["type"] == "message"]
    for events in (module, primary, others):
        assert sorted(e["message"]["text"] for e in events) == sorted(texts.values())
    for event in module:
        assert event["mode"] == "active" and isinstance(event["replyToken"], str) and event["replyToken"]
    for event in primary + others:
        assert event["mode"] == "standby" and "replyToken" not in event
    by_text = {e["message"]["text"]: e for e in primary}
    for event in module:
        assert event["message"]["id"] == by_text[event["message"]["text"]]["message"]["id"]


def test_rule_17_non_default_active_module_stays_standby_until_acquire(
        emulator: Emulator, receiver: WebhookReceiver) -> None:
    setup = attach(emulator, receiver.url + "/module", channel_extra={"default_active": False},
                   account_extra={"primary_channel": {"webhook_url": receiver.url + "/primary"}})
    person = setup.person["user_id"]
    say(emulator, setup.bot_id, person, "first")
    say(emulator, setup.bot_id, person, "second")
    emulator.flush()
    module = [e for e in receiver.events("/module") if e["type"] in ("message", "follow")]
    primary = [e for e in receiver.events("/primary") if e["type"] in ("message", "follow")]
    assert [e["type"] for e in module] == ["follow", "message", "message"]
    assert all(e["mode"] == "standby" and "replyToken" not in e for e in module)
    assert all(e["mode"] == "active" and "replyToken" in e for e in primary)

    answer = emulator.http.post(f"/v2/bot/chat/{setup.user_id}/control/acquire", headers=setup.headers, json={})
    assert answer.status_code == 200, answer.text
    receiver.clear()
    say(emulator, setup.bot_id, person, "third")
    emulator.flush()
    (event,) = [e for e in receiver.events("/module") if e["type"] == "message"]
    assert event["mode"] == "active" and "replyToken" in event
