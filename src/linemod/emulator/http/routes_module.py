"""api.line.me module APIs: detach, chat control, bot list, bot info."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from linemod.emulator.http.requests import json_body, line_caller, platform_of
from linemod.emulator.http.routing import LineRouter

router = LineRouter()


@router.post("/v2/bot/channel/detach")
async def detach(request: Request) -> JSONResponse:
    caller = line_caller(request, bot_required=False)
    body = await json_body(request)
    platform_of(request).module_api.detach(caller, body)
    return JSONResponse({})


@router.post("/v2/bot/chat/{chatId}/control/acquire")
async def acquire(request: Request, chatId: str) -> JSONResponse:
    caller = line_caller(request, scope="message:receive")
    body = await json_body(request, required=False)
    return JSONResponse(platform_of(request).module_api.acquire(caller, chatId, body))


@router.post("/v2/bot/chat/{chatId}/control/release")
async def release(request: Request, chatId: str) -> JSONResponse:
    caller = line_caller(request, scope="message:receive")
    return JSONResponse(platform_of(request).module_api.release(caller, chatId))


@router.get("/v2/bot/list")
async def bot_list(request: Request) -> JSONResponse:
    caller = line_caller(request, bot_required=False)
    params = request.query_params
    return JSONResponse(platform_of(request).module_api.list_bots(caller, params.get("limit"), params.get("start")))


@router.get("/v2/bot/info")
async def bot_info(request: Request) -> JSONResponse:
    caller = line_caller(request)
    return JSONResponse(platform_of(request).module_api.bot_info(caller))
