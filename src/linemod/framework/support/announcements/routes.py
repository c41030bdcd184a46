"""Announcement pages: for operators the banner fragment every console page loads (active, not dismissed),
dismissing it, the list at /console/announcements and the mail opt-in shown on the account page; for staff
the list, writing and editing, and ending one now, under /provider/support/announcements."""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at run time.

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from linemod.framework.console.params import parse_row_id
from linemod.framework.console.services import ConsoleServices
from linemod.framework.console.web import (
    CONSOLE,
    PROVIDER,
    Operator,
    PageNotFound,
    ServicesDep,
    Staff,
    Viewer,
    Who,
    check_csrf,
    html,
    is_htmx,
    redirect,
    safe_next,
)
from linemod.framework.i18n import N_
from linemod.framework.support.announcements.service import (
    KIND_LABELS,
    SEVERITY_LABELS,
    Announcement,
    AnnouncementDraft,
    AnnouncementService,
    jst_input,
)
from linemod.framework.support.knowledge.rendering import render_markdown

STAFF_ANNOUNCEMENTS = PROVIDER + "/support/announcements"

operator_router = APIRouter(prefix=CONSOLE, dependencies=[Depends(check_csrf)], include_in_schema=False)
staff_router = APIRouter(prefix=STAFF_ANNOUNCEMENTS, dependencies=[Depends(check_csrf)], include_in_schema=False)


def service_of(services: ConsoleServices) -> AnnouncementService:
    return AnnouncementService(services.db, services.clock, services.runtime.scheduler)


def labels() -> dict[str, Any]:
    return {"kind_labels": KIND_LABELS, "severity_labels": SEVERITY_LABELS, "markdown": render_markdown}


# ---- operators ----------------------------------------------------------------------------------------


@operator_router.get("/announcements/banner")
async def banner(request: Request, who: Who, services: ServicesDep) -> Response:
    """The banners of the account's active announcements (nothing for staff or signed-out browsers)."""
    account = who.account
    found = [] if account is None or account.provider_staff else await service_of(services).banners_for(account.id)
    next_url = safe_next(request.query_params.get("next"))
    values = {"banners": found, "next_url": next_url, **labels()}
    return html(services, request, who, "support/announcements/_banner.html", values)


@operator_router.post("/announcements/{announcement_id}/dismiss")
async def dismiss(request: Request, who: Operator, services: ServicesDep, announcement_id: str) -> Response:
    assert who.account is not None
    number = parse_row_id(announcement_id)
    if number is None:
        raise PageNotFound()
    await service_of(services).dismiss(who.account.id, number)
    if is_htmx(request):
        return Response(status_code=200)  # htmx swaps the banner for this empty answer
    form = await request.form()
    next_url = form.get("next")
    return redirect(request, safe_next(next_url if isinstance(next_url, str) else None))


@operator_router.get("/announcements")
async def announcement_list(request: Request, who: Operator, services: ServicesDep) -> Response:
    service = service_of(services)
    values = {"announcements": await service.current(), "now_ms": services.clock.now_ms(), **labels()}
    return html(services, request, who, "support/announcements/list.html", values)


@operator_router.get("/account/announcement-mails")
async def mail_setting(request: Request, who: Operator, services: ServicesDep) -> Response:
    """The opt-in form on the account page (loaded into it as a fragment)."""
    assert who.account is not None
    if who.account.provider_staff:
        return Response(status_code=204)
    subscribed = await service_of(services).subscribed(who.account.id)
    # the fragment for the account page's htmx, a page of its own for a browser without script
    template = "_mail_setting.html" if is_htmx(request) else "mail_setting_page.html"
    return html(services, request, who, f"support/announcements/{template}", {"subscribed": subscribed})


@operator_router.post("/account/announcement-mails")
async def save_mail_setting(request: Request, who: Operator, services: ServicesDep) -> Response:
    assert who.account is not None
    if who.account.provider_staff:
        raise PageNotFound()
    form = await request.form()
    wanted = form.get("subscribe") == "on"
    await service_of(services).subscribe(who.account, who.lang, wanted)
    message = N_("You will get announcements by mail.") if wanted else N_("You will not get announcements by mail.")
    return redirect(request, services.with_notice(f"{CONSOLE}/account", message))


# ---- staff --------------------------------------------------------------------------------------------


async def _announcement(services: ConsoleServices, announcement_id: str) -> Announcement:
    number = parse_row_id(announcement_id)
    if number is None:
        raise PageNotFound()
    return await service_of(services).get(number)


def _form_page(services: ConsoleServices, request: Request, who: Viewer, status: int = 200, **values: Any) -> Response:
    values.setdefault("errors", {})
    values.setdefault("announcement", None)
    return html(services, request, who, "support/announcements/staff_form.html", {**values, **labels()}, status)


async def _submitted(request: Request) -> dict[str, str]:
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


@staff_router.get("")
async def staff_list(request: Request, who: Staff, services: ServicesDep) -> Response:
    values = {"announcements": await service_of(services).all(), "now_ms": services.clock.now_ms(), **labels()}
    return html(services, request, who, "support/announcements/staff_list.html", values)


@staff_router.get("/new")
async def new_announcement(request: Request, who: Staff, services: ServicesDep) -> Response:
    values = {"kind": "maintenance", "severity": "warning", "mail": "on"}
    return _form_page(services, request, who, values=values)


@staff_router.post("/new")
async def create_announcement(request: Request, who: Staff, services: ServicesDep) -> Response:
    assert who.account is not None
    form = await _submitted(request)
    draft, errors = AnnouncementDraft.parse(form, services.clock.now_ms())
    if errors:
        return _form_page(services, request, who, 400, values=form, errors=errors)
    await service_of(services).create(who.account, draft)
    services.runtime.notify_workers()
    url = services.with_notice(STAFF_ANNOUNCEMENTS, N_("The announcement is published."))
    return RedirectResponse(url, status_code=303)


@staff_router.get("/{announcement_id}")
async def edit_announcement(request: Request, who: Staff, services: ServicesDep, announcement_id: str) -> Response:
    found = await _announcement(services, announcement_id)
    values: dict[str, Any] = asdict(found)
    values |= {
        "starts_at": jst_input(found.starts_at_ms),
        "ends_at": jst_input(found.ends_at_ms),
        "mail": "on" if found.mail else "",
    }
    return _form_page(services, request, who, announcement=found, values=values)


@staff_router.post("/{announcement_id}")
async def update_announcement(request: Request, who: Staff, services: ServicesDep, announcement_id: str) -> Response:
    assert who.account is not None
    found = await _announcement(services, announcement_id)
    form = await _submitted(request)
    draft, errors = AnnouncementDraft.parse(form, services.clock.now_ms())
    if errors:
        return _form_page(services, request, who, 400, announcement=found, values=form, errors=errors)
    await service_of(services).update(who.account, found.id, draft)
    services.runtime.notify_workers()
    url = services.with_notice(STAFF_ANNOUNCEMENTS, N_("The announcement was saved."))
    return RedirectResponse(url, status_code=303)


@staff_router.post("/{announcement_id}/end")
async def end_announcement(who: Staff, services: ServicesDep, announcement_id: str) -> Response:
    assert who.account is not None
    found = await _announcement(services, announcement_id)
    await service_of(services).end_now(who.account, found.id)
    url = services.with_notice(STAFF_ANNOUNCEMENTS, N_("The announcement has ended."))
    return RedirectResponse(url, status_code=303)
