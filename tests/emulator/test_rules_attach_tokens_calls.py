"""Spec §14 rules 1–36 (authorization, the attach token endpoint, channel access tokens, calling
APIs as a module, detach), one test per rule, through HTTP only against a real emulator server."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from linemod.emulator.platform import rate_limits
from tests.support.flows import (
    REDIRECT,
    attach,
    authorize_url,
    exchange,
    get_code,
    pkce_pair,
    query_of,
    stateless_token,
)
from tests.support.servers import Emulator, WebhookReceiver

NOT_AVAILABLE = {"message": "Access to this API is not available for your account"}
RATE_LIMITED = {"message": "The API rate limit has been exceeded. Try again later."}
BOT_ID_RE = re.compile(r"^U[0-9a-f]{32}$")
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


# ---- helpers ---------------------------------------------------------------------------------------


def approve(emulator: Emulator, url: str, bot_id: str, decision: str = "approve") -> dict[str, str]:
    """The OA admin answers the consent screen; returns the redirect's query."""
    answer = emulator.call("POST", "/_emulator/authorize", expect=200,
                           json={"authorize_url": url, "bot_id": bot_id, "decision": decision})
    return query_of(answer["redirect_url"])


def attach_to(emulator: Emulator, channel: dict[str, Any], bot_id: str,
              scopes: str = "message:send message:receive") -> dict[str, Any]:
    code = get_code(emulator, channel["channel_id"], bot_id, scopes)
    answer = exchange(emulator, channel, code)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def befriend(emulator: Emulator, bot_id: str, user_id: str) -> dict[str, str]:
    answer = emulator.call("POST", f"/_emulator/accounts/{bot_id}/friends", json={"user_id": user_id}, expect=200)
    return dict(answer["ids"])


def say(emulator: Emulator, bot_id: str, user_id: str, text: str) -> None:
    emulator.call("POST", f"/_emulator/accounts/{bot_id}/chats/{user_id}/messages",
                  json={"type": "text", "text": text}, expect=202)


def headers(token: str, bot_id: str | None = None) -> dict[str, str]:
    out = {"Authorization": f"Bearer {token}"}
    if bot_id is not None:
        out["X-Line-Bot-Id"] = bot_id
    return out


def push(emulator: Emulator, hdrs: dict[str, str], to: str, text: str = "hello") -> httpx.Response:
    return emulator.http.post("/v2/bot/message/push", headers=hdrs,
                              json={"to": to, "messages": [{"type": "text", "text": text}]})


def bot_list(emulator: Emulator, token: str) -> list[str]:
    answer = emulator.http.get("/v2/bot/list", headers=headers(token))
    assert answer.status_code == 200, answer.text
    return [bot["userId"] for bot in answer.json()["bots"]]


def bot_list_status(emulator: Emulator, token: str) -> int:
    return emulator.http.get("/v2/bot/list", headers=headers(token)).status_code


def chat_texts(emulator: Emulator, bot_id: str, user_id: str) -> list[str]:
    chat = emulator.call("GET", f"/_emulator/accounts/{bot_id}/chats/{user_id}/messages", expect=200)
    return [m["message"].get("text", "") for m in chat["messages"]]


def now_s(emulator: Emulator) -> int:
    return int(emulator.call("GET", "/_emulator/clock", expect=200)["now_ms"]) // 1000


def rsa_key() -> tuple[rsa.RSAPrivateKey, dict[str, Any]]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    public.update({"alg": "RS256", "use": "sig"})
    assert "kid" not in public
    return private, public


def register_key(emulator: Emulator, channel_id: str, jwk: dict[str, Any]) -> str:
    answer = emulator.http.post(f"/_emulator/module-channels/{channel_id}/public-keys", json=jwk)
    assert answer.status_code in (200, 201), answer.text
    assert set(answer.json()) == {"kid"}
    return str(answer.json()["kid"])


def assertion(emulator: Emulator, private: rsa.RSAPrivateKey, kid: str, channel_id: str, **claims: Any) -> str:
    now = now_s(emulator)
    payload = {"iss": channel_id, "sub": channel_id, "aud": "https://api.line.me/", "exp": now + 60 * 25,
               "token_exp": 86400, **claims}
    return jwt.encode(payload, private, algorithm="RS256", headers={"kid": kid, "typ": "JWT"})


def issue_v21(emulator: Emulator, client_assertion: str) -> httpx.Response:
    return emulator.http.post("/oauth2/v2.1/token", data={
        "grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": client_assertion})


def issue_short(emulator: Emulator, channel: dict[str, Any], secret: str | None = None) -> httpx.Response:
    return emulator.http.post("/v2/oauth/accessToken", data={
        "grant_type": "client_credentials", "client_id": channel["channel_id"],
        "client_secret": secret if secret is not None else channel["channel_secret"]})


class FrozenClock:
    """Stands in for the rate limiter's clock, so token-bucket refill is exactly what a test says."""

    def __init__(self, now_ms: int) -> None:
        self.ms = now_ms

    def now_ms(self) -> int:
        return self.ms


# ---- authorization (manager.line.biz) --------------------------------------------------------------


def test_rule_01_authorize_shows_a_consent_screen(emulator: Emulator) -> None:
    channel = emulator.module_channel(None, name="Table Reservations")
    account = emulator.account(display_name="Cafe Sakura")
    url = authorize_url(emulator.url, channel["channel_id"], "message:send message:receive profile:read")
    page = emulator.http.get(url, follow_redirects=False)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "Table Reservations" in html
    for scope in ("message:send", "message:receive", "profile:read"):
        assert f"<code>{scope}</code>" in html
    assert "Cafe Sakura" in html and f'value="{account["bot_id"]}"' in html
    assert 'name="decision" value="approve"' in html and 'name="decision" value="deny"' in html
    assert re.search(r'name="request_id" value="[A-Za-z0-9]+"', html)

    # Only a request with every required part gets the screen.
    base = {"response_type": "code", "client_id": channel["channel_id"], "redirect_uri": REDIRECT,
            "scope": "message:send", "state": "abc123"}
    for broken in ({"response_type": "token"}, {"scope": ""}):
        answer = emulator.http.get(f"{emulator.url}/module/auth/v1/authorize?{urlencode({**base, **broken})}",
                                   follow_redirects=False)
        assert answer.status_code == 302, (broken, answer.status_code)
        assert "error" in query_of(answer.headers["location"])
    for state in ("", "abc%20123", "a-b"):
        answer = emulator.http.get(f"{emulator.url}/module/auth/v1/authorize?{urlencode({**base, 'state': state})}",
                                   follow_redirects=False)
        assert answer.status_code == 400 and "location" not in answer.headers, state


def test_rule_02_approval_redirects_with_code_and_identical_state(emulator: Emulator) -> None:
    registered = "https://module.example/auth?key=value&lang=ja"
    channel = emulator.module_channel(None, redirect_uris=[REDIRECT, registered])
    account = emulator.account()
    state = "Zq9XaB7c0pLm"
    params = {"response_type": "code", "client_id": channel["channel_id"], "redirect_uri": registered,
              "scope": "message:send message:receive", "state": state}
    page = emulator.http.get(f"{emulator.url}/module/auth/v1/authorize?{urlencode(params)}")
    assert page.status_code == 200, page.text
    request_id = re.search(r'name="request_id" value="([A-Za-z0-9]+)"', page.text)
    assert request_id is not None
    answer = emulator.http.post("/module/auth/v1/authorize", follow_redirects=False, data={
        "request_id": request_id.group(1), "bot_id": account["bot_id"], "decision": "approve"})
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    parts = urlsplit(location)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "module.example", "/auth")
    query = query_of(location)
    assert set(query) == {"key", "lang", "code", "state"}
    assert query["key"] == "value" and query["lang"] == "ja"
    assert query["state"] == state and f"state={state}" in parts.query
    assert query["code"]

    # The code is good for the token call with the same redirect_uri.
    token = emulator.http.post("/module/auth/v1/token", data={
        "grant_type": "authorization_code", "code": query["code"], "redirect_uri": registered,
    }, auth=(channel["channel_id"], channel["channel_secret"]))
    assert token.status_code == 200, token.text
    assert token.json()["bot_id"] == account["bot_id"]


def test_rule_03_refusal_redirects_with_error_and_state(emulator: Emulator) -> None:
    channel = emulator.module_channel(None)
    account = emulator.account()
    url = authorize_url(emulator.url, channel["channel_id"], state="Refuse42")
    page = emulator.http.get(url)
    request_id = re.search(r'name="request_id" value="([A-Za-z0-9]+)"', page.text)
    assert request_id is not None
    answer = emulator.http.post("/module/auth/v1/authorize", follow_redirects=False, data={
        "request_id": request_id.group(1), "bot_id": account["bot_id"], "decision": "deny"})
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    assert location.startswith(REDIRECT + "?")
    query = query_of(location)
    assert set(query) == {"error", "error_description", "state"}
    assert query["error"] == "access_denied" and query["error_description"] and query["state"] == "Refuse42"

    # The same through the control API.
    query = approve(emulator, authorize_url(emulator.url, channel["channel_id"], state="Again1"),
                    account["bot_id"], "deny")
    assert set(query) == {"error", "error_description", "state"}
    assert query["error"] == "access_denied" and query["state"] == "Again1"


def test_rule_04_untrusted_client_or_redirect_shows_an_error_page(emulator: Emulator) -> None:
    channel = emulator.module_channel(None)
    account = emulator.account(primary_channel={"webhook_url": None})
    base = {"response_type": "code", "client_id": channel["channel_id"], "redirect_uri": REDIRECT,
            "scope": "message:send", "state": "abc123"}
    cases = [
        {k: v for k, v in base.items() if k != "client_id"},
        {**base, "client_id": "9999999999"},
        {**base, "client_id": ""},
        {**base, "client_id": account["primary_channel"]["channel_id"]},  # not a module channel
        {**base, "redirect_uri": "https://evil.example/callback"},
        {**base, "redirect_uri": REDIRECT + "?extra=1"},
        {k: v for k, v in base.items() if k != "redirect_uri"},
    ]
    for params in cases:
        url = f"{emulator.url}/module/auth/v1/authorize?{urlencode(params)}"
        page = emulator.http.get(url, follow_redirects=False)
        assert page.status_code == 400, (params, page.status_code)
        assert "location" not in page.headers
        assert page.headers["content-type"].startswith("text/html")
        control = emulator.http.post("/_emulator/authorize", json={
            "authorize_url": url, "bot_id": account["bot_id"], "decision": "approve"})
        assert control.status_code == 400, (params, control.text)
        assert "redirect_url" not in control.json()


def test_rule_05_basic_search_id_limits_the_attachable_oa(emulator: Emulator) -> None:
    channel = emulator.module_channel(None)
    wanted = emulator.account(display_name="Wanted", basic_id="@123abcd")
    other = emulator.account(display_name="Other", basic_id="@456efgh")
    url = authorize_url(emulator.url, channel["channel_id"], basic_search_id="@123abcd")

    page = emulator.http.get(url)
    assert page.status_code == 200
    assert re.search(rf'value="{other["bot_id"]}"\s+disabled', page.text)
    assert not re.search(rf'value="{wanted["bot_id"]}"\s+disabled', page.text)

    refused = approve(emulator, url, other["bot_id"])
    assert refused["error"] == "access_denied" and "code" not in refused
    code = approve(emulator, url, wanted["bot_id"])["code"]
    answer = exchange(emulator, channel, code, basic_search_id="@123abcd")
    assert answer.status_code == 200, answer.text
    assert answer.json()["bot_id"] == wanted["bot_id"]

    # §15.32: the value may be given without '@'.
    bare = authorize_url(emulator.url, channel["channel_id"], basic_search_id="456efgh")
    assert approve(emulator, bare, wanted["bot_id"])["error"] == "access_denied"
    code = approve(emulator, bare, other["bot_id"])["code"]
    answer = exchange(emulator, channel, code, basic_search_id="@456efgh")  # the same OA, the other form
    assert answer.status_code == 200, answer.text
    assert answer.json()["bot_id"] == other["bot_id"]
    code = approve(emulator, bare, other["bot_id"])["code"]
    answer = exchange(emulator, channel, code, basic_search_id="@123abcd")  # §15.10: a different value
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "invalid_request"


def test_rule_06_brand_type_excludes_other_account_types(emulator: Emulator) -> None:
    channel = emulator.module_channel(None)
    premium = emulator.account(brand_type="premium")
    verified = emulator.account(brand_type="verified")
    unverified = emulator.account(brand_type="unverified")
    url = authorize_url(emulator.url, channel["channel_id"], brand_type="premium verified")
    assert "%20" in url or "+" in url

    refused = approve(emulator, url, unverified["bot_id"])
    assert refused["error"] == "access_denied" and "code" not in refused
    assert "code" in approve(emulator, url, premium["bot_id"])

    # Re-checked at the token call (§15.6): the OA stopped qualifying after consent.
    code = approve(emulator, url, verified["bot_id"])["code"]
    emulator.call("PATCH", f"/_emulator/accounts/{verified['bot_id']}", json={"brand_type": "unverified"},
                  expect=200)
    answer = exchange(emulator, channel, code)
    assert answer.status_code == 403, answer.text
    assert answer.json()["error"] == "access_denied"
    token = stateless_token(emulator, channel)
    assert bot_list(emulator, token) == []


def test_rule_07_region_excludes_accounts_of_the_other_region(emulator: Emulator) -> None:
    channel = emulator.module_channel(None)
    japan = emulator.account(region="JP")
    taiwan = emulator.account(region="TW")
    url = authorize_url(emulator.url, channel["channel_id"], region="JP")

    refused = approve(emulator, url, taiwan["bot_id"])
    assert refused["error"] == "access_denied" and "code" not in refused
    code = approve(emulator, url, japan["bot_id"])["code"]
    emulator.call("PATCH", f"/_emulator/accounts/{japan['bot_id']}", json={"region": "TW"}, expect=200)
    answer = exchange(emulator, channel, code, region="JP")
    assert answer.status_code == 403, answer.text
    assert answer.json()["error"] == "access_denied"

    tw_url = authorize_url(emulator.url, channel["channel_id"], region="TW")
    code = approve(emulator, tw_url, taiwan["bot_id"])["code"]
    answer = exchange(emulator, channel, code, region="JP")  # §15.10: echoed differently
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "invalid_request"
    answer = exchange(emulator, channel, code, region="TW")
    assert answer.status_code == 200, answer.text
    assert answer.json()["bot_id"] == taiwan["bot_id"]


def test_rule_08_one_default_active_module_per_oa(emulator: Emulator) -> None:
    first = emulator.module_channel(None, name="First")
    second = emulator.module_channel(None, name="Second")
    standby = emulator.module_channel(None, name="Standby", default_active=False)
    account = emulator.account()
    bot_id = account["bot_id"]

    early_code = get_code(emulator, second["channel_id"], bot_id)  # consent given before `first` attaches
    attach_to(emulator, first, bot_id)

    refused = approve(emulator, authorize_url(emulator.url, second["channel_id"]), bot_id)
    assert refused["error"] == "access_denied" and "code" not in refused
    answer = exchange(emulator, second, early_code)
    assert answer.status_code == 403, answer.text
    body = answer.json()
    assert body["error"] == "access_denied" and set(body) == {"error", "error_description"}
    assert bot_list(emulator, stateless_token(emulator, second)) == []

    # A module without Default Active may still join, and `first` may re-authorize.
    attach_to(emulator, standby, bot_id)
    attach_to(emulator, first, bot_id, "message:send message:receive profile:read")

    # Once `first` is detached, the OA is free for another Default-Active module.
    detach = emulator.http.post("/v2/bot/channel/detach", headers=headers(stateless_token(emulator, first)),
                                json={"botId": bot_id})
    assert detach.status_code == 200, detach.text
    assert attach_to(emulator, second, bot_id)["bot_id"] == bot_id


def test_rule_09_codes_are_single_use(emulator: Emulator, receiver: WebhookReceiver) -> None:
    channel = emulator.module_channel(receiver.url + "/module")
    account = emulator.account()
    code = get_code(emulator, channel["channel_id"], account["bot_id"])
    first = exchange(emulator, channel, code)
    assert first.status_code == 200, first.text
    second = exchange(emulator, channel, code)
    assert second.status_code == 400, second.text
    body = second.json()
    assert body["error"] == "invalid_grant" and set(body) == {"error", "error_description"}
    emulator.flush()
    assert [e["module"]["type"] for e in receiver.events("/module")] == ["attached"]


def test_rule_10_codes_expire(emulator: Emulator, emulator_app: Any) -> None:
    channel = emulator.module_channel(None)
    account = emulator.account()
    bot_id = account["bot_id"]
    in_time = get_code(emulator, channel["channel_id"], bot_id)
    too_late = get_code(emulator, channel["channel_id"], bot_id)
    emulator.advance(590)
    answer = exchange(emulator, channel, in_time)
    assert answer.status_code == 200, answer.text
    emulator.advance(11)
    answer = exchange(emulator, channel, too_late)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "invalid_grant"

    # The lifetime is configurable.
    emulator_app.state.platform.settings.code_lifetime_seconds = 30
    code = get_code(emulator, channel["channel_id"], bot_id)
    emulator.advance(31)
    answer = exchange(emulator, channel, code)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "invalid_grant"


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

    code = get_code(emulator, channel["channel_id"], bot_id)
    wrong = [
        {"data": {**form, "code": code}},
        {"data": {**form, "code": code}, "auth": (channel["channel_id"], "0" * 32)},
        {"data": {**form, "code": code}, "auth": ("9999999999", channel["channel_secret"])},
        {"data": {**form, "code": code, "client_id": channel["channel_id"], "client_secret": "0" * 32}},
        {"data": {**form, "code": code, "client_id": channel["channel_id"]}},
        {"data": {**form, "code": code, "client_secret": channel["channel_secret"]}},
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

    # §15.31: a challenge without a method is S256.
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


# ---- channel access tokens --------------------------------------------------------------------------


def test_rule_18_stateless_token_lasts_15_minutes(emulator: Emulator) -> None:
    setup = attach(emulator, None, befriend=False)
    channel = setup.channel
    answer = emulator.http.post("/oauth2/v3/token", data={
        "grant_type": "client_credentials", "client_id": channel["channel_id"],
        "client_secret": channel["channel_secret"]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"token_type", "access_token", "expires_in"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900 and body["access_token"]
    token = body["access_token"]
    info = emulator.http.get("/v2/bot/info", headers=headers(token, setup.bot_id))
    assert info.status_code == 200, info.text
    emulator.advance(890)
    assert emulator.http.get("/v2/bot/info", headers=headers(token, setup.bot_id)).status_code == 200
    emulator.advance(11)
    expired = emulator.http.get("/v2/bot/info", headers=headers(token, setup.bot_id))
    assert expired.status_code == 401, expired.text
    assert set(expired.json()) == {"message"}
    assert bot_list_status(emulator, token) == 401

    # The JWT-assertion variant of the same endpoint (spec §6.2).
    private, public = rsa_key()
    kid = register_key(emulator, channel["channel_id"], public)
    answer = emulator.http.post("/oauth2/v3/token", data={
        "grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion(emulator, private, kid, channel["channel_id"])})
    assert answer.status_code == 200, answer.text
    assert answer.json()["expires_in"] == 900 and answer.json()["token_type"] == "Bearer"
    assert emulator.http.get("/v2/bot/info", headers=headers(answer.json()["access_token"], setup.bot_id)
                             ).status_code == 200


def test_rule_19_stateless_token_with_wrong_secret(emulator: Emulator) -> None:
    channel = emulator.module_channel(None)
    expected = {"error": "invalid_request", "error_description": "Invalid 'client_credentials'."}
    for client_id, secret in ((channel["channel_id"], "0" * 32), ("9999999999", channel["channel_secret"]),
                              (channel["channel_id"], "")):
        answer = emulator.http.post("/oauth2/v3/token", data={
            "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret})
        assert answer.status_code == 400, answer.text
        assert answer.json() == expected


def test_rule_20_v21_token_by_jwt_assertion(emulator: Emulator) -> None:
    setup = attach(emulator, None, befriend=False)
    channel_id = setup.channel["channel_id"]
    private, public = rsa_key()
    kid = register_key(emulator, channel_id, public)

    answer = issue_v21(emulator, assertion(emulator, private, kid, channel_id, token_exp=3600))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "key_id"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["key_id"]
    info = emulator.http.get("/v2/bot/info", headers=headers(body["access_token"], setup.bot_id))
    assert info.status_code == 200, info.text

    # An unregistered kid, or a key of another channel.
    other_private, other_public = rsa_key()
    answer = issue_v21(emulator, assertion(emulator, other_private, "unknownKid123", channel_id))
    assert answer.status_code == 404, answer.text
    assert answer.json() == {"message": "Cannot find channel key that satisfies the conditions"}
    other = emulator.module_channel(None, name="Other")
    other_kid = register_key(emulator, other["channel_id"], other_public)
    answer = issue_v21(emulator, assertion(emulator, other_private, other_kid, channel_id))
    assert answer.status_code == 404, answer.text
    assert answer.json() == {"message": "Cannot find channel key that satisfies the conditions"}

    # Claims outside the documented bounds.
    answer = issue_v21(emulator, assertion(emulator, private, kid, channel_id, sub="1111111111"))
    assert answer.status_code == 400, answer.text
    assert answer.json() == {"error": "invalid_client", "error_description": "iss and clientId of key do not match"}
    now = now_s(emulator)
    for claims in ({"aud": "https://example.com/"}, {"exp": now + 31 * 60}, {"exp": now - 10},
                   {"token_exp": 2_592_001}):
        answer = issue_v21(emulator, assertion(emulator, private, kid, channel_id, **claims))
        assert answer.status_code == 400, (claims, answer.text)
    answer = issue_v21(emulator, jwt.encode({"iss": channel_id, "sub": channel_id, "aud": "https://api.line.me/",
                                             "exp": now + 600}, other_private, algorithm="RS256",
                                            headers={"kid": kid}))
    assert answer.status_code == 400, answer.text  # a signature by the wrong key
    answer = issue_v21(emulator, assertion(emulator, private, kid, channel_id, token_exp=2_592_000))
    assert answer.status_code == 200 and answer.json()["expires_in"] == 2_592_000

    # At most 30 live tokens; expired ones do not count.
    for _ in range(28):
        answer = issue_v21(emulator, assertion(emulator, private, kid, channel_id, token_exp=3600))
        assert answer.status_code == 200, answer.text
    answer = issue_v21(emulator, assertion(emulator, private, kid, channel_id))
    assert answer.status_code == 400, answer.text
    assert answer.json() == {"message": "The maximum number of access tokens has already been issued"}
    emulator.advance(3601)
    answer = issue_v21(emulator, assertion(emulator, private, kid, channel_id))
    assert answer.status_code == 200, answer.text


def test_rule_21_short_lived_tokens_31st_revokes_the_oldest(emulator: Emulator) -> None:
    setup = attach(emulator, None, befriend=False)
    channel = setup.channel
    tokens = []
    for _ in range(30):
        answer = issue_short(emulator, channel)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert set(body) == {"access_token", "expires_in", "token_type"}
        assert body["expires_in"] == 2_592_000 and body["token_type"] == "Bearer"
        tokens.append(body["access_token"])
    assert len(set(tokens)) == 30
    for token in tokens:
        assert emulator.http.get("/v2/bot/info", headers=headers(token, setup.bot_id)).status_code == 200

    newest = issue_short(emulator, channel).json()["access_token"]
    assert emulator.http.get("/v2/bot/info", headers=headers(tokens[0], setup.bot_id)).status_code == 401
    verify = emulator.http.post("/v2/oauth/verify", data={"access_token": tokens[0]})
    assert verify.status_code == 400
    assert verify.json() == {"error": "invalid_request", "error_description": "access_token invalid"}
    for token in [*tokens[1:], newest]:
        assert emulator.http.get("/v2/bot/info", headers=headers(token, setup.bot_id)).status_code == 200
    verify = emulator.http.post("/v2/oauth/verify", data={"access_token": newest})
    assert verify.status_code == 200, verify.text
    assert verify.json()["client_id"] == channel["channel_id"]
    assert 2_591_990 <= verify.json()["expires_in"] <= 2_592_000

    # Wrong credentials.
    answer = issue_short(emulator, channel, "0" * 32)
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_client", "error_description": "invalid client_secret"}
    answer = issue_short(emulator, {"channel_id": "9999999999", "channel_secret": channel["channel_secret"]})
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_client", "error_description": "invalid client_id"}

    # Thirty days.
    emulator.advance(2_592_000 - 60)
    assert emulator.http.get("/v2/bot/info", headers=headers(newest, setup.bot_id)).status_code == 200
    emulator.advance(61)
    assert emulator.http.get("/v2/bot/info", headers=headers(newest, setup.bot_id)).status_code == 401


def test_rule_22_module_channels_get_no_long_lived_token(emulator: Emulator) -> None:
    setup = attach(emulator, None, befriend=False)
    channel = setup.channel
    settings = emulator.call("GET", "/_emulator/module-channels", expect=200)["module_channels"]
    for record in [channel, *settings]:
        assert not [key for key in record if "token" in key.lower()], record

    # Every token a module can get expires: the longest-lived one lasts 30 days.
    stateless = stateless_token(emulator, channel)
    short = issue_short(emulator, channel).json()
    assert short["expires_in"] == 2_592_000
    private, public = rsa_key()
    kid = register_key(emulator, channel["channel_id"], public)
    v21 = issue_v21(emulator, assertion(emulator, private, kid, channel["channel_id"], token_exp=2_592_000)).json()
    assert v21["expires_in"] == 2_592_000
    emulator.advance(2_592_001)
    for token in (stateless, short["access_token"], v21["access_token"]):
        answer = emulator.http.get("/v2/bot/info", headers=headers(token, setup.bot_id))
        assert answer.status_code == 401, answer.text


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


def test_every_rule_has_a_test() -> None:
    names = {name for name in globals() if name.startswith("test_rule_")}
    assert sorted(int(name.split("_")[2]) for name in names) == list(range(1, 37))
