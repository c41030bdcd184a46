"""How many messages were sent (`/v2/bot/message/delivery/*`), the aggregation units used this month, friends'
IDs, and LINE notification messages by phone number (`/bot/pnp/push`)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from linemod.emulator.errors import Detail, LineApiError, validation_error
from linemod.emulator.http.requests import json_body, line_caller, platform_of, request_id_of
from linemod.emulator.http.routing import LineRouter
from linemod.emulator.platform import demographics as demo
from linemod.emulator.platform.followers_pnp import followers, pnp_push
from linemod.emulator.platform.insight import DELIVERY_COUNTS_SINCE, PRIVACY_THRESHOLD, day_status

router = LineRouter()
SEND = "message:send"
UNITS_LIMIT_DEFAULT, UNITS_LIMIT_MAX = 100, 100


@router.get("/v2/bot/message/delivery/{kind}")
async def delivered(request: Request, kind: str) -> JSONResponse:
    if kind not in ("reply", "push", "multicast", "broadcast", "pnp"):
        raise LineApiError(404, "Not found")
    caller = line_caller(request, scope=SEND)
    account = caller.require_account()
    platform = platform_of(request)
    day = demo.parse_day(request.query_params.get("date"), "date")
    status = day_status(day, platform.clock.now_ms(), DELIVERY_COUNTS_SINCE)
    if status != "ready":
        return JSONResponse({"status": status})
    count = platform.stats.delivered_on(account.bot_id, kind, day.strftime("%Y%m%d"))
    if kind == "pnp" and count < PRIVACY_THRESHOLD:
        return JSONResponse({"status": "unavailable_for_privacy"})
    return JSONResponse({"status": "ready", "success": count})


def _month(request: Request) -> str:
    return demo.jst_day(platform_of(request).clock.now_ms())[:6]


@router.get("/v2/bot/message/aggregation/info")
async def units_used(request: Request) -> JSONResponse:
    account = line_caller(request, scope=SEND).require_account()
    names = platform_of(request).stats.units_in_month(account.bot_id, _month(request))
    return JSONResponse({"numOfCustomAggregationUnits": len(names)})


@router.get("/v2/bot/message/aggregation/list")
async def unit_names(request: Request) -> JSONResponse:
    account = line_caller(request, scope=SEND).require_account()
    names = platform_of(request).stats.units_in_month(account.bot_id, _month(request))
    limit, start = request.query_params.get("limit"), request.query_params.get("start")
    size = UNITS_LIMIT_DEFAULT
    if limit is not None:
        if not limit.isdigit() or not 1 <= int(limit) <= UNITS_LIMIT_MAX:
            raise validation_error([Detail(f"must be between 1 and {UNITS_LIMIT_MAX}", "limit")])
        size = int(limit)
    offset = 0
    if start is not None:
        if not start.isdigit() or int(start) > len(names):
            raise LineApiError(400, "start is incorrect or expired")
        offset = int(start)
    out: dict[str, object] = {"customAggregationUnits": names[offset:offset + size]}
    if offset + size < len(names):
        out["next"] = str(offset + size)
    return JSONResponse(out)


@router.get("/v2/bot/followers/ids")
async def follower_ids(request: Request) -> JSONResponse:
    caller = line_caller(request, scope="profile:read")
    query = request.query_params
    return JSONResponse(followers(platform_of(request), caller, query.get("start"), query.get("limit")))


@router.post("/bot/pnp/push")
async def push_by_phone(request: Request) -> JSONResponse:
    caller = line_caller(request, scope=SEND)
    body = await json_body(request)
    platform = platform_of(request)
    with platform.stats.recording("pnp", request_id_of(request), caller.bot_id):
        result = pnp_push(platform, caller, body, request.headers.get("x-line-delivery-tag"))
    return JSONResponse(result)
