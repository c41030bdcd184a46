"""The control API's other things people do (choice 37 in docs/emulator-behaviour.md): send a photo, video,
voice message or file as an uploaded file, unsend a message, watch a video to the end, pass a LINE Beacon,
finish the account-link screen."""

from __future__ import annotations

import base64
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import JSONResponse

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


async def _uploaded(kind: str, file: UploadFile, duration: int | None) -> AnyUserMessage:
    blob = await file.read(MAX_CONTENT_BYTES + 1)
    if len(blob) > MAX_CONTENT_BYTES:
        raise ControlError(400, f"file: must be at most {MAX_CONTENT_BYTES} bytes")
    fields: dict[str, Any] = {"type": kind, "content_base64": base64.b64encode(blob).decode()}
    if file.content_type and file.content_type != "application/octet-stream":
        fields["content_type"] = file.content_type
    if kind == "file":
        fields["file_name"] = file.filename or "file"
        fields["content_type"] = file.content_type
    elif duration is not None:
        if kind not in ("video", "audio"):
            raise ControlError(400, "duration: only a video or audio has one")
        fields["duration"] = duration
    return user_message(fields)


@uploads.post(f"{CHAT}/uploads", status_code=202)
async def upload_in_chat(request: Request, bot_id: str, user_id: str, type: Annotated[MediaType, Form()],
                         file: UploadFile, duration: Annotated[int | None, Form()] = None) -> JSONResponse:
    """The user sends a photo, video, voice message or file from their phone (`multipart/form-data`)."""
    message = await _uploaded(type, file, duration)
    return JSONResponse(platform_of(request).users.send(bot_id, user_id, message), status_code=202)


@uploads.post(f"{GROUP}/uploads", status_code=202)
async def upload_in_group(request: Request, bot_id: str, group_id: str, user_id: Annotated[str, Form()],
                          type: Annotated[MediaType, Form()], file: UploadFile,
                          duration: Annotated[int | None, Form()] = None) -> JSONResponse:
    message = await _uploaded(type, file, duration)
    groups = platform_of(request).groups
    groups.get(bot_id, group_id, "group")
    return JSONResponse(groups.send(bot_id, group_id, user_id, message), status_code=202)


@uploads.post(f"{ROOM}/uploads", status_code=202)
async def upload_in_room(request: Request, bot_id: str, room_id: str, user_id: Annotated[str, Form()],
                         type: Annotated[MediaType, Form()], file: UploadFile,
                         duration: Annotated[int | None, Form()] = None) -> JSONResponse:
    message = await _uploaded(type, file, duration)
    groups = platform_of(request).groups
    groups.get(bot_id, room_id, "room")
    return JSONResponse(groups.send(bot_id, room_id, user_id, message), status_code=202)


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
