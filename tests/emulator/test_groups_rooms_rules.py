"""Choices 36 and 37 of docs/emulator-behaviour.md: chat control and the 423 rule in groups and rooms, the OA
leaving, member IDs per channel, and the rules of users' content, unsending, videos, beacons and account links."""

from __future__ import annotations

import base64

from tests.emulator.chats import (
    MODULE,
    PRIMARY,
    SECOND,
    acquire,
    attach_another,
    mode_of,
    of_type,
    release,
    send,
    with_primary,
)
from tests.support.flows import Attached
from tests.support.servers import Emulator, WebhookReceiver


def _group(emulator: Emulator, setup: Attached, kind: str = "group") -> str:
    other = emulator.person("Taro")["user_id"]
    members = [setup.person["user_id"], other]
    body = {"name": "Club", "members": members} if kind == "group" else {"members": members}
    return str(emulator.call("POST", f"/_emulator/accounts/{setup.bot_id}/{kind}s", json=body, expect=201)[
        f"{kind}_id"])


def _say(emulator: Emulator, setup: Attached, chat: str, kind: str = "group") -> str:
    body = {"user_id": setup.person["user_id"], "message": {"type": "text", "text": "hi"}}
    path = f"/_emulator/accounts/{setup.bot_id}/{kind}s/{chat}/messages"
    return str(emulator.call("POST", path, json=body, expect=202)["message_id"])


def test_choice_36_chat_control_in_a_room_follows_the_rules_of_a_users_chat(
    emulator: Emulator, receiver: WebhookReceiver
) -> None:
    setup = with_primary(emulator, receiver, channel_extra={"default_active": False})
    second = attach_another(emulator, setup, receiver.url + SECOND)
    room = _group(emulator, setup, "room")
    before = _say(emulator, setup, room, "room")
    assert acquire(emulator, setup, room, {"expired": False}).status_code == 200
    refused = acquire(emulator, second, room, {"expired": False})
    assert (refused.status_code, refused.json()) == (423, {
        "message": "Another channel acquired chat control a moment ago. Try again later."})
    after = _say(emulator, setup, room, "room")
    assert send(emulator, setup, "push", to=room).status_code == 200
    emulator.flush()
    assert (mode_of(receiver, PRIMARY, before), mode_of(receiver, MODULE, before)) == ("active", "standby")
    assert (mode_of(receiver, PRIMARY, after), mode_of(receiver, MODULE, after)) == ("standby", "active")
    [activated] = of_type(receiver, MODULE, "activated")
    assert activated["source"] == {"type": "room", "roomId": room}
    assert release(emulator, setup, room).status_code == 200
    emulator.flush()
    assert of_type(receiver, MODULE, "deactivated")[0]["source"] == {"type": "room", "roomId": room}
    described = emulator.call("GET", f"/_emulator/accounts/{setup.bot_id}/rooms/{room}", expect=200)
    assert described == {"type": "room", "room_id": room, "members": [setup.person["user_id"], described[
        "members"][1]]}


def test_choice_36_the_oa_leaving_a_group_tells_every_channel_and_ends_the_chat(
    emulator: Emulator, receiver: WebhookReceiver
) -> None:
    setup = with_primary(emulator, receiver, scopes="message:send message:receive profile:read")
    group = _group(emulator, setup)
    left = emulator.http.post(f"/v2/bot/group/{group}/leave", headers=setup.headers)
    assert (left.status_code, left.json()) == (200, {})
    emulator.flush()
    for path in (PRIMARY, MODULE):
        [leave] = of_type(receiver, path, "leave")
        assert leave["source"] == {"type": "group", "groupId": group} and "replyToken" not in leave
    pushed = send(emulator, setup, "push", to=group)
    assert (pushed.status_code, pushed.json()) == (400, {"message": "Failed to send messages"})
    assert acquire(emulator, setup, group).status_code == 404
    again = emulator.http.post(f"/v2/bot/group/{group}/leave", headers=setup.headers)
    assert (again.status_code, again.json()) == (404, {"message": "Not found"})
    path = f"/_emulator/accounts/{setup.bot_id}/groups/{group}/messages"
    assert emulator.http.post(path, json={"user_id": setup.person["user_id"],
                                          "message": {"type": "text", "text": "?"}}).status_code == 404


def test_choice_4_group_apis_need_the_profile_scope_and_leaving_needs_message_send(
    emulator: Emulator, receiver: WebhookReceiver
) -> None:
    setup = with_primary(emulator, receiver, scopes="message:receive")
    group = _group(emulator, setup)
    for path in (f"/v2/bot/group/{group}/summary", f"/v2/bot/group/{group}/members/count",
                 f"/v2/bot/group/{group}/members/ids"):
        assert emulator.http.get(path, headers=setup.headers).status_code == 403
    assert emulator.http.post(f"/v2/bot/group/{group}/leave", headers=setup.headers).status_code == 403


def test_choice_36_member_id_pages_belong_to_their_group(emulator: Emulator, receiver: WebhookReceiver) -> None:
    setup = with_primary(emulator, receiver, scopes="message:send message:receive profile:read")
    crowd = [emulator.person(f"P{i}")["user_id"] for i in range(101)]
    base = f"/_emulator/accounts/{setup.bot_id}/groups"
    big = emulator.call("POST", base, json={"name": "Big", "members": crowd}, expect=201)["group_id"]
    small = _group(emulator, setup)
    first = emulator.http.get(f"/v2/bot/group/{big}/members/ids", headers=setup.headers).json()
    assert len(first["memberIds"]) == 100
    foreign = emulator.http.get(f"/v2/bot/group/{small}/members/ids", headers=setup.headers,
                                params={"start": first["next"]})
    assert (foreign.status_code, foreign.json()) == (400, {"message": "The value for the 'start' parameter is invalid"})
    last = emulator.http.get(f"/v2/bot/group/{big}/members/ids", headers=setup.headers,
                             params={"start": first["next"]}).json()
    assert len(last["memberIds"]) == 1 and "next" not in last
    joined = emulator.call("POST", f"{base}/{big}/members", json={"user_ids": [crowd[0]]})
    assert joined == {"message": "every user given is already a member"}


def test_choice_37_videos_and_audio_are_processing_until_ready_and_a_failed_one_never_is(
    emulator: Emulator, receiver: WebhookReceiver
) -> None:
    setup = with_primary(emulator, receiver)
    chat = f"/_emulator/accounts/{setup.bot_id}/chats/{setup.person['user_id']}/messages"
    blob = base64.b64encode(b"movie").decode()
    slow = emulator.call("POST", chat, expect=202, json={"type": "video", "content_base64": blob,
                                                         "ready_after_seconds": 30})["message_id"]
    broken = emulator.call("POST", chat, expect=202, json={"type": "audio", "content_base64": blob,
                                                           "transcoding_fails": True})["message_id"]

    def status(message_id: str) -> tuple[str, int]:
        state = emulator.http.get(f"/v2/bot/message/{message_id}/content/transcoding", headers=setup.headers)
        content = emulator.http.get(f"/v2/bot/message/{message_id}/content", headers=setup.headers)
        return state.json()["status"], content.status_code

    assert status(slow) == ("processing", 404) and status(broken) == ("failed", 404)
    emulator.advance(31)
    assert status(slow) == ("succeeded", 200) and status(broken) == ("failed", 404)
    assert emulator.http.get(f"/v2/bot/message/{slow}/content/preview", headers=setup.headers).status_code == 200


def test_choice_37_unsend_removes_the_message_and_its_content_and_only_its_sender_can(
    emulator: Emulator, receiver: WebhookReceiver
) -> None:
    setup = with_primary(emulator, receiver)
    base = f"/_emulator/accounts/{setup.bot_id}/chats/{setup.person['user_id']}"
    image = {"type": "image", "content_base64": base64.b64encode(b"not really a picture").decode()}
    sent = emulator.call("POST", f"{base}/messages", json=image, expect=202)["message_id"]
    pushed = send(emulator, setup, "push").json()["sentMessages"][0]["id"]
    assert emulator.http.post(f"{base}/messages/{pushed}/unsend").status_code == 409  # the OA's message
    emulator.call("POST", f"{base}/messages/{sent}/unsend", expect=202)
    assert emulator.http.get(f"/v2/bot/message/{sent}/content", headers=setup.headers).status_code == 404
    assert [m["id"] for m in emulator.call("GET", f"{base}/messages")["messages"]] == [pushed]
    assert emulator.http.post(f"{base}/messages/{sent}/unsend").status_code == 404
    late = emulator.call("POST", f"{base}/messages", json={"type": "text", "text": "x"}, expect=202)["message_id"]
    emulator.advance(24 * 3600 + 1)
    answer = emulator.http.post(f"{base}/messages/{late}/unsend")
    assert (answer.status_code, answer.json()) == (409, {"message": "a message can be unsent for 24 hours only"})


def test_choice_37_video_play_complete_needs_a_video_the_oa_sent_with_a_tracking_id(
    emulator: Emulator, receiver: WebhookReceiver
) -> None:
    setup = with_primary(emulator, receiver)
    base = f"/_emulator/accounts/{setup.bot_id}/chats/{setup.person['user_id']}"
    video = {"type": "video", "originalContentUrl": "https://example.com/v.mp4",
             "previewImageUrl": "https://example.com/v.jpg"}
    untracked = send(emulator, setup, "push", messages=[video]).json()["sentMessages"][0]["id"]
    answer = emulator.http.post(f"{base}/video-play-complete", json={"message_id": untracked})
    assert answer.status_code == 409
    assert emulator.http.post(f"{base}/video-play-complete", json={"message_id": "1"}).status_code == 404
    tracked = send(emulator, setup, "push", messages=[{**video, "trackingId": "t-9"}]).json()["sentMessages"][0]["id"]
    emulator.call("POST", f"{base}/video-play-complete", json={"message_id": tracked}, expect=202)
    emulator.flush()
    [event] = of_type(receiver, MODULE, "videoPlayComplete")
    assert event["videoPlayComplete"] == {"trackingId": "t-9"} and event["replyToken"]


def test_choice_37_beacons_come_from_friends_only_and_their_fields_are_checked(
    emulator: Emulator, receiver: WebhookReceiver
) -> None:
    setup = with_primary(emulator, receiver)
    base = f"/_emulator/accounts/{setup.bot_id}"
    stranger = emulator.person("Stranger")["user_id"]
    beacon = {"hwid": "0123456789", "type": "banner"}
    assert emulator.http.post(f"{base}/chats/{stranger}/beacon", json=beacon).status_code == 409
    for bad in ({"hwid": "01234"}, {"hwid": "0123456789", "type": "leave"}, {"hwid": "0123456789", "dm": "abc"}):
        assert emulator.http.post(f"{base}/chats/{setup.person['user_id']}/beacon", json=bad).status_code == 400
    emulator.call("POST", f"{base}/chats/{setup.person['user_id']}/beacon", json=beacon, expect=202)
    emulator.flush()
    [event] = of_type(receiver, MODULE, "beacon")
    assert event["beacon"] == {"hwid": "0123456789", "type": "banner"}


def test_choice_37_an_expired_or_used_link_token_links_nothing_and_gives_no_reply_token(
    emulator: Emulator, receiver: WebhookReceiver
) -> None:
    setup = with_primary(emulator, receiver)

    def link_token() -> str:
        return str(emulator.http.post(f"/v2/bot/user/{setup.user_id}/linkToken", headers=setup.headers)
                   .json()["linkToken"])

    def finish(token: str) -> str:
        answer = emulator.call("POST", "/_emulator/account-link", json={"link_token": token, "nonce": "abcdefghij"},
                               expect=202)
        return str(answer["result"])

    fresh = link_token()
    assert finish(fresh) == "ok" and finish(fresh) == "failed"
    stale = link_token()
    emulator.advance(601)
    assert finish(stale) == "failed"
    unknown = emulator.http.post("/_emulator/account-link", json={"link_token": "nope", "nonce": "abcdefghij"})
    assert unknown.status_code == 404
    emulator.flush()
    links = of_type(receiver, MODULE, "accountLink")
    assert [(e["link"]["result"], "replyToken" in e) for e in links] == [("ok", True), ("failed", False),
                                                                         ("failed", False)]


def test_choice_36_groups_content_and_used_link_tokens_survive_a_snapshot(
    emulator: Emulator, receiver: WebhookReceiver
) -> None:
    setup = with_primary(emulator, receiver, scopes="message:send message:receive profile:read")
    group = _group(emulator, setup)
    chat = f"/_emulator/accounts/{setup.bot_id}/chats/{setup.person['user_id']}/messages"
    video = emulator.call("POST", chat, expect=202, json={
        "type": "video", "content_base64": base64.b64encode(b"movie").decode(), "ready_after_seconds": 60})
    token = emulator.http.post(f"/v2/bot/user/{setup.user_id}/linkToken", headers=setup.headers).json()["linkToken"]
    emulator.call("POST", "/_emulator/account-link", json={"link_token": token, "nonce": "abcdefghij"}, expect=202)

    snapshot = emulator.call("GET", "/_emulator/state", expect=200)
    emulator.reset()
    emulator.call("PUT", "/_emulator/state", json=snapshot, expect=200)

    summary = emulator.http.get(f"/v2/bot/group/{group}/summary", headers=setup.headers)
    assert (summary.status_code, summary.json()) == (200, {"groupId": group, "groupName": "Club"})
    content = f"/v2/bot/message/{video['message_id']}/content"
    assert emulator.http.get(f"{content}/transcoding", headers=setup.headers).json() == {"status": "processing"}
    assert emulator.http.get(f"{content}/preview", headers=setup.headers).status_code == 200
    again = emulator.call("POST", "/_emulator/account-link", json={"link_token": token, "nonce": "abcdefghij"},
                          expect=202)
    assert again["result"] == "failed"


def test_choice_37_the_account_link_screen_links_once_from_the_browser(
    emulator: Emulator, receiver: WebhookReceiver
) -> None:
    setup = with_primary(emulator, receiver)
    token = emulator.http.post(f"/v2/bot/user/{setup.user_id}/linkToken", headers=setup.headers).json()["linkToken"]
    screen = "/dialog/bot/accountLink"
    params = {"linkToken": token, "nonce": "NjY2NzQ0MDIyNA"}
    linked = emulator.http.get(screen, params=params)
    assert linked.status_code == 200 and "text/html" in linked.headers["content-type"]
    assert "アカウントを連携しました" in linked.text
    assert "連携できませんでした" in emulator.http.get(screen, params=params).text
    for bad in ({"linkToken": token, "nonce": "short"}, {"linkToken": "unknown", "nonce": "NjY2NzQ0MDIyNA"}):
        refused = emulator.http.get(screen, params=bad)
        assert refused.status_code == 400 and "text/html" in refused.headers["content-type"]
    emulator.flush()
    links = of_type(receiver, MODULE, "accountLink")
    assert [e["link"] for e in links] == [{"result": "ok", "nonce": "NjY2NzQ0MDIyNA"},
                                          {"result": "failed", "nonce": "NjY2NzQ0MDIyNA"}]


def test_choice_36_a_members_postback_names_the_group_and_the_member(
    emulator: Emulator, receiver: WebhookReceiver
) -> None:
    setup = with_primary(emulator, receiver)
    group = _group(emulator, setup)
    base = f"/_emulator/accounts/{setup.bot_id}/groups/{group}"
    tapped = {"user_id": setup.person["user_id"], "data": "slot", "params": {"datetime": "2026-12-24T19:00"},
              "display_text": "19時で"}
    emulator.call("POST", f"{base}/postback", json=tapped, expect=202)
    outsider = {**tapped, "user_id": emulator.person("Outsider")["user_id"]}
    assert emulator.http.post(f"{base}/postback", json=outsider).status_code == 409
    assert emulator.call("GET", f"{base}/control", expect=200)["active_channel_id"] == setup.channel["channel_id"]
    emulator.flush()
    [event] = of_type(receiver, MODULE, "postback")
    assert event["postback"] == {"data": "slot", "params": {"datetime": "2026-12-24T19:00"}}
    assert event["source"] == {"type": "group", "groupId": group, "userId": setup.user_id}
    assert event["replyToken"] and of_type(receiver, PRIMARY, "postback")[0]["mode"] == "standby"
    shown = emulator.call("GET", f"{base}/messages", expect=200)["messages"]
    assert [m["message"] for m in shown] == [{"type": "text", "text": "19時で"}]


def test_choice_37_mentions_exist_in_groups_only_and_name_members_or_everyone(
    emulator: Emulator, receiver: WebhookReceiver
) -> None:
    setup = with_primary(emulator, receiver)
    group = _group(emulator, setup)
    me = setup.person["user_id"]

    def text(*mentions: dict[str, object], body: str = "@x hello") -> dict[str, object]:
        return {"type": "text", "text": body, "mentions": list(mentions)}

    chat = f"/_emulator/accounts/{setup.bot_id}/chats/{me}/messages"
    alone = emulator.http.post(chat, json=text({"index": 0, "length": 2, "target": "oa"}))
    assert (alone.status_code, alone.json()) == (400, {"message": "mentions: only in a group or room"})
    path = f"/_emulator/accounts/{setup.bot_id}/groups/{group}/messages"
    outside = emulator.http.post(path, json={"user_id": me, "message": text({"index": 0, "length": 2, "target": "U1"})})
    assert outside.status_code == 409
    beyond = text({"index": 5, "length": 9, "target": "all"})
    too_long = emulator.http.post(path, json={"user_id": me, "message": beyond})
    assert too_long.status_code == 400 and "within the text" in too_long.json()["message"]
    emulator.call("POST", path, expect=202, json={"user_id": me, "message": text({"index": 0, "length": 2,
                                                                                  "target": "all"})})
    shown = emulator.call("GET", path)["messages"][-1]["message"]
    assert shown["mention"] == {"mentionees": [{"index": 0, "length": 2, "type": "all"}]}


def test_choice_37_a_user_quotes_only_a_message_of_the_same_chat(
    emulator: Emulator, receiver: WebhookReceiver
) -> None:
    setup = with_primary(emulator, receiver)
    group = _group(emulator, setup)
    in_group = _say(emulator, setup, group)
    chat = f"/_emulator/accounts/{setup.bot_id}/chats/{setup.person['user_id']}/messages"
    elsewhere = emulator.http.post(chat, json={"type": "text", "text": "re", "quoted_message_id": in_group})
    assert (elsewhere.status_code, elsewhere.json()) == (
        409, {"message": f"quoted_message_id: message {in_group} is not in this chat"})
    pushed = send(emulator, setup, "push").json()["sentMessages"][0]["id"]
    sticker = {"type": "sticker", "packageId": "446", "stickerId": "1989", "quoted_message_id": pushed}
    emulator.call("POST", chat, json=sticker, expect=202)
    emulator.flush()
    [event] = of_type(receiver, MODULE, "message")[-1:]
    assert event["message"]["quotedMessageId"] == pushed
