"""Rules 37–48 of docs/emulator-behaviour.md: Chat Control, which channel is Active in each chat
(platform/chat_control.py), one test per rule.

Everything goes over HTTP to a real emulator server (`emulator`), and webhooks land on a real
receiver on loopback (`receiver`); see `chats.py` for its paths.
"""

from __future__ import annotations

from tests.emulator.chats import (
    DAY,
    INVALID_CHAT_ID,
    MODULE,
    NO_REDELIVERY,
    PATHS,
    PRIMARY,
    SECOND,
    acquire,
    attach_another,
    befriend,
    block,
    deliveries,
    follow,
    message_event,
    mode_of,
    now_ms,
    of_type,
    release,
    result,
    say,
    seen_ids,
    strip,
    with_primary,
)
from tests.support.servers import Emulator, WebhookReceiver

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
    # OAS requires expireAt; with no expiry the emulator sends a far-future value (choice 16).
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
    assert result(release(emulator, setup)) == (200, {})  # not Active any more: a no-op (choice 16)
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
