"""Putting the consoles into the module's FastAPI app: static files, routers, error pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from linemod.framework.console.csrf import CsrfRejected
from linemod.framework.console.routes_auth import auth_router
from linemod.framework.console.routes_operator import operator_router
from linemod.framework.console.routes_provider import provider_router
from linemod.framework.console.routes_team import team_router
from linemod.framework.console.templating import STATIC_DIR
from linemod.framework.console.web import (
    CONSOLE,
    Deps,
    PageNotFound,
    SignInRequired,
    html,
    is_htmx,
    redirect,
    signin_url,
)

if TYPE_CHECKING:
    from linemod.framework.console.extension import Console


def mount(console: Console, api: FastAPI) -> None:
    deps = Deps(console)
    api.mount(f"{CONSOLE}/static", StaticFiles(directory=str(STATIC_DIR)), name="console-static")
    console.routers = [
        auth_router(console, deps),
        team_router(console, deps),
        operator_router(console, deps),
        provider_router(console, deps),
    ]
    for router in console.routers:
        api.include_router(router)

    async def error_page(request: Request, template_kind: str, status: int) -> Response:
        who = await deps.resolve(request)
        if is_htmx(request):
            return Response(status_code=status)
        return html(console, request, who, "console/message.html", {"kind": template_kind}, status)

    async def sign_in_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignInRequired)
        return redirect(request, signin_url(exc.next_url))

    async def not_found(request: Request, _exc: Exception) -> Response:
        return await error_page(request, "not_found", 404)

    async def csrf_rejected(request: Request, _exc: Exception) -> Response:
        return await error_page(request, "csrf", 403)

    api.add_exception_handler(SignInRequired, sign_in_required)
    api.add_exception_handler(PageNotFound, not_found)
    api.add_exception_handler(CsrfRejected, csrf_rejected)
