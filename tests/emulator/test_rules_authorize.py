"""Rules 1–10 of docs/emulator-behaviour.md: the authorize request, the consent screen's choices and the authorization
code (platform/attach.py: begin, decide), one test per rule, through HTTP only against a real emulator server.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode, urlsplit

from tests.emulator.calls import (
    approve,
    attach_to,
    bot_list,
    headers,
)
from tests.support.flows import (
    REDIRECT,
    authorize_url,
    exchange,
    get_code,
    query_of,
    stateless_token,
)
from tests.support.servers import Emulator, WebhookReceiver

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

    # Choice 32: the value may be given without '@'.
    bare = authorize_url(emulator.url, channel["channel_id"], basic_search_id="456efgh")
    assert approve(emulator, bare, wanted["bot_id"])["error"] == "access_denied"
    code = approve(emulator, bare, other["bot_id"])["code"]
    answer = exchange(emulator, channel, code, basic_search_id="@456efgh")  # the same OA, the other form
    assert answer.status_code == 200, answer.text
    assert answer.json()["bot_id"] == other["bot_id"]
    code = approve(emulator, bare, other["bot_id"])["code"]
    answer = exchange(emulator, channel, code, basic_search_id="@123abcd")  # choice 10: a different value
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

    # Re-checked at the token call (choice 6): the OA stopped qualifying after consent.
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
    answer = exchange(emulator, channel, code, region="JP")  # choice 10: echoed differently
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
