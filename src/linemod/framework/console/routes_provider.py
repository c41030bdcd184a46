"""The provider console (/provider/, provider staff only): every tenant, a tenant's event log and dead
letters with replay, detach with confirmation, reconciliation with LINE's list, and queue health."""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at run time.

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from linemod.framework.console import messages
from linemod.framework.console.extension import Console
from linemod.framework.console.web import PROVIDER, Deps, PageNotFound, Viewer, html
from linemod.framework.queue import admin_queries as queries
from linemod.framework.storage.models import QueueStatus
from linemod.framework.tenants.store import TenantInfo

STATUSES = (QueueStatus.PENDING, QueueStatus.RUNNING, QueueStatus.DONE, QueueStatus.DEAD)


def provider_router(console: Console, deps: Deps) -> APIRouter:
    router = APIRouter(prefix=PROVIDER, dependencies=[Depends(deps.check_csrf)], include_in_schema=False)
    Staff = Annotated[Viewer, Depends(deps.staff)]

    def page(request: Request, who: Viewer, template: str, status: int = 200, **values: Any) -> Response:
        return html(console, request, who, template, values, status)

    async def tenant_or_404(bot_id: str) -> TenantInfo:
        tenant = await console.services().tenants.get(bot_id)
        if tenant is None:
            raise PageNotFound()
        return tenant

    @router.get("/")
    async def tenants(request: Request, who: Staff) -> Response:
        services = console.services()
        rows = await services.tenants.list()
        activity = await queries.activity(services.db, services.clock.now_ms())
        return page(request, who, "console/provider/tenants.html", tenants=rows, activity=activity)

    @router.get("/tenants/{bot_id}")
    async def tenant(request: Request, who: Staff, bot_id: str) -> Response:
        services = console.services()
        info = await tenant_or_404(bot_id)
        status = request.query_params.get("status")
        status = status if status in STATUSES else None
        return page(
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
    async def replay(request: Request, who: Staff, bot_id: str) -> Response:
        services = console.services()
        await tenant_or_404(bot_id)
        form = await request.form()
        wanted = [int(v) for v in form.getlist("event_id") if isinstance(v, str) and v.isdigit()] or None
        ids = await queries.dead_ids(services.db, bot_id, wanted)
        if ids:
            await services.runtime.events.replay(ids)
            services.runtime.notify_workers()
        url = console.with_notice(f"{PROVIDER}/tenants/{bot_id}", messages.REPLAYED)
        return RedirectResponse(url, status_code=303)

    @router.get("/tenants/{bot_id}/detach")
    async def detach_confirm(request: Request, who: Staff, bot_id: str) -> Response:
        return page(request, who, "console/provider/detach.html", tenant=await tenant_or_404(bot_id))

    @router.post("/tenants/{bot_id}/detach")
    async def detach(request: Request, who: Staff, bot_id: str, confirm: Annotated[str, Form()] = "") -> Response:
        info = await tenant_or_404(bot_id)
        expected = info.basic_id or info.bot_id
        if confirm.strip() != expected:
            return page(request, who, "console/provider/detach.html", 400, tenant=info, error=True, typed=confirm)
        try:
            await console.app.detach(bot_id)
        except Exception as failure:  # LINE refused (e.g. already detached there): show why, change nothing
            return page(request, who, "console/provider/detach.html", 502, tenant=info, failure=str(failure)[:500])
        return RedirectResponse(console.with_notice(f"{PROVIDER}/tenants/{bot_id}", messages.DETACHED), status_code=303)

    @router.get("/reconcile")
    async def reconcile_preview(request: Request, who: Staff) -> Response:
        try:
            report = await console.app.sync_tenants(apply=False)
        except Exception as failure:
            return page(request, who, "console/provider/reconcile.html", 502, report=None, failure=str(failure)[:500])
        return page(request, who, "console/provider/reconcile.html", report=report)

    @router.post("/reconcile")
    async def reconcile(request: Request, who: Staff) -> Response:
        report = await console.app.sync_tenants(apply=True)
        return page(request, who, "console/provider/reconcile.html", report=report, notice_text=messages.RECONCILED)

    @router.get("/health")
    async def health(request: Request, who: Staff) -> Response:
        services = console.services()
        numbers = await queries.health(services.db, services.clock.now_ms())
        template = (
            "console/provider/_health_numbers.html"
            if request.headers.get("hx-request") == "true"
            else "console/provider/health.html"
        )
        return page(request, who, template, health=numbers)

    return router
