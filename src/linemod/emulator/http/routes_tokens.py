"""Channel access token endpoints (api.line.me/oauth2/* and /v2/oauth/*)."""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from linemod.emulator.http.forms import form_body
from linemod.emulator.http.requests import platform_of
from linemod.emulator.http.routing import LineRouter

router = LineRouter()


@router.post("/oauth2/v3/token")
async def issue_stateless(request: Request) -> JSONResponse:
    return JSONResponse(platform_of(request).tokens.issue_stateless(await form_body(request)))


@router.post("/oauth2/v2.1/token")
async def issue_v21(request: Request) -> JSONResponse:
    return JSONResponse(platform_of(request).tokens.issue_v21(await form_body(request)))


@router.get("/oauth2/v2.1/verify")
async def verify_v21(request: Request) -> JSONResponse:
    token = request.query_params.get("access_token", "")
    return JSONResponse(platform_of(request).tokens.verify_v21(token))


@router.get("/oauth2/v2.1/tokens/kid")
async def valid_kids(request: Request) -> JSONResponse:
    return JSONResponse(platform_of(request).tokens.kids(dict(request.query_params)))


@router.post("/oauth2/v2.1/revoke")
async def revoke_v21(request: Request) -> Response:
    platform_of(request).tokens.revoke_v21(await form_body(request))
    return Response(status_code=200)


@router.post("/v2/oauth/accessToken")
async def issue_short_lived(request: Request) -> JSONResponse:
    platform = platform_of(request)
    form = await form_body(request)
    if platform.settings.rate_limits:
        platform.rate_limiter.check(form.get("client_id", ""), None, "POST", "/v2/oauth/accessToken")
    return JSONResponse(platform.tokens.issue_short_lived(form))


@router.post("/v2/oauth/verify")
async def verify_short_lived(request: Request) -> JSONResponse:
    form = await form_body(request)
    return JSONResponse(platform_of(request).tokens.verify_short_lived(form.get("access_token", "")))


@router.post("/v2/oauth/revoke")
async def revoke_short_lived(request: Request) -> Response:
    form = await form_body(request)
    platform_of(request).tokens.revoke_short_lived(form.get("access_token", ""))
    return Response(status_code=200)
