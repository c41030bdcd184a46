"""What the console routes use at run time: the started runtime's stores, accounts and teams, mail, templates,
signed notices, the OA layout and the module app's tenant operations.

`ConsoleState` is what `mounting.mount()` puts on `api.state.console`; the routes reach it through the
dependencies in `web.py`. It builds one `ConsoleServices` per started runtime, on first use, from the
runtime the module app hands it: the app may be started by the ASGI lifespan, by `app.start()` before
serving (tests, `linemod.testing`), or without serving at all (`linemod accounts create-staff`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from fastapi import APIRouter, Request
from itsdangerous import BadSignature, URLSafeSerializer

from linemod.framework.accounts.info import AccountInfo
from linemod.framework.accounts.mailer import Mail, Mailer, mailer_for
from linemod.framework.accounts.passwords import Passwords
from linemod.framework.accounts.rate_limit import AccountLimits
from linemod.framework.accounts.service import AccountService
from linemod.framework.accounts.sessions import SessionStore
from linemod.framework.accounts.teams import TeamService
from linemod.framework.clock import Clock
from linemod.framework.console.access import OaAccess
from linemod.framework.console.registry import ConsoleRegistry
from linemod.framework.console.templating import LAYOUT, Templates
from linemod.framework.i18n import N_
from linemod.framework.settings import Settings
from linemod.framework.storage.database import Database
from linemod.framework.tenants.info import TenantInfo
from linemod.framework.tenants.store import TenantStore

if TYPE_CHECKING:
    from linemod.framework.runtime import Runtime
    from linemod.framework.tenants.attach_flow import AttachFlow
    from linemod.framework.tenants.store import ReconcileReport


class TenantOperations(Protocol):
    """What the consoles ask of the module app (a `ModuleApp`): they start the attach flow, detach and
    reconcile through it, so that the console and the app's own API do these the same way."""

    def attach_flow(self) -> AttachFlow: ...

    async def detach(self, bot_id: str) -> None: ...

    async def sync_tenants(self, *, apply: bool = True) -> ReconcileReport: ...


class GuestRole(Protocol):
    """The role on OA `bot_id` of a signed-in account that is not on its team (None: it has none), for this
    request; e.g. provider staff viewing an OA's console with its operator's consent."""

    async def __call__(self, request: Request, account: AccountInfo, bot_id: str) -> str | None: ...


@dataclass
class ConsoleServices:
    """The per-process services behind the consoles (built once the runtime has started)."""

    runtime: Runtime
    settings: Settings
    db: Database
    clock: Clock
    tenants: TenantStore
    sessions: SessionStore
    limits: AccountLimits
    accounts: AccountService
    teams: TeamService
    mailer: Mailer
    registry: ConsoleRegistry
    operations: TenantOperations

    @classmethod
    def build(
        cls,
        runtime: Runtime,
        registry: ConsoleRegistry,
        operations: TenantOperations,
        *,
        mailer: Mailer | None = None,
        passwords: Passwords | None = None,
    ) -> ConsoleServices:
        settings = runtime.settings
        sessions = SessionStore(
            runtime.db,
            runtime.clock,
            secret=lambda: settings.signing_secret,
            max_age_seconds=settings.session_max_age_seconds,
        )
        limits = AccountLimits(runtime.db, runtime.clock, settings)
        return cls(
            runtime=runtime,
            settings=settings,
            db=runtime.db,
            clock=runtime.clock,
            tenants=runtime.tenants,
            sessions=sessions,
            limits=limits,
            accounts=AccountService(runtime.db, runtime.clock, sessions, limits, passwords or Passwords()),
            teams=TeamService(runtime.db, runtime.clock),
            mailer=mailer or mailer_for(settings, runtime.db, runtime.clock),
            registry=registry,
            operations=operations,
        )

    @property
    def templates(self) -> Templates:
        return self.registry.templates

    # ---- notices: banner messages carried in a redirect's URL -----------------------------------------

    def _notices(self) -> URLSafeSerializer:
        # Made per use, not at build: the signing secret is only required once a page needs it
        # (`linemod accounts create-staff` builds these services without one).
        return URLSafeSerializer(self.settings.signing_secret, salt="linemod-console-notice")

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

    # ---- mail -----------------------------------------------------------------------------------------

    def absolute(self, path: str) -> str:
        return self.settings.public_base_url.rstrip("/") + path

    async def send_mail(self, lang: str, to: str, template: str, subject: str, **values: Any) -> None:
        """Render `mail/{template}.txt` in `lang` and send it."""
        base = self.settings.public_base_url.rstrip("/")
        body = self.templates.render(lang, f"mail/{template}.txt", {"base_url": base, **values})
        await self.mailer.send(Mail(to, self.templates.gettext(lang, subject), body))

    # ---- the OA layout --------------------------------------------------------------------------------

    def oa_context(self, access: OaAccess) -> dict[str, Any]:
        """What the OA layout needs: the OA, the role, the navigation (built-in, extension pages, forms)."""
        base = f"/console/oas/{access.tenant.bot_id}"
        nav: list[tuple[str, str]] = [
            (base, N_("Overview")),
            (base + "/inbox", N_("Inbox")),
            (base + "/team", N_("Team")),
        ]
        if self.runtime.billing is not None and self.runtime.billing.subscriptions_enabled:
            nav.append((base + "/billing", N_("Billing and plan")))
        for page in self.registry.pages:
            if page.nav and "{" not in page.path and (access.is_owner or not page.owner_only):
                nav.append((base + page.path, page.title))
        forms = [
            (f"{base}/settings/{f.name}", f.title)
            for f in self.registry.forms.values()
            if access.is_owner or not f.owner_only
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
            "billing_notice": access.billing_notice,
        }

    def missing_scopes(self, tenant: TenantInfo) -> list[str]:
        if tenant.scopes is None:
            return []
        return sorted(set(self.settings.requested_scopes) - set(tenant.scopes))

    # ---- tenant operations ----------------------------------------------------------------------------

    def attach_flow(self) -> AttachFlow:
        return self.operations.attach_flow()

    async def owner_attached(self, tenant: TenantInfo, account_id: int) -> str:
        """The attach flow finished for a signed-in operator: they own the OA; where to send the browser."""
        await self.teams.make_owner(account_id, tenant.bot_id)
        return self.with_notice(f"/console/oas/{tenant.bot_id}", N_("The module is now attached to this OA."))


class ConsoleState:
    """What `api.state.console` holds: the registry, and the services of the started runtime."""

    def __init__(self, registry: ConsoleRegistry, runtime: Callable[[], Runtime], operations: TenantOperations) -> None:
        self.registry = registry
        self._runtime = runtime
        self._operations = operations
        self.mailer: Mailer | None = None
        """Replaces the mailer chosen from settings (SMTP or the outbox), e.g. in tests."""
        self.passwords = Passwords()
        self.routers: list[APIRouter] = []
        """The routers `mounting.mount()` served (every console route, e.g. for tests that visit them all)."""
        self._services: ConsoleServices | None = None
        self.guest_role: GuestRole | None = None
        """Who else may see an OA's pages, and as what role (the help desk's "view as operator")."""

    def services(self) -> ConsoleServices:
        """The services of the runtime started now (raises `RuntimeError` when the app is not started);
        built again when the app was stopped and started again, since the old stores are closed."""
        runtime = self._runtime()
        if self._services is None or self._services.runtime is not runtime:
            self._services = ConsoleServices.build(
                runtime, self.registry, self._operations, mailer=self.mailer, passwords=self.passwords
            )
        return self._services
