"""Setting the platform up, its clock and an OA's deletion, called on `Platform` itself without HTTP
(platform/setup.py, commands.py, world.py): the commands refuse bad values, the platform what
clashes with its state."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from linemod.emulator.clock import LATEST_MS
from linemod.emulator.errors import ControlError
from linemod.emulator.platform.commands import (
    MAX_SECONDS,
    AccountPatch,
    ClockAdvance,
    ModuleChannelPatch,
    NewAccount,
    NewModuleChannel,
    NewPrimaryChannel,
    PublicKey,
    build,
)
from linemod.emulator.platform.world import Platform
from tests.emulator.platform_world import plain_world

RSA_KEY = {"kty": "RSA", "n": "sXch", "e": "AQAB", "use": "sig"}


def control_error(call: object, *args: object) -> ControlError:
    with pytest.raises(ControlError) as caught:
        call(*args)  # type: ignore[operator]
    return caught.value


def test_accounts_get_the_documented_defaults_and_an_at_sign() -> None:
    platform = Platform()
    account = platform.setup.create_account(NewAccount(display_name="Cafe", basic_id="123abcd"))
    assert account.basic_id == "@123abcd"
    assert (account.brand_type, account.region, account.chat_mode, account.webhook_enabled) == (
        "verified", "JP", "chat", True)
    assert platform.primary_of(account) is None
    generated = platform.setup.create_account(NewAccount(display_name="Bakery", basic_id=""))
    assert generated.basic_id.startswith("@") and len(generated.basic_id) == 8


def test_a_drawn_basic_id_that_is_taken_is_drawn_again(monkeypatch: pytest.MonkeyPatch) -> None:
    platform = Platform()
    platform.setup.create_account(NewAccount(display_name="Cafe", basic_id="@123abcd"))
    draws = iter(["@123abcd", "@123abcd", "@456efgh"])
    monkeypatch.setattr("linemod.emulator.ids.basic_id", lambda: next(draws))
    assert platform.setup.create_account(NewAccount(display_name="Bakery")).basic_id == "@456efgh"


def test_what_clashes_with_existing_state_is_refused_by_the_platform() -> None:
    platform = Platform()
    platform.setup.create_account(NewAccount(display_name="Cafe", basic_id="@123abcd",
                                             primary_channel=NewPrimaryChannel(channel_id="1111111111")))
    taken = control_error(platform.setup.create_account, NewAccount(display_name="Copy", basic_id="123abcd"))
    assert (taken.status, taken.message) == (409, "basic_id @123abcd is taken")
    clash = control_error(platform.setup.create_module_channel, NewModuleChannel(name="M", channel_id=1111111111))
    assert (clash.status, clash.message) == (409, "channel 1111111111 already exists")
    primary_key = control_error(platform.setup.register_public_key, "1111111111", PublicKey(**RSA_KEY))
    assert (primary_key.status, primary_key.message) == (400, "keys can be registered for module channels only")
    assert control_error(platform.setup.update_account, "U" + "0" * 32, AccountPatch()).status == 404
    assert control_error(platform.setup.update_module_channel, "42", ModuleChannelPatch()).status == 404


def test_a_patch_changes_only_what_it_names() -> None:
    w = plain_world()
    setup = w.platform.setup
    setup.update_module_channel(w.module.channel_id, ModuleChannelPatch(redelivery=True, channel_secret=None))
    assert (w.module.redelivery, w.module.default_active, w.module.name) == (True, True, "Booking")
    assert w.module.channel_secret  # a null secret keeps the secret
    setup.update_account(w.account.bot_id, AccountPatch(chat_mode="bot", primary_channel={"webhook_url": None}))
    primary = w.platform.primary_of(w.account)
    assert primary is not None and primary.webhook_url is None and primary.webhook_enabled is True
    assert (w.account.chat_mode, w.account.display_name) == ("bot", "Cafe")


def test_public_keys_keep_what_was_sent_and_get_a_kid() -> None:
    w = plain_world()
    kid = w.platform.setup.register_public_key(w.module.channel_id, PublicKey(**RSA_KEY))
    assert w.module.public_keys[kid] == RSA_KEY  # no alg added, `use` kept


@pytest.mark.parametrize(("model", "fields", "message"), [
    (NewAccount, {"display_name": "  "}, "display_name: must not be blank"),
    (NewAccount, {"display_name": "x", "basic_id": 5}, "basic_id: Input should be a valid string"),
    (NewAccount, {"display_name": "x", "webhook_enabled": "yes"}, "webhook_enabled: Input should be a valid boolean"),
    (NewModuleChannel, {"name": "x", "redirect_uris": ["ftp://x"]},
     "redirect_uris.0: redirect URI must be https (or loopback http): ftp://x"),
    (NewModuleChannel, {"name": "x", "webhook_url": "mailto:x"}, "webhook_url: must be an http(s) URL"),
    (AccountPatch, {"display_name": None}, "display_name must not be null"),
    (PublicKey, {**RSA_KEY, "kid": "mine"}, "the public key must not contain kid"),
    (PublicKey, {**RSA_KEY, "kty": "EC"}, "kty: Input should be 'RSA'"),
    (ClockAdvance, {"seconds": math.nan}, "seconds: Input should be a finite number"),
    (ClockAdvance, {"seconds": 1e30}, f"seconds: Input should be less than or equal to {MAX_SECONDS}"),
    (ClockAdvance, {"seconds": "60"}, "seconds: Input should be a valid number"),
])
def test_commands_refuse_bad_values_in_the_control_apis_words(model: type, fields: dict[str, object],
                                                              message: str) -> None:
    with pytest.raises(ControlError) as refused:
        build(model, **fields)
    assert (refused.value.status, refused.value.message) == (400, message)
    with pytest.raises(ValidationError):
        model(**fields)


def test_the_clock_never_passes_the_year_9000() -> None:
    platform = Platform()
    platform.clock.set_offset_ms(LATEST_MS - platform.clock.now_ms() - 10_000)
    before = platform.clock.offset_ms
    refused = control_error(platform.advance_clock, 11)
    assert (refused.status, refused.message) == (400, "the clock cannot be moved past 9000-01-01")
    assert platform.clock.offset_ms == before
    assert platform.advance_clock(5) <= LATEST_MS


def test_rule_73_a_deleted_oa_is_detached_when_its_purge_time_passes_on_the_platform() -> None:
    w = plain_world()
    w.platform.delete(w.account.bot_id, 60)
    assert w.event_types(w.module.channel_id)[-1] == "botSuspended"
    w.platform.advance_clock(59)
    assert w.platform.attachment(w.module.channel_id, w.account.bot_id) is not None
    w.platform.advance_clock(2)
    assert w.platform.attachment(w.module.channel_id, w.account.bot_id) is None
    assert w.events(w.module.channel_id)[-1]["module"] == {
        "type": "detached", "botId": w.account.bot_id, "reason": "bot_deleted"}
