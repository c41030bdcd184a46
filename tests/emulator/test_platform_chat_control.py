"""Chat Control rules called on `Platform` itself, without HTTP (platform/chat_control.py; the same
rules as test_rules_chat_control.py checks through the emulator's HTTP API)."""

from __future__ import annotations

import pytest

from linemod.emulator.errors import LineApiError
from linemod.emulator.platform.commands import NewPerson
from tests.emulator.platform_world import attach, new_module, plain_world


def test_rule_38_acquire_makes_the_caller_active_for_that_chat_only_on_the_platform() -> None:
    w = plain_world()
    cc = w.platform.chat_control
    points = new_module(w.platform, "Points", default_active=False)
    attach(w.platform, points, w.account.bot_id)
    other = w.platform.setup.create_person(NewPerson(display_name="Taro")).user_id  # a second friend
    w.platform.users.follow(w.account.bot_id, other)
    assert cc.holder(w.account, w.person) == w.module.channel_id  # the Default-Active module
    cc.acquire(points, w.account, w.person, expired=True, ttl=60)
    assert cc.holder(w.account, w.person) == points.channel_id
    assert cc.holder(w.account, other) == w.module.channel_id


def test_rule_41_ttl_expiry_returns_control_to_primary_silently_on_the_platform() -> None:
    w = plain_world()
    cc = w.platform.chat_control
    before = w.platform.clock.now_ms()  # the emulator's clock runs with the wall clock: bound it, do not pin it
    expire_at = cc.acquire(w.module, w.account, w.person, expired=True, ttl=60)
    assert before + 60_000 <= expire_at <= w.platform.clock.now_ms() + 60_000
    sent_before = len(w.events())
    w.platform.advance_clock(61)
    assert cc.holder(w.account, w.person) == w.primary_id
    assert cc.describe(w.account, w.person)["source"] == "primary"
    assert len(w.events()) == sent_before  # silently: no deactivated event


def test_rule_46_second_acquire_by_another_channel_within_window_is_423_on_the_platform() -> None:
    w = plain_world()
    cc = w.platform.chat_control
    points = new_module(w.platform, "Points", default_active=False)
    attach(w.platform, points, w.account.bot_id)
    cc.acquire(w.module, w.account, w.person, expired=True, ttl=60)
    with pytest.raises(LineApiError) as locked:
        cc.acquire(points, w.account, w.person, expired=True, ttl=60)
    assert locked.value.status == 423
    cc.acquire(w.module, w.account, w.person, expired=True, ttl=60)  # the same channel again is fine
    w.platform.advance_clock(w.platform.settings.acquire_lock_seconds)
    cc.acquire(points, w.account, w.person, expired=True, ttl=60)
    assert cc.holder(w.account, w.person) == points.channel_id


def test_rule_47_release_returns_control_to_primary_and_deactivates_on_the_platform() -> None:
    w = plain_world()
    cc = w.platform.chat_control
    cc.acquire(w.module, w.account, w.person, expired=False, ttl=0)
    cc.release(w.module, w.account, w.person)
    assert cc.holder(w.account, w.person) == w.primary_id
    assert w.event_types(w.module.channel_id)[-2:] == ["activated", "deactivated"]


def test_rule_48_unfollow_then_follow_resets_control_to_default_on_the_platform() -> None:
    w = plain_world()
    cc = w.platform.chat_control
    cc.release(w.module, w.account, w.person)
    assert cc.holder(w.account, w.person) == w.primary_id
    w.platform.users.block(w.account.bot_id, w.person)
    w.platform.users.follow(w.account.bot_id, w.person)
    assert cc.holder(w.account, w.person) == w.module.channel_id
    assert cc.describe(w.account, w.person)["source"] == "default"
