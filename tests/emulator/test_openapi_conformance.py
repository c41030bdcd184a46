"""Every answer the emulator gives for an operation in LINE's official OpenAPI files is checked
against that file (pinned to one commit of `line/line-openapi`: tests/support/line_openapi.py), as is every
webhook body it sends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource

from linemod.emulator.http.middleware import template_pattern
from tests.support.flows import REDIRECT, attach, authorize_url, get_code, query_of
from tests.support.line_openapi import openapi_dir
from tests.support.servers import Emulator, WebhookReceiver

SPEC_FILES = ("module.yml", "module-attach.yml", "channel-access-token.yml", "messaging-api.yml", "insight.yml",
              "manage-audience.yml")


class SpecIndex:
    """Finds the official spec file and path template that describe a request."""

    def __init__(self, directory: Path) -> None:
        self.entries: list[tuple[Any, str, str, str, Any]] = []  # (pattern, template, method, host, openapi)
        for name in SPEC_FILES:
            raw = yaml.safe_load((directory / name).read_text())
            openapi = OpenAPI.from_file_path(str(directory / name))
            host = raw["servers"][0]["url"]
            for template, operations in raw["paths"].items():
                for method, operation in operations.items():
                    if method in ("get", "post", "put", "delete"):
                        # Content download lives on api-data.line.me: the operation names its own server.
                        served = operation.get("servers") or operations.get("servers") or [{"url": host}]
                        self.entries.append((template_pattern(template), template, method.upper(),
                                             served[0]["url"], openapi))
        # Static paths before templated ones, as a router would match them.
        self.entries.sort(key=lambda e: e[1].count("{"))

    def find(self, method: str, path: str) -> tuple[str, str, Any] | None:
        for pattern, template, m, host, openapi in self.entries:
            if m == method and pattern.match(path):
                return template, host, openapi
        return None


@pytest.fixture(scope="module")
def spec_dir() -> Path:
    return openapi_dir()


@pytest.fixture(scope="module")
def spec_index(spec_dir: Path) -> SpecIndex:
    return SpecIndex(spec_dir)


@pytest.fixture
def recorded(emulator: Emulator) -> Iterator[list[httpx.Response]]:
    responses: list[httpx.Response] = []

    def keep(response: httpx.Response) -> None:
        response.read()
        responses.append(response)

    emulator.http.event_hooks["response"] = [keep]
    yield responses
    emulator.http.event_hooks["response"] = []


def validate_all(spec_index: SpecIndex, responses: list[httpx.Response]) -> set[str]:
    checked: set[str] = set()
    for response in responses:
        request = response.request
        found = spec_index.find(request.method, request.url.path)
        if found is None:
            continue
        template, host, openapi = found
        content_type = response.headers.get("content-type", "application/json").split(";")[0]
        mock_request = MockRequest(host, request.method.lower(), request.url.path, path_pattern=template,
                                   args=dict(request.url.params), headers=dict(request.headers),
                                   data=request.content, content_type=request.headers.get("content-type", ""))
        mock_response = MockResponse(response.content, status_code=response.status_code,
                                     headers=dict(response.headers), content_type=content_type)
        if 200 <= response.status_code < 300:
            openapi.validate_response(mock_request, mock_response)
        else:
            body = json.loads(response.content)
            assert isinstance(body.get("message") or body.get("error"), str), (template, body)
        checked.add(f"{request.method} {template}")
    return checked


def test_every_answer_matches_the_official_openapi(
    emulator: Emulator, receiver: WebhookReceiver, recorded: list[httpx.Response], spec_index: SpecIndex
) -> None:
    setup = attach(emulator, receiver.url + "/module",
                   scopes="message:send message:receive profile:read account:manage message:mark_as_read")
    http, headers = emulator.http, setup.headers
    person = setup.person["user_id"]
    sent = emulator.call("POST", f"/_emulator/accounts/{setup.bot_id}/chats/{person}/messages",
                         json={"type": "text", "text": "hello"}, expect=202)
    emulator.flush()
    message_event = receiver.events("/module")[-1]

    text = [{"type": "text", "text": "hi"}]
    http.post("/v2/bot/message/reply", headers=headers,
              json={"replyToken": message_event["replyToken"], "messages": text})
    http.post("/v2/bot/message/push", headers={**headers, "X-Line-Retry-Key": "123e4567-e89b-12d3-a456-426614174000"},
              json={"to": setup.user_id, "messages": text})
    http.post("/v2/bot/message/multicast", headers=headers, json={"to": [setup.user_id], "messages": text})
    http.post("/v2/bot/message/broadcast", headers=headers, json={"messages": text})
    narrowcast = http.post("/v2/bot/message/narrowcast", headers=headers, json={"messages": text})
    http.get("/v2/bot/message/progress/narrowcast", headers=headers,
             params={"requestId": narrowcast.headers["x-line-request-id"]})
    http.post("/v2/bot/message/validate/push", headers=headers, json={"messages": text})
    http.get("/v2/bot/message/quota", headers=headers)
    http.get("/v2/bot/message/quota/consumption", headers=headers)
    http.post("/v2/bot/chat/loading/start", headers=headers, json={"chatId": setup.user_id, "loadingSeconds": 5})
    http.get(f"/v2/bot/profile/{setup.user_id}", headers=headers)
    http.get("/v2/bot/info", headers=headers)
    http.post(f"/v2/bot/user/{setup.user_id}/linkToken", headers=headers)
    http.post("/v2/bot/chat/markAsRead", headers=headers,
              json={"markAsReadToken": message_event["message"]["markAsReadToken"]})
    http.post("/v2/bot/message/markAsRead", headers=headers, json={"chat": {"userId": setup.user_id}})
    http.get("/v2/bot/list", headers={"Authorization": headers["Authorization"]})
    http.post(f"/v2/bot/chat/{setup.user_id}/control/acquire", headers=headers, json={"expired": False})
    http.post(f"/v2/bot/chat/{setup.user_id}/control/release", headers=headers)
    http.post("/v2/bot/message/push", headers=headers, json={"to": setup.user_id, "messages": []})  # a 400
    assert sent["message_id"]

    channel = setup.channel
    form = {"grant_type": "client_credentials", "client_id": channel["channel_id"],
            "client_secret": channel["channel_secret"]}
    http.post("/oauth2/v3/token", data=form)
    short = http.post("/v2/oauth/accessToken", data=form).json()["access_token"]
    http.post("/v2/oauth/verify", data={"access_token": short})
    http.post("/v2/oauth/revoke", data={"access_token": short})

    account = emulator.account(display_name="Second")
    code = get_code(emulator, channel["channel_id"], account["bot_id"])
    http.post("/module/auth/v1/token", data={"grant_type": "authorization_code", "code": code,
                                              "redirect_uri": REDIRECT},
              auth=(channel["channel_id"], channel["channel_secret"]))
    http.post("/v2/bot/channel/detach", headers={"Authorization": headers["Authorization"]},
              json={"botId": account["bot_id"]})

    checked = validate_all(spec_index, recorded)
    assert {"POST /v2/bot/message/push", "GET /v2/bot/list", "POST /module/auth/v1/token",
            "POST /oauth2/v3/token", "GET /v2/bot/info", "POST /v2/bot/channel/detach"} <= checked
    assert len(checked) >= 24, sorted(checked)


def test_consent_page_and_redirects_are_not_json(emulator: Emulator) -> None:
    channel = emulator.module_channel(None)
    page = emulator.http.get(authorize_url(emulator.url, channel["channel_id"]).removeprefix(emulator.url))
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    bad = emulator.http.get(authorize_url(emulator.url, "999").removeprefix(emulator.url))
    assert bad.status_code == 400 and "text/html" in bad.headers["content-type"]
    wrong_type = emulator.http.get(
        authorize_url(emulator.url, channel["channel_id"]).removeprefix(emulator.url).replace(
            "response_type=code", "response_type=token"))
    assert wrong_type.status_code == 302
    assert query_of(wrong_type.headers["location"])["error"] == "unsupported_response_type"


def _webhook_validator(directory: Path) -> OAS30Validator:
    document = yaml.safe_load((directory / "webhook.yml").read_text())
    from referencing.jsonschema import DRAFT4

    resource = Resource.from_contents(document, default_specification=DRAFT4)
    registry = Registry().with_resource("webhook.yml", resource)
    return OAS30Validator({"$ref": "webhook.yml#/components/schemas/CallbackRequest"}, registry=registry)


def test_every_webhook_body_matches_the_official_openapi(
    emulator: Emulator, receiver: WebhookReceiver, spec_dir: Path
) -> None:
    setup = attach(emulator, receiver.url + "/module")
    person = setup.person["user_id"]
    base = f"/_emulator/accounts/{setup.bot_id}"
    emulator.call("POST", f"{base}/chats/{person}/messages", json={"type": "text", "text": "a"}, expect=202)
    emulator.call("POST", f"{base}/chats/{person}/messages",
                  json={"type": "sticker", "packageId": "446", "stickerId": "1988"}, expect=202)
    emulator.call("POST", f"{base}/chats/{person}/messages",
                  json={"type": "location", "latitude": 35.6, "longitude": 139.7, "title": "Shop"}, expect=202)
    emulator.call("POST", f"{base}/chats/{person}/postback", json={"data": "d", "params": {"date": "2026-12-01"}},
                  expect=202)
    emulator.http.post(f"/v2/bot/chat/{setup.user_id}/control/acquire", headers=setup.headers, json={})
    emulator.call("POST", f"{base}/suspend", expect=200)
    emulator.call("POST", f"{base}/resume", expect=200)
    emulator.call("DELETE", f"{base}/friends/{person}", expect=200)
    emulator.call("POST", f"{base}/delete", json={"purge_after_seconds": 1}, expect=200)
    emulator.advance(2)
    emulator.flush()
    validator = _webhook_validator(spec_dir)
    kinds = set()
    for received in receiver.received:
        body = received.body
        errors = sorted(validator.iter_errors(body), key=str)
        assert not errors, (body, [e.message for e in errors])
        kinds.update(e["type"] for e in body["events"])
    assert kinds >= {"module", "follow", "message", "postback", "activated", "botSuspended", "botResumed",
                     "unfollow"}
