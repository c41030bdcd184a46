"""The control API for what insight and targeting need: users' demographics and phone numbers, users opening,
clicking and playing what they received, seeing a rich menu, memberships and OA Manager audiences."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from linemod.emulator.errors import ControlError
from linemod.emulator.http.control_api import ERROR_RESPONSES, PEOPLE, JsonBodyRoute
from linemod.emulator.http.control_bodies_insight import (
    Click,
    Demographics,
    Member,
    NewMembership,
    OperatorAudience,
    Play,
)
from linemod.emulator.http.requests import platform_of

router = APIRouter(prefix="/_emulator", route_class=JsonBodyRoute, tags=[PEOPLE], responses=ERROR_RESPONSES)

CHAT = "/accounts/{bot_id}/chats/{user_id}"
MEMBERSHIP = "/accounts/{bot_id}/memberships/{membership_id}"


@router.put("/users/{user_id}/demographics")
async def set_demographics(request: Request, user_id: str, body: Demographics) -> JSONResponse:
    """Replaces every attribute: one left out becomes unknown."""
    platform = platform_of(request)
    person = platform.person(user_id)
    if body.phone_number is not None and any(p.phone_number == body.phone_number and p.user_id != user_id
                                             for p in platform.people.values()):
        raise ControlError(409, "another user has this phone number")
    for name, value in body.model_dump().items():
        setattr(person, name, value)
    return JSONResponse(person.public())


@router.post(f"{CHAT}/read")
async def open_chat(request: Request, bot_id: str, user_id: str) -> JSONResponse:
    """The user opens the chat: every delivered message not yet displayed counts one impression."""
    return JSONResponse(platform_of(request).stats.open_chat(bot_id, user_id))


@router.post(CHAT + "/messages/{message_id}/view")
async def view_message(request: Request, bot_id: str, user_id: str, message_id: str) -> JSONResponse:
    platform_of(request).stats.view(bot_id, user_id, message_id)
    return JSONResponse({})


@router.post(CHAT + "/messages/{message_id}/click")
async def click(request: Request, bot_id: str, user_id: str, message_id: str, body: Click) -> JSONResponse:
    platform_of(request).stats.click(bot_id, user_id, message_id, body.url)
    return JSONResponse({})


@router.post(CHAT + "/messages/{message_id}/play")
async def play(request: Request, bot_id: str, user_id: str, message_id: str, body: Play) -> JSONResponse:
    platform_of(request).stats.play(bot_id, user_id, message_id, body.percent)
    return JSONResponse({})


@router.post(f"{CHAT}/richmenu-view")
async def view_richmenu(request: Request, bot_id: str, user_id: str) -> JSONResponse:
    """The user sees the rich menu of the chat: one impression of it."""
    platform = platform_of(request)
    account = platform.account(bot_id)
    platform.person(user_id)
    shown = platform.richmenus.current_for(account, user_id)
    if shown is None:
        raise ControlError(404, "the user has no rich menu in this chat")
    platform.stats.note_richmenu(shown["richMenuId"], user_id, "impression")
    return JSONResponse({"richMenuId": shown["richMenuId"]})


@router.post("/accounts/{bot_id}/memberships", status_code=201)
async def create_membership(request: Request, bot_id: str, body: NewMembership) -> JSONResponse:
    membership = platform_of(request).memberships.create(bot_id, {**body.model_dump(), "price": float(body.price)})
    return JSONResponse(membership.public(), status_code=201)


@router.post(f"{MEMBERSHIP}/members", status_code=201)
async def join_membership(request: Request, bot_id: str, membership_id: int, body: Member) -> JSONResponse:
    return JSONResponse(platform_of(request).memberships.join(bot_id, membership_id, body.user_id), status_code=201)


@router.post(MEMBERSHIP + "/members/{user_id}/renewal")
async def renew_membership(request: Request, bot_id: str, membership_id: int, user_id: str) -> JSONResponse:
    """The member's subscription renews for a month: a `membership` event of type `renewed`."""
    return JSONResponse(platform_of(request).memberships.renew(bot_id, membership_id, user_id))


@router.delete(MEMBERSHIP + "/members/{user_id}")
async def leave_membership(request: Request, bot_id: str, membership_id: int, user_id: str) -> JSONResponse:
    platform_of(request).memberships.leave(bot_id, membership_id, user_id)
    return JSONResponse({})


@router.post("/accounts/{bot_id}/audience-groups", status_code=201)
async def operator_audience(request: Request, bot_id: str, body: OperatorAudience) -> JSONResponse:
    group = platform_of(request).audiences.create_by_operator(bot_id, body.description, list(body.user_ids),
                                                              body.shared_by)
    return JSONResponse(group.public(), status_code=201)
