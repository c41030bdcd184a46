"""One ticket for provider staff (/provider/support/tickets/{id}): the tenant's context as it was at creation,
the whole thread with internal notes, a public reply (a 定型文 picked fills it, its variables filled for this
ticket), an internal note, changes of status, priority, type, assignee and tags, the SLA timers with their
warnings, and the ticket's audit log. Opening a ticket about a tenant is written to the staff access log."""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at run time.

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from linemod.framework.console.params import BadParameter, parse_row_id
from linemod.framework.console.services import ConsoleServices
from linemod.framework.console.web import ServicesDep, Staff, Viewer, check_csrf, html
from linemod.framework.i18n import N_
from linemod.framework.support.attachments import AttachmentRefused
from linemod.framework.support.canned_replies import CannedReplyError
from linemod.framework.support.console.downloads import file_response
from linemod.framework.support.console.labels import BILLING_STATUS_LABELS
from linemod.framework.support.console.sla_view import overall, timers
from linemod.framework.support.console.staff_queue import BASE, labels, staff_accounts
from linemod.framework.support.console.web import (
    Problem,
    SupportDep,
    files_of,
    problem,
    refusal,
    text_field,
    ticket_id_of,
)
from linemod.framework.support.extension import Support
from linemod.framework.support.states import Priority, TicketStatus, TicketType, TransitionError

REPLIED = N_("The reply was sent to the requester.")
NOTED = N_("The internal note was added.")
UPDATED = N_("The ticket was updated.")
BAD_CHANGE = N_("“%(value)s” cannot be set on this ticket.")

router = APIRouter(prefix=BASE + "/tickets", dependencies=[Depends(check_csrf)], include_in_schema=False)


async def _page(
    request: Request,
    who: Viewer,
    services: ConsoleServices,
    support: Support,
    ticket_id: int,
    *,
    status: int = 200,
    reply_body: str | None = None,
    note_body: str = "",
    error: Problem | None = None,
) -> Response:
    assert who.account is not None
    desk = support.desk()
    ticket = await desk.tickets.get(who.account, ticket_id)
    messages = await desk.tickets.messages(who.account, ticket_id)
    audit = await desk.tickets.audit_log(who.account, ticket_id)
    if ticket.bot_id is not None and request.method == "GET":
        await support.view_as().log(who.account, ticket.bot_id, "ticket", ticket_id=ticket.id)
    canned = await desk.canned.list(who.account)
    picked = parse_row_id(request.query_params.get("canned"))
    if reply_body is None:
        reply_body = ""
        if picked is not None:
            try:
                reply_body = await desk.canned.render_for(who.account, picked, ticket.id)
            except CannedReplyError:
                error = problem(N_("This canned reply cannot be used: edit it on the canned replies page."))
    staff = await staff_accounts(services)
    now = services.clock.now_ms()
    found = timers(ticket, desk.tickets.policies, now)
    values: dict[str, Any] = {
        **labels(),
        "ticket": ticket,
        "messages": messages,
        "audit": audit,
        "canned": canned,
        "picked": picked,
        "reply_body": reply_body,
        "note_body": note_body,
        "error": error,
        "staff_by_id": {s.id: s for s in staff},
        "timers": found,
        "sla_state": overall(found),
        "statuses": list(TicketStatus),
        "priorities": list(Priority),
        "types": list(TicketType),
        "context": ticket.context or {},
        "BILLING_LABELS": BILLING_STATUS_LABELS,
    }
    return html(services, request, who, "support/staff/ticket.html", values, status)


@router.get("/{ticket_id}")
async def ticket_page(
    request: Request, who: Staff, services: ServicesDep, support: SupportDep, ticket_id: str
) -> Response:
    return await _page(request, who, services, support, ticket_id_of(ticket_id))


@router.post("/{ticket_id}/reply")
async def reply(request: Request, who: Staff, services: ServicesDep, support: SupportDep, ticket_id: str) -> Response:
    assert who.account is not None
    number = ticket_id_of(ticket_id)
    form = await request.form()
    body = text_field(form, "body")
    then = text_field(form, "status", 16)
    if then and then not in (TicketStatus.OPEN.value, TicketStatus.PENDING.value, TicketStatus.SOLVED.value):
        raise BadParameter(BAD_CHANGE, value=then[:40])
    tickets = support.desk().tickets
    try:
        await tickets.get(who.account, number)
        if not body.strip():
            return await _page(
                request, who, services, support, number, status=400, reply_body="", error=problem(N_("Write a reply."))
            )
        await tickets.reply(
            who.account, number, body, attachments=await files_of(form), status=TicketStatus(then) if then else None
        )
    except AttachmentRefused as refused:
        return await _page(request, who, services, support, number, status=400, reply_body=body, error=refusal(refused))
    except TransitionError:
        error = problem(N_("A closed ticket cannot change: open a new ticket instead."))
        return await _page(request, who, services, support, number, status=400, reply_body=body, error=error)
    return RedirectResponse(services.with_notice(f"{BASE}/tickets/{number}", REPLIED), status_code=303)


@router.post("/{ticket_id}/note")
async def note(request: Request, who: Staff, services: ServicesDep, support: SupportDep, ticket_id: str) -> Response:
    assert who.account is not None
    number = ticket_id_of(ticket_id)
    body = text_field(await request.form(), "body")
    tickets = support.desk().tickets
    await tickets.get(who.account, number)
    if not body.strip():
        error = problem(N_("Write the note."))
        return await _page(request, who, services, support, number, status=400, error=error)
    await tickets.add_note(who.account, number, body)
    return RedirectResponse(services.with_notice(f"{BASE}/tickets/{number}", NOTED), status_code=303)


@router.post("/{ticket_id}/update")
async def update(request: Request, who: Staff, services: ServicesDep, support: SupportDep, ticket_id: str) -> Response:
    """Status, priority, type, assignee and tags from one form; each change is its own audit entry."""
    assert who.account is not None
    number = ticket_id_of(ticket_id)
    form = await request.form()
    status, priority, kind = (text_field(form, name, 16) for name in ("status", "priority", "type"))
    assignee_text, tags_text = text_field(form, "assignee", 20), text_field(form, "tags", 2000)
    for value, allowed in (
        (status, {s.value for s in TicketStatus}),
        (priority, {p.value for p in Priority}),
        (kind, {t.value for t in TicketType}),
    ):
        if value not in allowed:
            raise BadParameter(BAD_CHANGE, value=value[:40])
    staff = {s.id for s in await staff_accounts(services)}
    assignee = parse_row_id(assignee_text) if assignee_text else None
    if assignee_text and assignee not in staff:
        raise BadParameter(BAD_CHANGE, value=assignee_text[:40])
    tickets = support.desk().tickets
    try:
        ticket = await tickets.get(who.account, number)
        if ticket.priority != priority:
            await tickets.set_priority(who.account, number, Priority(priority))
        if ticket.type != kind:
            await tickets.set_type(who.account, number, TicketType(kind))
        if ticket.assignee_id != assignee:
            await tickets.assign(who.account, number, assignee)
        tags = [t for t in tags_text.replace("、", ",").split(",")]
        await tickets.set_tags(who.account, number, tags)
        if ticket.status != status:
            await tickets.set_status(who.account, number, TicketStatus(status))
    except TransitionError:
        error = problem(
            N_("This status change is not allowed: a closed ticket stays closed, and a ticket cannot be new again.")
        )
        return await _page(request, who, services, support, number, status=400, error=error)
    return RedirectResponse(services.with_notice(f"{BASE}/tickets/{number}", UPDATED), status_code=303)


@router.get("/{ticket_id}/files/{attachment_id}")
async def download(who: Staff, support: SupportDep, ticket_id: str, attachment_id: str) -> Response:
    assert who.account is not None
    number = ticket_id_of(ticket_id)
    tickets = support.desk().tickets
    stored = await tickets.attachment(who.account, number, ticket_id_of(attachment_id))
    ticket = await tickets.get(who.account, number)
    if ticket.bot_id is not None:  # a tenant's file is its data: the look is logged like the ticket's
        await support.view_as().log(who.account, ticket.bot_id, "file", ticket_id=number)
    return file_response(stored)
