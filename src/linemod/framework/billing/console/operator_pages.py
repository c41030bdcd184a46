"""The operator's billing overview, billing profile and invoice PDFs, under /console/oas/{bot_id}/billing.

Members see the overview and download the invoices and receipts; only owners get the profile's form
(`operator_access.py`). The overview is `operator_view.billing_overview`.
"""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at run time.

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from linemod.framework.billing.billing_contacts import contact_of, save_contact
from linemod.framework.billing.console.operator_access import Member, Owner
from linemod.framework.billing.console.operator_view import billing_overview
from linemod.framework.billing.console.profile_form import form_values, parse_profile
from linemod.framework.console.params import parse_row_id
from linemod.framework.console.web import CONSOLE, PageNotFound, check_csrf
from linemod.framework.i18n import N_

router = APIRouter(prefix=CONSOLE, dependencies=[Depends(check_csrf)], include_in_schema=False)
PROFILE_SAVED = N_("The billing profile was saved.")


@router.get("/oas/{bot_id}/billing")
async def overview(request: Request, oa: Member) -> Response:
    async with oa.services.db.session() as session:
        view = await billing_overview(oa.billing, session, oa.bot_id)
    annual = {plan.code for plan in oa.billing.catalog.catalog.plans.values()
              if any(price.interval == "year" for price in plan.prices)}
    return oa.page(request, "billing/operator/overview.html", view=view, annual_plans=annual)


@router.get("/oas/{bot_id}/billing/documents/{document_id}.pdf")
async def document_pdf(oa: Member, document_id: str) -> Response:
    """An invoice or receipt of this OA as PDF (404 for any other OA's, or a draft)."""
    collection = oa.billing.collection
    number = parse_row_id(document_id)
    if collection is None or number is None:
        raise PageNotFound()
    try:
        document = await collection.book.get(number)
    except LookupError:
        raise PageNotFound() from None
    if document.bot_id != oa.bot_id or document.is_draft:
        raise PageNotFound()
    name = f"{document.number or number}.pdf"
    return Response(await collection.book.pdf(number), media_type="application/pdf",
                    headers={"content-disposition": f'attachment; filename="{name}"'})


@router.get("/oas/{bot_id}/billing/profile")
async def profile_page(request: Request, oa: Owner) -> Response:
    async with oa.services.db.session() as session:
        contact = await contact_of(session, oa.bot_id)
    return oa.page(request, "billing/operator/profile.html", values=form_values(contact), errors={})


@router.post("/oas/{bot_id}/billing/profile")
async def save_profile(request: Request, oa: Owner) -> Response:
    submitted = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    form = parse_profile(submitted)
    if form.contact is None:
        return oa.page(request, "billing/operator/profile.html", 400, values=form.values, errors=form.errors)
    async with oa.services.db.transaction() as session:
        await save_contact(session, oa.bot_id, form.contact, oa.services.clock.now_ms())
    return RedirectResponse(oa.services.with_notice(oa.base, PROFILE_SAVED), status_code=303)
