"""Coupons and memberships (messaging-api.yml)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from linemod.emulator.http.requests import json_body, line_caller, platform_of
from linemod.emulator.http.routing import LineRouter

router = LineRouter()
COUPON_SCOPE = "coupon:manage"  # choice 4
MEMBERSHIP_SCOPE = "crm:manage"  # choice 4


@router.post("/v2/bot/coupon")
async def create_coupon(request: Request) -> JSONResponse:
    caller = line_caller(request, scope=COUPON_SCOPE)
    body = await json_body(request)
    return JSONResponse(platform_of(request).coupons.create(caller, body))


@router.get("/v2/bot/coupon")
async def list_coupons(request: Request) -> JSONResponse:
    caller = line_caller(request, scope=COUPON_SCOPE)
    query = request.query_params
    statuses = [s for value in query.getlist("status") for s in value.split(",") if s]
    return JSONResponse(platform_of(request).coupons.list_coupons(caller, statuses, query.get("start"),
                                                                  query.get("limit")))


@router.get("/v2/bot/coupon/{couponId}")
async def coupon_detail(request: Request, couponId: str) -> JSONResponse:
    caller = line_caller(request, scope=COUPON_SCOPE)
    return JSONResponse(platform_of(request).coupons.detail(caller, couponId))


@router.put("/v2/bot/coupon/{couponId}/close")
async def close_coupon(request: Request, couponId: str) -> JSONResponse:
    caller = line_caller(request, scope=COUPON_SCOPE)
    platform_of(request).coupons.close(caller, couponId)
    return JSONResponse({})


@router.get("/v2/bot/membership/list")
async def memberships(request: Request) -> JSONResponse:
    caller = line_caller(request, scope=MEMBERSHIP_SCOPE)
    return JSONResponse(platform_of(request).memberships.list_plans(caller))


@router.get("/v2/bot/membership/subscription/{userId}")
async def subscription(request: Request, userId: str) -> JSONResponse:
    caller = line_caller(request, scope=MEMBERSHIP_SCOPE)
    return JSONResponse(platform_of(request).memberships.subscription(caller, userId))


@router.get("/v2/bot/membership/{membershipId}/users/ids")
async def membership_users(request: Request, membershipId: str) -> JSONResponse:
    caller = line_caller(request, scope=MEMBERSHIP_SCOPE)
    query = request.query_params
    return JSONResponse(platform_of(request).memberships.member_ids(caller, membershipId, query.get("start"),
                                                                    query.get("limit")))
