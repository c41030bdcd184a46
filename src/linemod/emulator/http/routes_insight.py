"""api.line.me insight endpoints (insight.yml), answered from what the emulator really sent and users did."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from linemod.emulator.http.requests import line_caller, platform_of
from linemod.emulator.http.routing import LineRouter

router = LineRouter()
INSIGHT_SCOPE = "account:manage"  # choice 4: what a module needs for these


@router.get("/v2/bot/insight/demographic")
async def demographic(request: Request) -> JSONResponse:
    account = line_caller(request, scope=INSIGHT_SCOPE).require_account()
    return JSONResponse(platform_of(request).insight.demographic(account))


@router.get("/v2/bot/insight/message/delivery")
async def message_deliveries(request: Request) -> JSONResponse:
    account = line_caller(request, scope=INSIGHT_SCOPE).require_account()
    return JSONResponse(platform_of(request).insight.message_deliveries(account, request.query_params.get("date")))


@router.get("/v2/bot/insight/followers")
async def followers(request: Request) -> JSONResponse:
    account = line_caller(request, scope=INSIGHT_SCOPE).require_account()
    return JSONResponse(platform_of(request).insight.followers(account, request.query_params.get("date")))


@router.get("/v2/bot/insight/message/event")
async def message_event(request: Request) -> JSONResponse:
    account = line_caller(request, scope=INSIGHT_SCOPE).require_account()
    return JSONResponse(platform_of(request).insight.message_event(account, request.query_params.get("requestId")))


@router.get("/v2/bot/insight/message/event/aggregation")
async def per_unit(request: Request) -> JSONResponse:
    account = line_caller(request, scope=INSIGHT_SCOPE).require_account()
    query = request.query_params
    return JSONResponse(platform_of(request).insight.per_unit(
        account, query.get("customAggregationUnit"), query.get("from"), query.get("to")))


@router.get("/v2/bot/insight/richmenu/{richMenuId}/summary")
async def richmenu_summary(request: Request, richMenuId: str) -> JSONResponse:
    caller = line_caller(request, scope=INSIGHT_SCOPE)
    query = request.query_params
    return JSONResponse(platform_of(request).richmenu_insight.summary(
        caller.require_account(), caller.channel.channel_id, richMenuId, query.get("from"), query.get("to")))


@router.get("/v2/bot/insight/richmenu/{richMenuId}/daily")
async def richmenu_daily(request: Request, richMenuId: str) -> JSONResponse:
    caller = line_caller(request, scope=INSIGHT_SCOPE)
    query = request.query_params
    return JSONResponse(platform_of(request).richmenu_insight.daily(
        caller.require_account(), caller.channel.channel_id, richMenuId, query.get("from"), query.get("to")))
