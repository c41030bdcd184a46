"""HTTP plumbing shared by the console routes: the dependencies that say who is asking, CSRF, rendering,
redirects, errors.

Nothing here knows a page. Routes declare what they need with the annotated dependencies below
(`ServicesDep`, `Who`, `Operator`, `Oa`, `Staff`, and `check_csrf` on every router); each dependency reads
the console's run-time services from `request.app.state.console` (put there by `mounting.mount()`), so a
route module holds no reference to the app or to the extension registry.
"""

# No `from __future__ import annotations`: FastAPI reads the dependencies' annotations at run time.

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup, escape

from linemod.framework.accounts.sessions import COOKIE as SESSION_COOKIE
from linemod.framework.billing.console.banners import billing_notice
from linemod.framework.console import csrf
from linemod.framework.console.access import OaAccess, Viewer
from linemod.framework.console.services import ConsoleServices, ConsoleState
from linemod.framework.i18n import LANG_COOKIE, pick_language

CONSOLE = "/console"
PROVIDER = "/provider"


class SignInRequired(Exception):
    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class PageNotFound(Exception):
    """Shown as the same 404 whether the thing does not exist or the viewer may not see it."""


def safe_next(value: str | None, default: str = CONSOLE + "/") -> str:
    """Only same-site paths: an open redirect after sign-in would make phishing links look like ours."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def redirect(request: Request, url: str) -> Response:
    """303 to `url`; for htmx requests an `HX-Redirect` instead, so the whole page changes."""
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


# ---- the dependencies ------------------------------------------------------------------------------


async def console_services(request: Request) -> ConsoleServices:
    """The services of the started runtime, from the state `mounting.mount()` set on the FastAPI app.
    (`async` although it awaits nothing: FastAPI would run a plain function in a thread.)"""
    state: ConsoleState = request.app.state.console
    return state.services()


ServicesDep = Annotated[ConsoleServices, Depends(console_services)]


async def resolve_viewer(request: Request, services: ConsoleServices) -> Viewer:
    """Who is asking: the session cookie's account (or nobody), the language, and the CSRF token bound to
    the session, else to the browser's anonymous cookie (a new one when it has none yet)."""
    signed_in = await services.sessions.resolve(request.cookies.get(SESSION_COOKIE))
    lang = pick_language(request.cookies.get(LANG_COOKIE))
    secret = services.settings.signing_secret
    if signed_in is not None:
        return Viewer(signed_in, lang, csrf.token_for(secret, "session|" + signed_in.token))
    anon = request.cookies.get(csrf.ANON_COOKIE) or ""
    new_anon = None
    if len(anon) < 32:
        anon = new_anon = csrf.new_anon_id()
    return Viewer(None, lang, csrf.token_for(secret, "anon|" + anon), new_anon)


async def viewer(request: Request, services: ServicesDep) -> Viewer:
    return await resolve_viewer(request, services)


Who = Annotated[Viewer, Depends(viewer)]


async def check_csrf(request: Request, who: Who) -> None:
    await csrf.check(request, who.csrf_token)


async def operator(request: Request, who: Who) -> Viewer:
    if who.account is None:
        raise SignInRequired(_here(request))
    return who


Operator = Annotated[Viewer, Depends(operator)]


async def oa(request: Request, bot_id: str, who: Operator, services: ServicesDep) -> OaAccess:
    assert who.account is not None
    role = await services.teams.role_of(who.account.id, bot_id)
    state: ConsoleState = request.app.state.console
    if role is None and who.account.provider_staff and state.guest_role is not None:
        # Provider staff viewing the OA with its operator's consent (the help desk's "view as operator").
        role = await state.guest_role(request, who.account, bot_id)
    tenant = await services.tenants.get(bot_id) if role else None
    if role is None or tenant is None:
        raise PageNotFound()
    return OaAccess(who, tenant, role, await billing_notice(services.runtime, bot_id))


Oa = Annotated[OaAccess, Depends(oa)]


async def staff(request: Request, who: Who) -> Viewer:
    if who.account is None:
        raise SignInRequired(_here(request))
    if not who.account.provider_staff:
        raise PageNotFound()  # an operator must not even learn that the page exists
    return who


Staff = Annotated[Viewer, Depends(staff)]


def _here(request: Request) -> str:
    path = request.url.path
    if request.method != "GET":
        return CONSOLE + "/"
    return path + (f"?{request.url.query}" if request.url.query else "")


def signin_url(next_url: str) -> str:
    return f"{CONSOLE}/signin?next={quote(next_url, safe='')}"


def html(
    services: ConsoleServices,
    request: Request,
    viewer: Viewer,
    template: str,
    values: dict[str, Any],
    status: int = 200,
) -> HTMLResponse:
    """Render a console template with what every page needs (viewer, language, CSRF token, notice)."""
    context: dict[str, Any] = {
        "request": request,
        "viewer": viewer,
        "account": viewer.account,
        "lang": viewer.lang,
        "csrf_token": viewer.csrf_token,
        "csrf_field": csrf.FIELD,
        "path": request.url.path,
        "here": quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""), safe=""),
        "query": request.url.query,
        "development": services.settings.development,
        "csrf_input": lambda: Markup(f'<input type="hidden" name="{csrf.FIELD}" value="{escape(viewer.csrf_token)}">'),
        "notice": services.notice_of(request),
        "CONSOLE": CONSOLE,
        "PROVIDER": PROVIDER,
    }
    context.update(values)
    response = HTMLResponse(services.templates.render(viewer.lang, template, context), status_code=status)
    if viewer.new_anon_id:
        response.set_cookie(
            csrf.ANON_COOKIE,
            viewer.new_anon_id,
            httponly=True,
            samesite="lax",
            secure=services.settings.secure_cookies,
            path="/",
        )
    return response
