"""The pages' front door: `/` sends people to `/_pages/`, which shows where everything is."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from linemod.emulator.http.requests import platform_of
from linemod.emulator.pages.rendering import PREFIX, PageRoute, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/")
async def root() -> Response:
    return RedirectResponse(f"{PREFIX}/", status_code=307)


@router.get(f"{PREFIX}/")
async def home(request: Request) -> Response:
    platform = platform_of(request)
    return render(request, "pages/home.html", {
        "counts": {
            "accounts": len(platform.accounts),
            "people": len(platform.people),
            "modules": len(platform.module_channels),
            "attachments": len(platform.attachments),
            "deliveries": len(request.app.state.dispatcher.log),
            "requests": len(request.app.state.request_log.entries),
        },
        "now_ms": platform.clock.now_ms(),
    })


@router.get(PREFIX)
async def home_without_slash() -> Response:
    return RedirectResponse(f"{PREFIX}/", status_code=307)
