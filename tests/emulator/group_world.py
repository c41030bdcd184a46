"""One emulator world where everything a person can do has happened, built once per test module: an OA with a
Primary Channel and a module, a group (with enough members to page their IDs), a room, every kind of message
(sent as JSON and as uploads), an unsent message, a watched video, a beacon, an account link, members joining
and leaving, and the OA removed from one group."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from tests.emulator.chats import MODULE, PRIMARY, with_primary
from tests.support.flows import Attached, stateless_token
from tests.support.servers import Emulator, WebhookReceiver

SCOPES = "message:send message:receive profile:read"
BIG_GROUP = 130  # past one page of member IDs (100)


def png(width: int = 400, height: int = 300) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "#3d8b5f").save(out, format="PNG")
    return out.getvalue()


def b64(blob: bytes) -> str:
    return base64.b64encode(blob).decode()


@dataclass
class World:
    emulator: Emulator
    setup: Attached
    primary_token: str
    group: str = ""
    big_group: str = ""
    room: str = ""
    members: list[str] = field(default_factory=list)  # of the group, global IDs
    messages: dict[str, str] = field(default_factory=dict)  # what was sent -> message ID
    answers: dict[str, Any] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"/_emulator/accounts/{self.setup.bot_id}"

    @property
    def primary_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.primary_token}"}


def build_world(emulator: Emulator, receiver: WebhookReceiver) -> World:
    setup = with_primary(emulator, receiver, scopes=SCOPES)
    primary_token = stateless_token(emulator, setup.account["primary_channel"])
    world = World(emulator, setup, primary_token)
    person = setup.person["user_id"]
    others = [emulator.person(f"Member {i}")["user_id"] for i in range(3)]
    world.members = [person, *others[:2]]
    created = emulator.call("POST", f"{world.base}/groups", expect=201, json={
        "name": "Book club", "members": world.members, "picture_url": "https://example.com/club.png"})
    world.group = created["group_id"]
    crowd = [emulator.person(f"Crowd {i}")["user_id"] for i in range(BIG_GROUP)]
    world.big_group = emulator.call("POST", f"{world.base}/groups", expect=201,
                                    json={"name": "Crowd", "members": crowd})["group_id"]
    world.room = emulator.call("POST", f"{world.base}/rooms", expect=201,
                               json={"members": [person, others[0]]})["room_id"]
    group_path = f"{world.base}/groups/{world.group}"
    emulator.call("POST", f"{group_path}/members", json={"user_ids": [others[2]]}, expect=200)
    emulator.call("DELETE", f"{group_path}/members/{others[2]}", expect=200)

    chat = f"{world.base}/chats/{person}"
    sent = {
        "text": {"type": "text", "text": "hello"},
        "sticker": {"type": "sticker", "packageId": "446", "stickerId": "1988"},
        "location": {"type": "location", "latitude": 35.68, "longitude": 139.76, "title": "Tokyo"},
        "image": {"type": "image", "content_base64": b64(png()), "content_type": "image/png"},
        "video": {"type": "video", "content_base64": b64(b"\x00\x00\x00\x18ftypmp42 video"), "duration": 4000},
        "audio": {"type": "audio", "content_base64": b64(b"voice"), "duration": 1500},
        "file": {"type": "file", "file_name": "menu.pdf", "content_base64": b64(b"%PDF-1.4 menu"),
                 "content_type": "application/pdf"},
        "external": {"type": "image", "original_content_url": "https://example.com/p.jpg",
                     "preview_image_url": "https://example.com/p-small.jpg"},
    }
    for name, message in sent.items():
        world.messages[name] = emulator.call("POST", f"{chat}/messages", json=message, expect=202)["message_id"]
    quoting = {"type": "text", "text": "this one", "quoted_message_id": world.messages["sticker"]}
    world.messages["quote"] = emulator.call("POST", f"{chat}/messages", json=quoting, expect=202)["message_id"]
    for kind, blob, mime in (("image", png(64, 64), "image/png"), ("video", b"movie", "video/mp4"),
                             ("audio", b"sound", "audio/m4a"), ("file", b"a,b\n1,2\n", "text/csv")):
        answer = emulator.call("POST", f"{chat}/uploads", expect=202, data={"type": kind},
                               files={"file": (f"upload.{kind}", blob, mime)})
        world.messages[f"upload-{kind}"] = answer["message_id"]
    mentioning = {"type": "text", "text": "@Cafe @All @Hanako see you", "mentions": [
        {"index": 0, "length": 5, "target": "oa"}, {"index": 6, "length": 4, "target": "all"},
        {"index": 11, "length": 7, "target": person}]}
    world.messages["mention"] = emulator.call("POST", f"{group_path}/messages", expect=202, json={
        "user_id": others[0], "message": mentioning})["message_id"]
    photos = [("file", (f"p{i}.png", png(32, 32), "image/png")) for i in (1, 2)]
    together = emulator.call("POST", f"{chat}/uploads", expect=202, data={"type": "image"}, files=photos)
    world.answers["image-set"] = [m["message_id"] for m in together["messages"]]
    in_group = emulator.call("POST", f"{group_path}/messages", expect=202,
                             json={"user_id": others[0], "message": sent["image"]})
    world.messages["group-image"] = in_group["message_id"]
    world.messages["group-upload"] = emulator.call(
        "POST", f"{group_path}/uploads", expect=202, data={"type": "file", "user_id": others[1]},
        files={"file": ("notes.txt", b"notes", "text/plain")})["message_id"]
    emulator.call("POST", f"{world.base}/rooms/{world.room}/messages", expect=202,
                  json={"user_id": others[0], "message": sent["text"]})
    emulator.call("POST", f"{chat}/messages/{world.messages['text']}/unsend", expect=202)
    emulator.call("POST", f"{group_path}/messages/{world.messages['group-image']}/unsend", expect=202)

    video = {"type": "video", "originalContentUrl": "https://example.com/v.mp4",
             "previewImageUrl": "https://example.com/v.jpg", "trackingId": "track-1"}
    pushed = emulator.http.post("/v2/bot/message/push", headers=setup.headers,
                                json={"to": setup.user_id, "messages": [video]})
    assert pushed.status_code == 200, pushed.text
    played = pushed.json()["sentMessages"][0]["id"]
    emulator.call("POST", f"{chat}/video-play-complete", json={"message_id": played}, expect=202)
    emulator.call("POST", f"{chat}/beacon", json={"hwid": "d41d8cd98f", "type": "enter", "dm": "1234"}, expect=202)
    link = emulator.http.post(f"/v2/bot/user/{setup.user_id}/linkToken", headers=setup.headers).json()
    world.answers["account-link"] = emulator.call(
        "POST", "/_emulator/account-link", json={"link_token": link["linkToken"], "nonce": "n0nce-0123456789"},
        expect=202)
    postback = {"data": "when", "params": {"datetime": "2026-12-24T19:00"}}
    emulator.call("POST", f"{chat}/postback", json=postback, expect=202)

    removed = emulator.call("POST", f"{world.base}/groups", expect=201,
                            json={"name": "Short-lived", "members": [person]})["group_id"]
    emulator.call("DELETE", f"{world.base}/groups/{removed}", expect=200)
    emulator.flush()
    assert receiver.events(MODULE) and receiver.events(PRIMARY)
    return world
