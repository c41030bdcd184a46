"""The provider console (/provider/, provider staff only): every tenant, a tenant's event log and dead
letters with replay, detach with confirmation, reconciliation with LINE's list, and queue health."""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at run time.

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from linemod.framework.console import messages
from linemod.framework.console.params import parse_row_id
from linemod.framework.console.services import ConsoleServices
from linemod.framework.console.tenant_pages import tenant_page
from linemod.framework.console.web import PROVIDER, PageNotFound, ServicesDep, Staff, Viewer, check_csrf, html
from linemod.framework.queue import admin_queries as queries
from linemod.framework.storage.models import QueueStatus
from linemod.framework.tenants.info import TenantInfo

STATUSES = (QueueStatus.PENDING, QueueStatus.RUNNING, QueueStatus.DONE, QueueStatus.DEAD)

router = APIRouter(prefix=PROVIDER, dependencies=[Depends(check_csrf)], include_in_schema=False)


def page(
    services: ConsoleServices, request: Request, who: Viewer, template: str, status: int = 200, **values: Any
) -> Response:
    return html(services, request, who, template, values, status)


async def tenant_or_404(services: ConsoleServices, bot_id: str) -> TenantInfo:
    tenant = await services.tenants.get(bot_id)
    if tenant is None:
        raise PageNotFound()
    return tenant


@router.get("/")
async def tenants(request: Request, who: Staff, services: ServicesDep) -> Response:
    listing = await tenant_page(request, services.tenants)
    activity = await queries.activity(services.db, services.clock.now_ms())
    return page(services, request, who, "console/provider/tenants.html", listing=listing, activity=activity)


@router.get("/tenants/{bot_id}")
async def tenant(request: Request, who: Staff, services: ServicesDep, bot_id: str) -> Response:
    info = await tenant_or_404(services, bot_id)
    status = request.query_params.get("status")
    status = status if status in STATUSES else None
    return page(
        services,
        request,
        who,
        "console/provider/tenant.html",
        tenant=info,
        events=await queries.event_log(services.db, bot_id, status=status),
        dead=await queries.event_log(services.db, bot_id, status=QueueStatus.DEAD),
        members=await services.teams.members(bot_id),
        filter_status=status,
        statuses=STATUSES,
    )


@router.post("/tenants/{bot_id}/replay")
async def replay(request: Request, who: Staff, services: ServicesDep, bot_id: str) -> Response:
    await tenant_or_404(services, bot_id)
    form = await request.form()
    picked = [parse_row_id(v) for v in form.getlist("event_id") if isinstance(v, str)]
    wanted = [event_id for event_id in picked if event_id is not None] or None
    ids = await queries.dead_ids(services.db, bot_id, wanted)
    if ids:
        await services.runtime.events.replay(ids)
        services.runtime.notify_workers()
    url = services.with_notice(f"{PROVIDER}/tenants/{bot_id}", messages.REPLAYED)
    return RedirectResponse(url, status_code=303)


@router.get("/tenants/{bot_id}/detach")
async def detach_confirm(request: Request, who: Staff, services: ServicesDep, bot_id: str) -> Response:
    info = await tenant_or_404(services, bot_id)
    return page(services, request, who, "console/provider/detach.html", tenant=info)


@router.post("/tenants/{bot_id}/detach")
async def detach(
    request: Request, who: Staff, services: ServicesDep, bot_id: str, confirm: Annotated[str, Form()] = ""
) -> Response:
    info = await tenant_or_404(services, bot_id)
    expected = info.basic_id or info.bot_id
    if confirm.strip() != expected:
        return page(services, request, who, "console/provider/detach.html", 400, tenant=info, error=True, typed=confirm)
    try:
        await services.operations.detach(bot_id)
    except Exception as failure:  # LINE refused (e.g. already detached there): show why, change nothing
        return page(
            services, request, who, "console/provider/detach.html", 502, tenant=info, failure=str(failure)[:500]
        )
    return RedirectResponse(services.with_notice(f"{PROVIDER}/tenants/{bot_id}", messages.DETACHED), status_code=303)


@router.get("/reconcile")
async def reconcile_preview(request: Request, who: Staff, services: ServicesDep) -> Response:
    try:
        report = await services.operations.sync_tenants(apply=False)
    except Exception as failure:
        return page(
            services, request, who, "console/provider/reconcile.html", 502, report=None, failure=str(failure)[:500]
        )
    return page(services, request, who, "console/provider/reconcile.html", report=report)


@router.post("/reconcile")
async def reconcile(request: Request, who: Staff, services: ServicesDep) -> Response:
    report = await services.operations.sync_tenants(apply=True)
    return page(
        services, request, who, "console/provider/reconcile.html", report=report, notice_text=messages.RECONCILED
    )


@router.get("/health")
async def health(request: Request, who: Staff, services: ServicesDep) -> Response:
    numbers = await queries.health(services.db, services.clock.now_ms())
    template = (
        "console/provider/_health_numbers.html"
        if request.headers.get("hx-request") == "true"
        else "console/provider/health.html"
    )
    return page(services, request, who, template, health=numbers)
