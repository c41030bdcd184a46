"""The operator console: the signed-in account's OAs, one OA's card and state, re-authorization, settings
forms and the pages extensions registered. Every route under /console/oas/{bot_id} goes through `deps.oa`,
which answers 404 unless the account is a member of that OA."""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at run time.

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from linemod.framework.console import messages
from linemod.framework.console.extension import Console, Page
from linemod.framework.console.settings_forms import read_settings, write_settings
from linemod.framework.console.web import CONSOLE, PROVIDER, Deps, OaAccess, PageNotFound, Viewer, html
from linemod.framework.tenants.attach_flow import set_attach_cookie


def operator_router(console: Console, deps: Deps) -> APIRouter:
    router = APIRouter(prefix=CONSOLE, dependencies=[Depends(deps.check_csrf)], include_in_schema=False)
    Operator = Annotated[Viewer, Depends(deps.operator)]
    Oa = Annotated[OaAccess, Depends(deps.oa)]

    def oa_page(request: Request, access: OaAccess, template: str, status: int = 200, **values: Any) -> Response:
        context = console.oa_context(access, request)
        context.update(values)
        return html(console, request, access.viewer, template, context, status)

    async def start_attach(who: Viewer, **begin: Any) -> Response:
        assert who.account is not None
        flow = console.app.attach_flow()
        begun = await flow.begin(account_id=who.account.id, **begin)
        response = RedirectResponse(begun.authorize_url, status_code=303)
        set_attach_cookie(response, flow.settings, begun.cookie)
        return response

    @router.get("/")
    async def home(request: Request, who: Operator) -> Response:
        assert who.account is not None
        if who.account.provider_staff:
            return RedirectResponse(PROVIDER + "/", status_code=303)
        oas = await console.services().teams.tenants_of(who.account.id)
        return html(console, request, who, "console/home.html", {"oas": oas})

    @router.post("/attach")
    async def attach(who: Operator) -> Response:
        """Start attaching the module to an OA of the signed-in operator (LINE's consent screen next)."""
        return await start_attach(who)

    @router.get("/oas/{bot_id}")
    async def overview(request: Request, access: Oa) -> Response:
        return oa_page(request, access, "console/oa.html", scopes=sorted(access.tenant.scopes or ()))

    @router.post("/oas/{bot_id}/reauthorize")
    async def reauthorize(access: Oa) -> Response:
        """Run the consent screen again for this OA, asking for the scopes it lacks (or to attach it again)."""
        if not access.is_owner:
            raise PageNotFound()
        return await start_attach(
            access.viewer, reauthorize=access.tenant, add_scopes=console.missing_scopes(access.tenant)
        )

    @router.api_route("/oas/{bot_id}/settings/{name}", methods=["GET", "POST"])
    async def settings_form(request: Request, access: Oa, name: str) -> Response:
        form = console.forms.get(name)
        if form is None or (form.owner_only and not access.is_owner):
            raise PageNotFound()
        services = console.services()
        errors: dict[str, str] = {}
        async with services.db.transaction() as session:
            if request.method == "POST":
                submitted = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
                values, errors = form.parse(submitted)
                if not errors:
                    assert access.viewer.account is not None
                    await write_settings(
                        session,
                        access.tenant.bot_id,
                        form,
                        values,
                        now_ms=services.clock.now_ms(),
                        by=access.viewer.account.id,
                    )
                    await form.saved(console.context_for(request, access, session), values)
                    url = console.with_notice(
                        f"{CONSOLE}/oas/{access.tenant.bot_id}/settings/{name}", messages.SETTINGS_SAVED
                    )
                    return RedirectResponse(url, status_code=303)
            else:
                values = await read_settings(session, access.tenant.bot_id, form)
        return oa_page(
            request,
            access,
            "console/settings_form.html",
            400 if errors else 200,
            form=form,
            values=values,
            errors=errors,
        )

    for page in console.pages:
        router.add_api_route(
            f"/oas/{{bot_id}}{page.path}", _extension_endpoint(console, deps, page), methods=list(page.methods)
        )
    return router


def _extension_endpoint(console: Console, deps: Deps, page: Page) -> Any:
    async def endpoint(request: Request, access: Annotated[OaAccess, Depends(deps.oa)]) -> Any:
        if page.owner_only and not access.is_owner:
            raise PageNotFound()
        params = {k: v for k, v in request.path_params.items() if k != "bot_id"}
        async with console.services().db.transaction() as session:
            return await page.handler(console.context_for(request, access, session), **params)

    endpoint.__name__ = f"console_page_{page.handler.__name__}"
    return endpoint
