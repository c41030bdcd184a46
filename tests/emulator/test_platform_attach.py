"""Attach rules called on `Platform` itself, without HTTP (platform/attach.py; the same rules as
test_rules_authorize.py and test_rules_attach_token.py check through the emulator's HTTP API)."""

from __future__ import annotations

import pytest

from linemod.emulator.errors import OAuthError
from tests.emulator.platform_world import consent, exchange, new_module, plain_world, query


def test_rule_03_refusal_redirects_with_error_and_state_on_the_platform() -> None:
    w = plain_world()
    other = new_module(w.platform, "Points", default_active=False)
    answer = query(consent(w.platform, other, w.account.bot_id, approve=False))
    assert (answer["error"], answer["state"]) == ("access_denied", "abc123")
    assert "code" not in answer
    assert w.platform.attachment(other.channel_id, w.account.bot_id) is None


def test_rule_09_codes_are_single_use_on_the_platform() -> None:
    w = plain_world()
    other = new_module(w.platform, "Points", default_active=False)
    code = query(consent(w.platform, other, w.account.bot_id))["code"]
    assert exchange(w.platform, other, code) == {"bot_id": w.account.bot_id,
                                                 "scopes": ["message:send", "message:receive"]}
    [attached] = w.events(other.channel_id)
    assert attached["module"] == {"type": "attached", "botId": w.account.bot_id,
                                  "scopes": ["message:send", "message:receive"]}
    with pytest.raises(OAuthError) as again:
        exchange(w.platform, other, code)
    assert (again.value.error, again.value.description) == (
        "invalid_grant", "The authorization code has already been used.")


def test_rule_10_codes_expire_on_the_platform() -> None:
    w = plain_world()
    other = new_module(w.platform, "Points", default_active=False)
    code = query(consent(w.platform, other, w.account.bot_id))["code"]
    w.platform.advance_clock(w.platform.settings.code_lifetime_seconds + 1)
    with pytest.raises(OAuthError) as late:
        exchange(w.platform, other, code)
    assert late.value.description == "The authorization code has expired."
    assert w.platform.attachment(other.channel_id, w.account.bot_id) is None


def test_rule_08_a_second_default_active_module_is_refused_on_the_platform() -> None:
    w = plain_world()
    rival = new_module(w.platform, "Rival", default_active=True)
    answer = query(consent(w.platform, rival, w.account.bot_id))
    assert answer["error"] == "access_denied" and "Default-Active" in answer["error_description"]
