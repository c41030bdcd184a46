"""The control API's chats: what end users and the OA's operator do, each causing the webhooks the
real platform would send, and what the user's phone shows.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse

from linemod.emulator.errors import ControlError
from linemod.emulator.http.control_api import ERROR_RESPONSES, PEOPLE, JsonBodyRoute
from linemod.emulator.http.control_bodies import ActionTap, Friend, LoadMessages, OperatorMessage, RichMenuTap
from linemod.emulator.http.requests import platform_of
from linemod.emulator.platform.commands import Postback
from linemod.emulator.platform.user_messages import TextFromUser, UserMessage

router = APIRouter(prefix="/_emulator", route_class=JsonBodyRoute, tags=[PEOPLE], responses=ERROR_RESPONSES)

CHAT = "/accounts/{bot_id}/chats/{user_id}"


@router.post("/accounts/{bot_id}/friends")
async def add_friend(request: Request, bot_id: str, body: Friend) -> JSONResponse:
    return JSONResponse(platform_of(request).users.follow(bot_id, body.user_id))


@router.delete("/accounts/{bot_id}/friends/{user_id}")
async def block(request: Request, bot_id: str, user_id: str) -> JSONResponse:
    platform_of(request).users.block(bot_id, user_id)
    return JSONResponse({})


@router.get("/accounts/{bot_id}/users/{user_id}")
async def relationship(request: Request, bot_id: str, user_id: str) -> JSONResponse:
    return JSONResponse(platform_of(request).users.relationship(bot_id, user_id))


@router.post(f"{CHAT}/messages", status_code=202)
async def user_message(request: Request, bot_id: str, user_id: str,
                       message: Annotated[UserMessage, Body(description="a message as the user sends it")],
                       ) -> JSONResponse:
    result = platform_of(request).users.send(bot_id, user_id, message)
    return JSONResponse(result, status_code=202)


@router.post(f"{CHAT}/postback", status_code=202)
async def user_postback(request: Request, bot_id: str, user_id: str, postback: Postback) -> JSONResponse:
    result = platform_of(request).users.postback(bot_id, user_id, postback)
    return JSONResponse(result, status_code=202)


@router.post(f"{CHAT}/richmenu-tap", status_code=202)
async def richmenu_tap(request: Request, bot_id: str, user_id: str, tap: RichMenuTap) -> JSONResponse:
    platform = platform_of(request)
    account = platform.account(bot_id)
    platform.person(user_id)
    action = platform.richmenus.area_action(account, user_id, tap.area)
    if action is None:
        raise ControlError(404, "the user has no rich menu, or it has no such area")
    shown = platform.richmenus.current_for(account, user_id)
    if shown is not None:
        platform.stats.note_richmenu(shown["richMenuId"], user_id, "click", tap.area)
    return JSONResponse(platform.users.perform(bot_id, user_id, action, tap.params), status_code=202)


@router.post(f"{CHAT}/actions", status_code=202)
async def perform_action(request: Request, bot_id: str, user_id: str, tap: ActionTap) -> JSONResponse:
    """Taps an action object (template button, quick reply, Flex button) as the LINE app would."""
    return JSONResponse(platform_of(request).users.perform(bot_id, user_id, tap.action, tap.params),
                        status_code=202)


@router.get(f"{CHAT}/messages")
async def chat_messages(request: Request, bot_id: str, user_id: str, since: int | None = None) -> JSONResponse:
    """The chat as the user's phone shows it, oldest first (`since`: ms, optional)."""
    platform = platform_of(request)
    platform.account(bot_id)
    platform.person(user_id)
    entries = platform.chats.get((bot_id, user_id), [])
    return JSONResponse({"messages": [e.public() for e in entries if since is None or e.timestamp >= since]})


@router.get("/chat-log")
async def chat_log(request: Request, after: Annotated[int, Query(ge=0)] = 0,
                   limit: Annotated[int, Query(ge=1, le=10_000)] = 1000) -> JSONResponse:
    """Every chat's bubbles in the order recorded, from position `after`: one request follows all chats."""
    feed = platform_of(request).chat_feed
    page = feed[after:after + limit]
    entries = [{"bot_id": bot_id, "user_id": person, **entry.public()} for bot_id, person, entry in page]
    return JSONResponse({"entries": entries, "next": after + len(page)})


@router.get(f"{CHAT}/richmenu")
async def chat_richmenu(request: Request, bot_id: str, user_id: str) -> JSONResponse:
    platform = platform_of(request)
    account = platform.account(bot_id)
    platform.person(user_id)
    menu = platform.richmenus.current_for(account, user_id)
    if menu is None:
        raise ControlError(404, "the user sees no rich menu")
    return JSONResponse(menu)


@router.get(f"{CHAT}/control")
async def chat_control_state(request: Request, bot_id: str, user_id: str) -> JSONResponse:
    platform = platform_of(request)
    account = platform.account(bot_id)
    platform.person(user_id)
    return JSONResponse(platform.chat_control.describe(account, user_id))


@router.post(f"{CHAT}/takeover")
async def operator_take_over(request: Request, bot_id: str, user_id: str) -> JSONResponse:
    """An operator takes the chat over in the OA Manager: the Active module gets `deactivated`."""
    platform = platform_of(request)
    account = platform.account(bot_id)
    platform.person(user_id)
    platform.chat_control.operator_take_over(account, user_id)
    return JSONResponse(platform.chat_control.describe(account, user_id))


@router.post(f"{CHAT}/handback")
async def operator_hand_back(request: Request, bot_id: str, user_id: str) -> JSONResponse:
    """The operator hands the chat back: it returns to the OA's default (the Default-Active module)."""
    platform = platform_of(request)
    account = platform.account(bot_id)
    platform.person(user_id)
    platform.chat_control.operator_hand_back(account, user_id)
    return JSONResponse(platform.chat_control.describe(account, user_id))


@router.post(f"{CHAT}/operator-messages", status_code=202)
async def operator_message(request: Request, bot_id: str, user_id: str, body: OperatorMessage) -> JSONResponse:
    return JSONResponse(platform_of(request).users.operator_message(bot_id, user_id, body.text), status_code=202)


@router.post("/load/messages", status_code=202)
async def load_messages(request: Request, body: LoadMessages) -> JSONResponse:
    """Many user messages in one call, for load tests: `count` texts spread over `user_ids`."""
    platform = platform_of(request)
    message = TextFromUser(type="text", text=body.text or "load")
    events = 0
    for index in range(body.count):
        result = platform.users.send(body.bot_id, body.user_ids[index % len(body.user_ids)], message)
        events += len(result["webhook_event_ids"])
    return JSONResponse({"messages": body.count, "webhook_events": events}, status_code=202)
