"""Groups, rooms, users' media and the other events people cause, through the official line-bot-sdk clients
(sync and async `MessagingApi` and `MessagingApiBlob`, only the host changed); every answer checked against
LINE's OpenAPI files, every webhook body against `webhook.yml` and parsed by the SDK into its own class.

One world is built for the whole module (tests/emulator/group_world.py): the tests only read it, except the
leaves at the end of each SDK test, which use chats made for them.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from linebot.v3 import WebhookParser
from linebot.v3.messaging import (
    ApiClient,
    AsyncApiClient,
    AsyncMessagingApi,
    AsyncMessagingApiBlob,
    Configuration,
    MessagingApi,
    MessagingApiBlob,
    PushMessageRequest,
    TextMessage,
)
from linebot.v3.messaging.exceptions import ApiException
from linebot.v3.models.events import UnknownEvent
from linebot.v3.webhooks import (
    AccountLinkEvent,
    AllMentionee,
    AudioMessageContent,
    BeaconEvent,
    FileMessageContent,
    GroupSource,
    ImageMessageContent,
    JoinEvent,
    LeaveEvent,
    LocationMessageContent,
    MemberJoinedEvent,
    MemberLeftEvent,
    MessageEvent,
    PostbackEvent,
    RoomSource,
    StickerMessageContent,
    TextMessageContent,
    UnsendEvent,
    UserMentionee,
    UserSource,
    VideoMessageContent,
    VideoPlayCompleteEvent,
)

from linemod.emulator import ids
from tests.emulator.chats import MODULE, PRIMARY, primary_secret
from tests.emulator.group_world import BIG_GROUP, World, build_world
from tests.emulator.test_openapi_conformance import SpecIndex, _webhook_validator, validate_all
from tests.support.line_openapi import openapi_dir
from tests.support.servers import Emulator, WebhookReceiver


@pytest.fixture(scope="module")
def world(emulator_url: str, emulator_app, _receiver: WebhookReceiver) -> Iterator[World]:  # type: ignore[no-untyped-def]
    client = Emulator(emulator_url)
    client.reset()
    emulator_app.state.platform.settings.__init__()
    _receiver.clear()
    _receiver.status, _receiver.delay, _receiver.statuses = 200, 0.0, []
    yield build_world(client, _receiver)
    client.http.close()


def _extra_chat(world: World, kind: str) -> str:
    """A fresh group or room for a test that makes the OA leave."""
    members = [world.members[0], world.members[1]]
    body = {"name": "To leave", "members": members} if kind == "group" else {"members": members}
    return str(world.emulator.call("POST", f"{world.base}/{kind}s", json=body, expect=201)[f"{kind}_id"])


def test_every_webhook_body_matches_webhook_yml_and_parses_into_its_own_class(
    world: World, _receiver: WebhookReceiver
) -> None:
    validator = _webhook_validator(openapi_dir())
    secrets = {MODULE: world.setup.channel["channel_secret"], PRIMARY: primary_secret(world.setup)}
    parsed: dict[str, list[object]] = {MODULE: [], PRIMARY: []}
    for received in _receiver.received:
        errors = sorted(validator.iter_errors(received.body), key=str)
        assert not errors, (received.body, [e.message for e in errors])
        parser = WebhookParser(secrets[received.path])
        parsed[received.path].extend(parser.parse(received.raw.decode(), received.headers["x-line-signature"]))

    # The module is Default-Active: its events carry reply tokens and all parse into their own classes.
    module_events = parsed[MODULE]
    kinds = {type(e) for e in module_events}
    assert {JoinEvent, LeaveEvent, MemberJoinedEvent, MemberLeftEvent, MessageEvent, UnsendEvent,
            VideoPlayCompleteEvent, BeaconEvent, AccountLinkEvent, PostbackEvent} <= kinds
    assert UnknownEvent not in kinds
    contents = {type(e.message) for e in module_events if isinstance(e, MessageEvent)}
    assert contents == {ImageMessageContent, VideoMessageContent, AudioMessageContent, FileMessageContent,
                        LocationMessageContent, StickerMessageContent, TextMessageContent}
    assert {GroupSource, RoomSource, UserSource} <= {type(e.source) for e in module_events}
    # The Primary Channel gets them as standby: LINE leaves the reply token out, which the SDK's models of
    # follow, join, memberJoined, beacon and videoPlayComplete require, so only those fall back to UnknownEvent.
    unknown = [e for e in parsed[PRIMARY] if isinstance(e, UnknownEvent)]
    assert {e.type for e in unknown} == {"follow", "join", "memberJoined", "beacon", "videoPlayComplete"}
    raw = [e for e in _receiver.events(PRIMARY) if e["type"] in {"follow", "join", "memberJoined", "beacon"}]
    assert raw and all(e["mode"] == "standby" and "replyToken" not in e for e in raw)
    assert {LeaveEvent, MemberLeftEvent, MessageEvent, UnsendEvent, AccountLinkEvent} <= {
        type(e) for e in parsed[PRIMARY]}

    # The same person, as each channel sees them: U… for the Primary Channel, L… for the module.
    for path, pattern in ((PRIMARY, ids.USER_ID_RE), (MODULE, ids.MODULE_USER_ID_RE)):
        events = _receiver.events(path)
        joined = next(e for e in events if e["type"] == "memberJoined")
        assert joined["source"] == {"type": "group", "groupId": world.group}
        assert all(pattern.match(m["userId"]) for m in joined["joined"]["members"])
        left = next(e for e in events if e["type"] == "memberLeft")
        assert left["left"]["members"] == joined["joined"]["members"]
        link = next(e for e in events if e["type"] == "accountLink")
        assert link["link"] == {"result": "ok", "nonce": "n0nce-0123456789"}
        assert ("replyToken" in link) == (path == MODULE)
        message_ids = {e["message"]["id"]: e["message"] for e in events if e["type"] == "message"}
        assert message_ids[world.messages["external"]]["contentProvider"] == {
            "type": "external", "originalContentUrl": "https://example.com/p.jpg",
            "previewImageUrl": "https://example.com/p-small.jpg"}
        upload = message_ids[world.messages["upload-file"]]
        assert (upload["fileName"], upload["fileSize"]) == ("upload.file", 8)
        assert message_ids[world.messages["video"]]["duration"] == 4000
        group_file = message_ids[world.messages["group-upload"]]
        assert group_file["fileName"] == "notes.txt"
    mentioned = next(e for e in module_events if isinstance(e, MessageEvent) and e.message.id == world.messages[
        "mention"])
    oa, everyone, member = mentioned.message.mention.mentionees
    assert (type(oa), oa.is_self, oa.user_id) == (UserMentionee, True, world.setup.bot_id)
    assert type(everyone) is AllMentionee and (everyone.index, everyone.length) == (6, 4)
    assert (member.is_self, member.user_id) == (False, world.setup.user_id)  # the module's own L… ID
    primary_view = next(e for e in _receiver.events(PRIMARY) if e["type"] == "message"
                        and e["message"]["id"] == world.messages["mention"])
    assert ids.USER_ID_RE.match(primary_view["message"]["mention"]["mentionees"][2]["userId"])
    quote = next(e.message for e in module_events if isinstance(e, MessageEvent)
                 and e.message.id == world.messages["quote"])
    assert quote.quoted_message_id == world.messages["sticker"]
    photos = [e.message for e in module_events if isinstance(e, MessageEvent)
              and e.message.id in world.answers["image-set"]]
    assert [(p.image_set.index, p.image_set.total) for p in photos] == [(1, 2), (2, 2)]
    assert photos[0].image_set.id == photos[1].image_set.id
    postback = next(e for e in module_events if isinstance(e, PostbackEvent))
    assert postback.postback.params == {"datetime": "2026-12-24T19:00"}
    unsent = [e.unsend.message_id for e in parsed[MODULE] if isinstance(e, UnsendEvent)]
    assert unsent == [world.messages["text"], world.messages["group-image"]]
    played = next(e for e in parsed[MODULE] if isinstance(e, VideoPlayCompleteEvent))
    assert played.video_play_complete.tracking_id == "track-1"


def test_the_sync_sdk_reads_groups_rooms_and_content(world: World) -> None:
    headers = {"X-Line-Bot-Id": world.setup.bot_id}
    with ApiClient(Configuration(host=world.emulator.url, access_token=world.setup.token)) as client:
        api, blob = MessagingApi(client), MessagingApiBlob(client)
        summary = api.get_group_summary(world.group, _headers=headers)
        assert (summary.group_id, summary.group_name) == (world.group, "Book club")
        assert summary.picture_url == "https://example.com/club.png"
        assert api.get_group_member_count(world.group, _headers=headers).count == 3
        page = api.get_group_members_ids(world.big_group, _headers=headers)
        assert len(page.member_ids) == 100 and page.next
        rest = api.get_group_members_ids(world.big_group, start=page.next, _headers=headers)
        assert len(rest.member_ids) == BIG_GROUP - 100 and rest.next is None
        assert len(set(page.member_ids + rest.member_ids)) == BIG_GROUP
        assert all(ids.MODULE_USER_ID_RE.match(m) for m in page.member_ids)
        member_ids = api.get_group_members_ids(world.group, _headers=headers).member_ids
        profile = api.get_group_member_profile(world.group, member_ids[1], _headers=headers)
        assert profile.display_name == "Member 0" and profile.user_id == member_ids[1]
        assert api.get_room_member_count(world.room, _headers=headers).count == 2
        room_ids = api.get_room_members_ids(world.room, _headers=headers).member_ids
        assert api.get_room_member_profile(world.room, room_ids[0], _headers=headers).display_name == "Hanako"
        api.push_message(PushMessageRequest(to=world.group, messages=[TextMessage(text="hi all")]),
                         _headers=headers)

        image = blob.get_message_content(world.messages["image"], _headers=headers)
        assert bytes(image).startswith(b"\x89PNG")
        preview = blob.get_message_content_preview(world.messages["image"], _headers=headers)
        assert bytes(preview).startswith(b"\xff\xd8")  # a JPEG of at most 240 px
        assert bytes(blob.get_message_content(world.messages["upload-file"], _headers=headers)) == b"a,b\n1,2\n"
        status = blob.get_message_content_transcoding_by_message_id(world.messages["video"], _headers=headers)
        assert status.status == "succeeded"
        with pytest.raises(ApiException) as gone:
            blob.get_message_content(world.messages["text"], _headers=headers)
        assert gone.value.status == 404

        leaving = _extra_chat(world, "group")
        api.leave_group(leaving, _headers=headers)
        with pytest.raises(ApiException) as left:
            api.get_group_summary(leaving, _headers=headers)
        assert left.value.status == 404


async def test_the_async_sdk_reads_groups_rooms_and_content(world: World) -> None:
    configuration = Configuration(host=world.emulator.url, access_token=world.primary_token)
    async with AsyncApiClient(configuration) as client:
        api, blob = AsyncMessagingApi(client), AsyncMessagingApiBlob(client)
        assert (await api.get_group_summary(world.group)).group_name == "Book club"
        assert (await api.get_group_member_count(world.group)).count == 3
        member_ids = (await api.get_group_members_ids(world.group)).member_ids
        assert all(ids.USER_ID_RE.match(m) for m in member_ids)  # the Primary Channel sees U… IDs
        assert (await api.get_group_member_profile(world.group, member_ids[2])).display_name == "Member 1"
        assert (await api.get_room_member_count(world.room)).count == 2
        room_ids = (await api.get_room_members_ids(world.room)).member_ids
        assert (await api.get_room_member_profile(world.room, room_ids[1])).display_name == "Member 0"
        video = await blob.get_message_content_preview(world.messages["upload-video"])
        assert bytes(video).startswith(b"\xff\xd8")
        audio = await blob.get_message_content_transcoding_by_message_id(world.messages["audio"])
        assert audio.status == "succeeded"
        assert bytes(await blob.get_message_content(world.messages["audio"])) == b"voice"
        leaving = _extra_chat(world, "room")
        await api.leave_room(leaving)
        with pytest.raises(ApiException) as left:
            await api.get_room_member_count(leaving)
        assert left.value.status == 404


@pytest.fixture
def recorded(world: World) -> Iterator[list[httpx.Response]]:
    responses: list[httpx.Response] = []

    def keep(response: httpx.Response) -> None:
        response.read()
        responses.append(response)

    world.emulator.http.event_hooks["response"] = [keep]
    yield responses
    world.emulator.http.event_hooks["response"] = []


def test_every_answer_matches_the_official_openapi(world: World, recorded: list[httpx.Response]) -> None:
    http, headers = world.emulator.http, world.setup.headers
    group, room = world.group, world.room
    group_ids = http.get(f"/v2/bot/group/{group}/members/ids", headers=headers).json()["memberIds"]
    room_ids = http.get(f"/v2/bot/room/{room}/members/ids", headers=headers).json()["memberIds"]
    http.get(f"/v2/bot/group/{world.big_group}/members/ids", headers=headers)
    http.get(f"/v2/bot/group/{group}/summary", headers=headers)
    http.get(f"/v2/bot/group/{group}/members/count", headers=headers)
    http.get(f"/v2/bot/group/{group}/member/{group_ids[0]}", headers=headers)
    http.get(f"/v2/bot/room/{room}/members/count", headers=headers)
    http.get(f"/v2/bot/room/{room}/member/{room_ids[0]}", headers=headers)
    for name in ("image", "video", "audio", "upload-file"):
        message_id = world.messages[name]
        http.get(f"/v2/bot/message/{message_id}/content", headers=headers)
        http.get(f"/v2/bot/message/{message_id}/content/transcoding", headers=headers)
    http.get(f"/v2/bot/message/{world.messages['image']}/content/preview", headers=headers)
    http.post(f"/v2/bot/group/{_extra_chat(world, 'group')}/leave", headers=headers)
    http.post(f"/v2/bot/room/{_extra_chat(world, 'room')}/leave", headers=headers)
    errors = [
        http.get(f"/v2/bot/group/{group}/members/ids", headers=headers, params={"start": "nope"}),
        http.get("/v2/bot/group/C0123/summary", headers=headers),
        http.get(f"/v2/bot/group/{room}/summary", headers=headers),  # a room's ID on the group path
        http.get(f"/v2/bot/room/{room}/member/{ids.person_id()}", headers=headers),
        http.get(f"/v2/bot/message/{world.messages['upload-audio']}/content/preview", headers=headers),
        http.get(f"/v2/bot/message/{world.messages['external']}/content", headers=headers),
    ]
    assert [e.status_code for e in errors] == [400, 400, 400, 404, 404, 404]

    checked = validate_all(SpecIndex(openapi_dir()), recorded)
    assert checked >= {
        "GET /v2/bot/group/{groupId}/summary", "GET /v2/bot/group/{groupId}/members/count",
        "GET /v2/bot/group/{groupId}/members/ids", "GET /v2/bot/group/{groupId}/member/{userId}",
        "POST /v2/bot/group/{groupId}/leave", "GET /v2/bot/room/{roomId}/members/count",
        "GET /v2/bot/room/{roomId}/members/ids", "GET /v2/bot/room/{roomId}/member/{userId}",
        "POST /v2/bot/room/{roomId}/leave", "GET /v2/bot/message/{messageId}/content",
        "GET /v2/bot/message/{messageId}/content/preview", "GET /v2/bot/message/{messageId}/content/transcoding",
    }
