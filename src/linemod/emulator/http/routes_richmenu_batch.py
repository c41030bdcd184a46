"""Rich menu batch control: validate, accept (run on the emulator's next tick), progress."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from linemod.emulator.http.requests import json_body, line_caller, platform_of, request_id_of
from linemod.emulator.http.routing import LineRouter

router = LineRouter()
RICHMENU_SCOPE = "account:manage"  # as every rich menu endpoint (choice 4)


@router.post("/v2/bot/richmenu/validate/batch")
async def validate_batch(request: Request) -> JSONResponse:
    caller = line_caller(request, scope=RICHMENU_SCOPE)
    platform_of(request).richmenu_batches.validate(caller, await json_body(request))
    return JSONResponse({})


@router.post("/v2/bot/richmenu/batch")
async def batch(request: Request) -> JSONResponse:
    caller = line_caller(request, scope=RICHMENU_SCOPE)
    body = await json_body(request)
    platform_of(request).richmenu_batches.accept(caller, body, request_id_of(request))
    return JSONResponse({}, status_code=202)


@router.get("/v2/bot/richmenu/progress/batch")
async def batch_progress(request: Request) -> JSONResponse:
    caller = line_caller(request, scope=RICHMENU_SCOPE)
    return JSONResponse(platform_of(request).richmenu_batches.progress(caller, request.query_params.get("requestId")))
