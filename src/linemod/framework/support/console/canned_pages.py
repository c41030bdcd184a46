"""定型文 management (/provider/support/canned): list, create, edit and delete the canned replies staff share.
A template is checked when saved (it must parse and use only the help desk's variables), and a refused one
comes back in its form with the reason, as typed."""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at run time.

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from linemod.framework.console.services import ConsoleServices
from linemod.framework.console.web import PageNotFound, ServicesDep, Staff, Viewer, check_csrf, html
from linemod.framework.i18n import N_
from linemod.framework.support.canned_replies import VARIABLES, CannedReplyError
from linemod.framework.support.console.staff_queue import BASE
from linemod.framework.support.console.web import SupportDep, text_field, ticket_id_of
from linemod.framework.support.extension import Support

CANNED = BASE + "/canned"
SAVED = N_("The canned reply was saved.")
DELETED = N_("The canned reply was deleted.")

router = APIRouter(prefix=CANNED, dependencies=[Depends(check_csrf)], include_in_schema=False)


def _form(
    request: Request,
    who: Viewer,
    services: ConsoleServices,
    values: dict[str, str],
    canned_id: int | None,
    *,
    status: int = 200,
    error: str | None = None,
) -> Response:
    return html(
        services,
        request,
        who,
        "support/staff/canned_form.html",
        {"values": values, "canned_id": canned_id, "error": error, "variables": VARIABLES},
        status,
    )


@router.get("")
async def canned_list(request: Request, who: Staff, services: ServicesDep, support: SupportDep) -> Response:
    assert who.account is not None
    rows = await support.desk().canned.list(who.account)
    return html(services, request, who, "support/staff/canned_list.html", {"rows": rows, "variables": VARIABLES})


@router.get("/new")
async def new_form(request: Request, who: Staff, services: ServicesDep) -> Response:
    return _form(request, who, services, {"title": "", "body": ""}, None)


@router.get("/{canned_id}")
async def edit_form(
    request: Request, who: Staff, services: ServicesDep, support: SupportDep, canned_id: str
) -> Response:
    assert who.account is not None
    found = await support.desk().canned.get(who.account, ticket_id_of(canned_id))
    if found is None:
        raise PageNotFound()
    return _form(request, who, services, {"title": found[1], "body": found[2]}, found[0])


async def _save(
    request: Request, who: Viewer, services: ConsoleServices, support: Support, canned_id: int | None
) -> Response:
    assert who.account is not None
    form = await request.form()
    values = {"title": text_field(form, "title", 300), "body": text_field(form, "body", 25_000)}
    if canned_id is not None and await support.desk().canned.get(who.account, canned_id) is None:
        raise PageNotFound()
    try:
        await support.desk().canned.save(who.account, values["title"], values["body"], canned_id=canned_id)
    except CannedReplyError as refused:
        # The engine's reason names the variables and the template's syntax error: shown as it is.
        return _form(request, who, services, values, canned_id, status=400, error=str(refused))
    return RedirectResponse(services.with_notice(CANNED, SAVED), status_code=303)


@router.post("/new")
async def create(request: Request, who: Staff, services: ServicesDep, support: SupportDep) -> Response:
    return await _save(request, who, services, support, None)


@router.post("/{canned_id}")
async def edit(request: Request, who: Staff, services: ServicesDep, support: SupportDep, canned_id: str) -> Response:
    return await _save(request, who, services, support, ticket_id_of(canned_id))


@router.post("/{canned_id}/delete")
async def delete(who: Staff, services: ServicesDep, support: SupportDep, canned_id: str) -> Response:
    assert who.account is not None
    if not await support.desk().canned.delete(who.account, ticket_id_of(canned_id)):
        raise PageNotFound()
    return RedirectResponse(services.with_notice(CANNED, DELETED), status_code=303)
