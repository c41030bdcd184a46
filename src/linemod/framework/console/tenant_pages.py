"""A page of tenants with a search: how every console lists OAs, so that a provider with 10,000 of them gets
a page that renders in the same time as one with ten."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.requests import Request

from linemod.framework.console.params import BadParameter
from linemod.framework.i18n import N_
from linemod.framework.tenants.info import TenantInfo
from linemod.framework.tenants.store import TenantStore

PER_PAGE = 50
MAX_PAGE = 10_000
MAX_SEARCH = 100


@dataclass(frozen=True)
class TenantPage:
    tenants: list[TenantInfo]
    total: int
    page: int
    query: str

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PER_PAGE))

    @property
    def first(self) -> int:
        return (self.page - 1) * PER_PAGE + 1 if self.tenants else 0

    @property
    def last(self) -> int:
        return (self.page - 1) * PER_PAGE + len(self.tenants)

    def link(self, page: int) -> str:
        """The query string of another page of the same search."""
        return "?" + urlencode({**({"q": self.query} if self.query else {}), "page": page})


async def tenant_page(request: Request, tenants: TenantStore) -> TenantPage:
    """The page (`page`, from 1) of the tenants matching the search `q` (name, basic ID or bot ID)."""
    query = request.query_params.get("q", "").strip()[:MAX_SEARCH]
    text = request.query_params.get("page", "1").strip() or "1"
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        raise BadParameter(N_("The page number must be between 1 and %(max)s."), max=str(MAX_PAGE))
    page = int(text)
    rows, total = await tenants.search(query, offset=(page - 1) * PER_PAGE, limit=PER_PAGE)
    return TenantPage(rows, total, page, query)
