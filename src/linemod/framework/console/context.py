"""What an extension's console page handler receives."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.accounts.info import AccountInfo
from linemod.framework.console import messages
from linemod.framework.console.access import OaAccess
from linemod.framework.console.params import EARLIEST_DAY, LATEST_DAY, BadParameter, parse_day
from linemod.framework.console.services import ConsoleServices
from linemod.framework.console.web import html, redirect
from linemod.framework.context import Work
from linemod.framework.tenants.info import TenantInfo


class ConsoleContext(Work):
    """One request to an extension page of one OA.

    `tenant` is an OA the signed-in `account` is a member of (checked before the handler runs), in any
    state: show `tenant.state` ("suspended": the OA is unavailable, keep its data but do not act on it).
    `db` is a session inside a transaction committed when the handler returns (rolled back if it raises);
    scope every query by `tenant.bot_id`. `cx.schedule()` / `cx.cancel()` join that transaction, and
    `cx.lang` is the viewer's language.
    """

    def __init__(self, services: ConsoleServices, request: Request, access: OaAccess, db: AsyncSession) -> None:
        super().__init__(
            db=db,
            clock=services.clock,
            catalogs=services.templates.catalogs,
            scheduler=services.runtime.scheduler,
            bot_id=access.tenant.bot_id,
            billing=services.runtime.billing,
        )
        self._services = services
        self.request = request
        self.access = access
        self.lang = access.viewer.lang

    @property
    def account(self) -> AccountInfo:
        account = self.access.viewer.account
        assert account is not None
        return account

    @property
    def tenant(self) -> TenantInfo:
        return self.access.tenant

    @property
    def role(self) -> str:
        return self.access.role

    @property
    def is_owner(self) -> bool:
        return self.access.is_owner

    @property
    def csrf_token(self) -> str:
        return self.access.viewer.csrf_token

    def url(self, path: str = "") -> str:
        """The console URL of `path` under this OA, e.g. `cx.url("/reservations")`."""
        return f"/console/oas/{self.tenant.bot_id}{path}"

    def query_day(self, name: str, default: date) -> date:
        """Query parameter `name` as a date written YYYY-MM-DD (`default` when absent or empty). Any other
        text, or a date before `EARLIEST_DAY` or after `LATEST_DAY`, raises `BadParameter`: a 400 page."""
        text = self.request.query_params.get(name, "").strip()
        if not text:
            return default
        day = parse_day(text)
        if day is None:
            earliest, latest = EARLIEST_DAY.isoformat(), LATEST_DAY.isoformat()
            raise BadParameter(messages.BAD_DAY, value=text[:40], earliest=earliest, latest=latest)
        return day

    async def form(self) -> dict[str, str]:
        """The submitted form (last value per field; the CSRF field removed)."""
        form = await self.request.form()
        return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}

    def render(self, template: str, values: dict[str, Any] | None = None, *, status: int = 200) -> HTMLResponse:
        """Render `template` (which should `{% extends console_layout %}`) inside the OA's console layout."""
        context = self._services.oa_context(self.access)
        context.update(values or {})
        return html(self._services, self.request, self.access.viewer, template, context, status)

    def redirect(self, url: str, *, notice: str | None = None) -> Response:
        """A 303 (or an htmx redirect) to `url`; `notice` is a message ID shown as a banner there."""
        return redirect(self.request, self._services.with_notice(url, notice) if notice else url)
