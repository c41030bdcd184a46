"""The finer points of choices 43, 44, 46 and 47: narrowcast limits and the quota, audience filters and who
made an audience, leaving a membership, and rich menu batches that unlink and resume."""

from __future__ import annotations

import time
from typing import Any

from linebot.v3.webhook import WebhookParser
from linebot.v3.webhooks import MembershipEvent

from tests.emulator.marketing_world import MarketingOa, marketing_oa
from tests.emulator.richmenu_world import png
from tests.emulator.test_openapi_conformance import _webhook_validator
from tests.support.flows import attach
from tests.support.line_openapi import openapi_dir
from tests.support.servers import Emulator, WebhookReceiver

TEXT = [{"type": "text", "text": "news"}]


def narrowcast(oa: MarketingOa, body: dict[str, Any]) -> dict[str, Any]:
    answer = oa.emulator.http.post("/v2/bot/message/narrowcast", headers=oa.headers, json={"messages": TEXT, **body})
    assert answer.status_code == 202, answer.text
    progress = oa.emulator.http.get("/v2/bot/message/progress/narrowcast", headers=oa.headers,
                                    params={"requestId": answer.headers["x-line-request-id"]})
    return dict(progress.json())


def upload(oa: MarketingOa, seen: list[str], description: str = "some") -> int:
    answer = oa.emulator.http.post("/v2/bot/audienceGroup/upload", headers=oa.headers, json={
        "description": description, "audiences": [{"id": s} for s in seen]})
    assert answer.status_code == 202, answer.text
    return int(answer.json()["audienceGroupId"])


def test_narrowcast_limits_and_the_remaining_quota(emulator: Emulator, emulator_app: Any) -> None:
    oa = marketing_oa(emulator, 60, demographics=False)
    group = upload(oa, oa.seen)
    audience = {"recipient": {"type": "audience", "audienceGroupId": group}}
    assert narrowcast(oa, {**audience, "limit": {"max": 55}})["successCount"] == 55
    small = upload(oa, oa.seen[:49])
    failed = narrowcast(oa, {"recipient": {"type": "audience", "audienceGroupId": small}})
    assert failed["phase"] == "failed" and failed["errorCode"] == 2  # 49 recipients, below 50
    everyone_but = {"type": "operator", "not": {"type": "audience", "audienceGroupId": small}}
    assert narrowcast(oa, {"recipient": {"type": "operator", "or": [
        everyone_but, {"type": "audience", "audienceGroupId": small}]}})["successCount"] == 60

    used = emulator.http.get("/v2/bot/message/quota/consumption", headers=oa.headers).json()["totalUsage"]
    emulator_app.state.platform.settings.monthly_message_limit = used + 30
    partial = narrowcast(oa, {**audience, "limit": {"upToRemainingQuota": True}})
    assert partial["successCount"] == 30
    refused = narrowcast(oa, {**audience, "limit": {"upToRemainingQuota": True, "forbidPartialDelivery": True}})
    assert refused["phase"] == "failed" and refused["errorCode"] == 4


def test_audience_lists_filter_by_route_status_and_channel(emulator: Emulator) -> None:
    module = attach(emulator, None, scopes="message:send account:manage")
    primary = module.account["primary_channel"]
    assert primary is None  # the module's OA has no Primary Channel: everything below is the module's
    made = emulator.http.post("/v2/bot/audienceGroup/upload", headers=module.headers, json={
        "description": "Made by the module", "audiences": [{"id": module.user_id}]})
    assert made.status_code == 202, made.text
    emulator.call("POST", f"/_emulator/accounts/{module.bot_id}/audience-groups", expect=201,
                  json={"description": "made in OA Manager", "user_ids": [module.person["user_id"]]})

    def listed(**params: Any) -> list[str]:
        answer = emulator.http.get("/v2/bot/audienceGroup/list", headers=module.headers, params={"page": 1, **params})
        assert answer.status_code == 200, answer.text
        return [g["description"] for g in answer.json()["audienceGroups"]]

    assert listed() == ["made in OA Manager", "Made by the module"]
    assert listed(createRoute="OA_MANAGER") == ["made in OA Manager"]
    assert listed(includesExternalPublicGroups="false") == ["Made by the module"]
    assert listed(status="READY", description="module") == ["Made by the module"]
    assert listed(status="EXPIRED") == []
    assert emulator.http.get("/v2/bot/audienceGroup/list", headers=module.headers,
                             params={"page": 1, "size": 41}).status_code == 400
    page = emulator.http.get("/v2/bot/audienceGroup/list", headers=module.headers,
                             params={"page": 1, "size": 1}).json()
    assert page["hasNextPage"] is True and page["totalCount"] == 2 and page["readWriteAudienceGroupTotalCount"] == 1


def test_leaving_a_membership_and_its_limit(emulator: Emulator) -> None:
    oa = marketing_oa(emulator, 2, demographics=False)
    plan = emulator.call("POST", f"/_emulator/accounts/{oa.bot_id}/memberships", expect=201, json={
        "title": "Solo", "benefits": ["seat"], "price": 1000, "member_limit": 1})
    members = f"/_emulator/accounts/{oa.bot_id}/memberships/{plan['membershipId']}/members"
    emulator.call("POST", members, json={"user_id": oa.people[0]}, expect=201)
    emulator.call("POST", members, json={"user_id": oa.people[1]}, expect=409)  # full
    emulator.call("DELETE", f"{members}/{oa.people[0]}", expect=200)
    emulator.call("DELETE", f"{members}/{oa.people[0]}", expect=404)
    assert emulator.http.get(f"/v2/bot/membership/{plan['membershipId']}/users/ids",
                             headers=oa.headers).json() == {"userIds": []}
    assert emulator.http.get("/v2/bot/membership/999/users/ids", headers=oa.headers).status_code == 404


def _menu(oa: MarketingOa) -> str:
    menu = {"size": {"width": 2500, "height": 843}, "selected": False, "name": "m", "chatBarText": "menu",
            "areas": [{"bounds": {"x": 0, "y": 0, "width": 2500, "height": 843},
                       "action": {"type": "postback", "data": "a"}}]}
    rich_menu_id = str(oa.emulator.http.post("/v2/bot/richmenu", headers=oa.headers, json=menu).json()["richMenuId"])
    oa.emulator.http.post(f"/v2/bot/richmenu/{rich_menu_id}/content", content=png(2500, 843),
                          headers={**oa.headers, "Content-Type": "image/png"}).raise_for_status()
    return rich_menu_id


def _run(oa: MarketingOa, body: dict[str, Any], expect: int = 202) -> str:
    answer = oa.emulator.http.post("/v2/bot/richmenu/batch", headers=oa.headers, json=body)
    assert answer.status_code == expect, answer.text
    request_id = answer.headers["x-line-request-id"]
    for _ in range(100):
        progress = oa.emulator.http.get("/v2/bot/richmenu/progress/batch", headers=oa.headers,
                                        params={"requestId": request_id}).json()
        if expect != 202 or progress["phase"] != "ongoing":
            break
        time.sleep(0.05)
    return request_id


def test_richmenu_batches_unlink_and_resume(emulator: Emulator) -> None:
    oa = marketing_oa(emulator, 3, demographics=False)
    first, second = _menu(oa), _menu(oa)
    for seen, menu in zip(oa.seen, (first, first, second), strict=True):
        oa.emulator.http.post(f"/v2/bot/user/{seen}/richmenu/{menu}", headers=oa.headers).raise_for_status()

    def linked() -> list[int]:
        return [oa.emulator.http.get(f"/v2/bot/user/{seen}/richmenu", headers=oa.headers).status_code
                for seen in oa.seen]

    _run(oa, {"operations": [{"type": "unlink", "from": first}], "resumeRequestKey": "unlink-first"})
    assert linked() == [404, 404, 200]
    _run(oa, {"operations": [{"type": "unlink", "from": first}], "resumeRequestKey": "unlink-first"}, expect=409)
    _run(oa, {"operations": [{"type": "unlinkAll"}]})
    assert linked() == [404, 404, 404]
    assert oa.emulator.http.post("/v2/bot/richmenu/batch", headers=oa.headers, json={
        "operations": [{"type": "unlinkAll"}], "resumeRequestKey": "no spaces"}).status_code == 400
    bare = oa.emulator.http.post("/v2/bot/richmenu", headers=oa.headers, json={
        "size": {"width": 2500, "height": 843}, "selected": False, "name": "bare", "chatBarText": "menu",
        "areas": [{"bounds": {"x": 0, "y": 0, "width": 2500, "height": 843},
                   "action": {"type": "postback", "data": "a"}}]}).json()["richMenuId"]
    no_image = oa.emulator.http.post("/v2/bot/richmenu/validate/batch", headers=oa.headers, json={
        "operations": [{"type": "link", "from": first, "to": bare}]})
    assert no_image.status_code == 400 and no_image.json()["details"][0]["property"] == "operations[0].to"


def test_demographic_filters_by_area_app_and_friendship_period(emulator: Emulator) -> None:
    oa = marketing_oa(emulator, 120)  # every 3rd in Osaka (jp_27), every 4th on Android (marketing_world)
    emulator.advance(8 * 86_400)
    oa.add_friends(60)  # friends for less than 7 days
    osaka = narrowcast(oa, {"filter": {"demographic": {"type": "area", "oneOf": ["jp_27"]}}})
    assert osaka["successCount"] == 60  # 40 of the first 120 and 20 of the 60
    ios = narrowcast(oa, {"filter": {"demographic": {"type": "appType", "oneOf": ["ios"]}}})
    assert ios["successCount"] == 135
    newcomers = narrowcast(oa, {"filter": {"demographic": {"type": "subscriptionPeriod", "lt": "day_7"}}})
    assert newcomers["successCount"] == 60
    veterans = narrowcast(oa, {"filter": {"demographic": {"type": "operator", "and": [
        {"type": "subscriptionPeriod", "gte": "day_7"}, {"type": "area", "oneOf": ["jp_13"]}]}}})
    assert veterans["successCount"] == 80
    few = narrowcast(oa, {"filter": {"demographic": {"type": "operator", "and": [
        {"type": "subscriptionPeriod", "lt": "day_7"}, {"type": "area", "oneOf": ["jp_27"]}]}}})
    assert few["phase"] == "failed" and few["errorCode"] == 2  # 20 recipients, below 50
    received = sum(1 for p in oa.people if any(m["message"].get("text") == "news" for m in oa.messages_of(p)))
    assert received == 180  # everyone got at least one of the sends that succeeded


def test_people_can_be_made_with_their_demographics(emulator: Emulator) -> None:
    made = emulator.call("POST", "/_emulator/users", expect=201, json={
        "display_name": "Aiko", "gender": "female", "age": 31, "area": "jp_01", "app_type": "android",
        "phone_number": "+818099990000"})
    assert (made["gender"], made["age"], made["area"], made["app_type"]) == ("female", 31, "jp_01", "android")
    emulator.call("POST", "/_emulator/users", json={"display_name": "Copy", "phone_number": "+818099990000"},
                  expect=409)
    emulator.call("POST", "/_emulator/users", json={"display_name": "Bad", "area": "tokyo"}, expect=400)


def test_joining_leaving_and_renewing_a_membership_send_membership_events(emulator: Emulator,
                                                                          receiver: WebhookReceiver) -> None:
    account = emulator.account(primary_channel={"webhook_url": receiver.url + "/oa"})
    primary = account["primary_channel"]
    token = emulator.http.post("/v2/oauth/accessToken", data={
        "grant_type": "client_credentials", "client_id": primary["channel_id"],
        "client_secret": primary["channel_secret"]}).json()["access_token"]
    oa = MarketingOa(emulator, account, token)
    oa.add_friends(1, demographics=False)
    plan = emulator.call("POST", f"/_emulator/accounts/{oa.bot_id}/memberships", expect=201, json={
        "title": "Club", "benefits": ["news"], "price": 100})
    members = f"/_emulator/accounts/{oa.bot_id}/memberships/{plan['membershipId']}/members"
    emulator.call("POST", members, json={"user_id": oa.people[0]}, expect=201)
    emulator.call("POST", f"{members}/{oa.people[0]}/renewal", expect=200)
    emulator.call("DELETE", f"{members}/{oa.people[0]}", expect=200)
    emulator.call("POST", f"{members}/{oa.people[0]}/renewal", expect=404)
    emulator.flush()
    validator = _webhook_validator(openapi_dir())
    parser = WebhookParser(primary["channel_secret"])
    kinds = []
    for received in receiver.received:
        assert not list(validator.iter_errors(received.body))
        for event in parser.parse(received.raw.decode(), received.headers["x-line-signature"]):
            if isinstance(event, MembershipEvent):
                kinds.append(event.membership.type)
                assert event.source.user_id == oa.seen[0] and event.membership.membership_id == plan["membershipId"]
                reply = emulator.http.post("/v2/bot/message/reply", headers=oa.headers, json={
                    "replyToken": event.reply_token, "messages": [{"type": "text", "text": "thanks"}]})
                assert reply.status_code == 200, reply.text
    assert kinds == ["joined", "renewed", "left"]
