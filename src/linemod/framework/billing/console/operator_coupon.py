"""An owner redeems a coupon code the provider gave them (a campaign, a sales promise): the code the module
declares in its catalog or one staff created in the provider console, from the next charged period on.

A redeemed coupon replaces the one the subscription had, so the page shows the current one and says so
before the owner confirms. Codes are short and guessable by enumeration, so every try counts against
limits per account and per OA before the code is looked up (`AttemptCounters`: atomic, shared with the
sign-in limits); a code that works gives its try back. Staff members get 404 (`operator_access.Owner`).
"""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at run time.

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from linemod.framework.accounts.rate_limit import Limit
from linemod.framework.billing.changes import BillingStateError
from linemod.framework.billing.console.operator_access import BillingOa, Owner
from linemod.framework.billing.console.operator_view import COUPON_STATES
from linemod.framework.billing.records import BillingSubscriptionRow
from linemod.framework.console.web import CONSOLE, check_csrf
from linemod.framework.i18n import N_

router = APIRouter(prefix=CONSOLE, dependencies=[Depends(check_csrf)], include_in_schema=False)

# Ten tries an hour is plenty for a person typing a code from a mail, and makes guessing a code hopeless.
PER_ACCOUNT = Limit("coupon-account", max_attempts=10, window_seconds=3600)
PER_OA = Limit("coupon-oa", max_attempts=10, window_seconds=3600)
MAX_CODE = 64

NO_CODE = N_("Enter the coupon code.")
UNKNOWN_CODE = N_("This coupon code cannot be used: check it, or ask the provider for a valid one.")
TOO_MANY = N_("Too many codes were tried. Try again in an hour.")
NOT_NOW = N_("A coupon cannot be used while the subscription is in this state.")
REDEEMED = N_("The coupon was applied: it discounts the next charged period on.")


async def _page(request: Request, oa: BillingOa, status: int = 200, *, code: str = "", error: str | None = None
                ) -> Response:
    async with oa.services.db.session() as session:
        sub = await session.get(BillingSubscriptionRow, oa.bot_id)
    current = oa.billing.lifecycle.active_coupon(sub) if sub is not None else None
    remaining = sub.coupon_remaining if current is not None and sub is not None else None
    can_redeem = sub is not None and sub.status in COUPON_STATES
    return oa.page(request, "billing/operator/coupon.html", status, current=current, remaining=remaining,
                   can_redeem=can_redeem, code=code, error=error)


@router.get("/oas/{bot_id}/billing/coupon")
async def coupon_page(request: Request, oa: Owner) -> Response:
    return await _page(request, oa)


@router.post("/oas/{bot_id}/billing/coupon")
async def redeem(request: Request, oa: Owner) -> Response:
    form = await request.form()
    value = form.get("code")
    typed = value.strip()[:MAX_CODE] if isinstance(value, str) else ""
    code = typed.lower()  # catalog codes are lower-case; people copy them from mails in either case
    if not code:
        return await _page(request, oa, 400, error=NO_CODE)
    account = oa.access.viewer.account
    assert account is not None  # `Owner` let only a signed-in owner through
    counters = oa.services.limits.counters
    counted = await counters.count([(PER_ACCOUNT, str(account.id)), (PER_OA, oa.bot_id)])
    if counted is None:
        return await _page(request, oa, 429, code=typed, error=TOO_MANY)
    async with oa.services.db.transaction() as session:
        sub = await session.get(BillingSubscriptionRow, oa.bot_id)
        if sub is None or sub.status not in COUPON_STATES:
            error: str | None = NOT_NOW
        else:
            try:
                await oa.billing.changes.redeem_coupon(session, oa.bot_id, code)
                error = None
            except LookupError:
                error = UNKNOWN_CODE
            except BillingStateError:
                error = NOT_NOW
    if error is not None:
        return await _page(request, oa, 400, code=typed, error=error)
    await counters.settle(give_back=counted)
    return RedirectResponse(oa.services.with_notice(oa.base, REDEEMED), status_code=303)
