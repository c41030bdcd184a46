"""Signing up, verifying the email, signing in and out, passwords, the language switch, the dev outbox."""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at run time.

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup, escape

from linemod.framework.accounts.info import AccountError
from linemod.framework.accounts.mailer import OutboxMailer
from linemod.framework.accounts.sessions import COOKIE as SESSION_COOKIE
from linemod.framework.console import messages
from linemod.framework.console.params import parse_row_id
from linemod.framework.console.services import ConsoleServices
from linemod.framework.console.web import (
    CONSOLE,
    PROVIDER,
    Operator,
    PageNotFound,
    ServicesDep,
    Viewer,
    Who,
    check_csrf,
    client_ip,
    html,
    safe_next,
)
from linemod.framework.i18n import LANG_COOKIE, LANGUAGES, N_
from linemod.framework.settings import Settings

URL = re.compile(r"https?://[^\s<>\"']+")

router = APIRouter(prefix=CONSOLE, dependencies=[Depends(check_csrf)], include_in_schema=False)


def set_session_cookie(settings: Settings, response: Response, value: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=settings.session_max_age_seconds,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )


def page(
    services: ConsoleServices, request: Request, who: Viewer, template: str, status: int = 200, **values: object
) -> Response:
    return html(services, request, who, template, dict(values), status)


async def send_verification(services: ConsoleServices, lang: str, account_id: int, email: str) -> None:
    token = await services.accounts.issue_token(account_id, "verify")
    url = services.absolute(f"{CONSOLE}/verify/{token}")
    await services.send_mail(lang, email, "verify", N_("Confirm your email address"), url=url)


# ---- sign-up and verification ---------------------------------------------------------------------


@router.get("/signup")
async def signup_form(request: Request, who: Who, services: ServicesDep) -> Response:
    return page(services, request, who, "console/signup.html", email="")


@router.post("/signup")
async def signup(
    request: Request,
    who: Who,
    services: ServicesDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    try:
        done = await services.accounts.sign_up(email, password)
    except AccountError as refused:
        return page(
            services, request, who, "console/signup.html", 400, email=email, error=messages.error_message(refused.code)
        )
    if done.account is not None:
        await send_verification(services, who.lang, done.account.id, done.account.email)
    elif done.existing is not None and await services.limits.allow_mail(email, client_ip(request)):
        # tell the address's owner, not the browser (no account enumeration); counted like a reset request,
        # or signing up again and again with a taken address would mail its owner without end
        await services.send_mail(
            who.lang,
            done.existing.email,
            "already",
            N_("You already have an account"),
            url=services.absolute(f"{CONSOLE}/signin"),
        )
    return page(services, request, who, "console/sent.html", kind="signup", email=email.strip().lower())


@router.get("/verify/{token}")
async def verify(request: Request, who: Who, services: ServicesDep, token: str) -> Response:
    account = await services.accounts.verify_email(token)
    if account is None:
        return page(services, request, who, "console/message.html", 400, kind="link_invalid")
    return page(services, request, who, "console/message.html", kind="verified")


@router.post("/verify/resend")
async def resend(request: Request, who: Who, services: ServicesDep, email: Annotated[str, Form()] = "") -> Response:
    # each request counts, before the mail is sent: the form must not become a mail cannon
    if await services.limits.allow_mail(email, client_ip(request)):
        try:
            account = await services.accounts.by_email(email)
        except AccountError:
            account = None
        if account is not None and not account.email_verified:
            await send_verification(services, who.lang, account.id, account.email)
    return page(services, request, who, "console/sent.html", kind="signup", email=email.strip().lower())


# ---- signing in and out ---------------------------------------------------------------------------


@router.get("/signin")
async def signin_form(request: Request, who: Who, services: ServicesDep) -> Response:
    next_url = safe_next(request.query_params.get("next"), "")
    return page(services, request, who, "console/signin.html", email="", next=next_url)


@router.post("/signin")
async def signin(
    request: Request,
    who: Who,
    services: ServicesDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    try:
        account = await services.accounts.authenticate(email, password, client_ip(request))
    except AccountError as refused:
        status = {"rate_limited": 429, "unverified": 403}.get(refused.code, 400)
        return page(
            services,
            request,
            who,
            "console/signin.html",
            status,
            email=email,
            next=safe_next(next, ""),
            error=messages.error_message(refused.code),
            unverified=refused.code == "unverified",
        )
    cookie = await services.sessions.create(
        account.id, ip=client_ip(request), user_agent=request.headers.get("user-agent")
    )
    home = PROVIDER + "/" if account.provider_staff else CONSOLE + "/"
    response = RedirectResponse(safe_next(next, home), status_code=303)
    set_session_cookie(services.settings, response, cookie)
    return response


@router.post("/signout")
async def signout(who: Who, services: ServicesDep) -> Response:
    if who.signed_in is not None:
        await services.sessions.revoke(who.signed_in.id_hash)
    response = RedirectResponse(services.with_notice(f"{CONSOLE}/signin", messages.SIGNED_OUT), status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# ---- passwords ------------------------------------------------------------------------------------


@router.get("/password/forgot")
async def forgot_form(request: Request, who: Who, services: ServicesDep) -> Response:
    return page(services, request, who, "console/forgot.html", email="")


@router.post("/password/forgot")
async def forgot(request: Request, who: Who, services: ServicesDep, email: Annotated[str, Form()] = "") -> Response:
    # the same page whether a mail went out, the email has no account or a limit was reached
    if await services.limits.allow_mail(email, client_ip(request)):
        found = await services.accounts.request_password_reset(email)
        if found is not None:
            account, token = found
            url = services.absolute(f"{CONSOLE}/password/reset/{token}")
            await services.send_mail(who.lang, account.email, "reset", N_("Reset your password"), url=url)
    return page(services, request, who, "console/sent.html", kind="reset", email=email.strip().lower())


@router.get("/password/reset/{token}")
async def reset_form(request: Request, who: Who, services: ServicesDep, token: str) -> Response:
    if not await services.accounts.token_is_valid(token, "reset"):
        return page(services, request, who, "console/message.html", 400, kind="link_invalid")
    return page(services, request, who, "console/reset.html", token=token)


@router.post("/password/reset/{token}")
async def reset(
    request: Request, who: Who, services: ServicesDep, token: str, password: Annotated[str, Form()] = ""
) -> Response:
    try:
        account = await services.accounts.reset_password(token, password)
    except AccountError as refused:
        return page(
            services, request, who, "console/reset.html", 400, token=token, error=messages.error_message(refused.code)
        )
    if account is None:
        return page(services, request, who, "console/message.html", 400, kind="link_invalid")
    response = page(services, request, who, "console/message.html", kind="password_reset")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/account")
async def account_page(request: Request, who: Operator, services: ServicesDep) -> Response:
    return page(services, request, who, "console/account.html")


@router.post("/account/password")
async def change_password(
    request: Request,
    who: Operator,
    services: ServicesDep,
    current: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    assert who.account is not None
    try:
        await services.accounts.change_password(who.account.id, current, password)
    except AccountError as refused:
        return page(services, request, who, "console/account.html", 400, error=messages.error_message(refused.code))
    cookie = await services.sessions.create(
        who.account.id, ip=client_ip(request), user_agent=request.headers.get("user-agent")
    )
    response = RedirectResponse(services.with_notice(f"{CONSOLE}/account", messages.PASSWORD_CHANGED), status_code=303)
    set_session_cookie(services.settings, response, cookie)
    return response


# ---- language and the development outbox ---------------------------------------------------------


@router.get("/lang/{lang}")
async def switch_language(request: Request, lang: str) -> Response:
    if lang not in LANGUAGES:
        raise PageNotFound()
    response = RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax", path="/")
    return response


def outbox(services: ConsoleServices) -> OutboxMailer:
    if not services.settings.development or not isinstance(services.mailer, OutboxMailer):
        raise PageNotFound()
    return services.mailer


@router.get("/outbox")
async def outbox_list(request: Request, who: Who, services: ServicesDep) -> Response:
    return page(services, request, who, "console/outbox.html", mails=await outbox(services).list())


@router.get("/outbox/{mail_id}")
async def outbox_mail(request: Request, who: Who, services: ServicesDep, mail_id: str) -> Response:
    number = parse_row_id(mail_id)
    mail = await outbox(services).get(number) if number is not None else None
    if mail is None:
        raise PageNotFound()
    body = URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', str(escape(mail.body)))
    return page(services, request, who, "console/outbox_mail.html", mail=mail, body=Markup(body))
