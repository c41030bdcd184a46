"""The control API's group chats (choice 34 in docs/emulator-behaviour.md): an OA invited into a group,
its members writing there, and what the group's chat shows."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from linemod.emulator.http.control_api import ERROR_RESPONSES, PEOPLE, JsonBodyRoute
from linemod.emulator.http.control_bodies import GroupMessage, NewGroup
from linemod.emulator.http.requests import platform_of

router = APIRouter(prefix="/_emulator", route_class=JsonBodyRoute, tags=[PEOPLE], responses=ERROR_RESPONSES)

GROUP = "/accounts/{bot_id}/groups/{group_id}"


@router.post("/accounts/{bot_id}/groups", status_code=201)
async def create_group(request: Request, bot_id: str, body: NewGroup) -> JSONResponse:
    """The OA joins a new group with `members`: a `join` event to its channels."""
    return JSONResponse(platform_of(request).groups.create(bot_id, body.name, list(body.members)), status_code=201)


@router.post(f"{GROUP}/messages", status_code=202)
async def group_message(request: Request, bot_id: str, group_id: str, body: GroupMessage) -> JSONResponse:
    result = platform_of(request).groups.send(bot_id, group_id, body.user_id, body.message)
    return JSONResponse(result, status_code=202)


@router.get(f"{GROUP}/messages")
async def group_messages(request: Request, bot_id: str, group_id: str) -> JSONResponse:
    """The group's chat, oldest first: `from` is `"user:<user_id>"` for a member, else as in a user's chat."""
    platform = platform_of(request)
    platform.groups.get(bot_id, group_id)
    entries = platform.chats.get((bot_id, group_id), [])
    return JSONResponse({"messages": [e.public() for e in entries]})
