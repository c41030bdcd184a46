"""Bodies no route can use answer a 4xx in the shape of the API they were sent to, never a 500: JSON nested
too deeply to parse safely (on every route of the LINE APIs and of the control API, found from the routers),
and a webhook test whose `endpoint` is not a string.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from linemod.emulator.http import routes_control, routes_control_chats, routes_control_insight
from linemod.emulator.http.app import LINE_API_ROUTES
from linemod.emulator.http.json_depth import CONTROL_API_MAX_DEPTH, LINE_API_MAX_DEPTH, nests_deeper_than
from linemod.emulator.platform.attach import KNOWN_SCOPES
from tests.emulator.calls import headers
from tests.support.flows import Attached, attach, stateless_token
from tests.support.servers import Emulator

LINE_ROUTERS = LINE_API_ROUTES
CONTROL_ROUTES = [r for m in (routes_control, routes_control_chats, routes_control_insight) for r in m.router.routes
                  if isinstance(r, APIRoute)]
NOT_JSON = "The request body could not be parsed as JSON"
TOO_DEEP_FOR_LINE = {"message": "The request body could not be parsed as JSON (line: -, column: -)"}
TOO_DEEP_FOR_CONTROL = {"message": f"the body nests more than {CONTROL_API_MAX_DEPTH} levels deep"}
OAUTH_PATHS = ("/oauth2/", "/v2/oauth/", "/module/auth/v1/token")
CONSENT_PAGE = "/module/auth/v1/authorize"

# The LINE API routes that read a JSON body: every one of them refuses one nested too deeply.
JSON_BODY_ROUTES = {
    ("POST", "/v2/bot/message/reply"), ("POST", "/v2/bot/message/push"), ("POST", "/v2/bot/message/multicast"),
    ("POST", "/v2/bot/message/broadcast"), ("POST", "/v2/bot/message/narrowcast"),
    ("POST", "/v2/bot/message/validate/{kind}"), ("POST", "/v2/bot/chat/loading/start"),
    ("POST", "/v2/bot/message/markAsRead"), ("POST", "/v2/bot/chat/markAsRead"),
    ("PUT", "/v2/bot/channel/webhook/endpoint"), ("POST", "/v2/bot/channel/webhook/test"),
    ("POST", "/v2/bot/channel/detach"), ("POST", "/v2/bot/chat/{chatId}/control/acquire"),
    ("POST", "/v2/bot/richmenu"), ("POST", "/v2/bot/richmenu/validate"), ("POST", "/v2/bot/richmenu/bulk/link"),
    ("POST", "/v2/bot/richmenu/bulk/unlink"), ("POST", "/v2/bot/richmenu/alias"),
    ("POST", "/v2/bot/richmenu/alias/{richMenuAliasId}"), ("POST", "/v2/bot/richmenu/batch"),
    ("POST", "/v2/bot/richmenu/validate/batch"), ("POST", "/bot/pnp/push"), ("POST", "/v2/bot/coupon"),
    ("POST", "/v2/bot/audienceGroup/upload"), ("PUT", "/v2/bot/audienceGroup/upload"),
    ("POST", "/v2/bot/audienceGroup/click"), ("POST", "/v2/bot/audienceGroup/imp"),
    ("PUT", "/v2/bot/audienceGroup/{audienceGroupId}/updateDescription"),
}


def arrays(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def objects(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


def boxes(levels: int, *, tappable: bool = False) -> dict[str, Any]:
    """A Flex bubble whose body is `levels` boxes, one inside the other, around a text (with an action
    object, one level more, when `tappable`): valid all the way."""
    component: dict[str, Any] = {"type": "text", "text": "奥"}
    if tappable:
        component["action"] = {"type": "postback", "data": "deep"}
    for _ in range(levels):
        component = {"type": "box", "layout": "vertical", "contents": [component]}
    return {"type": "bubble", "body": component}


def depth_of(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((depth_of(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth_of(v) for v in value), default=0)
    return 0


def flex_push(to: str, levels: int, *, tappable: bool = False) -> dict[str, Any]:
    return {"to": to, "messages": [{"type": "flex", "altText": "奥", "contents": boxes(levels, tappable=tappable)}]}


def deepest_flex_push(to: str, limit: int) -> dict[str, Any]:
    """A push of a Flex message nested `limit` levels deep."""
    for tappable in (False, True):
        for levels in range(limit):
            body = flex_push(to, levels, tappable=tappable)
            if depth_of(body) == limit:
                return body
    raise AssertionError(f"no Flex push is {limit} levels deep")


def too_deep_bodies(to: str, limit: int) -> dict[str, bytes]:
    """About 1,000 levels of arrays and of objects, valid JSON 900 levels deep inside a message (a Flex
    message of 450 boxes in boxes: the Flex checks recurse per box), and just past the limit."""
    box = b'{"type": "box", "layout": "vertical", "contents": ['
    inner = box * 450 + b'{"type": "text", "text": "x"}' + b"]}" * 450  # too deep for json.dumps in a test
    flex = json.dumps(flex_push(to, 0)).encode().replace(b'{"type": "text", "text": "\\u5965"}', inner)
    assert inner in flex and nests_deeper_than(flex, 900)
    past = next(flex_push(to, n) for n in range(1, limit) if depth_of(flex_push(to, n)) > limit)
    return {
        "1000 arrays": arrays(1000),
        "1000 objects": objects(1000),
        "flex 900 deep": flex,
        "flex just past the limit": json.dumps(past).encode(),
        "objects one past the limit": objects(limit + 1),
    }


@dataclass
class World:
    emulator: Emulator
    setup: Attached
    primary_token: str

    def path(self, template: str) -> str:
        values = {"kind": "push", "userId": self.setup.user_id, "chatId": self.setup.user_id, "messageId": "1",
                  "richMenuId": "richmenu-00000000000000000000000000000000", "richMenuAliasId": "alias",
                  "bot_id": self.setup.bot_id, "user_id": self.setup.person["user_id"],
                  "channel_id": self.setup.channel["channel_id"], "audienceGroupId": "1", "couponId": "c",
                  "membershipId": "1", "message_id": "1", "membership_id": "1", "groupId": "C" + "0" * 32,
                  "roomId": "R" + "0" * 32}
        return template.format(**values)

    def callers(self) -> dict[str, dict[str, str]]:
        """A module attached with every scope, and the OA's Primary Channel (the webhook-endpoint APIs)."""
        return {"module": self.setup.headers, "primary": headers(self.primary_token, self.setup.bot_id)}


@pytest.fixture
def world(emulator: Emulator, emulator_app: Any) -> Iterator[World]:
    emulator_app.state.platform.settings.rate_limits = False  # many calls per route; the fixture restores it
    setup = attach(emulator, None, scopes=" ".join(KNOWN_SCOPES),
                   account_extra={"primary_channel": {"webhook_url": "https://oa.example/hook"}})
    yield World(emulator, setup, stateless_token(emulator, setup.account["primary_channel"]))


def line_routes() -> list[tuple[str, str]]:
    return [(method, route.path) for module in LINE_ROUTERS for route in module.router.routes
            for method in module.router.methods_of(route.path)]


def says_not_json(answer: httpx.Response) -> bool:
    if not answer.headers.get("content-type", "").startswith("application/json"):
        return False
    return str(answer.json().get("message", "")).startswith(NOT_JSON)


def assert_line_api_shape(path: str, answer: httpx.Response) -> None:
    """A 4xx in the shape of the API the path belongs to (a 2xx or 3xx is a route that reads no body)."""
    assert answer.status_code < 500, (path, answer.status_code, answer.text[:300])
    if answer.status_code < 400:
        return
    if path == CONSENT_PAGE:
        assert answer.headers["content-type"].startswith("text/html"), answer.headers
        return
    body = answer.json()
    if path.startswith(OAUTH_PATHS):
        assert isinstance(body.get("error"), str), (path, body)
        return
    assert isinstance(body.get("message"), str) and body["message"], (path, body)
    for detail in body.get("details", []):
        assert set(detail) <= {"message", "property"}, (path, body)


def test_every_line_api_route_refuses_json_nested_too_deeply_in_lines_shape(world: World) -> None:
    routes = line_routes()
    assert len(routes) > 40  # the routers were found, not an empty list
    refusing: set[tuple[str, str]] = set()
    bodies = too_deep_bodies(world.setup.user_id, LINE_API_MAX_DEPTH)
    for method, template in routes:
        path = world.path(template)
        for caller, hdrs in world.callers().items():
            sent = {**hdrs, "content-type": "application/json"}
            malformed = world.emulator.http.request(method, path, headers=sent, content=b'{"to":')
            assert_line_api_shape(template, malformed)
            parses_json = malformed.status_code == 400 and says_not_json(malformed)
            if parses_json:
                refusing.add((method, template))
            for name, raw in bodies.items():
                answer = world.emulator.http.request(method, path, headers=sent, content=raw)
                assert_line_api_shape(template, answer)
                if parses_json:
                    assert (answer.status_code, answer.json()) == (400, TOO_DEEP_FOR_LINE), (
                        method, template, caller, name, answer.text[:300])
    assert refusing == JSON_BODY_ROUTES


def test_every_control_route_refuses_json_nested_too_deeply_with_a_message(world: World) -> None:
    assert len(CONTROL_ROUTES) > 30
    bodies = too_deep_bodies(world.setup.user_id, CONTROL_API_MAX_DEPTH)
    fault = b'{"method": "GET", "path": "/v2/bot/info", "status": 500, "body": '
    bodies["fault 900 deep"] = fault + objects(900) + b"}"
    with_body = [route for route in CONTROL_ROUTES if route.body_field is not None]
    before = world.emulator.call("GET", "/_emulator/state", expect=200)
    for route in with_body:
        for method in route.methods:
            for name, raw in bodies.items():
                answer = world.emulator.http.request(method, world.path(route.path), content=raw)
                assert (answer.status_code, answer.json()) == (400, TOO_DEEP_FOR_CONTROL), (
                    method, route.path, name, answer.text[:300])
    after = world.emulator.call("GET", "/_emulator/state", expect=200)
    assert {k: v for k, v in after.items() if k != "clock"} == {k: v for k, v in before.items() if k != "clock"}
    assert world.emulator.call("GET", "/_emulator/faults", expect=200)["faults"] == []
    # The others ignore a body, and act (reset among them): nothing to check but their answers.
    for route in CONTROL_ROUTES:
        if route.body_field is None:
            for method in route.methods:
                for name, raw in bodies.items():
                    answer = world.emulator.http.request(method, world.path(route.path), content=raw)
                    assert answer.status_code < 500, (method, route.path, name, answer.text[:300])
                    if answer.status_code >= 400:
                        assert set(answer.json()) == {"message"}, (method, route.path, answer.text[:300])


def test_a_flex_message_nested_up_to_the_limit_is_sent_shown_and_restored(world: World) -> None:
    emulator, setup = world.emulator, world.setup
    body = deepest_flex_push(setup.user_id, LINE_API_MAX_DEPTH)
    assert depth_of(body) == LINE_API_MAX_DEPTH
    sent = emulator.http.post("/v2/bot/message/push", headers=setup.headers, json=body)
    assert sent.status_code == 200, sent.text
    page = emulator.http.get(f"/_pages/app/{setup.bot_id}/{setup.person['user_id']}")
    assert page.status_code == 200 and "奥" in page.text
    state = emulator.call("GET", "/_emulator/state", expect=200)
    assert not nests_deeper_than(json.dumps(state).encode(), CONTROL_API_MAX_DEPTH)
    emulator.call("PUT", "/_emulator/state", json=state, expect=200)
    assert emulator.http.get(f"/_pages/app/{setup.bot_id}/{setup.person['user_id']}").status_code == 200


def test_a_fault_body_nested_up_to_the_control_limit_is_accepted_and_answered(world: World) -> None:
    fault_body = json.loads(objects(CONTROL_API_MAX_DEPTH - 1))
    spec = {"method": "GET", "path": "/v2/bot/info", "status": 503, "body": fault_body}
    assert depth_of(spec) == CONTROL_API_MAX_DEPTH
    world.emulator.call("POST", "/_emulator/faults", json=spec, expect=201)
    answer = world.emulator.http.get("/v2/bot/info", headers=world.setup.headers)
    assert (answer.status_code, answer.json()) == (503, fault_body)


@pytest.mark.parametrize(("raw", "deeper_than_3"), [
    (b"[[[]]]", False),
    (b"[[[[]]]]", True),
    (b'{"a": {"b": {"c": 1}}}', False),
    (b'{"a": {"b": {"c": {"d": 1}}}}', True),
    (b'[["[[[[[[", "{{{{{{{"]]', False),  # brackets in strings do not count
    (b'[["\\"[[[[[[", "\\\\", "{{{{"]]', False),  # nor after escaped quotes and backslashes
    (b'[[], [], [], [], [[]]]', False),  # many brackets, little depth
    (b"[[[[", True),  # unclosed: the parser refuses it next
])
def test_nesting_is_measured_outside_strings(raw: bytes, deeper_than_3: bool) -> None:
    assert nests_deeper_than(raw, 3) is deeper_than_3


# ---- the webhook test's endpoint (TestWebhookEndpointRequest: an optional string of at most 500) ----------

@pytest.mark.parametrize("endpoint", [5, ["x"], {}, True, 1.5, "https://oa.example/" + "a" * 482])
def test_webhook_test_refuses_an_endpoint_that_is_not_a_string_of_at_most_500(world: World, endpoint: Any) -> None:
    answer = world.emulator.http.post("/v2/bot/channel/webhook/test", headers=world.callers()["primary"],
                                      json={"endpoint": endpoint})
    problem = "Must be a string" if not isinstance(endpoint, str) else "Length must be between 0 and 500"
    assert (answer.status_code, answer.json()) == (400, {
        "message": "The request body has 1 error(s)", "details": [{"message": problem, "property": "endpoint"}]})


@pytest.mark.parametrize("body", [[1], "https://oa.example/hook", 5])
def test_webhook_test_refuses_a_body_that_is_not_an_object(world: World, body: Any) -> None:
    answer = world.emulator.http.post("/v2/bot/channel/webhook/test", headers=world.callers()["primary"], json=body)
    assert (answer.status_code, answer.json()) == (400, {"message": f"{NOT_JSON} (line: 1, column: 1)"})


@pytest.mark.parametrize("body", [{}, {"endpoint": None}, {"endpoint": ""}])
def test_webhook_test_without_an_endpoint_tests_the_channels_own(world: World, body: dict[str, Any]) -> None:
    answer = world.emulator.http.post("/v2/bot/channel/webhook/test", headers=world.callers()["primary"], json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["reason"] == "could_not_connect"  # oa.example does not resolve


@pytest.mark.parametrize("endpoint", ["https://xn--a.example/", "http://[::1", "https://\u0000x", "ftp://oa.example/"])
def test_webhook_test_of_a_url_no_one_can_reach_says_so(world: World, endpoint: str) -> None:
    answer = world.emulator.http.post("/v2/bot/channel/webhook/test", headers=world.callers()["primary"],
                                      json={"endpoint": endpoint})
    assert answer.status_code == 200, answer.text
    assert answer.json()["success"] is False and answer.json()["reason"] == "could_not_connect"
