"""The official SDK clients (`linebot.v3.insight`, `.audience` with its api-data blob client, and the
Messaging API's delivery counts, units, followers, PNP, coupons, memberships and rich menu batches), sync and
async, against a real emulator with only the host changed: every answer parses into the SDK's own models."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from linebot.v3.audience import (
    AddAudienceToAudienceGroupRequest,
    AsyncManageAudience,
    AsyncManageAudienceBlob,
    Audience,
    CreateAudienceGroupRequest,
    CreateClickBasedAudienceGroupRequest,
    CreateImpBasedAudienceGroupRequest,
    ManageAudience,
    ManageAudienceBlob,
    UpdateAudienceGroupDescriptionRequest,
)
from linebot.v3.audience import ApiClient as AudienceClient
from linebot.v3.audience import AsyncApiClient as AsyncAudienceClient
from linebot.v3.audience import Configuration as AudienceConfiguration
from linebot.v3.audience.exceptions import ApiException as AudienceApiException
from linebot.v3.insight import ApiClient as InsightClient
from linebot.v3.insight import AsyncApiClient as AsyncInsightClient
from linebot.v3.insight import AsyncInsight, Insight
from linebot.v3.insight import Configuration as InsightConfiguration
from linebot.v3.messaging import (
    AgeDemographicFilter,
    ApiClient,
    AreaDemographicFilter,
    AsyncApiClient,
    AsyncMessagingApi,
    AudienceRecipient,
    BroadcastRequest,
    ChatReference,
    Configuration,
    CouponCreateRequest,
    Filter,
    GenderDemographicFilter,
    Limit,
    MarkMessagesAsReadRequest,
    MessagingApi,
    NarrowcastRequest,
    OperatorDemographicFilter,
    OperatorRecipient,
    PnpMessagesRequest,
    PushMessageRequest,
    RedeliveryRecipient,
    RichMenuBatchLinkOperation,
    RichMenuBatchRequest,
    SetWebhookEndpointRequest,
    TextMessage,
)
from linebot.v3.messaging import (
    TestWebhookEndpointRequest as WebhookTestRequest,
)
from linebot.v3.messaging.exceptions import ApiException

from tests.emulator.marketing_world import MarketingOa, jst_day, marketing_oa
from tests.emulator.richmenu_world import png
from tests.support.servers import Emulator, WebhookReceiver

LINK = "https://example.com/menu"


def _read_and_click(oa: MarketingOa, count: int) -> None:
    for person in oa.people[:count]:
        oa.emulator.call("POST", oa.chat(person) + "/read", expect=200)
        last = oa.messages_of(person)[-1]["id"]
        oa.emulator.call("POST", oa.chat(person) + f"/messages/{last}/click", json={"url": LINK}, expect=200)


def _broadcast_with_link(oa: MarketingOa) -> str:
    template = {"type": "template", "altText": "menu", "template": {
        "type": "buttons", "text": "Menu", "actions": [{"type": "uri", "label": "Open", "uri": LINK}]}}
    answer = oa.emulator.http.post("/v2/bot/message/broadcast", headers=oa.headers, json={"messages": [template]})
    assert answer.status_code == 200, answer.text
    return answer.headers["x-line-request-id"]


def ids_file(directory: Path, name: str, ids: list[str]) -> str:
    """The blob client uploads a file it opens by path."""
    path = directory / name
    path.write_text("\n".join(ids) + "\n")
    return str(path)


def test_sync_insight_and_audience_clients(emulator: Emulator, tmp_path: Path) -> None:
    oa = marketing_oa(emulator, 21)
    request_id = _broadcast_with_link(oa)
    _read_and_click(oa, 20)
    today = jst_day(emulator)
    with InsightClient(InsightConfiguration(host=emulator.url, access_token=oa.token)) as client:
        insight = Insight(client)
        event = insight.get_message_event(request_id)
        assert event.overview.delivered == 21 and event.overview.unique_impression == 20
        assert event.clicks[0].url == LINK and event.clicks[0].unique_click == 20
        demographic = insight.get_friends_demographics()
        assert demographic.available and {t.app_type for t in demographic.app_types} == {"ios", "android"}
        assert insight.get_number_of_message_deliveries(today).status == "unready"
        assert insight.get_number_of_followers(today).status == "unready"
        unit = insight.get_statistics_per_unit("nothing_sent", today, today)
        assert unit.messages == [] and unit.overview.unique_impression is None

    with AudienceClient(AudienceConfiguration(host=emulator.url, access_token=oa.token)) as client:
        audience = ManageAudience(client)
        created = audience.create_audience_group(CreateAudienceGroupRequest(
            description="regulars", uploadDescription="first", audiences=[Audience(id=s) for s in oa.seen[:5]]))
        group_id = created.audience_group_id
        audience.add_audience_to_audience_group(AddAudienceToAudienceGroupRequest(
            audienceGroupId=group_id, uploadDescription="more", audiences=[Audience(id=s) for s in oa.seen[3:8]]))
        data = audience.get_audience_data(group_id)
        assert data.audience_group.audience_count == 8 and data.audience_group.status == "READY"
        assert [job.audience_count for job in data.jobs] == [5, 3]
        clicked = audience.create_click_based_audience_group(CreateClickBasedAudienceGroupRequest(
            description="clicked", requestId=request_id, clickUrl=LINK))
        opened = audience.create_imp_based_audience_group(CreateImpBasedAudienceGroupRequest(
            description="opened", requestId=request_id))
        assert audience.get_audience_data(clicked.audience_group_id).audience_group.audience_count == 20
        assert audience.get_audience_data(opened.audience_group_id).audience_group.type == "IMP"
        audience.update_audience_group_description(group_id, UpdateAudienceGroupDescriptionRequest(
            description="best regulars"))
        listed = audience.get_audience_groups(page=1, description="REGULARS", size=10)
        assert [g.audience_group_id for g in listed.audience_groups] == [group_id] and not listed.has_next_page
        emulator.call("POST", f"/_emulator/accounts/{oa.bot_id}/audience-groups", expect=201,
                      json={"description": "from the agency", "user_ids": oa.people[:2], "shared_by": "Agency"})
        shared = audience.get_shared_audience_groups(page=1)
        assert [g.description for g in shared.audience_groups] == ["from the agency"]
        detail = audience.get_shared_audience_data(shared.audience_groups[0].audience_group_id)
        assert detail.owner.name == "Agency" and detail.audience_group.permission == "READ"
        with pytest.raises(AudienceApiException) as refused:
            audience.delete_audience_group(shared.audience_groups[0].audience_group_id)
        assert refused.value.status == 403
        audience.delete_audience_group(group_id)
        with pytest.raises(AudienceApiException) as gone:
            audience.get_audience_data(group_id)
        assert gone.value.status == 400

        blob = ManageAudienceBlob(client)
        by_file = blob.create_audience_for_uploading_user_ids(
            file=ids_file(tmp_path, "list.txt", oa.seen[:4]), description="from a file",
            upload_description="list.txt")
        blob.add_user_ids_to_audience(file=ids_file(tmp_path, "more.txt", oa.seen[4:5]),
                                      audience_group_id=by_file.audience_group_id,
                                      upload_description="one more")
        data = audience.get_audience_data(by_file.audience_group_id)
        assert data.audience_group.audience_count == 5 and data.jobs[0].description == "list.txt"


def test_sync_messaging_client_for_counts_units_followers_pnp_coupons_memberships(
        emulator: Emulator, receiver: WebhookReceiver) -> None:
    oa = marketing_oa(emulator, 2)
    emulator.call("PUT", f"/_emulator/users/{oa.people[1]}/demographics", json={"phone_number": "+818012345678"},
                  expect=200)
    plan = emulator.call("POST", f"/_emulator/accounts/{oa.bot_id}/memberships", expect=201, json={
        "title": "Silver", "benefits": ["tea"], "price": 300, "currency": "JPY"})
    emulator.call("POST", f"/_emulator/accounts/{oa.bot_id}/memberships/{plan['membershipId']}/members",
                  json={"user_id": oa.people[0]}, expect=201)
    today = jst_day(emulator)
    with ApiClient(Configuration(host=emulator.url, access_token=oa.token)) as client:
        api = MessagingApi(client)
        api.push_message(PushMessageRequest(to=oa.seen[0], messages=[TextMessage(text="hi")],
                                            customAggregationUnits=["welcome"]))
        api.broadcast(BroadcastRequest(messages=[TextMessage(text="all")]))
        api.push_messages_by_phone(PnpMessagesRequest(to="+818012345678", messages=[TextMessage(text="pnp")]))
        assert api.get_aggregation_unit_usage().num_of_custom_aggregation_units == 1
        assert api.get_aggregation_unit_name_list().custom_aggregation_units == ["welcome"]
        assert api.get_followers(limit=1).user_ids == oa.seen[:1]
        assert api.get_number_of_sent_push_messages(today).status == "unready"
        emulator.advance(86_400)
        assert api.get_number_of_sent_push_messages(today).success == 1
        assert api.get_number_of_sent_broadcast_messages(today).success == 2
        assert api.get_number_of_sent_reply_messages(today).success == 0
        assert api.get_number_of_sent_multicast_messages(today).success == 0
        assert api.get_pnp_message_statistics(today).status == "unavailable_for_privacy"

        coupon_id = api.create_coupon(CouponCreateRequest.from_dict({
            "title": "Free drink", "acquisitionCondition": {"type": "lottery", "lotteryProbability": 50,
                                                            "maxAcquireCount": 100},
            "startTimestamp": int(time.time()), "endTimestamp": int(time.time()) + 864_000,
            "maxUseCountPerTicket": 1, "visibility": "UNLISTED", "timezone": "ASIA_TOKYO",
            "reward": {"type": "free"}})).coupon_id
        detail = api.get_coupon_detail(coupon_id)
        assert detail.title == "Free drink" and detail.status == "RUNNING" and detail.max_acquire_count == 100
        assert [c.coupon_id for c in api.list_coupon(status={"RUNNING"}).items] == [coupon_id]
        api.close_coupon(coupon_id)
        assert api.list_coupon(status={"RUNNING"}).items == []

        assert api.get_membership_list().memberships[0].member_count == 1
        assert api.get_membership_subscription(oa.seen[0]).subscriptions[0].membership.title == "Silver"
        assert api.get_joined_membership_users(plan["membershipId"]).user_ids == [oa.seen[0]]
        assert api.get_membership_subscription(oa.seen[1]).subscriptions == []

        api.set_webhook_endpoint(SetWebhookEndpointRequest(endpoint=receiver.url + "/sdk"))
        assert api.get_webhook_endpoint().endpoint == receiver.url + "/sdk"
        assert api.test_webhook_endpoint(WebhookTestRequest()).status_code == 200
        api.mark_messages_as_read(MarkMessagesAsReadRequest(chat=ChatReference(userId=oa.seen[0])))


async def test_async_clients(emulator: Emulator, tmp_path: Path) -> None:
    oa = marketing_oa(emulator, 20)
    request_id = _broadcast_with_link(oa)
    _read_and_click(oa, 20)
    async with AsyncInsightClient(InsightConfiguration(host=emulator.url, access_token=oa.token)) as client:
        event = await AsyncInsight(client).get_message_event(request_id)
        assert event.overview.unique_click == 20
        followers = await AsyncInsight(client).get_number_of_followers()
        # Without a date: as of yesterday, when none of today's friends had added the OA yet.
        assert followers.status == "ready" and followers.followers == 0
    async with AsyncAudienceClient(AudienceConfiguration(host=emulator.url, access_token=oa.token)) as client:
        created = await AsyncManageAudienceBlob(client).create_audience_for_uploading_user_ids(
            file=ids_file(tmp_path, "all.txt", oa.seen), description="everyone")
        data = await AsyncManageAudience(client).get_audience_data(created.audience_group_id)
        assert data.audience_group.audience_count == 20
    menus = [_menu_with_image(oa) for _ in range(2)]
    emulator.http.post(f"/v2/bot/user/{oa.seen[0]}/richmenu/{menus[0]}", headers=oa.headers)
    async with AsyncApiClient(Configuration(host=emulator.url, access_token=oa.token)) as client:
        api = AsyncMessagingApi(client)
        batch = RichMenuBatchRequest(operations=[RichMenuBatchLinkOperation(var_from=menus[0], to=menus[1])])
        await api.validate_rich_menu_batch_request(batch)
        answer = await api.rich_menu_batch_with_http_info(batch)
        request_id = answer.headers["x-line-request-id"]
        for _ in range(100):
            progress = await api.get_rich_menu_batch_progress(request_id)
            if progress.phase != "ongoing":
                break
            await asyncio.sleep(0.05)
        assert progress.phase == "succeeded" and progress.completed_time is not None
        assert (await api.get_rich_menu_id_of_user(oa.seen[0])).rich_menu_id == menus[1]
        with pytest.raises(ApiException) as refused:
            await api.validate_rich_menu_batch_request(RichMenuBatchRequest(operations=[
                RichMenuBatchLinkOperation(var_from="richmenu-" + "0" * 32, to=menus[1])]))
        assert refused.value.status == 400


def _menu_with_image(oa: MarketingOa) -> str:
    menu = {"size": {"width": 2500, "height": 843}, "selected": False, "name": "m", "chatBarText": "menu",
            "areas": [{"bounds": {"x": 0, "y": 0, "width": 2500, "height": 843},
                       "action": {"type": "postback", "data": "a"}}]}
    rich_menu_id = str(oa.emulator.http.post("/v2/bot/richmenu", headers=oa.headers, json=menu).json()["richMenuId"])
    answer = oa.emulator.http.post(f"/v2/bot/richmenu/{rich_menu_id}/content", content=png(2500, 843),
                                   headers={**oa.headers, "Content-Type": "image/png"})
    assert answer.status_code == 200, answer.text
    return rich_menu_id


def test_sdk_narrowcast_objects_and_richmenu_statistics(emulator: Emulator) -> None:
    """The SDK's recipient, filter and limit models as it serializes them, and the rich menu insight clients."""
    oa = marketing_oa(emulator, 120)
    with AudienceClient(AudienceConfiguration(host=emulator.url, access_token=oa.token)) as client:
        group_id = ManageAudience(client).create_audience_group(CreateAudienceGroupRequest(
            description="first hundred", audiences=[Audience(id=s) for s in oa.seen[:100]])).audience_group_id
    with ApiClient(Configuration(host=emulator.url, access_token=oa.token)) as client:
        api = MessagingApi(client)
        sent = api.narrowcast_with_http_info(NarrowcastRequest(
            messages=[TextMessage(text="women, and men of 50 and over, of the hundred")],
            recipient=OperatorRecipient(var_and=[AudienceRecipient(audienceGroupId=group_id)]),
            filter=Filter(demographic=OperatorDemographicFilter(var_or=[
                GenderDemographicFilter(oneOf=["female"]), AgeDemographicFilter(gte="age_50")])),
            limit=Limit(max=1000)))
        progress = api.get_narrowcast_progress(sent.headers["x-line-request-id"])
        # 50 women (odd places) and 8 men aged 50 to 57 (places 32-38 and 72-78, even): marketing_world's ages
        assert progress.phase == "succeeded" and progress.success_count == 58, progress.failed_description
        redelivered = api.narrowcast_with_http_info(NarrowcastRequest(
            messages=[TextMessage(text="again")],
            recipient=RedeliveryRecipient(requestId=sent.headers["x-line-request-id"]),
            filter=Filter(demographic=AreaDemographicFilter(oneOf=["jp_13", "jp_27"]))))
        assert api.get_narrowcast_progress(redelivered.headers["x-line-request-id"]).success_count == 58
        rich_menu_id = _menu_with_image(oa)
        api.set_default_rich_menu(rich_menu_id)
    for person in oa.people[:20]:
        emulator.call("POST", oa.chat(person) + "/richmenu-view", expect=200)
        emulator.call("POST", oa.chat(person) + "/richmenu-tap", json={"area": 0}, expect=202)
    today = jst_day(emulator)
    with InsightClient(InsightConfiguration(host=emulator.url, access_token=oa.token)) as client:
        insight = Insight(client)
        summary = insight.get_rich_menu_insight_summary(rich_menu_id, today, today)
        assert summary.impression.metrics.unique_users == 20 and summary.clicks[0].metrics.count == 20
        daily = insight.get_rich_menu_insight_daily(rich_menu_id, today, today)
        assert [m.var_date for m in daily.impression.metrics] == [today]
