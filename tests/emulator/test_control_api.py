"""The control API contract (docs/emulator-control-api.md): setup, logs, faults, clock, state."""

from __future__ import annotations

from tests.support.flows import attach
from tests.support.servers import Emulator, WebhookReceiver


def test_created_account_has_the_documented_defaults(emulator: Emulator) -> None:
    account = emulator.account()
    assert account["bot_id"].startswith("U") and len(account["bot_id"]) == 33
    assert account["basic_id"][0] == "@" and account["basic_id"][1:4].isdigit() and len(account["basic_id"]) == 8
    assert (account["brand_type"], account["region"], account["chat_mode"]) == ("verified", "JP", "chat")
    assert account["primary_channel"] is None
    with_primary = emulator.account(display_name="B", primary_channel={"webhook_url": "https://x.example/h"})
    primary = with_primary["primary_channel"]
    assert set(primary) >= {"channel_id", "channel_secret", "webhook_url", "webhook_enabled"}


def test_setup_errors_are_messages_with_4xx(emulator: Emulator) -> None:
    for path, body in [("/_emulator/accounts", {}), ("/_emulator/users", {"display_name": ""}),
                       ("/_emulator/module-channels", {"name": "x", "redirect_uris": ["ftp://x"]}),
                       ("/_emulator/accounts", {"display_name": "x", "brand_type": "gold"})]:
        answer = emulator.http.post(path, json=body)
        assert answer.status_code == 400 and isinstance(answer.json()["message"], str), (path, answer.text)
    assert emulator.http.post("/_emulator/accounts", content=b"{").status_code == 400
    missing = emulator.http.get("/_emulator/accounts/U" + "0" * 32)
    assert missing.status_code == 404 and "not found" in missing.json()["message"]


def test_module_channel_settings_can_be_patched(emulator: Emulator) -> None:
    channel = emulator.module_channel(None, channel_id="1234567890", channel_secret="s" * 32)
    assert channel["channel_id"] == "1234567890" and channel["default_active"] is True
    patched = emulator.call("PATCH", "/_emulator/module-channels/1234567890",
                            json={"redelivery": True, "webhook_enabled": False}, expect=200)
    assert patched["redelivery"] is True and patched["webhook_enabled"] is False
    assert emulator.http.post("/_emulator/module-channels", json={"name": "dup", "channel_id": "1234567890"}
                              ).status_code == 409


def test_request_log_records_api_calls_newest_first(emulator: Emulator, receiver: WebhookReceiver) -> None:
    setup = attach(emulator, receiver.url + "/m")
    first = emulator.http.get("/v2/bot/info", headers=setup.headers)
    second = emulator.http.get("/v2/bot/info", headers={"Authorization": setup.headers["Authorization"]})
    log = emulator.call("GET", "/_emulator/requests?limit=2", expect=200)["requests"]
    assert [r["request_id"] for r in log] == [second.headers["x-line-request-id"], first.headers["x-line-request-id"]]
    assert log[1]["channel_id"] == setup.channel["channel_id"] and log[1]["bot_id"] == setup.bot_id
    assert (log[0]["status_code"], log[1]["status_code"]) == (403, 200)
    assert all(not r["path"].startswith("/_emulator") for r in
               emulator.call("GET", "/_emulator/requests", expect=200)["requests"])


def test_faults_answer_before_the_logic_then_stop(emulator: Emulator, receiver: WebhookReceiver) -> None:
    setup = attach(emulator, receiver.url + "/m")
    emulator.call("POST", "/_emulator/faults", expect=201, json={
        "method": "POST", "path": "/v2/bot/message/push", "status": 500, "count": 2})
    body = {"to": setup.user_id, "messages": [{"type": "text", "text": "x"}]}
    statuses = [emulator.http.post("/v2/bot/message/push", headers=setup.headers, json=body).status_code
                for _ in range(3)]
    assert statuses == [500, 500, 200]
    chat = emulator.call("GET", f"/_emulator/accounts/{setup.bot_id}/chats/{setup.person['user_id']}/messages",
                         expect=200)["messages"]
    assert [m["message"]["text"] for m in chat] == ["x"]  # the faulted calls delivered nothing
    emulator.call("POST", "/_emulator/faults", expect=201, json={
        "method": "GET", "path": "/v2/bot/profile/{userId}", "status": 429, "count": 5, "body": {"message": "slow"}})
    throttled = emulator.http.get(f"/v2/bot/profile/{setup.user_id}", headers=setup.headers)
    assert throttled.status_code == 429 and throttled.json() == {"message": "slow"}
    emulator.call("DELETE", "/_emulator/faults", expect=200)
    assert emulator.http.get(f"/v2/bot/profile/{setup.user_id}", headers=setup.headers).status_code == 403


def test_snapshot_round_trip_restores_everything(emulator: Emulator, receiver: WebhookReceiver) -> None:
    setup = attach(emulator, receiver.url + "/m")
    emulator.http.post("/v2/bot/message/push", headers=setup.headers,
                       json={"to": setup.user_id, "messages": [{"type": "text", "text": "kept"}]})
    snapshot = emulator.call("GET", "/_emulator/state", expect=200)
    emulator.reset()
    assert emulator.http.get("/v2/bot/info", headers=setup.headers).status_code == 401
    emulator.call("PUT", "/_emulator/state", json=snapshot, expect=200)
    # Same token, same L-ID, same chat: the module cannot tell the emulator restarted.
    assert emulator.http.get("/v2/bot/info", headers=setup.headers).json()["userId"] == setup.bot_id
    again = emulator.http.post("/v2/bot/message/push", headers=setup.headers,
                               json={"to": setup.user_id, "messages": [{"type": "text", "text": "after"}]})
    assert again.status_code == 200
    chat = emulator.call("GET", f"/_emulator/accounts/{setup.bot_id}/chats/{setup.person['user_id']}/messages",
                         expect=200)["messages"]
    assert [m["message"]["text"] for m in chat] == ["kept", "after"]


def test_a_malformed_snapshot_changes_nothing(emulator: Emulator) -> None:
    account = emulator.account()
    bad = emulator.http.put("/_emulator/state", json={"format": "linemod-emulator-state/1", "accounts": [{}]})
    assert bad.status_code == 400
    assert emulator.http.put("/_emulator/state", json={"nope": 1}).status_code == 400
    assert emulator.call("GET", f"/_emulator/accounts/{account['bot_id']}", expect=200)["display_name"] == "Cafe Sakura"


def test_clock_advance_moves_time_and_rejects_non_positive(emulator: Emulator) -> None:
    before = emulator.call("GET", "/_emulator/clock", expect=200)["now_ms"]
    after = emulator.advance(3600)
    assert after - before >= 3_600_000
    assert emulator.http.post("/_emulator/clock/advance", json={"seconds": 0}).status_code == 400
    emulator.reset()
    assert emulator.call("GET", "/_emulator/clock", expect=200)["now_ms"] < after


def test_flush_times_out_with_504_while_a_receiver_hangs(emulator: Emulator, receiver: WebhookReceiver) -> None:
    setup = attach(emulator, receiver.url + "/m")
    emulator.flush()
    receiver.delay = 1.5
    emulator.call("POST", f"/_emulator/accounts/{setup.bot_id}/chats/{setup.person['user_id']}/messages",
                  json={"type": "text", "text": "slow"}, expect=202)
    answer = emulator.http.post("/_emulator/deliveries/flush", json={"timeout_seconds": 0.3})
    assert answer.status_code == 504 and answer.json() == {"pending": 1}
    emulator.flush()


def test_unknown_paths_answer_in_lines_error_shape(emulator: Emulator) -> None:
    answer = emulator.http.get("/nothing-here")
    assert answer.status_code == 404 and answer.json() == {"message": "Not found"}
    assert answer.headers["x-line-request-id"]
    assert emulator.http.delete("/v2/bot/message/push").json() == {"message": "Method not allowed"}


def test_a_line_api_the_emulator_does_not_have_says_so_and_shows_in_the_request_log(emulator: Emulator) -> None:
    # LIFF's server API (liff.yml) is one the emulator does not have
    answer = emulator.http.get("/liff/v1/apps")
    assert answer.status_code == 501
    assert answer.json() == {"message": "linemod emulator: GET /liff/v1/apps is not emulated"}
    assert answer.headers["x-line-request-id"]
    logged = emulator.call("GET", "/_emulator/requests", params={"limit": 5})["requests"]
    assert any(r["path"] == "/liff/v1/apps" and r["status_code"] == 501 for r in logged)


def test_reply_tokens_past_twenty_minutes_are_forgotten(emulator: Emulator, receiver: WebhookReceiver,
                                                       emulator_app) -> None:  # type: ignore[no-untyped-def]
    setup = attach(emulator, receiver.url + "/m")
    emulator.call("POST", f"/_emulator/accounts/{setup.bot_id}/chats/{setup.person['user_id']}/messages",
                  json={"type": "text", "text": "hi"}, expect=202)
    emulator.flush()
    tokens = emulator_app.state.platform.messaging.reply_tokens
    assert len(tokens) == 2  # the follow and the message
    emulator.advance(20 * 60 + 61)
    assert emulator_app.state.platform.messaging.reply_tokens == {}


def test_operator_take_over_deactivates_the_module_and_hand_back_restores_it(
    emulator: Emulator, receiver: WebhookReceiver
) -> None:
    setup = attach(emulator, receiver.url + "/m")
    chat = f"/_emulator/accounts/{setup.bot_id}/chats/{setup.person['user_id']}"
    emulator.flush()
    receiver.clear()
    taken = emulator.call("POST", f"{chat}/takeover", expect=200)
    assert taken["active_channel_id"] is None  # no Primary Channel: nobody is Active
    emulator.call("POST", f"{chat}/messages", json={"type": "text", "text": "人と話したい"}, expect=202)
    emulator.flush()
    deactivated, message = receiver.events("/m")
    assert deactivated["type"] == "deactivated" and deactivated["source"]["userId"] == setup.user_id
    assert message["mode"] == "standby" and "replyToken" not in message
    back = emulator.call("POST", f"{chat}/handback", expect=200)
    assert back["active_channel_id"] == setup.channel["channel_id"] and back["source"] == "default"
    emulator.call("POST", f"{chat}/messages", json={"type": "text", "text": "予約"}, expect=202)
    emulator.flush()
    assert receiver.events("/m")[-1]["mode"] == "active"


def test_chat_log_follows_every_chat_in_recorded_order(emulator: Emulator, receiver: WebhookReceiver) -> None:
    setup = attach(emulator, receiver.url + "/m")
    other = emulator.person("Taro")
    emulator.call("POST", f"/_emulator/accounts/{setup.bot_id}/friends", json={"user_id": other["user_id"]},
                  expect=200)
    start = emulator.call("GET", "/_emulator/chat-log", expect=200)["next"]
    for person, text in ((setup.person, "one"), (other, "two"), (setup.person, "three")):
        emulator.call("POST", f"/_emulator/accounts/{setup.bot_id}/chats/{person['user_id']}/messages",
                      json={"type": "text", "text": text}, expect=202)
    first = emulator.call("GET", f"/_emulator/chat-log?after={start}&limit=2", expect=200)
    rest = emulator.call("GET", f"/_emulator/chat-log?after={first['next']}", expect=200)
    entries = first["entries"] + rest["entries"]
    assert [(e["user_id"], e["from"], e["message"]["text"]) for e in entries] == [
        (setup.person["user_id"], "user", "one"), (other["user_id"], "user", "two"),
        (setup.person["user_id"], "user", "three")]
    assert {e["bot_id"] for e in entries} == {setup.bot_id} and rest["next"] == start + 3
    assert emulator.call("GET", f"/_emulator/chat-log?after={rest['next']}", expect=200) == {
        "entries": [], "next": rest["next"]}
    bad = emulator.http.get("/_emulator/chat-log?after=-1")
    assert bad.status_code == 400 and "message" in bad.json()
