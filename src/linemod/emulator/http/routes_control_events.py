"""The control API's other things people do (choice 37 in docs/emulator-behaviour.md): send a photo, video,
voice message or file as an uploaded file, unsend a message, watch a video to the end, pass a LINE Beacon,
finish the account-link screen."""

from __future__ import annotations

import base64
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import JSONResponse

from linemod.emulator import ids
from linemod.emulator.errors import ControlError
from linemod.emulator.http.control_api import ERROR_RESPONSES, PEOPLE, JsonBodyRoute
from linemod.emulator.http.control_bodies import AccountLinkDone, BeaconSeen, VideoWatched
from linemod.emulator.http.requests import platform_of
from linemod.emulator.platform.user_messages import MAX_CONTENT_BYTES, AnyUserMessage, user_message

router = APIRouter(prefix="/_emulator", route_class=JsonBodyRoute, tags=[PEOPLE], responses=ERROR_RESPONSES)
# Uploads are multipart: FastAPI's own route class reads them (the JSON one above would not).
uploads = APIRouter(prefix="/_emulator", tags=[PEOPLE], responses=ERROR_RESPONSES)

CHAT = "/accounts/{bot_id}/chats/{user_id}"
GROUP = "/accounts/{bot_id}/groups/{group_id}"
ROOM = "/accounts/{bot_id}/rooms/{room_id}"
MediaType = Literal["image", "video", "audio", "file"]
MAX_IMAGE_SET = 20  # ImageSet.total's bound


async def _uploaded(kind: str, files: list[UploadFile], duration: int | None) -> list[AnyUserMessage]:
    """The messages the LINE app sends for the files picked: several photos at once form an image set."""
    if len(files) > 1 and kind != "image":
        raise ControlError(400, "file: only photos can be sent several at once")
    if len(files) > MAX_IMAGE_SET:
        raise ControlError(400, f"file: at most {MAX_IMAGE_SET} photos at once")
    set_id = ids.opaque_token(32) if len(files) > 1 else None
    out = []
    for index, upload in enumerate(files, start=1):
        blob = await upload.read(MAX_CONTENT_BYTES + 1)
        if len(blob) > MAX_CONTENT_BYTES:
            raise ControlError(400, f"file: must be at most {MAX_CONTENT_BYTES} bytes")
        fields: dict[str, Any] = {"type": kind, "content_base64": base64.b64encode(blob).decode()}
        if upload.content_type and upload.content_type != "application/octet-stream":
            fields["content_type"] = upload.content_type
        if kind == "file":
            fields["file_name"] = upload.filename or "file"
            fields["content_type"] = upload.content_type
        elif duration is not None:
            if kind not in ("video", "audio"):
                raise ControlError(400, "duration: only a video or audio has one")
            fields["duration"] = duration
        if set_id is not None:
            fields["image_set"] = {"id": set_id, "index": index, "total": len(files)}
        out.append(user_message(fields))
    return out


def _sent(results: list[dict[str, Any]]) -> JSONResponse:
    """One message: its answer as for a JSON message; an image set: `messages`, one answer per photo."""
    return JSONResponse(results[0] if len(results) == 1 else {"messages": results}, status_code=202)


@uploads.post(f"{CHAT}/uploads", status_code=202)
async def upload_in_chat(request: Request, bot_id: str, user_id: str, type: Annotated[MediaType, Form()],
                         file: list[UploadFile], duration: Annotated[int | None, Form()] = None) -> JSONResponse:
    """The user sends a photo (or several at once), video, voice message or file (`multipart/form-data`)."""
    messages = await _uploaded(type, file, duration)
    users = platform_of(request).users
    return _sent([users.send(bot_id, user_id, message) for message in messages])


@uploads.post(f"{GROUP}/uploads", status_code=202)
async def upload_in_group(request: Request, bot_id: str, group_id: str, user_id: Annotated[str, Form()],
                          type: Annotated[MediaType, Form()], file: list[UploadFile],
                          duration: Annotated[int | None, Form()] = None) -> JSONResponse:
    messages = await _uploaded(type, file, duration)
    groups = platform_of(request).groups
    groups.get(bot_id, group_id, "group")
    return _sent([groups.send(bot_id, group_id, user_id, message) for message in messages])


@uploads.post(f"{ROOM}/uploads", status_code=202)
async def upload_in_room(request: Request, bot_id: str, room_id: str, user_id: Annotated[str, Form()],
                         type: Annotated[MediaType, Form()], file: list[UploadFile],
                         duration: Annotated[int | None, Form()] = None) -> JSONResponse:
    messages = await _uploaded(type, file, duration)
    groups = platform_of(request).groups
    groups.get(bot_id, room_id, "room")
    return _sent([groups.send(bot_id, room_id, user_id, message) for message in messages])


@router.post(CHAT + "/messages/{message_id}/unsend", status_code=202)
async def unsend_in_chat(request: Request, bot_id: str, user_id: str, message_id: str) -> JSONResponse:
    """The user unsends their message: an `unsend` event; it leaves the chat and its content is gone."""
    return JSONResponse(platform_of(request).user_events.unsend(bot_id, user_id, message_id), status_code=202)


@router.post(GROUP + "/messages/{message_id}/unsend", status_code=202)
async def unsend_in_group(request: Request, bot_id: str, group_id: str, message_id: str) -> JSONResponse:
    """The member who wrote the message unsends it."""
    platform = platform_of(request)
    platform.groups.get(bot_id, group_id, "group")
    return JSONResponse(platform.user_events.unsend(bot_id, group_id, message_id), status_code=202)


@router.post(ROOM + "/messages/{message_id}/unsend", status_code=202)
async def unsend_in_room(request: Request, bot_id: str, room_id: str, message_id: str) -> JSONResponse:
    platform = platform_of(request)
    platform.groups.get(bot_id, room_id, "room")
    return JSONResponse(platform.user_events.unsend(bot_id, room_id, message_id), status_code=202)


@router.post(f"{CHAT}/video-play-complete", status_code=202)
async def video_in_chat(request: Request, bot_id: str, user_id: str, body: VideoWatched) -> JSONResponse:
    """The user watched to the end a video the OA sent with a `trackingId`: a `videoPlayComplete` event."""
    events = platform_of(request).user_events
    return JSONResponse(events.video_play_complete(bot_id, user_id, body.message_id), status_code=202)


@router.post(f"{GROUP}/video-play-complete", status_code=202)
async def video_in_group(request: Request, bot_id: str, group_id: str, body: VideoWatched) -> JSONResponse:
    platform = platform_of(request)
    platform.groups.get(bot_id, group_id, "group")
    result = platform.user_events.video_play_complete(bot_id, group_id, body.message_id, body.user_id)
    return JSONResponse(result, status_code=202)


@router.post(f"{ROOM}/video-play-complete", status_code=202)
async def video_in_room(request: Request, bot_id: str, room_id: str, body: VideoWatched) -> JSONResponse:
    platform = platform_of(request)
    platform.groups.get(bot_id, room_id, "room")
    result = platform.user_events.video_play_complete(bot_id, room_id, body.message_id, body.user_id)
    return JSONResponse(result, status_code=202)


@router.post(f"{CHAT}/beacon", status_code=202)
async def beacon(request: Request, bot_id: str, user_id: str, body: BeaconSeen) -> JSONResponse:
    """The user's phone meets one of the OA's LINE Beacons: a `beacon` event."""
    result = platform_of(request).user_events.beacon(bot_id, user_id, body.hwid, body.type, body.dm)
    return JSONResponse(result, status_code=202)


@router.post("/account-link", status_code=202)
async def account_link(request: Request, body: AccountLinkDone) -> JSONResponse:
    """The user finishes LINE's account-link screen for a link token the OA issued: an `accountLink` event."""
    result = platform_of(request).user_events.account_link(body.link_token, body.nonce)
    return JSONResponse(result, status_code=202)
