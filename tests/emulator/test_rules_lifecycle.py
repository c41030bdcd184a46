"""Rules 72–73 of docs/emulator-behaviour.md: the OA lifecycle, suspend, resume and delete (platform/world.py),
one test per rule.

Everything goes over HTTP to a real emulator server (`emulator`), and webhooks land on a real
receiver on loopback (`receiver`); see `chats.py` for its paths.
"""

from __future__ import annotations

from tests.emulator.chats import (
    MODULE,
    NO_REDELIVERY,
    PRIMARY,
    SECOND,
    THIRD,
    attach_another,
    now_ms,
    strip,
    with_primary,
)
from tests.support.flows import attach
from tests.support.servers import Emulator, WebhookReceiver

# ---- Lifecycle (rules 72–73) --------------------------------------------------------------------

def test_rule_72_suspend_and_resume_notify_receiving_modules_only(emulator: Emulator,
                                                                  receiver: WebhookReceiver) -> None:
    first = with_primary(emulator, receiver)
    attach_another(emulator, first, receiver.url + SECOND)
    attach_another(emulator, first, receiver.url + THIRD, scopes="message:send")  # no message:receive
    emulator.flush()
    receiver.clear()
    emulator.call("POST", f"/_emulator/accounts/{first.bot_id}/suspend", expect=200)
    emulator.call("POST", f"/_emulator/accounts/{first.bot_id}/resume", expect=200)
    emulator.flush()
    for path in (MODULE, SECOND):
        assert [strip(e) for e in receiver.events(path)] == [
            {"type": "botSuspended", "mode": "active", "deliveryContext": NO_REDELIVERY},
            {"type": "botResumed", "mode": "active", "deliveryContext": NO_REDELIVERY}], path
        assert {r.body["destination"] for r in receiver.received if r.path == path} == {first.bot_id}
    assert receiver.events(THIRD) == []
    assert receiver.events(PRIMARY) == []


def test_rule_73_deleted_oa_is_detached_after_the_purge_delay(emulator: Emulator,
                                                              receiver: WebhookReceiver) -> None:
    setup = with_primary(emulator, receiver)
    emulator.flush()
    receiver.clear()
    emulator.call("POST", f"/_emulator/accounts/{setup.bot_id}/delete", json={"purge_after_seconds": 100},
                  expect=200)
    emulator.advance(95)
    emulator.flush()
    assert [e["type"] for e in receiver.events(MODULE)] == ["botSuspended"]  # suspended, not detached
    listed = emulator.http.get("/v2/bot/list", headers={"Authorization": f"Bearer {setup.token}"}).json()
    assert [b["userId"] for b in listed["bots"]] == [setup.bot_id]

    emulator.advance(6)
    emulator.flush()
    detached = receiver.events(MODULE)[-1]
    assert strip(detached) == {"type": "module", "mode": "active", "deliveryContext": NO_REDELIVERY,
                               "module": {"type": "detached", "botId": setup.bot_id, "reason": "bot_deleted"}}
    assert receiver.events(PRIMARY) == []
    listed = emulator.http.get("/v2/bot/list", headers={"Authorization": f"Bearer {setup.token}"}).json()
    assert listed == {"bots": []}

    # Without purge_after_seconds the purge is about 3 months away (7,776,000 s).
    other = attach(emulator, receiver.url + MODULE, befriend=False)
    before = now_ms(emulator)
    emulator.call("POST", f"/_emulator/accounts/{other.bot_id}/delete", expect=200)
    after = now_ms(emulator)
    purge_at = emulator.call("GET", f"/_emulator/accounts/{other.bot_id}", expect=200)["purge_at_ms"]
    assert before + 7_776_000_000 <= purge_at <= after + 7_776_000_000
