"""Every route of the operator's billing pages, as one router for `console/mounting.py`."""

from __future__ import annotations

from fastapi import APIRouter

from linemod.framework.billing.console import (
    data_export,
    operator_changes,
    operator_coupon,
    operator_pages,
    operator_payment,
)

router = APIRouter(include_in_schema=False)
for part in (operator_pages, operator_payment, operator_changes, operator_coupon, data_export):
    # The routes themselves, not the routers: tests walk `router.routes` to visit every console URL.
    router.routes.extend(part.router.routes)
