"""The inbox's settings pages: business hours with the automatic answer, and the OA's 定型文.

Registered before `routes.py`, whose `/inbox/{inquiry}` would otherwise take `/inbox/settings`."""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at run time.

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import delete

from linemod.framework.console.params import parse_row_id
from linemod.framework.console.routes_operator import oa_page
from linemod.framework.console.services import ConsoleServices
from linemod.framework.console.web import CONSOLE, Oa, OaAccess, PageNotFound, ServicesDep, check_csrf
from linemod.framework.i18n import N_
from linemod.framework.support.inbox import canned
from linemod.framework.support.inbox.hours import hours_of, parse_hours_form, save_hours
from linemod.framework.support.inbox.records import InboxCannedRow

router = APIRouter(prefix=CONSOLE + "/oas/{bot_id}/inbox", dependencies=[Depends(check_csrf)], include_in_schema=False)
WEEKDAYS = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"), N_("Sunday"))


def form_of(submitted: Any) -> dict[str, str]:
    """The text fields of a submitted form (a file field, which no inbox form has, is ignored)."""
    return {key: value for key, value in submitted.items() if isinstance(value, str)}


def base_of(access: OaAccess) -> str:
    return f"{CONSOLE}/oas/{access.tenant.bot_id}/inbox"


@router.get("/settings")
async def settings(request: Request, access: Oa, services: ServicesDep) -> Response:
    async with services.db.session() as session:
        hours = await hours_of(session, access.tenant.bot_id)
    values = {"auto_answer_text": hours.auto_answer_text}
    for day in range(7):
        opens, closes = hours.hours.get(day, ("09:00", "18:00"))
        values |= {f"open_{day}": opens, f"close_{day}": closes}
        if day not in hours.hours:
            values[f"closed_{day}"] = "on"
    if hours.japanese_holidays:
        values["holidays"] = "on"
    if hours.auto_answer:
        values["auto_answer"] = "on"
    return settings_page(request, access, services, values, {})


def settings_page(
    request: Request,
    access: OaAccess,
    services: ConsoleServices,
    values: dict[str, str],
    errors: dict[str, str],
) -> Response:
    return oa_page(
        services,
        request,
        access,
        "inbox/settings.html",
        400 if errors else 200,
        values=values,
        errors=errors,
        weekdays=list(enumerate(WEEKDAYS)),
        inbox_base=base_of(access),
    )


@router.post("/settings")
async def save_settings(request: Request, access: Oa, services: ServicesDep) -> Response:
    values = form_of(await request.form())
    hours, errors = parse_hours_form(values)
    if hours is None:
        return settings_page(request, access, services, values, errors)
    async with services.db.transaction() as session:
        await save_hours(session, access.tenant.bot_id, hours, services.clock.now_ms())
    url = services.with_notice(base_of(access) + "/settings", N_("The business hours were saved."))
    return RedirectResponse(url, status_code=303)


async def canned_page(
    request: Request, access: OaAccess, services: ConsoleServices, values: dict[str, str], error: str | None
) -> Response:
    async with services.db.session() as session:
        rows = await canned.list_for(session, access.tenant.bot_id)
    return oa_page(
        services,
        request,
        access,
        "inbox/canned.html",
        400 if error else 200,
        canned=rows,
        values=values,
        error=error,
        variables=canned.VARIABLES,
        inbox_base=base_of(access),
    )


@router.get("/canned")
async def canned_list(request: Request, access: Oa, services: ServicesDep) -> Response:
    return await canned_page(request, access, services, {}, None)


@router.post("/canned")
async def canned_add(request: Request, access: Oa, services: ServicesDep) -> Response:
    values = form_of(await request.form())
    try:
        async with services.db.transaction() as session:
            await canned.add(
                session, access.tenant.bot_id, values.get("title", ""), values.get("body", ""), services.clock.now_ms()
            )
    except canned.CannedError as error:
        return await canned_page(request, access, services, values, str(error))
    url = services.with_notice(base_of(access) + "/canned", N_("The canned reply was saved."))
    return RedirectResponse(url, status_code=303)


@router.post("/canned/{canned_id}/delete")
async def canned_delete(access: Oa, services: ServicesDep, canned_id: str) -> Response:
    async with services.db.transaction() as session:
        row = await canned.get(session, access.tenant.bot_id, parse_row_id(canned_id))
        if row is None:
            raise PageNotFound()
        await session.execute(delete(InboxCannedRow).where(InboxCannedRow.id == row.id))
    url = services.with_notice(base_of(access) + "/canned", N_("The canned reply was removed."))
    return RedirectResponse(url, status_code=303)
