"""The provider's billing pages that only read: the dashboard with its charts, a tenant's billing, an
invoice with its documents and payments, the bank transfers and the reconciliation queue, coupons, the
invoice archive search, the monthly tax report (page and CSV) and the audit log. Changes are in
`provider_actions.py`."""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at run time.

from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from linemod.framework.billing.audit_log import audit_trail
from linemod.framework.billing.collection_service import CollectionService
from linemod.framework.billing.console import provider_queries as queries
from linemod.framework.billing.console.charts import Series, bar_chart, line_chart, yen
from linemod.framework.billing.console.provider_web import (
    BILLING,
    CollectionDep,
    MaybeCollection,
    new_request_key,
    page,
    parse_month,
)
from linemod.framework.billing.console.search_form import archive_query, page_number
from linemod.framework.billing.invoicing.documents import DocumentKind, DocumentStatus, Invoice
from linemod.framework.billing.invoicing.tax_report import monthly_tax_report
from linemod.framework.billing.payments.payment_ledger import PaymentLedger
from linemod.framework.billing.refunds import card_payment_of, refund_state
from linemod.framework.billing.staff_coupons import list_coupons
from linemod.framework.console.params import parse_row_id
from linemod.framework.console.web import PageNotFound, ServicesDep, Staff, check_csrf
from linemod.framework.i18n import N_

router = APIRouter(prefix=BILLING, dependencies=[Depends(check_csrf)], include_in_schema=False)


@router.get("/")
async def dashboard(request: Request, who: Staff, services: ServicesDep, collection: MaybeCollection) -> Response:
    if collection is None:
        return page(services, request, who, "billing/provider/not_configured.html")
    board = await queries.dashboard(services.db, services.clock.now_ms())
    labels = [month.label for month in board.figures]

    def gettext(message: str) -> str:
        return services.templates.gettext(who.lang, message)

    mrr = line_chart(
        "chart-mrr", gettext(N_("MRR by month")),
        gettext(N_("Monthly recurring revenue: what the paying subscriptions' plans bring in a month, at each "
                   "month's end.")),
        labels, [Series("mrr", "MRR", [f.mrr_yen for f in board.figures])], yen,
    )
    arr = line_chart(
        "chart-arr", gettext(N_("ARR by month")),
        gettext(N_("Annual run rate: twelve times the MRR, at each month's end.")),
        labels, [Series("arr", "ARR", [f.arr_yen for f in board.figures])], yen,
    )
    movement = bar_chart(
        "chart-oas", gettext(N_("New, churned and trialing OAs by month")),
        gettext(N_("OAs that subscribed and ended in each month, and OAs in their trial at its end.")),
        labels, [Series("new", gettext(N_("New")), [f.new for f in board.figures]),
                 Series("churned", gettext(N_("Churned")), [f.churned for f in board.figures]),
                 Series("trialing", gettext(N_("Trialing")), [f.trialing for f in board.figures])],
        width=1000,
    )
    return page(services, request, who, "billing/provider/dashboard.html", board=board, mrr_chart=mrr,
                arr_chart=arr, oa_chart=movement, transfers=await queries.open_transfers(services.db))


@router.get("/tenants/{bot_id}")
async def tenant(request: Request, who: Staff, services: ServicesDep, collection: CollectionDep,
                 bot_id: str) -> Response:
    info = await services.tenants.get(bot_id)
    if info is None:
        raise PageNotFound()
    documents = await collection.book.search(archive_query(bot_id=bot_id), page_size=200)
    return page(
        services, request, who, "billing/provider/tenant.html", tenant=info,
        subscription=await queries.subscription_of(services.db, bot_id),
        history=await queries.history_of(services.db, bot_id), documents=documents.items,
        transfers=await queries.open_transfers(services.db, bot_id), request_key=new_request_key(),
        audit=await audit_trail(services.db, bot_id=bot_id, limit=50),
    )


async def document_or_404(collection: CollectionService, invoice_id: str) -> Invoice:
    """The document whose ID the path carries; 404 for anything else (not an ID, no such document)."""
    row_id = parse_row_id(invoice_id)
    if row_id is None:
        raise PageNotFound()
    return await collection.book.get(row_id)


@router.get("/invoices/{invoice_id}")
async def invoice(request: Request, who: Staff, services: ServicesDep, collection: CollectionDep,
                  invoice_id: str) -> Response:
    document = await document_or_404(collection, invoice_id)
    assert document.id is not None
    related = await collection.book.related(document.id)
    refunds = {d.id: await refund_state(collection, d.id) for d in related
               if d.kind is DocumentKind.RETURN_INVOICE and d.id is not None}
    card = await card_payment_of(collection, document.id)
    transfers = [t for t in await queries.open_transfers(services.db, document.bot_id) if t.invoice_id == document.id]
    tenant_info = await services.tenants.get(document.bot_id) if document.bot_id else None
    return page(
        services, request, who, "billing/provider/invoice.html", document=document, related=related,
        refunds=refunds, card_payment=card, open_transfer=transfers[0] if transfers else None,
        payments=await PaymentLedger(services.db).payments_for(str(document.id)),
        history=await collection.book.history(document.id), tenant=tenant_info, request_key=new_request_key(),
        refundable=document.kind is DocumentKind.INVOICE and document.status is DocumentStatus.PAID,
        today=collection.book.today().isoformat(),
    )


@router.get("/invoices/{invoice_id}/pdf")
async def invoice_pdf(who: Staff, collection: CollectionDep, invoice_id: str) -> Response:
    document = await document_or_404(collection, invoice_id)
    if document.is_draft or document.id is None:
        raise PageNotFound()
    name = f"{document.number}.pdf"
    return Response(
        await collection.book.pdf(document.id), media_type="application/pdf",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )


@router.get("/transfers")
async def transfers(request: Request, who: Staff, services: ServicesDep, collection: CollectionDep) -> Response:
    return page(services, request, who, "billing/provider/transfers.html",
                transfers=await queries.open_transfers(services.db),
                queue=await collection.transfers.open_items(), imported=None, request_key=new_request_key())


@router.get("/coupons")
async def coupons(request: Request, who: Staff, services: ServicesDep, collection: CollectionDep) -> Response:
    billing = services.runtime.billing
    assert billing is not None
    listed = await list_coupons(services.db, billing.catalog.catalog.coupons)
    return page(services, request, who, "billing/provider/coupons.html", coupons=listed,
                request_key=new_request_key(), values={}, error=None)


@router.get("/archive")
async def archive(request: Request, who: Staff, services: ServicesDep, collection: CollectionDep) -> Response:
    params = request.query_params
    fields = ("from", "to", "min", "max", "counterparty")
    query = archive_query(
        issued_from=params.get("from"), issued_to=params.get("to"), min_total=params.get("min"),
        max_total=params.get("max"), counterparty=params.get("counterparty"),
        label=lambda message: services.templates.gettext(who.lang, message),
    )
    number = page_number(params.get("page"))
    values = {name: params.get(name, "") for name in fields}
    results, links = None, dict[str, str]()
    if any(values.values()):
        results = await collection.book.search(query, page=number, page_size=50)
        for name, other in (("prev_url", number - 1), ("next_url", number + 1)):
            if 1 <= other <= results.pages:
                links[name] = f"{BILLING}/archive?" + urlencode({**values, "page": other})
    return page(services, request, who, "billing/provider/archive.html", results=results, values=values,
                prev_url=links.get("prev_url"), next_url=links.get("next_url"))


@router.get("/tax")
async def tax_report(request: Request, who: Staff, services: ServicesDep, collection: CollectionDep) -> Response:
    month = parse_month(request.query_params.get("month"), collection.book.today())
    async with services.db.session() as session:
        report = await monthly_tax_report(session, collection.book.provider, month)
    return page(services, request, who, "billing/provider/tax.html", report=report)


@router.get("/tax.csv")
async def tax_report_csv(request: Request, who: Staff, services: ServicesDep, collection: CollectionDep) -> Response:
    month = parse_month(request.query_params.get("month"), collection.book.today())
    async with services.db.session() as session:
        report = await monthly_tax_report(session, collection.book.provider, month)
    return Response(
        report.to_csv(), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="tax-report-{report.label}.csv"'},
    )


@router.get("/audit")
async def audit(request: Request, who: Staff, services: ServicesDep, collection: CollectionDep) -> Response:
    bot_id = (request.query_params.get("bot_id") or "").strip()[:33] or None
    return page(services, request, who, "billing/provider/audit.html",
                entries=await audit_trail(services.db, bot_id=bot_id, limit=300), bot_id=bot_id)
