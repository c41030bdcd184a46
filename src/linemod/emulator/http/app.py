"""`create_app()`: the emulator's ASGI application, serving every LINE host's paths on one origin."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.applications import Starlette
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware
from starlette.routing import Mount

from linemod.emulator.delivery import WebhookDispatcher
from linemod.emulator.errors import ConsentError, ControlError, LineApiError, OAuthError, describe_validation
from linemod.emulator.http import (
    routes_attach,
    routes_audience,
    routes_control,
    routes_control_chats,
    routes_control_events,
    routes_control_groups,
    routes_control_insight,
    routes_delivery,
    routes_dialog,
    routes_groups,
    routes_insight,
    routes_marketing,
    routes_messaging,
    routes_module,
    routes_richmenu,
    routes_richmenu_batch,
    routes_tokens,
)
from linemod.emulator.http.control_api import document_errors_as_answered
from linemod.emulator.http.control_guard import ControlGuard
from linemod.emulator.http.middleware import CONTROL_PREFIX, Faults, LineApiMiddleware, RequestLog
from linemod.emulator.http.templating import templates
from linemod.emulator.pages import install as install_pages
from linemod.emulator.platform.world import Platform
from linemod.emulator.settings import EmulatorSettings

TICK_SECONDS = 0.2
LINE_API_ROUTES = (routes_messaging, routes_module, routes_tokens, routes_attach, routes_richmenu_batch,
                   routes_richmenu, routes_groups, routes_delivery, routes_insight, routes_audience,
                   routes_marketing)


def create_app(settings: EmulatorSettings | None = None, platform: Platform | None = None) -> Starlette:
    """Builds the emulator. Nothing starts until the ASGI lifespan does (no work at import time).

    The LINE APIs are plain Starlette routes at the top: they are the hot path of every load test
    and need nothing FastAPI adds per request. Everything else (the control API with its OpenAPI
    page, the simulator pages) is a FastAPI app mounted beneath them.
    """
    platform = platform or Platform(settings)
    dispatcher = WebhookDispatcher(platform)
    platform.sink = dispatcher
    faults = Faults()
    request_log = RequestLog(platform.settings.request_log_size)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await dispatcher.start()
        ticker = asyncio.create_task(_tick_forever(platform, dispatcher))
        try:
            yield
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            await dispatcher.stop()

    handlers: dict[Any, Any] = {
        LineApiError: _line_error,
        OAuthError: _oauth_error,
        ControlError: _control_error,
        ConsentError: _consent_error,
        StarletteHTTPException: _http_error,
    }
    console = FastAPI(
        title="linemod LINE Platform emulator: control API",
        description="Plays every party that is not the module: every route, body and answer is listed below.",
        docs_url="/_emulator/docs",
        openapi_url="/_emulator/openapi.json",
        redoc_url=None,
    )
    for exc_class, handler in handlers.items():
        console.add_exception_handler(exc_class, handler)
    console.add_exception_handler(RequestValidationError, _validation_error)
    document_errors_as_answered(console)
    console.add_middleware(ControlGuard, allowed_hosts=platform.settings.control_hosts)
    console.router.routes.extend(
        [*routes_control.router.routes, *routes_control_chats.router.routes, *routes_control_groups.router.routes,
         *routes_control_events.router.routes, *routes_control_events.uploads.routes,
         *routes_control_insight.router.routes]
    )
    install_pages(console)  # the simulator pages under /_pages/, and /static

    # Routes are matched in order: the hot paths of load tests first.
    # The batch paths before routes_richmenu's /v2/bot/richmenu/{richMenuId}, which would answer them 405.
    # routes_dialog is access.line.me's account-link screen: a web page on the LINE hosts, not an API.
    line_routes = [route for module in (*LINE_API_ROUTES, routes_dialog) for route in module.router.routes]
    app = Starlette(
        routes=[*line_routes, Mount("", app=console)],
        exception_handlers=handlers,
        lifespan=lifespan,
        middleware=[Middleware(LineApiMiddleware, clock=platform.clock, faults=faults, log=request_log,
                               max_body=platform.settings.max_body_bytes)],
    )
    for target in (app, console):
        target.state.platform = platform
        target.state.dispatcher = dispatcher
        target.state.faults = faults
        target.state.request_log = request_log
    return app


async def _tick_forever(platform: Platform, dispatcher: WebhookDispatcher) -> None:
    while True:
        await asyncio.sleep(TICK_SECONDS)
        platform.tick()
        dispatcher.fire_due()


async def _line_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, LineApiError)
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers or None)


async def _oauth_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, OAuthError)
    return JSONResponse(exc.body(), status_code=exc.status)


async def _control_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ControlError)
    return JSONResponse({"message": exc.message}, status_code=exc.status)


async def _consent_error(request: Request, exc: Exception) -> HTMLResponse:
    assert isinstance(exc, ConsentError)
    if request.url.path.startswith(CONTROL_PREFIX):
        return JSONResponse({"message": exc.message}, status_code=400)  # type: ignore[return-value]
    return templates.TemplateResponse(request, "consent_error.html", {"message": exc.message}, status_code=400)


LINE_API_PREFIXES = ("/v2/", "/v3/", "/oauth2/", "/liff/")
"""Paths of LINE's APIs: one the emulator has no route for is most likely a real endpoint it does not emulate."""


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    """Unknown paths and methods answer in LINE's shape too (rule 32 of docs/emulator-behaviour.md), not FastAPI's
    `detail`. A LINE API path the emulator has no route for answers 501, saying so: a 404 would look like LINE's
    own answer (a module's `insight` call seemingly refused by LINE), and the inspector's request log shows the
    501 ("Other choices" in the same page)."""
    assert isinstance(exc, StarletteHTTPException)
    path = request.url.path
    if exc.status_code == 404 and path.startswith(LINE_API_PREFIXES):
        message = f"linemod emulator: {request.method} {path} is not emulated"
        return JSONResponse({"message": message}, status_code=501)
    message = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, str(exc.detail))
    return JSONResponse({"message": message}, status_code=exc.status_code, headers=exc.headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """A body or query that does not fit its model: the control API's 400 `{"message"}` (its contract
    has no 422), in LINE's shape elsewhere."""
    assert isinstance(exc, RequestValidationError)
    if request.url.path.startswith(CONTROL_PREFIX):
        return JSONResponse({"message": describe_validation(exc.errors())}, status_code=400)
    details: list[dict[str, Any]] = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
        details.append({"message": err.get("msg", "invalid"), "property": ".".join(loc)})
    return JSONResponse({"message": f"The request body has {len(details)} error(s)", "details": details},
                        status_code=400)
