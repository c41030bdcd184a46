"""Rich menu endpoints at LINE's paths (api.line.me, and api-data.line.me for images).

Thin: authenticate, one call into `platform.richmenus`, answer. LINE leaves the module scope
of these endpoints open; all of them ask for `account:manage` (choice 4 in docs/emulator-behaviour.md).

Order matters: Starlette takes the first route whose path matches, so the fixed paths
(`/list`, `/validate`, `/bulk/...`, `/alias/...`, `/user/all/...`) come before the
`{richMenuId}` and `{userId}` ones that would otherwise swallow them.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from linemod.emulator.http.requests import json_body, line_caller, platform_of, raw_body
from linemod.emulator.http.routing import LineRouter
from linemod.emulator.platform.richmenus import RichMenuArea
from linemod.emulator.platform.world import Caller

SCOPE = "account:manage"

router = LineRouter()


def _menus(request: Request) -> tuple[Caller, RichMenuArea]:
    """What every route here starts with: the caller, authenticated and allowed `account:manage`
    on the OA it acts for (401/403/429 otherwise, before the body is read), and the rich menus."""
    return line_caller(request, scope=SCOPE), platform_of(request).richmenus


# ---- fixed paths ---------------------------------------------------------------------------------


@router.post("/v2/bot/richmenu")
async def create_rich_menu(request: Request) -> dict[str, Any]:
    caller, menus = _menus(request)
    body = await json_body(request)
    return {"richMenuId": menus.create(caller, body)}


@router.post("/v2/bot/richmenu/validate")
async def validate_rich_menu(request: Request) -> dict[str, Any]:
    caller, menus = _menus(request)
    body = await json_body(request)
    menus.validate(caller, body)
    return {}


@router.get("/v2/bot/richmenu/list")
async def list_rich_menus(request: Request) -> dict[str, Any]:
    caller, menus = _menus(request)
    return {"richmenus": menus.list_menus(caller)}


@router.post("/v2/bot/richmenu/bulk/link")
async def bulk_link(request: Request) -> JSONResponse:
    caller, menus = _menus(request)
    body = await json_body(request)
    menus.bulk_link(caller, body)
    return JSONResponse({}, status_code=202)


@router.post("/v2/bot/richmenu/bulk/unlink")
async def bulk_unlink(request: Request) -> JSONResponse:
    caller, menus = _menus(request)
    body = await json_body(request)
    menus.bulk_unlink(caller, body)
    return JSONResponse({}, status_code=202)


@router.get("/v2/bot/richmenu/alias/list")
async def list_aliases(request: Request) -> dict[str, Any]:
    caller, menus = _menus(request)
    return {"aliases": menus.list_aliases(caller)}


@router.post("/v2/bot/richmenu/alias")
async def create_alias(request: Request) -> dict[str, Any]:
    caller, menus = _menus(request)
    body = await json_body(request)
    menus.create_alias(caller, body)
    return {}


@router.get("/v2/bot/richmenu/alias/{richMenuAliasId}")
async def get_alias(request: Request, richMenuAliasId: str) -> dict[str, Any]:
    caller, menus = _menus(request)
    return menus.get_alias(caller, richMenuAliasId)


@router.post("/v2/bot/richmenu/alias/{richMenuAliasId}")
async def update_alias(request: Request, richMenuAliasId: str) -> dict[str, Any]:
    caller, menus = _menus(request)
    body = await json_body(request)
    menus.update_alias(caller, richMenuAliasId, body)
    return {}


@router.delete("/v2/bot/richmenu/alias/{richMenuAliasId}")
async def delete_alias(request: Request, richMenuAliasId: str) -> dict[str, Any]:
    caller, menus = _menus(request)
    menus.delete_alias(caller, richMenuAliasId)
    return {}


@router.get("/v2/bot/user/all/richmenu")
async def get_default(request: Request) -> dict[str, Any]:
    caller, menus = _menus(request)
    return {"richMenuId": menus.default_id(caller)}


@router.delete("/v2/bot/user/all/richmenu")
async def cancel_default(request: Request) -> dict[str, Any]:
    caller, menus = _menus(request)
    menus.cancel_default(caller)
    return {}


@router.post("/v2/bot/user/all/richmenu/{richMenuId}")
async def set_default(request: Request, richMenuId: str) -> dict[str, Any]:
    caller, menus = _menus(request)
    menus.set_default(caller, richMenuId)
    return {}


# ---- paths with a rich menu or user ID -----------------------------------------------------------


@router.get("/v2/bot/richmenu/{richMenuId}/content")
async def download_image(request: Request, richMenuId: str) -> Response:
    caller, menus = _menus(request)
    data, media_type = menus.download_image(caller, richMenuId)
    return Response(content=data, media_type=media_type)


@router.post("/v2/bot/richmenu/{richMenuId}/content")
async def upload_image(request: Request, richMenuId: str) -> dict[str, Any]:
    caller, menus = _menus(request)
    data = await raw_body(request)
    menus.upload_image(caller, richMenuId, request.headers.get("content-type"), data)
    return {}


@router.get("/v2/bot/richmenu/{richMenuId}")
async def get_rich_menu(request: Request, richMenuId: str) -> dict[str, Any]:
    caller, menus = _menus(request)
    return menus.get(caller, richMenuId)


@router.delete("/v2/bot/richmenu/{richMenuId}")
async def delete_rich_menu(request: Request, richMenuId: str) -> dict[str, Any]:
    caller, menus = _menus(request)
    menus.delete(caller, richMenuId)
    return {}


@router.get("/v2/bot/user/{userId}/richmenu")
async def get_user_rich_menu(request: Request, userId: str) -> dict[str, Any]:
    caller, menus = _menus(request)
    return {"richMenuId": menus.user_menu_id(caller, userId)}


@router.delete("/v2/bot/user/{userId}/richmenu")
async def unlink_user(request: Request, userId: str) -> dict[str, Any]:
    caller, menus = _menus(request)
    menus.unlink(caller, userId)
    return {}


@router.post("/v2/bot/user/{userId}/richmenu/{richMenuId}")
async def link_user(request: Request, userId: str, richMenuId: str) -> dict[str, Any]:
    caller, menus = _menus(request)
    menus.link(caller, userId, richMenuId)
    return {}
