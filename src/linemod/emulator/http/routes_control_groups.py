"""The control API's group chats and multi-person chats (rooms) (choices 34 and 36 in
docs/emulator-behaviour.md): the OA invited in, people joining and leaving, members writing, the OA removed,
and what the chat shows."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from linemod.emulator.http.control_api import ERROR_RESPONSES, PEOPLE, JsonBodyRoute
from linemod.emulator.http.control_bodies import GroupMessage, GroupPostback, Joining, NewGroup, NewRoom
from linemod.emulator.http.requests import platform_of
from linemod.emulator.platform.commands import Postback, build
from linemod.emulator.platform.groups import ChatKind

router = APIRouter(prefix="/_emulator", route_class=JsonBodyRoute, tags=[PEOPLE], responses=ERROR_RESPONSES)

GROUP = "/accounts/{bot_id}/groups/{group_id}"
ROOM = "/accounts/{bot_id}/rooms/{room_id}"


@router.post("/accounts/{bot_id}/groups", status_code=201)
async def create_group(request: Request, bot_id: str, body: NewGroup) -> JSONResponse:
    """The OA joins a new group with `members`: a `join` event to its channels."""
    created = platform_of(request).groups.create(bot_id, "group", list(body.members), body.name, body.picture_url)
    return JSONResponse(created, status_code=201)


@router.post("/accounts/{bot_id}/rooms", status_code=201)
async def create_room(request: Request, bot_id: str, body: NewRoom) -> JSONResponse:
    """People start a multi-person chat with the OA: a `join` event with a `room` source."""
    return JSONResponse(platform_of(request).groups.create(bot_id, "room", list(body.members)), status_code=201)


@router.get("/accounts/{bot_id}/groups")
async def list_groups(request: Request, bot_id: str) -> JSONResponse:
    """Every group and room the OA is in."""
    platform = platform_of(request)
    platform.account(bot_id)
    chats = [platform.groups.groups[chat].public() for chat in platform.groups.chats_of(bot_id)]
    return JSONResponse({"groups": [c for c in chats if c["type"] == "group"],
                         "rooms": [c for c in chats if c["type"] == "room"]})


def _show(request: Request, bot_id: str, chat_id: str, kind: ChatKind) -> JSONResponse:
    return JSONResponse(platform_of(request).groups.get(bot_id, chat_id, kind).public())


def _join(request: Request, bot_id: str, chat_id: str, kind: ChatKind, body: Joining) -> JSONResponse:
    groups = platform_of(request).groups
    groups.get(bot_id, chat_id, kind)
    return JSONResponse(groups.add_members(bot_id, chat_id, list(body.user_ids)))


def _leave(request: Request, bot_id: str, chat_id: str, kind: ChatKind, user_id: str) -> JSONResponse:
    groups = platform_of(request).groups
    groups.get(bot_id, chat_id, kind)
    return JSONResponse(groups.remove_member(bot_id, chat_id, user_id))


def _write(request: Request, bot_id: str, chat_id: str, kind: ChatKind, body: GroupMessage) -> JSONResponse:
    groups = platform_of(request).groups
    groups.get(bot_id, chat_id, kind)
    return JSONResponse(groups.send(bot_id, chat_id, body.user_id, body.message), status_code=202)


def _postback(request: Request, bot_id: str, chat_id: str, kind: ChatKind, body: GroupPostback) -> JSONResponse:
    groups = platform_of(request).groups
    groups.get(bot_id, chat_id, kind)
    tapped = build(Postback, data=body.data, params=body.params, display_text=body.display_text)
    return JSONResponse(groups.postback(bot_id, chat_id, body.user_id, tapped), status_code=202)


def _control(request: Request, bot_id: str, chat_id: str, kind: ChatKind) -> JSONResponse:
    platform = platform_of(request)
    platform.groups.get(bot_id, chat_id, kind)
    return JSONResponse(platform.chat_control.describe(platform.account(bot_id), chat_id))


def _messages(request: Request, bot_id: str, chat_id: str, kind: ChatKind) -> JSONResponse:
    platform = platform_of(request)
    platform.groups.get(bot_id, chat_id, kind)
    entries = platform.chats.get((bot_id, chat_id), [])
    return JSONResponse({"messages": [e.public() for e in entries]})


@router.get(GROUP)
async def show_group(request: Request, bot_id: str, group_id: str) -> JSONResponse:
    return _show(request, bot_id, group_id, "group")


@router.get(ROOM)
async def show_room(request: Request, bot_id: str, room_id: str) -> JSONResponse:
    return _show(request, bot_id, room_id, "room")


@router.delete(GROUP)
async def remove_oa(request: Request, bot_id: str, group_id: str) -> JSONResponse:
    """A member removes the OA from the group: a `leave` event, and the group is gone for the OA."""
    groups = platform_of(request).groups
    groups.get(bot_id, group_id, "group")
    return JSONResponse(groups.remove_oa(bot_id, group_id))


@router.post(f"{GROUP}/members")
async def group_join(request: Request, bot_id: str, group_id: str, body: Joining) -> JSONResponse:
    """People join the group: a `memberJoined` event."""
    return _join(request, bot_id, group_id, "group", body)


@router.post(f"{ROOM}/members")
async def room_join(request: Request, bot_id: str, room_id: str, body: Joining) -> JSONResponse:
    return _join(request, bot_id, room_id, "room", body)


@router.delete(GROUP + "/members/{user_id}")
async def group_leave(request: Request, bot_id: str, group_id: str, user_id: str) -> JSONResponse:
    """A member leaves the group: a `memberLeft` event."""
    return _leave(request, bot_id, group_id, "group", user_id)


@router.delete(ROOM + "/members/{user_id}")
async def room_leave(request: Request, bot_id: str, room_id: str, user_id: str) -> JSONResponse:
    return _leave(request, bot_id, room_id, "room", user_id)


@router.post(f"{GROUP}/messages", status_code=202)
async def group_message(request: Request, bot_id: str, group_id: str, body: GroupMessage) -> JSONResponse:
    return _write(request, bot_id, group_id, "group", body)


@router.post(f"{ROOM}/messages", status_code=202)
async def room_message(request: Request, bot_id: str, room_id: str, body: GroupMessage) -> JSONResponse:
    return _write(request, bot_id, room_id, "room", body)


@router.get(f"{GROUP}/messages")
async def group_messages(request: Request, bot_id: str, group_id: str) -> JSONResponse:
    """The group's chat, oldest first: `from` is `"user:<user_id>"` for a member, else as in a user's chat."""
    return _messages(request, bot_id, group_id, "group")


@router.get(f"{ROOM}/messages")
async def room_messages(request: Request, bot_id: str, room_id: str) -> JSONResponse:
    return _messages(request, bot_id, room_id, "room")


@router.post(f"{GROUP}/postback", status_code=202)
async def group_postback(request: Request, bot_id: str, group_id: str, body: GroupPostback) -> JSONResponse:
    """A member taps a postback action (a datetime picker's value in `params`): a `postback` event."""
    return _postback(request, bot_id, group_id, "group", body)


@router.post(f"{ROOM}/postback", status_code=202)
async def room_postback(request: Request, bot_id: str, room_id: str, body: GroupPostback) -> JSONResponse:
    return _postback(request, bot_id, room_id, "room", body)


@router.get(f"{GROUP}/control")
async def group_control(request: Request, bot_id: str, group_id: str) -> JSONResponse:
    """Who holds chat control in the group, as for a user's chat."""
    return _control(request, bot_id, group_id, "group")


@router.get(f"{ROOM}/control")
async def room_control(request: Request, bot_id: str, room_id: str) -> JSONResponse:
    return _control(request, bot_id, room_id, "room")
