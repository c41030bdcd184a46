"""The inbox pages of the operator console: `/console/oas/{bot_id}/inbox...`.

Every route depends on `Oa` (404 unless the viewer is a member of that OA) and loads inquiries, media and
canned replies through functions that filter on that OA, so another OA's operator gets the same 404 for
every URL, GET or POST. Every POST carries the CSRF token (`check_csrf` on the router).
"""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at run time.

import logging
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from linemod.framework.console.params import parse_row_id
from linemod.framework.console.routes_operator import oa_page
from linemod.framework.console.services import ConsoleServices
from linemod.framework.console.web import CONSOLE, Oa, OaAccess, PageNotFound, ServicesDep, check_csrf
from linemod.framework.i18n import N_
from linemod.framework.support.attachments import AttachmentRefused
from linemod.framework.support.inbox import canned, escalation, replies, service
from linemod.framework.support.inbox.media import INLINE_TYPES
from linemod.framework.support.inbox.records import InboxInquiryRow, InboxMediaRow
from linemod.framework.support.inbox.routes_settings import form_of

log = logging.getLogger("linemod.support.inbox")
router = APIRouter(prefix=CONSOLE + "/oas/{bot_id}/inbox", dependencies=[Depends(check_csrf)], include_in_schema=False)


def base_of(access: OaAccess) -> str:
    return f"{CONSOLE}/oas/{access.tenant.bot_id}/inbox"


def inquiry_id_of(text: str) -> int:
    found = parse_row_id(text)
    if found is None:
        raise PageNotFound()
    return found


async def load(session: Any, access: OaAccess, inquiry_id: int) -> InboxInquiryRow:
    return await service.load(session, access.tenant.bot_id, inquiry_id)


@router.get("")
async def inbox(request: Request, access: Oa, services: ServicesDep) -> Response:
    status = request.query_params.get("status", service.OPEN)
    if status not in (service.OPEN, service.CLOSED):
        status = service.OPEN
    tag = request.query_params.get("tag") or None
    bot_id = access.tenant.bot_id
    async with services.db.session() as session:
        inquiries = await service.find(session, bot_id, status=status, tag=tag)
        counts = await service.counts(session, bot_id)
        tags = await service.all_tags(session, bot_id)
    return oa_page(
        services,
        request,
        access,
        "inbox/list.html",
        inquiries=inquiries,
        tab=status,
        tag=tag,
        tags=tags,
        counts=counts,
        inbox_base=base_of(access),
    )


async def thread_page(
    request: Request,
    access: OaAccess,
    services: ConsoleServices,
    inquiry_id: int,
    *,
    draft: str = "",
    error: str | None = None,
    status: int = 200,
) -> Response:
    bot_id = access.tenant.bot_id
    now = services.clock.now_ms()
    async with services.db.session() as session:
        row = await load(session, access, inquiry_id)
        inquiry = service.Inquiry.of(row)
        entries = await service.transcript(session, row)
        plan = await replies.plan(session, row, now)
        templates = await canned.list_for(session, bot_id)
        chosen = await canned.get(session, bot_id, parse_row_id(request.query_params.get("canned")))
    if chosen is not None and not draft:
        values = {"customer_name": inquiry.display_name, "oa_name": access.tenant.display_name}
        draft = canned.render(chosen.body, {**values, "inquiry_id": inquiry.id})
    return oa_page(
        services,
        request,
        access,
        "inbox/thread.html",
        status,
        inquiry=inquiry,
        entries=entries,
        plan=plan,
        canned=templates,
        draft=draft,
        error=error,
        now_ms=now,
        inbox_base=base_of(access),
        inline_types=INLINE_TYPES,
    )


@router.get("/{inquiry}")
async def thread(request: Request, access: Oa, services: ServicesDep, inquiry: str) -> Response:
    return await thread_page(request, access, services, inquiry_id_of(inquiry))


async def form(request: Request) -> dict[str, str]:
    return form_of(await request.form())


@router.post("/{inquiry}/reply")
async def reply(request: Request, access: Oa, services: ServicesDep, inquiry: str) -> Response:
    inquiry_id = inquiry_id_of(inquiry)
    text = (await form(request)).get("text", "")
    async with services.db.session() as session:
        await load(session, access, inquiry_id)
    assert access.viewer.account is not None
    try:
        via = await replies.send(services.runtime, access.tenant.bot_id, inquiry_id, text, access.viewer.account.id)
    except replies.ReplyRefused as refused:
        return await thread_page(request, access, services, inquiry_id, draft=text, error=str(refused), status=400)
    except Exception:
        # LINE refused or did not answer (a suspended OA, a missing scope, the quota): the page says so.
        log.warning("an inbox answer to inquiry %s of %s was not sent", inquiry_id, access.tenant.bot_id, exc_info=True)
        error = N_("LINE did not accept the answer. Try again later.")
        return await thread_page(request, access, services, inquiry_id, draft=text, error=error, status=502)
    notice = N_("Sent as a reply (free).") if via == "reply" else N_("Sent as a push message.")
    return RedirectResponse(services.with_notice(f"{base_of(access)}/{inquiry_id}", notice), status_code=303)


@router.post("/{inquiry}/tags")
async def tags(request: Request, access: Oa, services: ServicesDep, inquiry: str) -> Response:
    inquiry_id = inquiry_id_of(inquiry)
    cleaned = service.clean_tags((await form(request)).get("tags", ""))
    async with services.db.transaction() as session:
        row = await load(session, access, inquiry_id)
        service.set_tags(row, cleaned, services.clock.now_ms())
    url = services.with_notice(f"{base_of(access)}/{inquiry_id}", N_("The tags were saved."))
    return RedirectResponse(url, status_code=303)


@router.post("/{inquiry}/close")
async def close(access: Oa, services: ServicesDep, inquiry: str) -> Response:
    from linemod.framework.support.inbox.recording import drop_chat_mark

    inquiry_id = inquiry_id_of(inquiry)
    assert access.viewer.account is not None
    async with services.db.transaction() as session:
        row = await load(session, access, inquiry_id)
        if service.close(session, row, access.viewer.account.id, services.clock.now_ms()):
            await drop_chat_mark(session, row.bot_id, row.chat_id)
    url = services.with_notice(base_of(access), N_("The inquiry was closed; the module answers this chat again."))
    return RedirectResponse(url, status_code=303)


@router.post("/{inquiry}/escalate")
async def escalate(request: Request, access: Oa, services: ServicesDep, inquiry: str) -> Response:
    inquiry_id = inquiry_id_of(inquiry)
    note = (await form(request)).get("note", "")[:5000]
    async with services.db.session() as session:
        row = await load(session, access, inquiry_id)
        already = row.ticket_id
    assert access.viewer.account is not None
    if already is not None:
        notice = N_("This inquiry was already sent to the provider.")
        return RedirectResponse(services.with_notice(f"{base_of(access)}/{inquiry_id}", notice), status_code=303)
    try:
        ticket_id = await escalation.escalate(
            services.runtime, access.viewer.account, access.tenant.bot_id, inquiry_id, note
        )
    except AttachmentRefused:
        error = N_("The files of this inquiry cannot go with a ticket; describe them instead.")
        return await thread_page(request, access, services, inquiry_id, error=error, status=400)
    log.info("inquiry %s of %s escalated to ticket %s", inquiry_id, access.tenant.bot_id, ticket_id)
    url = services.with_notice(f"{base_of(access)}/{inquiry_id}", N_("The provider's help desk has the inquiry now."))
    return RedirectResponse(url, status_code=303)


@router.get("/{inquiry}/media/{media}")
async def media(access: Oa, services: ServicesDep, inquiry: str, media: str) -> Response:
    inquiry_id, media_id = inquiry_id_of(inquiry), parse_row_id(media)
    async with services.db.session() as session:
        await load(session, access, inquiry_id)
        row = await session.scalar(
            select(InboxMediaRow).where(
                InboxMediaRow.id == media_id,
                InboxMediaRow.inquiry_id == inquiry_id,
                InboxMediaRow.bot_id == access.tenant.bot_id,
                InboxMediaRow.state == "kept",
            )
        )
    if row is None or row.content is None or row.content_type is None:
        raise PageNotFound()
    disposition = "inline" if row.content_type in INLINE_TYPES else "attachment"
    extension = row.content_type.split("/")[1]
    return Response(
        row.content,
        media_type=row.content_type,
        headers={
            "content-disposition": f'{disposition}; filename="inquiry-{inquiry_id}-{row.id}.{extension}"',
            "cache-control": "private, max-age=3600",
        },
    )
