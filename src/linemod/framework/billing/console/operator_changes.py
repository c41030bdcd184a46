"""What an owner changes about the subscription: the plan or its interval (annual), after a preview of the
prorated charge; cancellation at the end of the paid period (or trial), with the reasons; resuming before
that end. Staff members get 404 on every route (`operator_access.Owner`).

The preview and the change are the engine's (`ctx.billing.preview_plan_change` / `change_plan` compute the
same lines); the confirm form carries the plan and interval it previewed, nothing else, so what is charged
is recomputed at confirmation, on the clock of that moment.
"""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at run time.

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from linemod.framework.billing.catalog import CatalogError
from linemod.framework.billing.changes import BillingStateError, PlanChangePreview
from linemod.framework.billing.console.operator_access import BillingOa, Owner
from linemod.framework.billing.console.operator_view import PriceView
from linemod.framework.billing.invoicing.tax import Rounding, totals_per_rate
from linemod.framework.billing.states import SubscriptionStatus
from linemod.framework.console.params import BadParameter
from linemod.framework.console.web import CONSOLE, check_csrf
from linemod.framework.i18n import N_

router = APIRouter(prefix=CONSOLE, dependencies=[Depends(check_csrf)], include_in_schema=False)

CANCEL_REASONS = {
    "too_expensive": N_("It costs too much"),
    "not_used": N_("We do not use it enough"),
    "missing_features": N_("A feature we need is missing"),
    "hard_to_use": N_("It is hard to use"),
    "switching": N_("We are moving to another service"),
    "closing": N_("The shop or business is closing"),
    "other": N_("Another reason"),
}
MAX_NOTE = 1000
BAD_PLAN = N_("There is no such plan or billing interval.")
PLAN_CHANGED = N_("The plan was changed.")
CANCELED = N_("The subscription ends at the end of the current period.")
RESUMED = N_("The cancellation was withdrawn: the subscription continues.")
NO_REASON = N_("Choose at least one reason, or tell us in your own words.")
NOTE_TOO_LONG = N_("Write at most 1,000 characters.")
STATE_REFUSED = N_("This cannot be done in the subscription's current state.")


def _plan_choice(oa: BillingOa, plan: str, interval: str) -> tuple[str, str]:
    catalog = oa.billing.catalog.catalog
    if plan not in catalog.plans or interval not in {p.interval for p in catalog.plans[plan].prices}:
        raise BadParameter(BAD_PLAN)
    return plan, interval


@router.get("/oas/{bot_id}/billing/plan")
async def plan_page(request: Request, oa: Owner) -> Response:
    catalog = oa.billing.catalog.catalog
    choices = [
        (plan, price.interval, PriceView.of(price.amount_yen, price.tax_rate_percent))
        for plan in catalog.plans.values()
        for price in plan.prices
    ]
    chosen = request.query_params.get("plan"), request.query_params.get("interval")
    preview, refusal, reauthorize = None, None, None
    if chosen[0] is not None or chosen[1] is not None:
        code, interval = _plan_choice(oa, chosen[0] or "", chosen[1] or "")
        async with oa.services.db.session() as session:
            try:
                found = await oa.billing.access(lambda: session, oa.bot_id).preview_plan_change(code, interval)
            except (BillingStateError, CatalogError):
                refusal = STATE_REFUSED
            else:
                if isinstance(found, PlanChangePreview):
                    preview = found
                else:
                    reauthorize = found
    totals = totals_per_rate(((line.tax_rate_percent, line.amount_yen) for line in preview.lines),
                             prices_include_tax=False, rounding=Rounding.FLOOR) if preview else ()
    return oa.page(request, "billing/operator/plan.html", 409 if refusal else 200, choices=choices,
                   chosen=chosen, preview=preview, totals=totals, refusal=refusal, reauthorize=reauthorize)


@router.post("/oas/{bot_id}/billing/plan")
async def change_plan(request: Request, oa: Owner) -> Response:
    form = await request.form()
    plan, interval = form.get("plan"), form.get("interval")
    code, chosen = _plan_choice(
        oa, plan if isinstance(plan, str) else "", interval if isinstance(interval, str) else ""
    )
    async with oa.services.db.transaction() as session:
        try:
            done = await oa.billing.access(lambda: session, oa.bot_id).change_plan(code, chosen)
        except (BillingStateError, CatalogError):
            done = None
    if not isinstance(done, PlanChangePreview):
        return RedirectResponse(f"{oa.base}/plan?plan={code}&interval={chosen}", status_code=303)
    return RedirectResponse(oa.services.with_notice(oa.base, PLAN_CHANGED), status_code=303)


@router.get("/oas/{bot_id}/billing/cancel")
async def cancel_page(request: Request, oa: Owner) -> Response:
    return oa.page(request, "billing/operator/cancel.html", reasons=CANCEL_REASONS, chosen=[], note="",
                   error=None, exporter=oa.services.registry.exporter is not None)


@router.post("/oas/{bot_id}/billing/cancel")
async def cancel(request: Request, oa: Owner) -> Response:
    form = await request.form()
    chosen = [r for r in form.getlist("reason") if isinstance(r, str) and r in CANCEL_REASONS]
    note_value = form.get("note")
    note = note_value.strip() if isinstance(note_value, str) else ""
    error = NOTE_TOO_LONG if len(note) > MAX_NOTE else NO_REASON if not chosen and not note else None
    if error is None:
        async with oa.services.db.transaction() as session:
            try:
                await oa.billing.access(lambda: session, oa.bot_id).cancel_at_period_end()
            except BillingStateError:
                error = STATE_REFUSED
            else:
                sub = await oa.billing.ledger.load(session, oa.bot_id)
                assert sub is not None
                account = oa.access.viewer.account
                detail = {"reasons": chosen, "note": note, "by_account": account.id if account else None}
                await oa.billing.ledger.history(session, sub, SubscriptionStatus(sub.status), "cancel_reason", detail)
    if error is not None:
        return oa.page(request, "billing/operator/cancel.html", 400, reasons=CANCEL_REASONS, chosen=chosen,
                       note=note[:MAX_NOTE], error=error, exporter=oa.services.registry.exporter is not None)
    return RedirectResponse(oa.services.with_notice(oa.base, CANCELED), status_code=303)


@router.post("/oas/{bot_id}/billing/resume")
async def resume(oa: Owner) -> Response:
    async with oa.services.db.transaction() as session:
        try:
            await oa.billing.access(lambda: session, oa.bot_id).resume()
        except BillingStateError:
            raise BadParameter(STATE_REFUSED) from None
    return RedirectResponse(oa.services.with_notice(oa.base, RESUMED), status_code=303)
