"""Rules 18–22 of docs/emulator-behaviour.md: channel access tokens (platform/tokens.py), one test per rule,
through HTTP only against a real emulator server.
"""

from __future__ import annotations

import jwt

from tests.emulator.calls import (
    ASSERTION_TYPE,
    assertion,
    bot_list_status,
    headers,
    issue_short,
    issue_v21,
    now_s,
    register_key,
    rsa_key,
)
from tests.support.flows import (
    attach,
    stateless_token,
)
from tests.support.servers import Emulator

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

    # The JWT-assertion variant of the same endpoint (LINE documents both).
    private, public = rsa_key()
    kid = register_key(emulator, channel["channel_id"], public)
    answer = emulator.http.post("/oauth2/v3/token", data={
        "grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion(emulator, private, kid, channel["channel_id"])})
    assert answer.status_code == 200, answer.text
    assert answer.json()["expires_in"] == 900 and answer.json()["token_type"] == "Bearer"
    assert emulator.http.get("/v2/bot/info", headers=headers(answer.json()["access_token"], setup.bot_id)
                             ).status_code == 200


def test_a_fresh_stateless_token_verifies_as_valid_until_it_expires(emulator: Emulator) -> None:
    setup = attach(emulator, None, befriend=False)
    token = emulator.http.post("/oauth2/v3/token", data={
        "grant_type": "client_credentials", "client_id": setup.channel["channel_id"],
        "client_secret": setup.channel["channel_secret"]}).json()["access_token"]
    fresh = emulator.http.get("/oauth2/v2.1/verify", params={"access_token": token})
    assert fresh.status_code == 200, fresh.text
    assert fresh.json()["client_id"] == setup.channel["channel_id"] and 0 < fresh.json()["expires_in"] <= 900
    emulator.advance(901)
    expired = emulator.http.get("/oauth2/v2.1/verify", params={"access_token": token})
    assert expired.status_code == 400 and expired.json()["error_description"] == "The access token expired"


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
