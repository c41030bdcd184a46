"""An OA's team: members and invitations (owners manage them), and accepting an invitation by its link."""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at run time.

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from linemod.framework.accounts.info import AccountError
from linemod.framework.console import messages
from linemod.framework.console.params import parse_row_id
from linemod.framework.console.routes_auth import set_session_cookie
from linemod.framework.console.services import ConsoleServices
from linemod.framework.console.web import (
    CONSOLE,
    Oa,
    OaAccess,
    PageNotFound,
    ServicesDep,
    Who,
    check_csrf,
    client_ip,
    html,
    redirect,
)
from linemod.framework.i18n import N_

router = APIRouter(prefix=CONSOLE, dependencies=[Depends(check_csrf)], include_in_schema=False)


async def team_page(
    services: ConsoleServices, request: Request, access: OaAccess, status: int = 200, **values: Any
) -> Response:
    teams = services.teams
    context = services.oa_context(access)
    context.update(
        members=await teams.members(access.tenant.bot_id),
        invitations=await teams.pending(access.tenant.bot_id) if access.is_owner else [],
        roles=("staff", "owner"),
        invite_email="",
        invite_role="staff",
    )
    context.update(values)
    return html(services, request, access.viewer, "console/team.html", context, status)


def owner(access: OaAccess) -> None:
    if not access.is_owner:
        raise PageNotFound()


def back(services: ConsoleServices, access: OaAccess, request: Request, notice: str) -> Response:
    return redirect(request, services.with_notice(f"{CONSOLE}/oas/{access.tenant.bot_id}/team", notice))


@router.get("/oas/{bot_id}/team")
async def team(request: Request, access: Oa, services: ServicesDep) -> Response:
    return await team_page(services, request, access)


@router.post("/oas/{bot_id}/team/invite")
async def invite(
    request: Request,
    access: Oa,
    services: ServicesDep,
    email: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "staff",
) -> Response:
    owner(access)
    assert access.viewer.account is not None
    try:
        token = await services.teams.invite(access.tenant.bot_id, email, role, access.viewer.account.id)
    except AccountError as refused:
        return await team_page(
            services,
            request,
            access,
            400,
            error=messages.error_message(refused.code),
            invite_email=email,
            invite_role=role,
        )
    tenant = access.tenant
    await services.send_mail(
        access.viewer.lang,
        email.strip().lower(),
        "invite",
        N_("You are invited to a LINE Official Account's console"),
        url=services.absolute(f"{CONSOLE}/invitations/{token}"),
        oa_name=tenant.label,
        inviter=access.viewer.account.email,
        role=role,
    )
    return back(services, access, request, messages.INVITED)


@router.post("/oas/{bot_id}/team/remove")
async def remove(
    request: Request, access: Oa, services: ServicesDep, account_id: Annotated[str, Form()] = ""
) -> Response:
    owner(access)
    member = parse_row_id(account_id)  # None: no account has it, so it is on no team either
    try:
        if member is not None:
            await services.teams.remove(access.tenant.bot_id, member)
    except AccountError as refused:
        return await team_page(services, request, access, 400, error=messages.error_message(refused.code))
    return back(services, access, request, messages.MEMBER_REMOVED)


@router.post("/oas/{bot_id}/team/withdraw")
async def withdraw(request: Request, access: Oa, services: ServicesDep, invitation: Annotated[str, Form()]) -> Response:
    owner(access)
    await services.teams.revoke(access.tenant.bot_id, invitation)
    return back(services, access, request, messages.INVITATION_WITHDRAWN)


# ---- the invitee's side ---------------------------------------------------------------------------


@router.get("/invitations/{token}")
async def invitation(request: Request, who: Who, services: ServicesDep, token: str) -> Response:
    found = await services.teams.find(token)
    if found is None:
        return html(services, request, who, "console/message.html", {"kind": "invitation_invalid"}, 400)
    return html(services, request, who, "console/invitation.html", {"invitation": found, "token": token})


@router.post("/invitations/{token}/accept")
async def accept(request: Request, who: Who, services: ServicesDep, token: str) -> Response:
    if who.account is None:
        raise PageNotFound()
    try:
        bot_id = await services.teams.accept(token, who.account)
    except AccountError as refused:
        found = await services.teams.find(token)
        values = {"invitation": found, "token": token, "error": messages.error_message(refused.code)}
        return html(services, request, who, "console/invitation.html", values, 400)
    return RedirectResponse(services.with_notice(f"{CONSOLE}/oas/{bot_id}", messages.JOINED), status_code=303)


@router.post("/invitations/{token}/signup")
async def signup_and_accept(
    request: Request, who: Who, services: ServicesDep, token: str, password: Annotated[str, Form()] = ""
) -> Response:
    """A new colleague signs up from the invitation: the link proved the address, so no verification."""
    found = await services.teams.find(token)
    if found is None:
        return html(services, request, who, "console/message.html", {"kind": "invitation_invalid"}, 400)
    try:
        done = await services.accounts.sign_up(found.email, password, verified=True)
        if done.account is None:
            raise AccountError("email_taken")
        bot_id = await services.teams.accept(token, done.account)
    except AccountError as refused:
        values = {"invitation": found, "token": token, "error": messages.error_message(refused.code)}
        return html(services, request, who, "console/invitation.html", values, 400)
    cookie = await services.sessions.create(
        done.account.id, ip=client_ip(request), user_agent=request.headers.get("user-agent")
    )
    response = RedirectResponse(services.with_notice(f"{CONSOLE}/oas/{bot_id}", messages.JOINED), status_code=303)
    set_session_cookie(services.settings, response, cookie)
    return response
