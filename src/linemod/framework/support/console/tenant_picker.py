"""Choosing one tenant on the help desk's forms and filters, whatever the number of OAs.

A `<select>` of every tenant is 10,000 options at 10,000 OAs: a page of a megabyte built from a read of the
whole table on every visit. The picker is a text field instead: staff type a bot ID, a basic ID or part of a
name; while they type, a datalist offers the first matches (`GET /provider/support/tenant-choices`), and on
submit the text is resolved to the one tenant it names, or the page says why it names none.
"""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at run time.

from fastapi import Request
from fastapi.responses import Response

from linemod.framework.console.params import BadParameter
from linemod.framework.console.services import ConsoleServices
from linemod.framework.console.web import ServicesDep, Staff, html
from linemod.framework.i18n import N_
from linemod.framework.support.console.web import Problem, problem
from linemod.framework.tenants.info import TenantInfo

PICKER_FIELDS = ("q", "tenant", "bot_id")
"""The names a picker's field has on the pages (`tenant_picker` in `support/_macros.html`)."""

CHOICES = 20
"""Matches the datalist offers; more text narrows them."""

NO_MATCH = N_("No tenant matches “%(text)s”. Type its bot ID, basic ID or part of its name.")
MANY_MATCH = N_("%(count)s tenants match “%(text)s”. Choose one of the suggestions, or type its bot ID.")


async def resolve_tenant(services: ConsoleServices, text: str) -> TenantInfo | Problem | None:
    """The tenant `text` names: its bot ID exactly, else the only tenant whose bot ID, basic ID or name contains
    it. None for empty text; a problem when it names none, or several."""
    text = text.strip()
    if not text:
        return None
    exact = await services.tenants.get(text) if len(text) <= 33 else None
    if exact is not None:
        return exact
    matches, count = await services.tenants.search(text[:100], offset=0, limit=1)
    if count == 1:
        return matches[0]
    shown = text[:40]
    return problem(NO_MATCH, text=shown) if count == 0 else problem(MANY_MATCH, count=str(count), text=shown)


async def tenant_filter(services: ConsoleServices, request: Request) -> TenantInfo | None:
    """The `tenant` filter of a list page: the tenant it names, None when empty, a 400 page when it names none
    or several."""
    resolved = await resolve_tenant(services, request.query_params.get("tenant", ""))
    if isinstance(resolved, tuple):
        raise BadParameter(resolved[0], **resolved[1])
    return resolved


async def choices(request: Request, who: Staff, services: ServicesDep) -> Response:
    """The datalist's options for what has been typed so far (an htmx fragment). htmx sends the field's value
    under the field's name."""
    text = next((v for k, v in request.query_params.items() if k in PICKER_FIELDS), "").strip()[:100]
    found, _count = await services.tenants.search(text, offset=0, limit=CHOICES) if text else ([], 0)
    return html(services, request, who, "support/staff/_tenant_choices.html", {"found": found})
