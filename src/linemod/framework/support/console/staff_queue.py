"""The provider's queue (/provider/support): every ticket with filters (status, priority, type, assignee, tag,
tenant, SLA state), soonest SLA due time first (or most recently changed), and a ticket opened on behalf of a
tenant (a phone call, a chat elsewhere). Staff only: an operator gets 404 on every URL here."""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at run time.

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from linemod.framework.accounts.info import AccountError, AccountInfo, normalize_email
from linemod.framework.console.params import BadParameter, parse_row_id
from linemod.framework.console.services import ConsoleServices
from linemod.framework.console.web import PROVIDER, ServicesDep, Staff, Viewer, check_csrf, html
from linemod.framework.i18n import N_
from linemod.framework.storage.models import Account
from linemod.framework.support.attachments import AttachmentRefused
from linemod.framework.support.console.sla_view import (
    SLA_STATES,
    STATE_LABELS,
    next_due_ms,
    overall,
    timers,
)
from linemod.framework.support.console.tenant_picker import choices, resolve_tenant, tenant_filter
from linemod.framework.support.console.web import Problem, SupportDep, files_of, problem, refusal, text_field
from linemod.framework.support.states import (
    PRIORITY_LABELS,
    PRIORITY_ORDER,
    STATUS_LABELS,
    TYPE_LABELS,
    UNRESOLVED,
    Priority,
    TicketStatus,
    TicketType,
)
from linemod.framework.support.ticket_records import Ticket
from linemod.framework.tenants.info import TenantInfo

BASE = PROVIDER + "/support"
QUEUE_LIMIT = 500
CREATED = N_("The ticket was created.")
BAD_FILTER = N_("“%(value)s” is not one of the choices of this filter.")
SORTS = ("sla", "updated")

router = APIRouter(prefix=BASE, dependencies=[Depends(check_csrf)], include_in_schema=False)


@dataclass(frozen=True)
class QueueRow:
    ticket: Ticket
    sla_state: str
    next_due_ms: int | None


async def staff_accounts(services: ConsoleServices) -> list[AccountInfo]:
    async with services.db.session() as session:
        rows = await session.scalars(select(Account).where(Account.provider_staff.is_(True)).order_by(Account.email))
        return [AccountInfo.from_row(row) for row in rows]


def labels() -> dict[str, Any]:
    return {
        "STATUS_LABELS": STATUS_LABELS,
        "PRIORITY_LABELS": PRIORITY_LABELS,
        "TYPE_LABELS": TYPE_LABELS,
        "SLA_LABELS": STATE_LABELS,
    }


def _choice(request: Request, name: str, allowed: tuple[str, ...]) -> str:
    value = request.query_params.get(name, "")
    if value and value not in allowed:
        raise BadParameter(BAD_FILTER, value=value[:40])
    return value


router.add_api_route("/tenant-choices", choices, methods=["GET"])


@router.get("")
async def queue(request: Request, who: Staff, services: ServicesDep, support: SupportDep) -> Response:
    assert who.account is not None
    statuses = (*tuple(s.value for s in TicketStatus), "unresolved", "all")
    status = _choice(request, "status", statuses) or "unresolved"
    priority = _choice(request, "priority", tuple(p.value for p in Priority))
    kind = _choice(request, "type", tuple(t.value for t in TicketType))
    sla_state = _choice(request, "sla", SLA_STATES)
    sort = _choice(request, "sort", SORTS) or "sla"
    chosen = await tenant_filter(services, request)
    tenant = chosen.bot_id if chosen else ""
    staff = await staff_accounts(services)
    assignee_text = _choice(request, "assignee", (*tuple(str(s.id) for s in staff), "none"))
    tag = request.query_params.get("tag", "").strip().lower()[:64]

    wanted = {
        "unresolved": UNRESOLVED,
        "all": None,
    }.get(status, {TicketStatus(status)} if status in {s.value for s in TicketStatus} else None)
    desk = support.desk()
    found = await desk.tickets.find(
        who.account,
        statuses=wanted,
        bot_id=tenant or None,
        assignee_id=parse_row_id(assignee_text) if assignee_text not in ("", "none") else None,
        tag=tag or None,
        limit=QUEUE_LIMIT,
    )
    now = services.clock.now_ms()
    rows = []
    for ticket in found:
        if (priority and ticket.priority != priority) or (kind and ticket.type != kind):
            continue
        if assignee_text == "none" and ticket.assignee_id is not None:
            continue
        state = overall(timers(ticket, desk.tickets.policies, now))
        if sla_state and state != sla_state:
            continue
        rows.append(QueueRow(ticket, state, next_due_ms(ticket)))
    if sort == "sla":
        rows.sort(key=lambda row: (row.next_due_ms is None, row.next_due_ms or 0, row.ticket.id))
    tenants = await services.tenants.get_many([row.ticket.bot_id for row in rows if row.ticket.bot_id] + [tenant])
    filters = {
        "status": status,
        "priority": priority,
        "type": kind,
        "sla": sla_state,
        "tenant": tenant,
        "assignee": assignee_text,
        "tag": tag,
        "sort": sort,
    }
    return html(
        services,
        request,
        who,
        "support/staff/queue.html",
        {
            **labels(),
            "rows": rows,
            "filters": filters,
            "tenants": tenants,
            "staff_by_id": {s.id: s for s in staff},
            "statuses": list(TicketStatus),
            "priorities": list(reversed(PRIORITY_ORDER)),
            "types": list(TicketType),
            "sla_states": SLA_STATES,
        },
    )


async def _new_form(
    request: Request,
    who: Viewer,
    services: ConsoleServices,
    *,
    status: int = 200,
    values: dict[str, str] | None = None,
    chosen: TenantInfo | None = None,
    error: Problem | None = None,
) -> Response:
    """The form, empty (the tenant of `?tenant=` chosen) or as sent back with `error` (`chosen` as resolved)."""
    if values is None:
        values = {"bot_id": request.query_params.get("tenant", ""), "priority": "normal"}
        resolved = await resolve_tenant(services, values["bot_id"])
        chosen = resolved if isinstance(resolved, TenantInfo) else None
    return html(
        services,
        request,
        who,
        "support/staff/new.html",
        {
            **labels(),
            "chosen": chosen,
            "values": values,
            "error": error,
            "priorities": list(reversed(PRIORITY_ORDER)),
            "types": list(TicketType),
        },
        status,
    )


@router.get("/new")
async def new_form(request: Request, who: Staff, services: ServicesDep) -> Response:
    return await _new_form(request, who, services)


@router.post("/new")
async def create(request: Request, who: Staff, services: ServicesDep, support: SupportDep) -> Response:
    assert who.account is not None
    form = await request.form()
    values = {n: text_field(form, n) for n in ("bot_id", "requester", "type", "priority", "subject", "body")}
    error: Problem | None = None
    resolved = await resolve_tenant(services, values["bot_id"])
    tenant = resolved if isinstance(resolved, TenantInfo) else None
    requester: AccountInfo | None = None
    email: str | None = None
    if isinstance(resolved, tuple):
        error = resolved
    elif values["requester"].strip():
        try:
            email = normalize_email(values["requester"])
        except AccountError:
            error = problem(N_("Enter a valid email address."))
        else:
            requester = await services.accounts.by_email(email)
    if error is None:
        if values["type"] not in {t.value for t in TicketType} or values["priority"] not in {
            p.value for p in Priority
        }:
            error = problem(N_("Choose a type and a priority."))
        elif not values["subject"].strip() or not values["body"].strip():
            error = problem(N_("Write a subject and a first message."))
    if error is None:
        try:
            ticket = await support.desk().tickets.open(
                who.account,
                subject=values["subject"],
                body=values["body"],
                bot_id=tenant.bot_id if tenant else None,
                type=TicketType(values["type"]),
                priority=Priority(values["priority"]),
                attachments=await files_of(form),
                requester=requester,
                requester_email=email,
            )
        except AttachmentRefused as refused:
            error = refusal(refused)
        else:
            url = services.with_notice(f"{BASE}/tickets/{ticket.id}", CREATED)
            return RedirectResponse(url, status_code=303)
    return await _new_form(request, who, services, status=400, values=values, chosen=tenant, error=error)
