"""HTTP plumbing shared by the console routes: who is asking (`Viewer`), CSRF, rendering, redirects, errors.

Nothing here knows a page; routes get a `Viewer` (and, under /console/oas/{bot_id}/, an `OaAccess`) from
the dependencies that `Deps` builds, and answer with `render()` or `redirect()`.
"""

# No `from __future__ import annotations`: FastAPI reads the dependency closures' annotations at run time.

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup, escape

from linemod.framework.accounts.info import OWNER, AccountInfo
from linemod.framework.accounts.sessions import COOKIE as SESSION_COOKIE
from linemod.framework.accounts.sessions import SignedIn
from linemod.framework.console import csrf
from linemod.framework.i18n import LANG_COOKIE, pick_language
from linemod.framework.tenants.store import TenantInfo

if TYPE_CHECKING:
    from linemod.framework.console.extension import Console

CONSOLE = "/console"
PROVIDER = "/provider"


class SignInRequired(Exception):
    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class PageNotFound(Exception):
    """Shown as the same 404 whether the thing does not exist or the viewer may not see it."""


@dataclass
class Viewer:
    """The person behind a console request (or nobody), their language and their CSRF token."""

    signed_in: SignedIn | None
    lang: str
    csrf_token: str
    new_anon_id: str | None = None  # a browser seen for the first time: set its anonymous CSRF cookie
    cookies: list[tuple[str, str, int | None]] = field(default_factory=list)

    @property
    def account(self) -> AccountInfo | None:
        return self.signed_in.account if self.signed_in else None


@dataclass
class OaAccess:
    """An OA the signed-in operator is a member of, with their role on it."""

    viewer: Viewer
    tenant: TenantInfo
    role: str

    @property
    def is_owner(self) -> bool:
        return self.role == OWNER


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


class Deps:
    """The FastAPI dependencies of the console routes, bound to one `Console`."""

    def __init__(self, console: "Console") -> None:
        self.console = console

        async def viewer(request: Request) -> Viewer:
            return await self.resolve(request)

        async def check_csrf(request: Request, who: Annotated[Viewer, Depends(viewer)]) -> None:
            await csrf.check(request, who.csrf_token)

        async def operator(request: Request, who: Annotated[Viewer, Depends(viewer)]) -> Viewer:
            if who.account is None:
                raise SignInRequired(_here(request))
            return who

        async def oa(bot_id: str, who: Annotated[Viewer, Depends(operator)]) -> OaAccess:
            assert who.account is not None
            services = self.console.services()
            role = await services.teams.role_of(who.account.id, bot_id)
            tenant = await services.tenants.get(bot_id) if role else None
            if role is None or tenant is None:
                raise PageNotFound()
            return OaAccess(who, tenant, role)

        async def staff(request: Request, who: Annotated[Viewer, Depends(viewer)]) -> Viewer:
            if who.account is None:
                raise SignInRequired(_here(request))
            if not who.account.provider_staff:
                raise PageNotFound()  # an operator must not even learn that the page exists
            return who

        self.viewer = viewer
        self.check_csrf = check_csrf
        self.operator = operator
        self.oa = oa
        self.staff = staff

    async def resolve(self, request: Request) -> Viewer:
        services = self.console.services()
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


def _here(request: Request) -> str:
    path = request.url.path
    if request.method != "GET":
        return CONSOLE + "/"
    return path + (f"?{request.url.query}" if request.url.query else "")


def signin_url(next_url: str) -> str:
    return f"{CONSOLE}/signin?next={quote(next_url, safe='')}"


def html(
    console: "Console", request: Request, viewer: Viewer, template: str, values: dict[str, Any], status: int = 200
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
        "development": console.services().settings.development,
        "csrf_input": lambda: Markup(f'<input type="hidden" name="{csrf.FIELD}" value="{escape(viewer.csrf_token)}">'),
        "notice": console.notice_of(request),
        "CONSOLE": CONSOLE,
        "PROVIDER": PROVIDER,
    }
    context.update(values)
    response = HTMLResponse(console.templates.render(viewer.lang, template, context), status_code=status)
    if viewer.new_anon_id:
        response.set_cookie(
            csrf.ANON_COOKIE,
            viewer.new_anon_id,
            httponly=True,
            samesite="lax",
            secure=console.services().settings.cookie_secure,
            path="/",
        )
    return response
