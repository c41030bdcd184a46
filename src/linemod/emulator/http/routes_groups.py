"""api.line.me's group and room operations (choice 36 in docs/emulator-behaviour.md)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from linemod.emulator.http.requests import line_caller, platform_of
from linemod.emulator.http.routing import LineRouter
from linemod.emulator.platform.groups import ChatKind

router = LineRouter()
PROFILE = "profile:read"  # LINE's scope table: a group's summary, member profiles and counts
LEAVE = "message:send"  # choice 4: LINE's table names no scope for leaving


@router.get("/v2/bot/group/{groupId}/summary")
async def group_summary(request: Request, groupId: str) -> JSONResponse:
    caller = line_caller(request, scope=PROFILE)
    return JSONResponse(platform_of(request).group_api.summary(caller, groupId))


def _register(kind: ChatKind) -> None:
    """The same four operations under `/v2/bot/group/…` and `/v2/bot/room/…`."""
    key = f"{kind}Id"  # the path parameter as LINE names it: groupId or roomId
    base = f"/v2/bot/{kind}/{{{key}}}"

    async def member_count(request: Request, **path: str) -> JSONResponse:
        caller = line_caller(request, scope=PROFILE)
        return JSONResponse(platform_of(request).group_api.member_count(caller, kind, path[key]))

    async def member_ids(request: Request, **path: str) -> JSONResponse:
        caller = line_caller(request, scope=PROFILE)
        start = request.query_params.get("start")
        return JSONResponse(platform_of(request).group_api.member_ids(caller, kind, path[key], start))

    async def member_profile(request: Request, userId: str, **path: str) -> JSONResponse:
        caller = line_caller(request, scope=PROFILE)
        return JSONResponse(platform_of(request).group_api.member_profile(caller, kind, path[key], userId))

    async def leave(request: Request, **path: str) -> JSONResponse:
        caller = line_caller(request, scope=LEAVE)
        return JSONResponse(platform_of(request).group_api.leave(caller, kind, path[key]))

    router.get(f"{base}/members/count")(member_count)
    router.get(f"{base}/members/ids")(member_ids)
    router.get(f"{base}/member/{{userId}}")(member_profile)
    router.post(f"{base}/leave")(leave)


_register("group")
_register("room")
