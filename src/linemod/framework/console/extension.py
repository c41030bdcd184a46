"""The consoles of a module, and what an extension adds to the operator console.

`app.console` (a `Console`) serves the operator console at /console/ and the provider console at
/provider/. An extension adds pages and settings forms to the console of every OA; they appear in the OA's
navigation, render inside its layout, and only reach members of that OA:

```python
from pathlib import Path
from sqlalchemy import select
from linemod import ConsoleContext, Field, N_

here = Path(__file__).parent
app.console.add_templates(here / "templates")     # the extension's Jinja templates
app.add_translations(here / "locales")            # its locales/ja/LC_MESSAGES/messages.po

@app.console.page("/reservations", title=N_("Reservations"))
async def reservations(cx: ConsoleContext):
    rows = await cx.db.scalars(select(Reservation).where(Reservation.bot_id == cx.tenant.bot_id))
    return cx.render("reservations/list.html", {"rows": list(rows)})

@app.console.page("/reservations/{rid}", title=N_("Reservation"), nav=False, methods=("GET", "POST"))
async def reservation(cx: ConsoleContext, rid: str):
    if cx.request.method == "POST":
        form = await cx.form()                          # CSRF already checked
        ...
        return cx.redirect(cx.url("/reservations"), notice=N_("Saved."))
    return cx.render("reservations/one.html", {...})

app.console.settings_form("booking", title=N_("Booking rules"), fields=[
    Field.integer("slot_minutes", N_("Slot length (minutes)"), default=30, min=5, max=240),
    Field.boolean("same_day", N_("Accept same-day bookings"), default=True),
])
# anywhere (e.g. a webhook handler): await app.console.read_settings(ctx.db, ctx.tenant.bot_id, "booking")
```

A page template extends the OA layout and fills `content`; forms carry the CSRF token:

```jinja
{% extends console_layout %}
{% block content %}
<h1>{{ _("Reservations") }}</h1>
<form method="post">{{ csrf_input() }} ... </form>
{% endblock %}
```

Pages are served at /console/oas/{bot_id}{path} (GET only unless `methods` says otherwise); the handler
gets a `ConsoleContext` (tenant already authorized, role, db session in a transaction, render/redirect/url/
form/gettext) and the path's own parameters as keyword arguments. `owner_only=True` hides a page from staff
members. Titles, labels and notices are English message IDs translated through the catalogs.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.accounts.mailer import Mail, Mailer, mailer_for
from linemod.framework.accounts.passwords import Passwords
from linemod.framework.accounts.rate_limit import SigninLimiter
from linemod.framework.accounts.service import AccountService
from linemod.framework.accounts.sessions import SessionStore
from linemod.framework.accounts.teams import TeamService
from linemod.framework.clock import Clock
from linemod.framework.console.settings_forms import Field, SettingsForm, read_settings
from linemod.framework.console.templating import Templates
from linemod.framework.console.web import OaAccess
from linemod.framework.i18n import N_
from linemod.framework.settings import Settings
from linemod.framework.storage.database import Database
from linemod.framework.tenants.store import TenantInfo, TenantStore

if TYPE_CHECKING:
    from fastapi import FastAPI

    from linemod.framework.app import ModuleApp
    from linemod.framework.console.context import ConsoleContext
    from linemod.framework.runtime import Runtime

PageHandler = Callable[..., Awaitable[Any]]
LAYOUT = "console/oa_layout.html"
"""The template extension pages extend (also given to templates as `console_layout`)."""
RESERVED = {"team", "settings", "reauthorize", "invite"}


@dataclass(frozen=True)
class Page:
    path: str
    title: str
    handler: PageHandler
    nav: bool = True
    methods: tuple[str, ...] = ("GET",)
    owner_only: bool = False


@dataclass
class ConsoleServices:
    """The per-process services behind the consoles (built once the runtime has started)."""

    runtime: Runtime
    settings: Settings
    db: Database
    clock: Clock
    tenants: TenantStore
    sessions: SessionStore
    limiter: SigninLimiter
    accounts: AccountService
    teams: TeamService
    mailer: Mailer


class Console:
    """The operator and provider consoles of one `ModuleApp` (see the module docstring for extensions)."""

    LAYOUT = LAYOUT

    def __init__(self, app: ModuleApp) -> None:
        self.app = app
        self.pages: list[Page] = []
        self.forms: dict[str, SettingsForm] = {}
        self.catalogs = app.catalogs
        self.templates = Templates(self.catalogs)
        self.mailer: Mailer | None = None
        """Replaces the mailer chosen from settings (SMTP or the outbox), e.g. in tests."""
        self.passwords = Passwords()
        self._services: ConsoleServices | None = None
        self.routers: list[APIRouter] = []
        """The routers `mount()` served (every console route, e.g. for tests that visit them all)."""

    # ---- the extension API ----------------------------------------------------------------------------

    def page(
        self,
        path: str,
        *,
        title: str,
        nav: bool = True,
        methods: Sequence[str] = ("GET",),
        owner_only: bool = False,
    ) -> Callable[[PageHandler], PageHandler]:
        """Add a page at /console/oas/{bot_id}{path}; `handler(cx: ConsoleContext, **path_params)` returns a
        response (usually `cx.render(...)`). `nav` lists it in the OA's navigation under `title`."""
        if not re.fullmatch(r"(/[A-Za-z0-9_\-{}.]+)+", path):
            raise ValueError(f"a console page path looks like /name or /name/{{param}}, not {path!r}")
        if path.split("/")[1] in RESERVED:
            raise ValueError(f"{path!r} is taken by the console itself ({', '.join(sorted(RESERVED))})")

        def decorator(handler: PageHandler) -> PageHandler:
            self.pages.append(Page(path, title, handler, nav, tuple(m.upper() for m in methods), owner_only))
            return handler

        return decorator

    def settings_form(
        self,
        name: str,
        *,
        title: str,
        fields: Iterable[Field],
        description: str | None = None,
        owner_only: bool = True,
    ) -> SettingsForm:
        """Add a settings form at /console/oas/{bot_id}/settings/{name}, listed under "Settings"."""
        if not re.fullmatch(r"[a-z0-9_\-]+", name) or name in self.forms:
            raise ValueError(f"settings form names are unique lower-case slugs: {name!r}")
        form = SettingsForm(name, title, tuple(fields), description, owner_only)
        self.forms[name] = form
        return form

    async def read_settings(self, session: AsyncSession, bot_id: str, name: str) -> dict[str, Any]:
        """The values of settings form `name` for an OA (defaults for what was never saved)."""
        return await read_settings(session, bot_id, self.forms[name])

    def add_templates(self, directory: str | Path) -> None:
        """Make the templates in `directory` available to `render` (searched before the framework's)."""
        self.templates.add_directory(directory)

    async def create_operator(self, email: str, password: str, bot_id: str | None = None, role: str = "owner") -> int:
        """A verified operator account (or the existing one of `email`), a member of `bot_id` with `role` when
        given; returns the account ID. For demos and scripts: people normally sign up."""
        from linemod.framework.accounts.info import AccountError

        services = self.services()
        done = await services.accounts.sign_up(email, password, verified=True)
        account = done.account or done.existing
        if account is None:
            raise AccountError("email_taken")
        if bot_id is not None:
            if role == "owner":
                await services.teams.make_owner(account.id, bot_id)
            elif await services.teams.role_of(account.id, bot_id) is None:
                token = await services.teams.invite(bot_id, account.email, role, account.id)
                await services.teams.accept(token, account)
        return account.id

    # ---- framework side -------------------------------------------------------------------------------

    def services(self) -> ConsoleServices:
        runtime = self.app._require()
        if self._services is None or self._services.runtime is not runtime:
            settings = runtime.settings
            sessions = SessionStore(
                runtime.db,
                runtime.clock,
                secret=lambda: settings.signing_secret,
                max_age_seconds=settings.session_max_age_seconds,
            )
            limiter = SigninLimiter(
                runtime.db,
                runtime.clock,
                max_failures=settings.signin_max_failures,
                window_seconds=settings.signin_window_seconds,
            )
            self._services = ConsoleServices(
                runtime=runtime,
                settings=settings,
                db=runtime.db,
                clock=runtime.clock,
                tenants=runtime.tenants,
                sessions=sessions,
                limiter=limiter,
                accounts=AccountService(runtime.db, runtime.clock, sessions, limiter, self.passwords),
                teams=TeamService(runtime.db, runtime.clock),
                mailer=self.mailer or mailer_for(settings, runtime.db, runtime.clock),
            )
        return self._services

    def _notices(self) -> URLSafeSerializer:
        return URLSafeSerializer(self.app.settings.signing_secret, salt="linemod-console-notice")

    def with_notice(self, url: str, message: str) -> str:
        """`url` carrying a banner message (signed, so a crafted link cannot put words on our pages)."""
        return f"{url}{'&' if '?' in url else '?'}notice={self._notices().dumps(message)}"

    def notice_of(self, request: Request) -> str | None:
        value = request.query_params.get("notice")
        if not value:
            return None
        try:
            message = self._notices().loads(value)
        except BadSignature:
            return None
        return message if isinstance(message, str) else None

    async def send_mail(self, lang: str, to: str, template: str, subject: str, **values: Any) -> None:
        """Render `mail/{template}.txt` in `lang` and send it."""
        services = self.services()
        body = self.templates.render(lang, f"mail/{template}.txt", {"base_url": _base(services.settings), **values})
        await services.mailer.send(Mail(to, self.templates.gettext(lang, subject), body))

    def absolute(self, path: str) -> str:
        return _base(self.app.settings) + path

    def oa_context(self, access: OaAccess, request: Request) -> dict[str, Any]:
        """What the OA layout needs: the OA, the role, the navigation (built-in, extension pages, forms)."""
        base = f"/console/oas/{access.tenant.bot_id}"
        nav: list[tuple[str, str]] = [(base, N_("Overview")), (base + "/team", N_("Team"))]
        for page in self.pages:
            if page.nav and "{" not in page.path and (access.is_owner or not page.owner_only):
                nav.append((base + page.path, page.title))
        forms = [
            (f"{base}/settings/{f.name}", f.title) for f in self.forms.values() if access.is_owner or not f.owner_only
        ]
        return {
            "tenant": access.tenant,
            "role": access.role,
            "is_owner": access.is_owner,
            "oa_base": base,
            "oa_nav": nav,
            "oa_forms": forms,
            "console_layout": LAYOUT,
            "missing_scopes": self.missing_scopes(access.tenant),
        }

    def missing_scopes(self, tenant: TenantInfo) -> list[str]:
        if tenant.scopes is None:
            return []
        return sorted(set(self.app.settings.requested_scopes) - set(tenant.scopes))

    async def owner_attached(self, tenant: TenantInfo, account_id: int) -> str:
        """The attach flow finished for a signed-in operator: they own the OA; where to send the browser."""
        await self.services().teams.make_owner(account_id, tenant.bot_id)
        return self.with_notice(f"/console/oas/{tenant.bot_id}", N_("The module is now attached to this OA."))

    def mount(self, api: FastAPI) -> None:
        """Serve both consoles from `api` (called by `ModuleApp.asgi()`)."""
        from linemod.framework.console.mounting import mount

        mount(self, api)

    def context_for(self, request: Request, access: OaAccess, session: AsyncSession) -> ConsoleContext:
        from linemod.framework.console.context import ConsoleContext

        return ConsoleContext(self, request, access, session, self.services().runtime.scheduler)


def _base(settings: Settings) -> str:
    return settings.public_base_url.rstrip("/")
