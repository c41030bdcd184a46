"""Putting the consoles into a module's FastAPI app: the console state, static files, routers, error pages.

The console's own routes are module-level routers; only the extension pages are built here, from this
app's registry. Everything a route needs at run time is on `api.state.console` (a `ConsoleState`).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from linemod.framework.billing.console import provider_routes
from linemod.framework.billing.invoicing.errors import InvoiceNotFoundError
from linemod.framework.console import routes_auth, routes_operator, routes_provider, routes_team
from linemod.framework.console.csrf import CsrfRejected
from linemod.framework.console.params import BadParameter
from linemod.framework.console.routes_pages import pages_router
from linemod.framework.console.services import ConsoleState
from linemod.framework.console.templating import STATIC_DIR
from linemod.framework.console.web import (
    CONSOLE,
    PageNotFound,
    SignInRequired,
    console_services,
    html,
    is_htmx,
    redirect,
    resolve_viewer,
    signin_url,
)
from linemod.framework.support import console as support_pages
from linemod.framework.support.access import TicketNotFound
from linemod.framework.support.announcements.service import AnnouncementNotFound
from linemod.framework.support.inbox import routes as inbox_routes
from linemod.framework.support.inbox import routes_settings as inbox_settings_routes
from linemod.framework.support.inbox.service import InquiryNotFound
from linemod.framework.support.inbox.templates_dir import INBOX_TEMPLATES
from linemod.framework.support.knowledge.articles import ArticleNotFound

# The engines' own "no such thing (for you)" errors, answered as the console's 404 page wherever they escape a route.
NOT_FOUND_ERRORS: tuple[type[Exception], ...] = (
    TicketNotFound,
    ArticleNotFound,
    AnnouncementNotFound,
    InquiryNotFound,
    InvoiceNotFoundError,
)


def mount(api: FastAPI, state: ConsoleState) -> None:
    """Serve both consoles from `api` (`ModuleApp.asgi()` calls this through `app.console.mount`)."""
    # Imported here: the help desk's pages import the console's modules, which import this one.
    from linemod.framework.support.self_service_pages import mount_self_service

    api.state.console = state
    api.mount(f"{CONSOLE}/static", StaticFiles(directory=str(STATIC_DIR)), name="console-static")
    # Extension pages after the console's own routes, as they always were: a built-in path wins.
    state.registry.templates.add_directory(INBOX_TEMPLATES)
    state.routers = [
        routes_auth.router,
        routes_team.router,
        routes_operator.router,
        inbox_settings_routes.router,  # before the inbox's /{inquiry}, which would take /settings
        inbox_routes.router,
        pages_router(state.registry.pages),
        routes_provider.router,
        *mount_self_service(state.registry.templates),
        *provider_routes.routers(state.registry),
        *support_pages.mount(api, state),
    ]
    for router in state.routers:
        api.include_router(router)

    async def error_page(request: Request, template_kind: str, status: int, **values: object) -> Response:
        services = await console_services(request)
        who = await resolve_viewer(request, services)
        if is_htmx(request):
            return Response(status_code=status)
        return html(services, request, who, "console/message.html", {"kind": template_kind, **values}, status)

    async def sign_in_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignInRequired)
        return redirect(request, signin_url(exc.next_url))

    async def not_found(request: Request, _exc: Exception) -> Response:
        return await error_page(request, "not_found", 404)

    async def csrf_rejected(request: Request, _exc: Exception) -> Response:
        return await error_page(request, "csrf", 403)

    async def bad_parameter(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, BadParameter)
        return await error_page(request, "bad_parameter", 400, message=exc.message, message_values=exc.values)

    api.add_exception_handler(SignInRequired, sign_in_required)
    api.add_exception_handler(PageNotFound, not_found)
    # What the engines call "not found" covers "not one you may see" too: every route answers 404 alike.
    for not_visible in NOT_FOUND_ERRORS:
        api.add_exception_handler(not_visible, not_found)
    api.add_exception_handler(CsrfRejected, csrf_rejected)
    api.add_exception_handler(BadParameter, bad_parameter)
