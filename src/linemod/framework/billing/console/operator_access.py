"""Who reaches the billing pages of an OA, and what they may do there.

Every route depends on `billing_oa`: the console's `web.oa` (404 unless the signed-in account is a member of
the OA; another OA's operator never learns the page exists), then 404 unless the module bills (declares
plans). Members who are not owners see the overview, the invoices and their PDFs; anything that changes
the subscription, the payment method or the billing profile depends on `billing_owner` instead, which
answers them 404 on GET (the form's page) and on POST alike: staff see no form and cannot submit one.
"""

# No `from __future__ import annotations`: FastAPI reads the dependencies' annotations at run time.

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response

from linemod.framework.billing.service import BillingService
from linemod.framework.console.access import OaAccess
from linemod.framework.console.services import ConsoleServices
from linemod.framework.console.web import Oa, PageNotFound, ServicesDep, html


@dataclass
class BillingOa:
    """One request to an OA's billing pages: the member's access, the console's services, billing."""

    access: OaAccess
    services: ConsoleServices
    billing: BillingService

    @property
    def bot_id(self) -> str:
        return self.access.tenant.bot_id

    @property
    def is_owner(self) -> bool:
        return self.access.is_owner

    @property
    def base(self) -> str:
        return f"/console/oas/{self.bot_id}/billing"

    def page(self, request: Request, template: str, status: int = 200, **values: Any) -> Response:
        """A billing page inside the OA layout."""
        context = self.services.oa_context(self.access)
        context.update(values, billing_base=self.base)
        return html(self.services, request, self.access.viewer, template, context, status)


async def billing_oa(access: Oa, services: ServicesDep) -> BillingOa:
    billing = services.runtime.billing
    if billing is None or not billing.subscriptions_enabled:
        raise PageNotFound()
    return BillingOa(access, services, billing)


async def billing_owner(oa: Annotated[BillingOa, Depends(billing_oa)]) -> BillingOa:
    if not oa.is_owner:
        raise PageNotFound()
    return oa


Member = Annotated[BillingOa, Depends(billing_oa)]
Owner = Annotated[BillingOa, Depends(billing_owner)]
