"""The operator console: the signed-in account's OAs, one OA's card and state, re-authorization and settings
forms. Every route under /console/oas/{bot_id} depends on `web.oa`, which answers 404 unless the account is a
member of that OA. The pages extensions add are served by `routes_pages.py`."""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at run time.

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from linemod.framework.console import messages
from linemod.framework.console.context import ConsoleContext
from linemod.framework.console.services import ConsoleServices
from linemod.framework.console.settings_forms import read_settings, write_settings
from linemod.framework.console.web import (
    CONSOLE,
    PROVIDER,
    Oa,
    OaAccess,
    Operator,
    PageNotFound,
    ServicesDep,
    Viewer,
    check_csrf,
    html,
)
from linemod.framework.tenants.attach_flow import set_attach_cookie

router = APIRouter(prefix=CONSOLE, dependencies=[Depends(check_csrf)], include_in_schema=False)


def oa_page(
    services: ConsoleServices, request: Request, access: OaAccess, template: str, status: int = 200, **values: Any
) -> Response:
    """A page inside the OA layout (its navigation, role, missing scopes)."""
    context = services.oa_context(access)
    context.update(values)
    return html(services, request, access.viewer, template, context, status)


async def start_attach(services: ConsoleServices, who: Viewer, **begin: Any) -> Response:
    assert who.account is not None
    flow = services.attach_flow()
    begun = await flow.begin(account_id=who.account.id, **begin)
    response = RedirectResponse(begun.authorize_url, status_code=303)
    set_attach_cookie(response, flow.settings, begun.cookie)
    return response


@router.get("/")
async def home(request: Request, who: Operator, services: ServicesDep) -> Response:
    assert who.account is not None
    if who.account.provider_staff:
        return RedirectResponse(PROVIDER + "/", status_code=303)
    oas = await services.teams.tenants_of(who.account.id)
    return html(services, request, who, "console/home.html", {"oas": oas})


@router.post("/attach")
async def attach(who: Operator, services: ServicesDep) -> Response:
    """Start attaching the module to an OA of the signed-in operator (LINE's consent screen next)."""
    return await start_attach(services, who)


@router.get("/oas/{bot_id}")
async def overview(request: Request, access: Oa, services: ServicesDep) -> Response:
    return oa_page(services, request, access, "console/oa.html", scopes=sorted(access.tenant.scopes or ()))


@router.post("/oas/{bot_id}/reauthorize")
async def reauthorize(access: Oa, services: ServicesDep) -> Response:
    """Run the consent screen again for this OA, asking for the scopes it lacks."""
    if not access.is_owner:
        raise PageNotFound()
    return await start_attach(
        services, access.viewer, reauthorize=access.tenant, add_scopes=services.missing_scopes(access.tenant)
    )


@router.api_route("/oas/{bot_id}/settings/{name}", methods=["GET", "POST"])
async def settings_form(request: Request, access: Oa, services: ServicesDep, name: str) -> Response:
    form = services.registry.forms.get(name)
    if form is None or (form.owner_only and not access.is_owner):
        raise PageNotFound()
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
                await form.saved(ConsoleContext(services, request, access, session), values)
                url = services.with_notice(
                    f"{CONSOLE}/oas/{access.tenant.bot_id}/settings/{name}", messages.SETTINGS_SAVED
                )
                return RedirectResponse(url, status_code=303)
        else:
            values = await read_settings(session, access.tenant.bot_id, form)
    return oa_page(
        services,
        request,
        access,
        "console/settings_form.html",
        400 if errors else 200,
        form=form,
        values=values,
        errors=errors,
    )
