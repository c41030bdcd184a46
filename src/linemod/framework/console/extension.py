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
form/gettext) and the path's own parameters as keyword arguments, strings as typed: read an ID with
`parse_row_id` and a query's date with `cx.query_day` (they refuse what would overflow the database or the
calendar). `owner_only=True` hides a page from staff members. Titles, labels and notices are English message
IDs translated through the catalogs.

`Console` is the registry of what extensions add (`registry.ConsoleRegistry`) plus the few things a script
needs from the running consoles (`create_operator`, `services()`); the routes never see it: they read the
registry and the services from `request.app.state.console`, which `mount()` sets.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from linemod.framework.accounts.info import AccountError
from linemod.framework.accounts.mailer import Mailer
from linemod.framework.console import mounting
from linemod.framework.console.registry import ConsoleRegistry, Page, PageHandler
from linemod.framework.console.services import ConsoleServices, ConsoleState, TenantOperations
from linemod.framework.console.templating import LAYOUT
from linemod.framework.i18n import Catalogs
from linemod.framework.tenants.info import TenantInfo

if TYPE_CHECKING:
    from fastapi import FastAPI

    from linemod.framework.runtime import Runtime

__all__ = ["LAYOUT", "Console", "ConsoleServices", "Page", "PageHandler"]


class Console(ConsoleRegistry):
    """The operator and provider consoles of one `ModuleApp` (see the module docstring for extensions).

    `runtime` returns the app's started runtime (raising when it is not started) and `operations` is the
    app itself (attach flow, detach, reconciliation): the module app hands both in, so the consoles never
    reach into it.
    """

    LAYOUT = LAYOUT

    def __init__(self, catalogs: Catalogs, runtime: Callable[[], Runtime], operations: TenantOperations) -> None:
        super().__init__(catalogs)
        self.catalogs = catalogs
        self.state = ConsoleState(self, runtime, operations)
        """What the routes read from `api.state.console`: this registry and the services of the runtime."""

    @property
    def mailer(self) -> Mailer | None:
        """Replaces the mailer chosen from settings (SMTP or the outbox), e.g. in tests; set it before the
        app starts."""
        return self.state.mailer

    @mailer.setter
    def mailer(self, mailer: Mailer | None) -> None:
        self.state.mailer = mailer

    def services(self) -> ConsoleServices:
        """The services of the started app (accounts, teams, tenants, mail, ...), for scripts and tests."""
        return self.state.services()

    async def create_operator(self, email: str, password: str, bot_id: str | None = None, role: str = "owner") -> int:
        """A verified operator account (or the existing one of `email`), a member of `bot_id` with `role` when
        given; returns the account ID. For demos and scripts: people normally sign up."""
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

    async def create_staff(self, email: str, password: str) -> int:
        """A provider staff account (signs in to /provider/: tenants, billing, the help desk); returns its ID.
        For demos and scripts, as `linemod accounts create-staff` is for a shell: sign-up never makes one."""
        account = await self.services().accounts.create_staff(email, password)
        if account is None:
            raise AccountError("email_taken")
        return account.id

    async def owner_attached(self, tenant: TenantInfo, account_id: int) -> str:
        """The attach flow finished for a signed-in operator: they own the OA; where to send the browser."""
        return await self.services().owner_attached(tenant, account_id)

    def mount(self, api: FastAPI) -> None:
        """Serve both consoles from `api` (called by `ModuleApp.asgi()`)."""
        mounting.mount(api, self.state)
