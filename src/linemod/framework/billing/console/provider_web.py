"""What the provider's billing pages share: their routers' prefix and dependencies, rendering, and reading
what staff typed (yen, tax rates, dates, the form's one-time key) into values or a 400 page.

Every route takes `Staff` (an operator gets the same 404 as for a page that does not exist) and the
routers check CSRF on every POST (`check_csrf`). `CollectionDep` is the engine: without an invoice issuer
configured there is no billing to show: the dashboard says so and how to configure it, the other pages
answer 404 like any page that does not exist.
"""

# No `from __future__ import annotations`: FastAPI reads the dependencies' annotations at run time.

import re
import secrets
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response

from linemod.framework.billing.audit_log import staff_actor
from linemod.framework.billing.collection_service import CollectionService
from linemod.framework.console.access import Viewer
from linemod.framework.console.params import BadParameter, parse_day
from linemod.framework.console.services import ConsoleServices
from linemod.framework.console.web import PROVIDER, PageNotFound, ServicesDep, html
from linemod.framework.i18n import N_

BILLING = PROVIDER + "/billing"
TEMPLATE_DIR = Path(__file__).parent / "templates"
MAX_YEN = 10**12  # a trillion yen: far above any invoice, far below the 64-bit columns
_REQUEST_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


async def optional_collection(services: ServicesDep) -> CollectionService | None:
    billing = services.runtime.billing
    return billing.collection if billing is not None else None


async def collection_service(services: ServicesDep) -> CollectionService:
    collection = await optional_collection(services)
    if collection is None:
        raise PageNotFound()
    return collection


CollectionDep = Annotated[CollectionService, Depends(collection_service)]
MaybeCollection = Annotated[CollectionService | None, Depends(optional_collection)]


def page(
    services: ConsoleServices, request: Request, who: Viewer, template: str, status: int = 200, **values: Any
) -> Response:
    values.setdefault("BILLING", BILLING)
    return html(services, request, who, template, values, status)


def actor_of(who: Viewer) -> str:
    assert who.account is not None  # `Staff` let only a signed-in staff member through
    return staff_actor(who.account.email)


def new_request_key() -> str:
    """A form's one-time key (see `audit_log`): a form sent twice is done once."""
    return secrets.token_urlsafe(18)


def request_key(value: str | None) -> str:
    if not value or not _REQUEST_KEY.fullmatch(value):
        raise BadParameter(N_("This form is missing its key. Reload the page and send it again."))
    return value


def parse_yen(value: str | None, what: str, *, allow_zero: bool = False) -> int:
    """Whole yen as staff type them ("5000", "5,000", "¥5,000"): a 400 page saying so otherwise."""
    text = (value or "").strip().replace(",", "").replace("¥", "").replace("￥", "").replace("円", "")
    if not re.fullmatch(r"[0-9]{1,13}", text):
        raise BadParameter(N_("%(field)s must be a whole number of yen, such as 5000."), field=what)
    amount = int(text)
    if amount > MAX_YEN or (amount == 0 and not allow_zero):
        raise BadParameter(N_("%(field)s must be between 1 and 1,000,000,000,000 yen."), field=what)
    return amount


def parse_rate(value: str | None) -> int:
    if value not in ("10", "8"):
        raise BadParameter(N_("The tax rate is either 10 or 8 (percent)."))
    return int(value)


def parse_date_field(value: str | None, what: str) -> date:
    day = parse_day((value or "").strip())
    if day is None:
        raise BadParameter(N_("%(field)s must be a date written YYYY-MM-DD, such as 2026-09-30."), field=what)
    return day


def parse_month(value: str | None, default: date) -> date:
    """A month written YYYY-MM (its first day); `default` when not given."""
    if not value:
        return date(default.year, default.month, 1)
    found = _MONTH.fullmatch(value.strip())
    if found is None or not 1 <= int(found.group(2)) <= 12 or not 1900 <= int(found.group(1)) <= 2999:
        raise BadParameter(N_("The month must be written YYYY-MM, such as 2026-09."))
    return date(int(found.group(1)), int(found.group(2)), 1)


def text_field(value: str | None, what: str, *, required: bool = True, limit: int = 200) -> str:
    text = (value or "").strip()
    if required and not text:
        raise BadParameter(N_("%(field)s is required."), field=what)
    if len(text) > limit:
        raise BadParameter(N_("%(field)s is too long (at most %(limit)s characters)."), field=what, limit=str(limit))
    return text
