"""Staff's side of "view as operator" (/provider/support/view-as) and the staff access log
(/provider/support/access-log). A session starts only under the OA's live consent (a refusal is logged too);
it opens the OA's console read-only and ends with the consent, or when staff stop it."""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at run time.

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from linemod.framework.console.tenant_pages import tenant_page
from linemod.framework.console.web import CONSOLE, PageNotFound, ServicesDep, Staff, check_csrf, html
from linemod.framework.i18n import N_
from linemod.framework.support.console.labels import ACCESS_LABELS
from linemod.framework.support.console.staff_queue import BASE
from linemod.framework.support.console.tenant_picker import tenant_filter
from linemod.framework.support.console.web import SupportDep
from linemod.framework.support.view_as import ConsentRequired

REFUSED = N_("The operator of this OA has not allowed staff to view its console (or the permission has ended).")
STOPPED = N_("You stopped viewing this OA's console.")

router = APIRouter(prefix=BASE, dependencies=[Depends(check_csrf)], include_in_schema=False)


@router.get("/view-as")
async def view_as_page(request: Request, who: Staff, services: ServicesDep, support: SupportDep) -> Response:
    listing = await tenant_page(request, services.tenants)
    view_as = support.view_as()
    grants = {t.bot_id: await view_as.live_grant(t.bot_id) for t in listing.tenants}
    return html(services, request, who, "support/staff/view_as.html", {"listing": listing, "grants": grants})


@router.post("/view-as/{bot_id}")
async def start(who: Staff, services: ServicesDep, support: SupportDep, bot_id: str) -> Response:
    assert who.account is not None
    if await services.tenants.get(bot_id) is None:
        raise PageNotFound()
    try:
        await support.view_as().start(who.account, bot_id)
    except ConsentRequired:
        return RedirectResponse(services.with_notice(BASE + "/view-as", REFUSED), status_code=303)
    return RedirectResponse(f"{CONSOLE}/oas/{bot_id}", status_code=303)


@router.post("/view-as/{bot_id}/stop")
async def stop(who: Staff, services: ServicesDep, support: SupportDep, bot_id: str) -> Response:
    assert who.account is not None
    if await services.tenants.get(bot_id) is None:
        raise PageNotFound()
    await support.view_as().stop(who.account, bot_id)
    return RedirectResponse(services.with_notice(BASE + "/view-as", STOPPED), status_code=303)


@router.get("/access-log")
async def access_log(request: Request, who: Staff, services: ServicesDep, support: SupportDep) -> Response:
    chosen = await tenant_filter(services, request)
    entries = await support.view_as().access_log(chosen.bot_id if chosen else None, limit=500)
    tenants = await services.tenants.get_many([e.bot_id for e in entries] + ([chosen.bot_id] if chosen else []))
    return html(
        services,
        request,
        who,
        "support/staff/access_log.html",
        {
            "entries": entries,
            "tenants": tenants,
            "tenant": chosen.bot_id if chosen else "",
            "ACCESS_LABELS": ACCESS_LABELS,
        },
    )
