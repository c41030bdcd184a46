"""The operator's help desk (/console/support): open a ticket about one of their OAs (its context, billing state
included, attached automatically; help articles suggested while typing), their tickets, a ticket's thread with
the public replies only, reply with files, download files, rate a solved ticket; and, for an OA's owners, the
consent that lets the provider's staff view the OA's console, with the log of what staff looked at.

Every ticket is read through `TicketService`, which scopes it to the viewer: a ticket of another OA is "not
found" (404) on every URL, GET or POST.
"""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at run time.

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from linemod.framework.accounts.info import OWNER, AccountInfo
from linemod.framework.console.services import ConsoleServices
from linemod.framework.console.web import CONSOLE, Operator, PageNotFound, ServicesDep, Viewer, check_csrf, html
from linemod.framework.i18n import N_
from linemod.framework.support.attachments import AttachmentRefused
from linemod.framework.support.console.downloads import file_response
from linemod.framework.support.console.labels import ACCESS_LABELS, BILLING_STATUS_LABELS
from linemod.framework.support.console.web import (
    Problem,
    SupportDep,
    files_of,
    problem,
    refusal,
    text_field,
    ticket_id_of,
)
from linemod.framework.support.csat import CsatError
from linemod.framework.support.extension import Support
from linemod.framework.support.states import (
    STATUS_LABELS,
    TYPE_LABELS,
    Csat,
    TicketStatus,
    TicketType,
)
from linemod.framework.support.suggestions import suggest
from linemod.framework.support.tenant_context import tenant_context
from linemod.framework.support.view_as import DEFAULT_HOURS, MAX_HOURS, NotOwner
from linemod.framework.tenants.info import TenantInfo

BASE = CONSOLE + "/support"
OPENED = N_("Your request was sent. We will answer here and by mail.")
REPLIED = N_("Your reply was sent.")
RATED = N_("Thank you for your rating.")
CONSENTED = N_("Provider staff may now view this OA's console until the time shown.")
REVOKED = N_("Provider staff can no longer view this OA's console.")
OPERATOR_TYPES = (TicketType.QUESTION, TicketType.INCIDENT, TicketType.BILLING, TicketType.REQUEST)

router = APIRouter(prefix=BASE, dependencies=[Depends(check_csrf)], include_in_schema=False)


def account_of(who: Viewer) -> AccountInfo:
    assert who.account is not None
    if who.account.provider_staff:
        raise PageNotFound()  # staff work tickets in the provider console
    return who.account


def page(
    services: ConsoleServices, request: Request, who: Viewer, template: str, status: int = 200, **values: Any
) -> Response:
    return html(
        services,
        request,
        who,
        template,
        {
            "STATUS_LABELS": STATUS_LABELS,
            "TYPE_LABELS": TYPE_LABELS,
            "BILLING_LABELS": BILLING_STATUS_LABELS,
            "ACCESS_LABELS": ACCESS_LABELS,
            **values,
        },
        status,
    )


@router.get("")
async def my_tickets(request: Request, who: Operator, services: ServicesDep, support: SupportDep) -> Response:
    account = account_of(who)
    tickets = await support.desk().tickets.find(account)
    oas = await services.teams.tenants_of(account.id)
    view_as = support.view_as()
    grants = {tenant.bot_id: await view_as.live_grant(tenant.bot_id) for tenant, role in oas if role == OWNER}
    access: list[Any] = []
    for tenant, _role in oas:
        access += await view_as.access_log(tenant.bot_id, limit=20)
    access.sort(key=lambda entry: entry.at_ms, reverse=True)
    names = {tenant.bot_id: tenant.label for tenant, _ in oas}
    return page(
        services,
        request,
        who,
        "support/operator/tickets.html",
        tickets=tickets,
        oas=oas,
        names=names,
        grants=grants,
        access=access[:20],
        hours=DEFAULT_HOURS,
        max_hours=MAX_HOURS,
    )


async def _new_form(
    request: Request,
    who: Viewer,
    services: ConsoleServices,
    support: Support,
    *,
    status: int = 200,
    error: Problem | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    account = account_of(who)
    oas = [tenant for tenant, _role in await services.teams.tenants_of(account.id)]
    values = values or {}
    chosen = _chosen_oa(oas, values.get("bot_id", request.query_params.get("bot_id", "")))
    context = None
    if chosen is not None:
        async with services.db.session() as session:
            context = await tenant_context(
                session, chosen.bot_id, services.clock.now_ms(), services.settings.requested_scopes
            )
    text = f"{values.get('subject', '')}\n{values.get('body', '')}"
    return page(
        services,
        request,
        who,
        "support/operator/new.html",
        status,
        oas=oas,
        chosen=chosen,
        context=context,
        types=OPERATOR_TYPES,
        values=values,
        error=error,
        suggestions=await suggest(support.suggest_articles, text, who.lang),
        limits=support.desk().tickets.limits,
    )


def _chosen_oa(oas: list[TenantInfo], bot_id: str) -> TenantInfo | None:
    for tenant in oas:
        if tenant.bot_id == bot_id:
            return tenant
    return oas[0] if oas and bot_id != "none" else None


@router.get("/new")
async def new_ticket_form(request: Request, who: Operator, services: ServicesDep, support: SupportDep) -> Response:
    return await _new_form(request, who, services, support)


@router.get("/suggestions")
async def suggestions(request: Request, who: Operator, services: ServicesDep, support: SupportDep) -> Response:
    """The articles for what the operator is typing (an htmx fragment of the new-ticket form)."""
    account_of(who)
    text = f"{request.query_params.get('subject', '')}\n{request.query_params.get('body', '')}"[:2000]
    found = await suggest(support.suggest_articles, text, who.lang)
    return page(services, request, who, "support/operator/_suggestions.html", suggestions=found)


@router.post("/new")
async def open_ticket(request: Request, who: Operator, services: ServicesDep, support: SupportDep) -> Response:
    account = account_of(who)
    form = await request.form()
    values = {name: text_field(form, name) for name in ("bot_id", "type", "subject", "body")}
    oas = {tenant.bot_id for tenant, _role in await services.teams.tenants_of(account.id)}
    bot_id = values["bot_id"] if values["bot_id"] != "none" else None
    if bot_id is not None and bot_id not in oas:
        raise PageNotFound()  # not one of theirs: as if it did not exist
    error: Problem | None = None
    if values["type"] not in {t.value for t in OPERATOR_TYPES}:
        error = problem(N_("Choose what the request is about."))
    elif not values["subject"].strip():
        error = problem(N_("Write a subject."))
    elif not values["body"].strip():
        error = problem(N_("Describe what happened or what you need."))
    if error is None:
        try:
            ticket = await support.desk().tickets.open(
                account,
                subject=values["subject"],
                body=values["body"],
                bot_id=bot_id,
                type=TicketType(values["type"]),
                attachments=await files_of(form),
            )
        except AttachmentRefused as refused:
            error = refusal(refused)
        else:
            return RedirectResponse(services.with_notice(f"{BASE}/tickets/{ticket.id}", OPENED), status_code=303)
    return await _new_form(request, who, services, support, status=400, error=error, values=values)


async def _ticket_page(
    request: Request,
    who: Viewer,
    services: ConsoleServices,
    support: Support,
    ticket_id: int,
    *,
    status: int = 200,
    error: Problem | None = None,
    body: str = "",
) -> Response:
    account = account_of(who)
    tickets = support.desk().tickets
    ticket = await tickets.get(account, ticket_id)
    messages = await tickets.messages(account, ticket_id)
    return page(
        services,
        request,
        who,
        "support/operator/ticket.html",
        status,
        ticket=ticket,
        messages=messages,
        error=error,
        body=body,
        closed=ticket.status == TicketStatus.CLOSED,
        can_rate=ticket.status in (TicketStatus.SOLVED, TicketStatus.CLOSED),
    )


@router.get("/tickets/{ticket_id}")
async def ticket_page(
    request: Request, who: Operator, services: ServicesDep, support: SupportDep, ticket_id: str
) -> Response:
    return await _ticket_page(request, who, services, support, ticket_id_of(ticket_id))


@router.post("/tickets/{ticket_id}/reply")
async def reply(
    request: Request, who: Operator, services: ServicesDep, support: SupportDep, ticket_id: str
) -> Response:
    account = account_of(who)
    number = ticket_id_of(ticket_id)
    form = await request.form()
    body = text_field(form, "body")
    tickets = support.desk().tickets
    try:
        await tickets.get(account, number)  # 404 before anything else is said about the ticket
        if not body.strip():
            return await _ticket_page(
                request, who, services, support, number, status=400, error=problem(N_("Write a reply."))
            )
        await tickets.reply(account, number, body, attachments=await files_of(form))
    except AttachmentRefused as refused:
        return await _ticket_page(
            request, who, services, support, number, status=400, error=refusal(refused), body=body
        )
    return RedirectResponse(services.with_notice(f"{BASE}/tickets/{number}", REPLIED), status_code=303)


@router.post("/tickets/{ticket_id}/rate")
async def rate(request: Request, who: Operator, services: ServicesDep, support: SupportDep, ticket_id: str) -> Response:
    account = account_of(who)
    number = ticket_id_of(ticket_id)
    form = await request.form()
    rating, reason = text_field(form, "rating", 8), text_field(form, "reason", 2000)
    tickets = support.desk().tickets
    try:
        await tickets.get(account, number)
        if rating not in (Csat.GOOD.value, Csat.BAD.value):
            raise CsatError("choose good or bad")
        await tickets.rate(account, number, Csat(rating), reason)
    except CsatError:
        message = N_("Say what went wrong: a bad rating needs a reason.") if rating == Csat.BAD.value else None
        error = problem(message or N_("Choose good or bad."))
        return await _ticket_page(request, who, services, support, number, status=400, error=error)
    return RedirectResponse(services.with_notice(f"{BASE}/tickets/{number}", RATED), status_code=303)


@router.get("/tickets/{ticket_id}/files/{attachment_id}")
async def download(who: Operator, support: SupportDep, ticket_id: str, attachment_id: str) -> Response:
    account = account_of(who)
    stored = await support.desk().tickets.attachment(account, ticket_id_of(ticket_id), ticket_id_of(attachment_id))
    return file_response(stored)


@router.post("/consent/{bot_id}")
async def grant_consent(
    request: Request, who: Operator, services: ServicesDep, support: SupportDep, bot_id: str
) -> Response:
    account = account_of(who)
    form = await request.form()
    hours_text = text_field(form, "hours", 4)
    hours = int(hours_text) if hours_text.isdigit() else DEFAULT_HOURS
    try:
        await support.view_as().grant(account, bot_id, hours)
    except NotOwner:
        raise PageNotFound() from None
    return RedirectResponse(services.with_notice(BASE, CONSENTED), status_code=303)


@router.post("/consent/{bot_id}/revoke")
async def revoke_consent(who: Operator, services: ServicesDep, support: SupportDep, bot_id: str) -> Response:
    try:
        await support.view_as().revoke(account_of(who), bot_id)
    except NotOwner:
        raise PageNotFound() from None
    return RedirectResponse(services.with_notice(BASE, REVOKED), status_code=303)
