"""Insight, audiences, narrowcast targeting, delivery counts, coupons, memberships and rich menu batches over
HTTP against a real emulator: values computed from what was sent and done, LINE's thresholds, and every answer
validated against LINE's OpenAPI files."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator

import httpx
import pytest
from linebot.v3.webhook import WebhookParser
from linebot.v3.webhooks import PnpDeliveryCompletionEvent

from tests.emulator.marketing_world import MarketingOa, jst_day, marketing_oa
from tests.emulator.richmenu_world import png
from tests.emulator.test_openapi_conformance import SpecIndex, _webhook_validator, validate_all
from tests.support.flows import attach
from tests.support.line_openapi import openapi_dir
from tests.support.servers import Emulator, WebhookReceiver

LINK = "https://example.com/sale"
FLEX_WITH_LINK = {"type": "template", "altText": "sale", "template": {
    "type": "buttons", "text": "Sale", "actions": [{"type": "uri", "label": "Open", "uri": LINK}]}}


@pytest.fixture(scope="module")
def spec_index() -> SpecIndex:
    return SpecIndex(openapi_dir())


@pytest.fixture
def recorded(emulator: Emulator) -> Iterator[list[httpx.Response]]:
    responses: list[httpx.Response] = []

    def keep(response: httpx.Response) -> None:
        response.read()
        response.request.read()  # a multipart upload's body is a stream until read
        responses.append(response)

    emulator.http.event_hooks["response"] = [keep]
    yield responses
    emulator.http.event_hooks["response"] = []


def get(oa: MarketingOa, path: str, expect: int = 200, **params: object) -> dict:  # type: ignore[type-arg]
    answer = oa.emulator.http.get(path, headers=oa.headers, params=params)
    assert answer.status_code == expect, answer.text
    return answer.json()  # type: ignore[no-any-return]


def send(oa: MarketingOa, path: str, body: dict, expect: int = 200) -> httpx.Response:  # type: ignore[type-arg]
    answer = oa.emulator.http.post(path, headers=oa.headers, json=body)
    assert answer.status_code == expect, answer.text
    return answer


def test_broadcast_statistics_follow_what_users_did(emulator: Emulator, recorded: list[httpx.Response],
                                                    spec_index: SpecIndex) -> None:
    oa = marketing_oa(emulator, 22)
    request_id = send(oa, "/v2/bot/message/broadcast",
                      {"messages": [{"type": "text", "text": "hi"}, FLEX_WITH_LINK]}).headers["x-line-request-id"]
    event = get(oa, "/v2/bot/insight/message/event", requestId=request_id)
    assert event["overview"]["delivered"] == 22
    assert event["overview"]["uniqueImpression"] is None  # nobody opened it yet: below 20, hidden
    for person in oa.people[:21]:
        emulator.call("POST", oa.chat(person) + "/read", expect=200)
    for person in oa.people[:20]:
        flex_id = oa.messages_of(person)[-1]["id"]
        emulator.call("POST", oa.chat(person) + f"/messages/{flex_id}/click", json={"url": LINK}, expect=200)
    event = get(oa, "/v2/bot/insight/message/event", requestId=request_id)
    assert event["overview"]["uniqueImpression"] == 21 and event["overview"]["uniqueClick"] == 20
    assert [m["impression"] for m in event["messages"]] == [21, 21]
    assert event["clicks"] == [{"seq": 2, "url": LINK, "click": 20, "uniqueClick": 20, "uniqueClickOfRequest": 20}]
    # A URL the message has no link to cannot be clicked.
    someone = oa.people[0]
    flex_id = oa.messages_of(someone)[-1]["id"]
    emulator.call("POST", oa.chat(someone) + f"/messages/{flex_id}/click", json={"url": "https://x.example/"},
                  expect=400)

    click_group = send(oa, "/v2/bot/audienceGroup/click",
                       {"description": "clicked", "requestId": request_id, "clickUrl": LINK}, expect=202).json()
    imp_group = send(oa, "/v2/bot/audienceGroup/imp", {"description": "opened", "requestId": request_id},
                     expect=202).json()
    assert get(oa, f"/v2/bot/audienceGroup/{click_group['audienceGroupId']}")["audienceGroup"]["audienceCount"] == 20
    assert get(oa, f"/v2/bot/audienceGroup/{imp_group['audienceGroupId']}")["audienceGroup"]["audienceCount"] == 21

    demographic = get(oa, "/v2/bot/insight/demographic")
    assert demographic["available"] is True
    assert {g["gender"]: g["percentage"] for g in demographic["genders"]} == {"male": 50.0, "female": 50.0}
    assert sum(a["percentage"] for a in demographic["areas"]) == pytest.approx(100, abs=0.3)

    today = jst_day(emulator)
    assert get(oa, "/v2/bot/message/delivery/broadcast", date=today) == {"status": "unready"}
    assert get(oa, "/v2/bot/message/delivery/broadcast", date="20180101") == {"status": "out_of_service"}
    assert get(oa, "/v2/bot/insight/message/delivery", date=today)["status"] == "unready"
    emulator.advance(86_400)
    assert get(oa, "/v2/bot/message/delivery/broadcast", date=today) == {"status": "ready", "success": 22}
    insight = get(oa, "/v2/bot/insight/message/delivery", date=today)
    assert insight["apiBroadcast"] == 22 and insight["apiPush"] == 0
    emulator.call("DELETE", f"/_emulator/accounts/{oa.bot_id}/friends/{oa.people[0]}", expect=200)
    followers = get(oa, "/v2/bot/insight/followers", date=today)
    assert followers == {"status": "ready", "followers": 22, "targetedReaches": 22, "blocks": 0}
    assert get(oa, "/v2/bot/insight/followers", date=jst_day(emulator))["status"] == "unready"
    get(oa, "/v2/bot/insight/followers", expect=400, date="2024-1-1")

    checked = validate_all(spec_index, recorded)
    assert {"GET /v2/bot/insight/message/event", "GET /v2/bot/insight/demographic", "POST /v2/bot/audienceGroup/imp",
            "GET /v2/bot/insight/followers", "GET /v2/bot/message/delivery/broadcast"} <= checked


def test_demographics_need_twenty_friends_and_narrowcast_needs_reach(emulator: Emulator) -> None:
    oa = marketing_oa(emulator, 19)
    assert get(oa, "/v2/bot/insight/demographic")["available"] is False
    text = [{"type": "text", "text": "for women"}]
    women = {"demographic": {"type": "gender", "oneOf": ["female"]}}
    request_id = send(oa, "/v2/bot/message/narrowcast", {"messages": text, "filter": women},
                      expect=202).headers["x-line-request-id"]
    progress = get(oa, "/v2/bot/message/progress/narrowcast", requestId=request_id)
    assert progress["phase"] == "failed" and progress["errorCode"] == 2  # targeted reach below 100

    oa.add_friends(101)
    request_id = send(oa, "/v2/bot/message/narrowcast", {"messages": text, "filter": {"demographic": {
        "type": "operator", "and": [{"type": "gender", "oneOf": ["female"]}, {"type": "age", "gte": "age_20"}]}}},
        expect=202).headers["x-line-request-id"]
    progress = get(oa, "/v2/bot/message/progress/narrowcast", requestId=request_id)
    assert progress["phase"] == "succeeded", progress
    received = [p for p in oa.people if any(m["message"].get("text") == "for women" for m in oa.messages_of(p))]
    assert progress["successCount"] == len(received) >= 50
    for person in received:
        who = emulator.call("GET", "/_emulator/users", expect=200)["users"]
        attributes = next(u for u in who if u["user_id"] == person)
        assert attributes["gender"] == "female" and attributes["age"] >= 20
    send(oa, "/v2/bot/message/narrowcast", {"messages": text, "filter": {"demographic": {
        "type": "gender", "oneOf": ["other"]}}}, expect=400)

    # An uploaded audience of 60, narrowed by redelivery of the request above: only those in both.
    group = send(oa, "/v2/bot/audienceGroup/upload", {"description": "first sixty", "audiences": [
        {"id": seen} for seen in oa.seen[:60]]}, expect=202).json()
    both = send(oa, "/v2/bot/message/narrowcast", {"messages": [{"type": "text", "text": "again"}], "recipient": {
        "type": "operator", "or": [{"type": "audience", "audienceGroupId": group["audienceGroupId"]},
                                   {"type": "redelivery", "requestId": request_id}]}}, expect=202)
    progress = get(oa, "/v2/bot/message/progress/narrowcast", requestId=both.headers["x-line-request-id"])
    assert progress["successCount"] == len(set(oa.people[:60]) | set(received))


def test_push_units_followers_coupons_memberships_and_batches(emulator: Emulator, recorded: list[httpx.Response],
                                                              spec_index: SpecIndex) -> None:
    oa = marketing_oa(emulator, 3)
    for seen in oa.seen:
        send(oa, "/v2/bot/message/push", {"to": seen, "messages": [{"type": "text", "text": "a"}],
                                          "customAggregationUnits": ["spring_sale"]})
    send(oa, "/v2/bot/message/multicast", {"to": oa.seen, "messages": [{"type": "text", "text": "b"}],
                                           "customAggregationUnits": ["autumn"]})
    assert get(oa, "/v2/bot/message/aggregation/info") == {"numOfCustomAggregationUnits": 2}
    first = get(oa, "/v2/bot/message/aggregation/list", limit=1)
    assert first["customAggregationUnits"] == ["spring_sale"]
    assert get(oa, "/v2/bot/message/aggregation/list", start=first["next"]) == {"customAggregationUnits": ["autumn"]}
    day = jst_day(emulator)
    unit = get(oa, "/v2/bot/insight/message/event/aggregation", customAggregationUnit="spring_sale", **{
        "from": day, "to": day})
    assert unit["overview"]["uniqueImpression"] is None and len(unit["messages"]) == 1

    page = get(oa, "/v2/bot/followers/ids", limit=2)
    assert page["userIds"] == oa.seen[:2]
    assert get(oa, "/v2/bot/followers/ids", start=page["next"]) == {"userIds": oa.seen[2:]}
    get(oa, "/v2/bot/followers/ids", expect=400, limit=1001)
    emulator.call("PATCH", f"/_emulator/accounts/{oa.bot_id}", json={"brand_type": "unverified"}, expect=200)
    get(oa, "/v2/bot/followers/ids", expect=403)
    emulator.call("PATCH", f"/_emulator/accounts/{oa.bot_id}", json={"brand_type": "verified"}, expect=200)

    emulator.call("PUT", f"/_emulator/users/{oa.people[0]}/demographics", json={"phone_number": "+819012345678"},
                  expect=200)
    send(oa, "/bot/pnp/push", {"to": "+819012345678", "messages": [{"type": "text", "text": "pnp"}]})
    assert oa.messages_of(oa.people[0])[-1]["message"]["text"] == "pnp"
    send(oa, "/bot/pnp/push", {"to": "not a number", "messages": [{"type": "text", "text": "pnp"}]}, expect=400)

    now = int(time.time())
    coupon = send(oa, "/v2/bot/coupon", {
        "title": "10% off", "acquisitionCondition": {"type": "normal"}, "startTimestamp": now,
        "endTimestamp": now + 86_400, "maxUseCountPerTicket": 1, "visibility": "PUBLIC", "timezone": "ASIA_TOKYO",
        "reward": {"type": "discount", "priceInfo": {"type": "percentage", "percentage": 10}}}).json()
    assert get(oa, f"/v2/bot/coupon/{coupon['couponId']}")["status"] == "RUNNING"
    assert get(oa, "/v2/bot/coupon", status="RUNNING")["items"] == [{"couponId": coupon["couponId"],
                                                                     "title": "10% off"}]
    assert oa.emulator.http.put(f"/v2/bot/coupon/{coupon['couponId']}/close", headers=oa.headers).status_code == 200
    assert oa.emulator.http.put(f"/v2/bot/coupon/{coupon['couponId']}/close", headers=oa.headers).status_code == 410
    send(oa, "/v2/bot/coupon", {"title": ""}, expect=400)

    plan = emulator.call("POST", f"/_emulator/accounts/{oa.bot_id}/memberships", expect=201, json={
        "title": "Gold", "benefits": ["free coffee"], "price": 500})
    emulator.call("POST", f"/_emulator/accounts/{oa.bot_id}/memberships/{plan['membershipId']}/members",
                  json={"user_id": oa.people[1]}, expect=201)
    assert get(oa, "/v2/bot/membership/list")["memberships"][0]["memberCount"] == 1
    subscription = get(oa, f"/v2/bot/membership/subscription/{oa.seen[1]}")["subscriptions"]
    assert subscription[0]["user"]["membershipNo"] == 1
    assert get(oa, f"/v2/bot/membership/{plan['membershipId']}/users/ids") == {"userIds": [oa.seen[1]]}

    checked = validate_all(spec_index, recorded)
    assert {"GET /v2/bot/message/aggregation/list", "GET /v2/bot/followers/ids", "GET /v2/bot/coupon/{couponId}",
            "GET /v2/bot/membership/subscription/{userId}", "POST /bot/pnp/push"} <= checked


def test_richmenu_batch_runs_in_the_background(emulator: Emulator) -> None:
    oa = marketing_oa(emulator, 2)
    menu = {"size": {"width": 2500, "height": 843}, "selected": False, "name": "m", "chatBarText": "menu",
            "areas": [{"bounds": {"x": 0, "y": 0, "width": 2500, "height": 843},
                       "action": {"type": "postback", "data": "a"}}]}
    first = send(oa, "/v2/bot/richmenu", menu).json()["richMenuId"]
    second = send(oa, "/v2/bot/richmenu", menu).json()["richMenuId"]
    image = png(2500, 843)
    for rich_menu_id in (first, second):
        emulator.http.post(f"/v2/bot/richmenu/{rich_menu_id}/content", headers={**oa.headers,
                           "Content-Type": "image/png"}, content=image)
    send(oa, f"/v2/bot/user/{oa.seen[0]}/richmenu/{first}", {})
    batch = {"operations": [{"type": "link", "from": first, "to": second}]}
    send(oa, "/v2/bot/richmenu/validate/batch", batch)
    send(oa, "/v2/bot/richmenu/validate/batch", {"operations": [{"type": "link", "from": "richmenu-x"}]},
         expect=400)
    request_id = send(oa, "/v2/bot/richmenu/batch", batch, expect=202).headers["x-line-request-id"]
    for _ in range(100):
        progress = get(oa, "/v2/bot/richmenu/progress/batch", requestId=request_id)
        if progress["phase"] != "ongoing":
            break
        time.sleep(0.05)
    assert progress["phase"] == "succeeded" and "completedTime" in progress
    assert get(oa, f"/v2/bot/user/{oa.seen[0]}/richmenu")["richMenuId"] == second


def test_richmenu_statistics_need_twenty_users_clicking(emulator: Emulator, recorded: list[httpx.Response],
                                                       spec_index: SpecIndex) -> None:
    oa = marketing_oa(emulator, 20, demographics=False)
    menu = {"size": {"width": 2500, "height": 843}, "selected": False, "name": "m", "chatBarText": "menu",
            "areas": [{"bounds": {"x": 0, "y": 0, "width": 1250, "height": 843},
                       "action": {"type": "postback", "data": "left"}},
                      {"bounds": {"x": 1250, "y": 0, "width": 1250, "height": 843},
                       "action": {"type": "postback", "data": "right"}}]}
    rich_menu_id = send(oa, "/v2/bot/richmenu", menu).json()["richMenuId"]
    emulator.http.post(f"/v2/bot/richmenu/{rich_menu_id}/content", content=png(2500, 843),
                       headers={**oa.headers, "Content-Type": "image/png"}).raise_for_status()
    send(oa, f"/v2/bot/user/all/richmenu/{rich_menu_id}", {})
    day = jst_day(emulator)
    summary = f"/v2/bot/insight/richmenu/{rich_menu_id}/summary"
    for person in oa.people[:19]:
        emulator.call("POST", oa.chat(person) + "/richmenu-view", expect=200)
        emulator.call("POST", oa.chat(person) + "/richmenu-tap", json={"area": 0}, expect=202)
    assert get(oa, summary, **{"from": day, "to": day}) == {"richMenuId": rich_menu_id}  # 19 clicking: hidden
    emulator.call("POST", oa.chat(oa.people[19]) + "/richmenu-tap", json={"area": 1}, expect=202)
    answer = get(oa, summary, **{"from": day, "to": day})
    assert answer["impression"]["metrics"] == {"count": 19, "uniqueUsers": 19}
    assert [c["metrics"]["count"] for c in answer["clicks"]] == [19, 1]
    assert answer["clicks"][1]["bounds"] == {"x": 1250, "y": 0, "width": 1250, "height": 843}
    daily = get(oa, f"/v2/bot/insight/richmenu/{rich_menu_id}/daily", **{"from": day, "to": day})
    assert daily["impression"]["metrics"] == [{"date": day, "count": 19, "uniqueUsers": 19}]
    get(oa, "/v2/bot/insight/richmenu/richmenu-00000000000000000000000000000000/summary", expect=404,
        **{"from": day, "to": day})
    get(oa, summary, expect=400, **{"from": "20200101", "to": day})  # more than 396 days
    # api-data.line.me's uploads: a new audience from a file, and more IDs added to it
    files = {"file": ("ids.txt", "\n".join(oa.seen[:3]).encode(), "text/plain")}
    created = emulator.http.post("/v2/bot/audienceGroup/upload/byFile", headers=oa.headers, files=files,
                                 data={"description": "from a file", "uploadDescription": "ids.txt"})
    assert created.status_code == 202, created.text
    group_id = created.json()["audienceGroupId"]
    added = emulator.http.put("/v2/bot/audienceGroup/upload/byFile", headers=oa.headers, data={
        "audienceGroupId": str(group_id)}, files={"file": ("more.txt", oa.seen[3].encode(), "text/plain")})
    assert added.status_code == 202, added.text
    assert get(oa, f"/v2/bot/audienceGroup/{group_id}")["audienceGroup"]["audienceCount"] == 4
    refused = emulator.http.post("/v2/bot/audienceGroup/upload/byFile", headers=oa.headers,
                                 data={"description": "no file"}, files={"other": ("x.txt", b"x", "text/plain")})
    assert refused.status_code == 400 and refused.json()["details"][0]["property"] == "file"
    garbled = emulator.http.post("/v2/bot/audienceGroup/upload/byFile", content=b"--x\r\n\xff",
                                 headers={**oa.headers, "Content-Type": "multipart/form-data; boundary=x"})
    assert garbled.status_code == 400 and "multipart" in garbled.json()["message"]
    checked = validate_all(spec_index, recorded)
    assert {"POST /v2/bot/audienceGroup/upload/byFile", "PUT /v2/bot/audienceGroup/upload/byFile",
            "POST /v2/bot/richmenu/{richMenuId}/content",
            "GET /v2/bot/insight/richmenu/{richMenuId}/summary",
            "GET /v2/bot/insight/richmenu/{richMenuId}/daily"} <= checked


def test_media_plays_and_state_snapshots_keep_the_statistics(emulator: Emulator) -> None:
    oa = marketing_oa(emulator, 20, demographics=False)
    video = {"type": "video", "originalContentUrl": "https://example.com/a.mp4",
             "previewImageUrl": "https://example.com/a.jpg"}
    request_id = send(oa, "/v2/bot/message/broadcast", {"messages": [{"type": "text", "text": "watch"}, video]}
                      ).headers["x-line-request-id"]
    for index, person in enumerate(oa.people):
        text_id, video_id = (m["id"] for m in oa.messages_of(person)[-2:])
        emulator.call("POST", oa.chat(person) + f"/messages/{video_id}/play",
                      json={"percent": 100 if index % 2 else 50}, expect=200)
        emulator.call("POST", oa.chat(person) + f"/messages/{text_id}/play", json={"percent": 10}, expect=400)
    event = get(oa, "/v2/bot/insight/message/event", requestId=request_id)
    assert event["overview"]["uniqueMediaPlayed"] == 20
    assert event["overview"]["uniqueMediaPlayed100Percent"] is None  # 10 played it all: below 20
    assert event["messages"][1]["mediaPlayed50Percent"] == 20 and event["messages"][0]["mediaPlayed"] is None

    group = send(oa, "/v2/bot/audienceGroup/upload", {"description": "kept", "audiences": [{"id": oa.seen[0]}]},
                 expect=202).json()["audienceGroupId"]
    state = emulator.call("GET", "/_emulator/state", expect=200)
    emulator.call("PUT", "/_emulator/state", json=state, expect=200)
    restored = emulator.call("GET", "/_emulator/state", expect=200)
    assert {k: v for k, v in restored.items() if k != "clock"} == {k: v for k, v in state.items() if k != "clock"}
    assert get(oa, "/v2/bot/insight/message/event", requestId=request_id) == event
    assert get(oa, f"/v2/bot/audienceGroup/{group}")["audienceGroup"]["audienceCount"] == 1


def test_a_notification_message_by_phone_number_reports_its_delivery(emulator: Emulator, receiver: WebhookReceiver
                                                                      ) -> None:
    account = emulator.account(primary_channel={"webhook_url": receiver.url + "/oa"})
    primary = account["primary_channel"]
    token = emulator.http.post("/v2/oauth/accessToken", data={
        "grant_type": "client_credentials", "client_id": primary["channel_id"],
        "client_secret": primary["channel_secret"]}).json()["access_token"]
    oa = MarketingOa(emulator, account, token)
    person = emulator.person("Not a friend")["user_id"]
    emulator.call("PUT", f"/_emulator/users/{person}/demographics", json={"phone_number": "+818011112222"},
                  expect=200)
    tag = "order-0001-delivered"
    answer = emulator.http.post("/bot/pnp/push", headers={**oa.headers, "X-Line-Delivery-Tag": tag},
                                json={"to": "+818011112222", "messages": [{"type": "text", "text": "shipped"}]})
    assert answer.status_code == 200, answer.text
    hashed = hashlib.sha256(b"+818011112222").hexdigest()
    send(oa, "/bot/pnp/push", {"to": hashed, "messages": [{"type": "text", "text": "again"}]})
    short_tag = emulator.http.post("/bot/pnp/push", headers={**oa.headers, "X-Line-Delivery-Tag": "short"},
                                   json={"to": hashed, "messages": [{"type": "text", "text": "x"}]})
    assert short_tag.status_code == 400
    assert [m["message"]["text"] for m in oa.messages_of(person)] == ["shipped", "again"]
    emulator.flush()
    validator = _webhook_validator(openapi_dir())
    parser = WebhookParser(primary["channel_secret"])
    data = []
    for received in receiver.received:
        assert not list(validator.iter_errors(received.body))
        events = parser.parse(received.raw.decode(), received.headers["x-line-signature"])
        data += [e.delivery.data for e in events if isinstance(e, PnpDeliveryCompletionEvent)]
    assert data == [tag, hashed]


def test_a_module_needs_the_scope_and_sees_its_own_user_ids(emulator: Emulator, receiver: WebhookReceiver) -> None:
    narrow = attach(emulator, None, scopes="message:send")
    assert emulator.http.get("/v2/bot/insight/demographic", headers=narrow.headers).status_code == 403
    assert emulator.http.get("/v2/bot/followers/ids", headers=narrow.headers).status_code == 403
    assert emulator.http.get("/v2/bot/coupon", headers=narrow.headers).status_code == 403
    wide = attach(emulator, None, scopes="message:send profile:read account:manage crm:manage")
    assert emulator.http.get("/v2/bot/followers/ids", headers=wide.headers).json() == {"userIds": [wide.user_id]}
    assert emulator.http.get("/v2/bot/insight/demographic", headers=wide.headers).json()["available"] is False
    group = emulator.http.post("/v2/bot/audienceGroup/upload", headers=wide.headers, json={
        "description": "module's", "audiences": [{"id": wide.user_id}, {"id": narrow.user_id}]})
    assert group.status_code == 202, group.text
    data = emulator.http.get(f"/v2/bot/audienceGroup/{group.json()['audienceGroupId']}", headers=wide.headers)
    assert data.json()["audienceGroup"]["audienceCount"] == 1  # another OA's user ID counts nobody
    other = emulator.http.get(f"/v2/bot/audienceGroup/{group.json()['audienceGroupId']}", headers=narrow.headers)
    assert other.status_code == 400  # another OA's audience is as unknown as a missing one


def test_webhook_endpoint_and_mark_as_read_answer_as_documented(
        emulator: Emulator, receiver: WebhookReceiver, recorded: list[httpx.Response], spec_index: SpecIndex) -> None:
    oa = marketing_oa(emulator, 1)
    endpoint = receiver.url + "/set-by-api"
    assert oa.emulator.http.put("/v2/bot/channel/webhook/endpoint", headers=oa.headers,
                                json={"endpoint": endpoint}).status_code == 200
    assert get(oa, "/v2/bot/channel/webhook/endpoint") == {"endpoint": endpoint, "active": True}
    tested = send(oa, "/v2/bot/channel/webhook/test", {}).json()
    assert tested["success"] is True and tested["statusCode"] == 200
    assert receiver.received[-1].path == "/set-by-api" and receiver.received[-1].events == []
    assert oa.emulator.http.put("/v2/bot/channel/webhook/endpoint", headers=oa.headers,
                                json={"endpoint": "ftp://example.com/"}).status_code == 400
    send(oa, "/v2/bot/message/markAsRead", {"chat": {"userId": oa.seen[0]}})
    checked = validate_all(spec_index, recorded)
    assert {"GET /v2/bot/channel/webhook/endpoint", "PUT /v2/bot/channel/webhook/endpoint",
            "POST /v2/bot/channel/webhook/test", "POST /v2/bot/message/markAsRead"} <= checked
