"""Bad bodies to the control API: every one is a 400 `{"message"}` (never a 500, never FastAPI's 422),
nothing changes, and the emulator and its pages keep working; the documented answers stay as they were.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.emulator.platform_world import authorize_url
from tests.support.servers import Emulator

CHAT = "/_emulator/accounts/{bot_id}/chats/{user_id}"
SNAPSHOT = "linemod-emulator-state/1"

# One wrong-typed body for each control-API route that takes a body; `optional` routes accept none.
WRONG_TYPES: list[tuple[str, str, Any, bool]] = [
    ("POST", "/_emulator/module-channels", {"name": 5}, False),
    ("PATCH", "/_emulator/module-channels/{channel_id}", {"redelivery": "yes"}, False),
    ("POST", "/_emulator/module-channels/{channel_id}/public-keys", {"kty": "RSA", "n": 1, "e": "AQAB"}, False),
    ("POST", "/_emulator/module-channels/{channel_id}/webhook-test", {"bot_id": 5}, True),
    ("POST", "/_emulator/accounts", {"display_name": "Cafe", "basic_id": 5}, False),
    ("PATCH", "/_emulator/accounts/{bot_id}", {"webhook_enabled": "no"}, False),
    ("POST", "/_emulator/users", {"display_name": ["Hanako"]}, False),
    ("POST", "/_emulator/authorize", {"authorize_url": 5, "decision": "approve"}, False),
    ("POST", "/_emulator/accounts/{bot_id}/delete", {"purge_after_seconds": "60"}, True),
    ("POST", "/_emulator/clock/advance", {"seconds": "60"}, False),
    ("POST", "/_emulator/deliveries/flush", {"timeout_seconds": "1"}, True),
    ("POST", "/_emulator/faults", {"method": "GET", "path": "/v2/bot/info", "status": "500"}, False),
    ("PUT", "/_emulator/state", {"format": SNAPSHOT, "people": [{"user_id": 5, "display_name": "x"}]}, False),
    ("POST", "/_emulator/accounts/{bot_id}/friends", {"user_id": 5}, False),
    ("POST", f"{CHAT}/messages", {"type": "text", "text": 5}, False),
    ("POST", f"{CHAT}/postback", {"data": 5}, False),
    ("POST", f"{CHAT}/richmenu-tap", {"area": "0"}, False),
    ("POST", f"{CHAT}/actions", {"action": "postback"}, False),
    ("POST", f"{CHAT}/operator-messages", {"text": 5}, False),
    ("POST", "/_emulator/load/messages", {"bot_id": "{bot_id}", "user_ids": "{user_id}"}, False),
    ("POST", "/_emulator/accounts/{bot_id}/groups", {"name": "Team", "members": "{user_id}"}, False),
    ("POST", "/_emulator/accounts/{bot_id}/groups/{group_id}/messages", {"user_id": 5, "message": {}}, False),
    ("POST", "/_emulator/accounts/{bot_id}/rooms", {"members": "{user_id}"}, False),
    ("POST", "/_emulator/accounts/{bot_id}/groups/{group_id}/members", {"user_ids": 5}, False),
    ("POST", "/_emulator/accounts/{bot_id}/rooms/{room_id}/members", {"user_ids": ["{user_id}", 5]}, False),
    ("POST", "/_emulator/accounts/{bot_id}/rooms/{room_id}/messages", {"user_id": 5, "message": {}}, False),
    ("POST", "/_emulator/accounts/{bot_id}/groups/{group_id}/video-play-complete", {"message_id": 5}, False),
    ("POST", "/_emulator/accounts/{bot_id}/rooms/{room_id}/video-play-complete", {"message_id": 5}, False),
    ("POST", f"{CHAT}/video-play-complete", {"message_id": 5}, False),
    ("POST", f"{CHAT}/beacon", {"hwid": 5}, False),
    ("POST", "/_emulator/account-link", {"link_token": 5, "nonce": "0123456789"}, False),
    ("POST", "/_emulator/accounts/{bot_id}/groups/{group_id}/postback", {"user_id": "{user_id}", "data": 5}, False),
    ("POST", "/_emulator/accounts/{bot_id}/rooms/{room_id}/postback", {"user_id": 5, "data": "d"}, False),
    ("PUT", "/_emulator/users/{user_id}/demographics", {"age": "30"}, False),
    ("POST", f"{CHAT}/messages/{{message_id}}/click", {"url": 5}, False),
    ("POST", f"{CHAT}/messages/{{message_id}}/play", {"percent": "100"}, False),
    ("POST", "/_emulator/accounts/{bot_id}/memberships", {"title": 5, "benefits": ["x"], "price": 1}, False),
    ("POST", "/_emulator/accounts/{bot_id}/memberships/{membership_id}/members", {"user_id": 5}, False),
    ("POST", "/_emulator/accounts/{bot_id}/audience-groups", {"description": 5}, False),
]


@dataclass
class World:
    emulator: Emulator
    ids: dict[str, str]

    def path(self, template: str) -> str:
        return template.format(**self.ids)

    def state(self) -> dict[str, Any]:
        return dict(self.emulator.call("GET", "/_emulator/state", expect=200))

    def assert_refused(self, answer: Any, fragment: str = "") -> str:
        assert answer.status_code == 400, (answer.status_code, answer.text)
        body = answer.json()
        assert set(body) == {"message"} and isinstance(body["message"], str) and body["message"], body
        assert fragment in body["message"], body
        return str(body["message"])

    def assert_still_works(self) -> None:
        for page in ("/_pages/", "/_pages/setup", "/_pages/inspector", f"/_pages/manager/{self.ids['bot_id']}",
                     f"/_pages/app/{self.ids['bot_id']}/{self.ids['user_id']}"):
            assert self.emulator.http.get(page).status_code == 200, page
        self.emulator.call("GET", "/_emulator/clock", expect=200)
        self.emulator.call("POST", "/_emulator/users", json={"display_name": "After"}, expect=201)


@pytest.fixture
def world(emulator: Emulator) -> Iterator[World]:
    channel = emulator.module_channel(None)
    account = emulator.account()
    person = emulator.person()
    emulator.call("POST", f"/_emulator/accounts/{account['bot_id']}/friends", json={"user_id": person["user_id"]},
                  expect=200)
    yield World(emulator, {"channel_id": channel["channel_id"], "bot_id": account["bot_id"],
                           "user_id": person["user_id"], "group_id": "C" + "0" * 32, "room_id": "R" + "0" * 32,
                           "message_id": "1", "membership_id": "1"})


def _filled(body: Any, ids: dict[str, str]) -> Any:
    if isinstance(body, dict):
        return {k: _filled(v, ids) for k, v in body.items()}
    return body.format(**ids) if isinstance(body, str) and "{" in body else body


@pytest.mark.parametrize(("method", "template", "body", "optional"), WRONG_TYPES,
                         ids=[f"{m} {t}" for m, t, _, _ in WRONG_TYPES])
def test_every_body_route_answers_400_for_wrong_types_and_changes_nothing(
        world: World, method: str, template: str, body: Any, optional: bool) -> None:
    path = world.path(template)
    before = world.state()
    field = next(iter(body))
    world.assert_refused(world.emulator.http.request(method, path, json=_filled(body, world.ids)))
    assert world.assert_refused(world.emulator.http.request(method, path, json=[body])) == (
        "the body must be a JSON object")
    assert world.assert_refused(world.emulator.http.request(method, path, content=b'{"' + field.encode())) == (
        "the body is not valid JSON")
    if not optional:
        assert world.assert_refused(world.emulator.http.request(method, path)) == "a JSON body is required"
    after = world.state()
    assert {k: v for k, v in after.items() if k != "clock"} == {k: v for k, v in before.items() if k != "clock"}
    world.assert_still_works()


def test_every_route_with_a_body_has_a_wrong_type_case(world: World) -> None:
    spec = world.emulator.call("GET", "/_emulator/openapi.json", expect=200)
    with_body = {(method.upper(), path) for path, operations in spec["paths"].items()
                 for method, operation in operations.items()
                 if "application/json" in operation.get("requestBody", {}).get("content", {})}
    assert with_body == {(m, t) for m, t, _, _ in WRONG_TYPES}
    for operations in spec["paths"].values():
        for operation in operations.values():
            assert "422" not in operation["responses"]


@pytest.mark.parametrize("raw", [b"NaN", b"Infinity", b"-Infinity", b"1e30", b"1e400", b"0", b"-5", b"true",
                                 b'"60"', b"null"])
def test_clock_advance_refuses_what_is_not_a_sane_positive_number(world: World, raw: bytes) -> None:
    before = world.emulator.call("GET", "/_emulator/clock", expect=200)["now_ms"]
    world.assert_refused(world.emulator.http.post("/_emulator/clock/advance", content=b'{"seconds": ' + raw + b"}",
                                                  headers={"content-type": "application/json"}), "seconds")
    assert world.emulator.call("GET", "/_emulator/clock", expect=200)["now_ms"] - before < 60_000
    world.assert_still_works()
    assert world.emulator.advance(60) - before >= 60_000  # a sane advance still works


def test_a_non_string_basic_id_is_a_400_and_the_pages_still_answer(world: World) -> None:
    message = world.assert_refused(world.emulator.http.post("/_emulator/accounts",
                                                            json={"display_name": "Cafe", "basic_id": 1234}))
    assert message == "basic_id: Input should be a valid string"
    world.assert_still_works()
    assert world.emulator.account(display_name="Cafe", basic_id="@123abcd")["basic_id"] == "@123abcd"


@pytest.mark.parametrize(("body", "fragment"), [
    ({"purge_after_seconds": -1}, "greater than or equal to 0"),
    ({"purge_after_seconds": 1e30}, "less than or equal to"),
])
def test_delete_refuses_a_purge_time_out_of_range(world: World, body: dict[str, Any], fragment: str) -> None:
    path = world.path("/_emulator/accounts/{bot_id}/delete")
    world.assert_refused(world.emulator.http.post(path, json=body), fragment)
    world.assert_refused(world.emulator.http.post(path, content=b'{"purge_after_seconds": NaN}'), "finite")
    assert world.emulator.call("GET", world.path("/_emulator/accounts/{bot_id}"))["status"] == "active"
    world.assert_still_works()


@pytest.mark.parametrize(("body", "fragment"), [
    ({"type": "carousel"}, "type must be one of 'text', 'sticker', 'location', 'image', 'video', 'audio', 'file'"),
    ({"type": "video"}, "video: give exactly one of content_base64 and original_content_url"),
    ({"text": "no type"}, "type is required"),
    ({"type": "text", "text": ""}, "at least 1 character"),
    ({"type": "text", "text": "x" * 5001}, "at most 5000 characters"),
    ({"type": "location", "latitude": 91, "longitude": 0}, "latitude"),
    ({"type": "sticker", "packageId": "446"}, "stickerId: Field required"),
    ({"type": "image", "content_base64": "%%%"}, "content_base64: must be base64"),
])
def test_user_messages_are_checked_by_kind(world: World, body: dict[str, Any], fragment: str) -> None:
    world.assert_refused(world.emulator.http.post(world.path(f"{CHAT}/messages"), json=body), fragment)
    assert world.emulator.call("GET", world.path(f"{CHAT}/messages"), expect=200)["messages"] == []


def test_unknown_enum_values_and_nulls_are_400s(world: World) -> None:
    emulator = world.emulator
    world.assert_refused(emulator.http.post("/_emulator/accounts", json={"display_name": "x", "region": "US"}),
                         "region: Input should be 'JP' or 'TW'")
    world.assert_refused(emulator.http.patch(world.path("/_emulator/accounts/{bot_id}"), json={"chat_mode": None}),
                         "chat_mode must not be null")
    world.assert_refused(emulator.http.post("/_emulator/authorize", json={
        "authorize_url": authorize_url(emulator.url, world.ids["channel_id"]), "decision": "maybe"}), "decision")
    world.assert_refused(emulator.http.post("/_emulator/faults", json={
        "method": "GET", "path": "/v2/bot/info", "status": 200}), "status")
    world.assert_refused(emulator.http.get("/_emulator/deliveries", params={"limit": 0}), "limit")
    world.assert_refused(emulator.http.get(world.path(f"{CHAT}/messages"), params={"since": "yesterday"}), "since")
    world.assert_still_works()


def test_rules_keep_their_own_statuses_once_the_body_fits(world: World) -> None:
    emulator = world.emulator
    unknown = "U" + "0" * 32
    missing = emulator.http.post(f"/_emulator/accounts/{unknown}/friends", json={"user_id": world.ids["user_id"]})
    assert (missing.status_code, missing.json()) == (404, {"message": f"account {unknown} not found"})
    channel_id = world.ids["channel_id"]
    taken = emulator.http.post("/_emulator/module-channels", json={"name": "Dup", "channel_id": channel_id})
    assert (taken.status_code, taken.json()) == (409, {"message": f"channel {channel_id} already exists"})
    no_menu = emulator.http.post(world.path(f"{CHAT}/richmenu-tap"), json={"area": 0})
    assert no_menu.status_code == 404


def test_bodies_are_json_whatever_their_content_type_says(world: World) -> None:
    """As before pydantic: `curl -d` sends a form type, scripts often send none."""
    for headers in ({"content-type": "application/x-www-form-urlencoded"}, {"content-type": "text/plain"}, {}):
        answer = world.emulator.http.post("/_emulator/users", content=b'{"display_name": "Curl"}', headers=headers)
        assert answer.status_code == 201, (headers, answer.text)


@pytest.mark.parametrize(("form", "files", "fragment"), [
    ({"type": "image"}, None, "file"),
    ({"type": "sticker"}, {"file": ("a.png", b"x", "image/png")}, "type"),
    ({"type": "image", "duration": "12"}, {"file": ("a.png", b"x", "image/png")}, "duration"),
    ({"type": "video", "duration": "0"}, {"file": ("a.mp4", b"x", "video/mp4")}, "duration"),
    ({"type": "file"}, {"file": ("empty.txt", b"", "text/plain")}, "must not be empty"),
    ({"type": "video"}, [("file", ("a.mp4", b"x", "video/mp4")), ("file", ("b.mp4", b"y", "video/mp4"))],
     "only photos"),
])
def test_a_bad_upload_is_a_400_and_changes_nothing(world: World, form: dict[str, str],
                                                   files: Any, fragment: str) -> None:
    before = world.state()
    answer = world.emulator.http.post(world.path(f"{CHAT}/uploads"), data=form, files=files)
    world.assert_refused(answer, fragment)
    assert {k: v for k, v in world.state().items() if k != "clock"} == {
        k: v for k, v in before.items() if k != "clock"}
    world.assert_still_works()
