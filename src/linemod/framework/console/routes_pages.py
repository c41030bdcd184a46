"""The pages extensions registered (`app.console.page`), served at /console/oas/{bot_id}{path}.

Unlike the console's own routes, these differ per module app, so their router is built when an app is
mounted, from that app's registered pages (a page registered after `asgi()` is not served by that web app).
Each endpoint holds only its `Page` record; what it needs at run time comes from `request.app.state`
through the same dependencies as every console route.
"""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at run time.

from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, Depends, Request

from linemod.framework.console.context import ConsoleContext
from linemod.framework.console.registry import Page
from linemod.framework.console.web import CONSOLE, Oa, PageNotFound, ServicesDep, check_csrf


def pages_router(pages: Iterable[Page]) -> APIRouter:
    router = APIRouter(prefix=CONSOLE, dependencies=[Depends(check_csrf)], include_in_schema=False)
    for page in pages:
        router.add_api_route(f"/oas/{{bot_id}}{page.path}", _endpoint(page), methods=list(page.methods))
    return router


def _endpoint(page: Page) -> Any:
    async def endpoint(request: Request, access: Oa, services: ServicesDep) -> Any:
        if page.owner_only and not access.is_owner:
            raise PageNotFound()
        params = {k: v for k, v in request.path_params.items() if k != "bot_id"}
        async with services.db.transaction() as session:
            return await page.handler(ConsoleContext(services, request, access, session), **params)

    endpoint.__name__ = f"console_page_{page.handler.__name__}"
    return endpoint
