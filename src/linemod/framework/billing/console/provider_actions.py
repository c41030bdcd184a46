"""The provider's billing actions: a bank transfer marked paid, a refund with its return invoice, a manual
invoice or credit, coupons created and deactivated, a bank statement imported and its queued credits
assigned or dismissed. Each goes through the billing engine and leaves a row in the audit log with who did
it; the ones that move money or issue documents are keyed by their form's one-time key (`audit_log`), so a
form sent twice does it once."""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at run time.

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from linemod.framework.billing import audit_log
from linemod.framework.billing.catalog import CatalogError
from linemod.framework.billing.console import provider_queries as queries
from linemod.framework.billing.console.provider_pages import document_or_404
from linemod.framework.billing.console.provider_web import (
    BILLING,
    CollectionDep,
    actor_of,
    new_request_key,
    page,
    parse_date_field,
    parse_rate,
    parse_yen,
    request_key,
    text_field,
)
from linemod.framework.billing.coupons import Coupon
from linemod.framework.billing.invoicing.documents import DocumentKind, DocumentStatus, InvoiceLine
from linemod.framework.billing.invoicing.errors import InvoiceNotFoundError
from linemod.framework.billing.manual_charges import ManualCharge, NoSubscription, add_manual_charge
from linemod.framework.billing.payments.bank_statement import StatementFormatError
from linemod.framework.billing.refunds import RefundRefused, refund_with_return_invoice, retry_refund
from linemod.framework.billing.staff_coupons import create_coupon, deactivate_coupon, list_coupons
from linemod.framework.console.access import Viewer
from linemod.framework.console.params import BadParameter, parse_row_id
from linemod.framework.console.services import ConsoleServices
from linemod.framework.console.web import PageNotFound, ServicesDep, Staff, check_csrf
from linemod.framework.i18n import N_

router = APIRouter(prefix=BILLING, dependencies=[Depends(check_csrf)], include_in_schema=False)
MAX_STATEMENT_BYTES = 5 * 1024 * 1024  # a year of a busy account's statement is a few hundred kilobytes
MAX_COUPON_MONTHS = 120  # ten years: past that, "forever" is meant (and the months fit any integer column)

DONE_ALREADY = N_("This form was already sent: nothing was done a second time.")
TRANSFER_RECORDED = N_("The transfer was recorded.")
REFUNDED = N_("The return invoice was issued and the amount refunded to the card.")
REFUND_FAILED = N_("The return invoice was issued, but the refund to the card failed. Retry it below.")
RETURN_BY_TRANSFER = N_("The return invoice was issued. Give the money back by bank transfer.")
MANUAL_INVOICED = N_("The invoice was issued.")
CREDITED = N_("The credit was recorded: it is taken off the next invoice.")
COUPON_CREATED = N_("The coupon was created.")
COUPON_DEACTIVATED = N_("The coupon was deactivated: it can no longer be redeemed.")
ASSIGNED = N_("The credit was assigned to the invoice.")
DISMISSED = N_("The credit was dismissed.")


def _label(services: ConsoleServices, who: Viewer, message: str) -> str:
    return services.templates.gettext(who.lang, message)


def _field(form: Mapping[str, Any], name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) else None


def _back(services: ConsoleServices, url: str, message: str) -> Response:
    return RedirectResponse(services.with_notice(url, message), status_code=303)


async def _record(services: ConsoleServices, who: Viewer, action: str, **entry: Any) -> None:
    async with services.db.transaction() as session:
        await audit_log.record_action(session, at_ms=services.clock.now_ms(), actor=actor_of(who), action=action,
                                      **entry)


@router.post("/invoices/{invoice_id}/mark-paid")
async def mark_paid(request: Request, who: Staff, services: ServicesDep, collection: CollectionDep,
                    invoice_id: str) -> Response:
    document = await document_or_404(collection, invoice_id)
    form = await request.form()
    open_runs = [t for t in await queries.open_transfers(services.db, document.bot_id) if t.invoice_id == document.id]
    if not open_runs or document.id is None:
        raise BadParameter(N_("This invoice is not waiting for a bank transfer."))
    amount = parse_yen(_field(form, "amount"), _label(services, who, N_("Amount received")))
    paid_on = parse_date_field(_field(form, "paid_on"), _label(services, who, N_("Received on")))
    if paid_on > collection.book.today():
        raise BadParameter(N_("The money cannot have arrived after today (%(today)s)."),
                           today=collection.book.today().isoformat())
    note = text_field(_field(form, "note"), _label(services, who, N_("Note")), required=False)
    url = f"{BILLING}/invoices/{document.id}"
    assert who.account is not None
    payment = await collection.settlement.record_transfer(document.id, amount, paid_on, recorded_by=who.account.id,
                                                          note=note, actor=actor_of(who))
    after = {"amount_yen": amount, "paid_on": paid_on.isoformat(), "payment_id": payment.id,
             "status": (await collection.book.get(document.id)).status.value}
    await _record(services, who, "transfer.marked_paid", bot_id=document.bot_id, subject=document.number,
                  before={"status": document.status.value}, after=after)
    return _back(services, url, TRANSFER_RECORDED)


@router.post("/invoices/{invoice_id}/refund")
async def refund(request: Request, who: Staff, services: ServicesDep, collection: CollectionDep,
                 invoice_id: str) -> Response:
    document = await document_or_404(collection, invoice_id)
    assert document.id is not None
    form = await request.form()
    key = request_key(_field(form, "request_key"))
    description = text_field(_field(form, "description"), _label(services, who, N_("What is returned")))
    amount = parse_yen(_field(form, "amount"), _label(services, who, N_("Amount")))
    rate = parse_rate(_field(form, "rate"))
    reason = text_field(_field(form, "reason"), _label(services, who, N_("Reason")), limit=500)
    url = f"{BILLING}/invoices/{document.id}"
    requested = {"amount_yen": amount, "tax_rate": rate, "description": description, "reason": reason}
    claimed = await audit_log.claim_request(
        services.db, key, at_ms=services.clock.now_ms(), actor=actor_of(who), action="refund.requested",
        bot_id=document.bot_id, subject=document.number, before={"status": document.status.value}, after=requested,
    )
    if not claimed:
        return _back(services, url, DONE_ALREADY)
    try:
        outcome = await refund_with_return_invoice(
            collection, document.id, [InvoiceLine(description, 1, amount, rate)], reason=reason, actor=actor_of(who)
        )
    except RefundRefused as refused:
        await _record(services, who, "refund.refused", bot_id=document.bot_id, subject=document.number,
                      after={"reason": str(refused)})
        raise BadParameter(N_("The refund was refused: %(reason)s"), reason=str(refused)) from None
    returned = outcome.return_invoice
    result = outcome.refund
    await _record(services, who, "refund.issued", bot_id=document.bot_id, subject=document.number,
                  after={"return_invoice": returned.number, "amount_yen": returned.total_gross,
                         "refund": result.status.value if result else None, "refund_id": result.refund_id if result
                         else None, "error": outcome.error})
    message = REFUNDED if result is not None else REFUND_FAILED if outcome.error else RETURN_BY_TRANSFER
    return _back(services, url, message)


@router.post("/invoices/{invoice_id}/retry-refund")
async def refund_again(request: Request, who: Staff, services: ServicesDep, collection: CollectionDep,
                       invoice_id: str) -> Response:
    document = await document_or_404(collection, invoice_id)
    form = await request.form()
    return_id = parse_row_id(_field(form, "return_id"))
    related = {d.id: d for d in await collection.book.related(document.id or 0)}
    if return_id is None or return_id not in related or related[return_id].kind is not DocumentKind.RETURN_INVOICE:
        raise PageNotFound()
    try:
        outcome = await retry_refund(collection, return_id)
    except RefundRefused as refused:
        raise BadParameter(N_("The refund was refused: %(reason)s"), reason=str(refused)) from None
    await _record(services, who, "refund.retried", bot_id=document.bot_id, subject=related[return_id].number,
                  after={"refund": outcome.refund.status.value if outcome.refund else None, "error": outcome.error})
    return _back(services, f"{BILLING}/invoices/{document.id}", REFUNDED if outcome.refund else REFUND_FAILED)


@router.post("/tenants/{bot_id}/manual")
async def manual_charge(request: Request, who: Staff, services: ServicesDep, collection: CollectionDep,
                        bot_id: str) -> Response:
    if await services.tenants.get(bot_id) is None:
        raise PageNotFound()
    form = await request.form()
    key = request_key(_field(form, "request_key"))
    kind = _field(form, "kind")
    if kind not in ("invoice", "credit"):
        raise BadParameter(N_("Choose an invoice or a credit."))
    charge = ManualCharge(
        kind="invoice" if kind == "invoice" else "credit",
        description=text_field(_field(form, "description"), _label(services, who, N_("Description"))),
        amount_yen=parse_yen(_field(form, "amount"), _label(services, who, N_("Amount"))),
        tax_rate=10 if parse_rate(_field(form, "rate")) == 10 else 8,
    )
    claimed = await audit_log.claim_request(
        services.db, key, at_ms=services.clock.now_ms(), actor=actor_of(who), action=f"manual_{kind}.created",
        bot_id=bot_id, subject=charge.description,
        after={"amount_yen": charge.amount_yen, "tax_rate": charge.tax_rate},
    )
    url = f"{BILLING}/tenants/{bot_id}"
    if not claimed:
        return _back(services, url, DONE_ALREADY)
    try:
        issued = await add_manual_charge(services.db, collection, bot_id, charge, request_key=key)
    except NoSubscription:
        raise BadParameter(N_("This OA has no subscription to charge.")) from None
    if issued is not None:
        await _record(services, who, "manual_invoice.issued", bot_id=bot_id, subject=issued.number,
                      after={"amount_yen": issued.amount_yen, "method": issued.method})
    return _back(services, url, MANUAL_INVOICED if kind == "invoice" else CREDITED)


@router.post("/coupons")
async def new_coupon(request: Request, who: Staff, services: ServicesDep, collection: CollectionDep) -> Response:
    billing = services.runtime.billing
    assert billing is not None
    form = await request.form()
    values = {name: _field(form, name) or "" for name in ("code", "kind", "value", "duration", "months",
                                                         "name_ja", "name_en")}
    declared = billing.catalog.catalog.coupons
    try:
        months = values["months"].strip()
        if months and (not months.isascii() or not months.isdigit() or not 1 <= int(months) <= MAX_COUPON_MONTHS):
            raise BadParameter(N_("Months is a whole number from 1 to %(max)s."), max=str(MAX_COUPON_MONTHS))
        coupon = Coupon(
            code=values["code"].strip(), kind=values["kind"],  # type: ignore[arg-type]
            value=parse_yen(values["value"], _label(services, who, N_("Value"))),
            duration=values["duration"], months=int(months) if months else None,  # type: ignore[arg-type]
            name_ja=values["name_ja"].strip()[:255], name_en=values["name_en"].strip()[:255],
        )
        await create_coupon(services.db, coupon, declared, created_by=actor_of(who), now_ms=services.clock.now_ms())
    except (CatalogError, BadParameter) as refused:
        error = (services.templates.gettext(who.lang, refused.message, **refused.values)
                 if isinstance(refused, BadParameter) else str(refused))
        listed = await list_coupons(services.db, declared)
        return page(services, request, who, "billing/provider/coupons.html", 400, coupons=listed,
                    request_key=new_request_key(), values=values, error=error)
    await _record(services, who, "coupon.created", subject=coupon.code, after=coupon.to_json())
    return _back(services, f"{BILLING}/coupons", COUPON_CREATED)


@router.post("/coupons/{code}/deactivate")
async def deactivate(who: Staff, services: ServicesDep, collection: CollectionDep, code: str) -> Response:
    if not await deactivate_coupon(services.db, code[:64], now_ms=services.clock.now_ms()):
        raise PageNotFound()
    await _record(services, who, "coupon.deactivated", subject=code[:64], before={"active": True},
                  after={"active": False})
    return _back(services, f"{BILLING}/coupons", COUPON_DEACTIVATED)


@router.post("/statements")
async def import_statement(request: Request, who: Staff, services: ServicesDep, collection: CollectionDep) -> Response:
    form = await request.form()
    upload = form.get("statement")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise BadParameter(N_("Choose the bank statement file (CSV) to import."))
    data = await upload.read(MAX_STATEMENT_BYTES + 1)
    if len(data) > MAX_STATEMENT_BYTES:
        raise BadParameter(N_("The file is larger than 5 MB: export a shorter period."))
    assert who.account is not None
    try:
        imported = await collection.settlement.import_statement(data, filename=upload.filename,
                                                               imported_by=who.account.id, actor=actor_of(who))
    except (StatementFormatError, UnicodeDecodeError):
        raise BadParameter(N_("This file is not a bank statement CSV this console can read: it needs a header "
                              "row with a date column and an amount (or 入金) column.")) from None
    await _record(services, who, "statement.imported", subject=upload.filename[:255],
                  after={"credits": imported.credits, "already_imported": imported.already_imported,
                         "matched": [m.invoice_id for m in imported.matched], "queued": len(imported.queued)})
    numbers = {}
    for credit in imported.matched:
        try:
            numbers[credit.invoice_id] = (await collection.book.get(int(credit.invoice_id))).number
        except InvoiceNotFoundError:
            numbers[credit.invoice_id] = credit.invoice_id
    return page(services, request, who, "billing/provider/transfers.html",
                transfers=await queries.open_transfers(services.db), queue=await collection.transfers.open_items(),
                imported=imported, matched_numbers=numbers, request_key=new_request_key())


@router.post("/reconciliation/{item_id}/assign")
async def assign(request: Request, who: Staff, services: ServicesDep, collection: CollectionDep,
                 item_id: str) -> Response:
    row_id = parse_row_id(item_id)
    form = await request.form()
    number = text_field(_field(form, "invoice_number"), _label(services, who, N_("Invoice number")), limit=64)
    try:
        document = await collection.book.get_by_number(number)
    except InvoiceNotFoundError:
        raise BadParameter(N_("There is no invoice numbered %(number)s."), number=number) from None
    if document.kind is not DocumentKind.INVOICE or document.id is None:
        raise BadParameter(N_("%(number)s is not an invoice."), number=number)
    if document.status is not DocumentStatus.FINALIZED:  # a paid or void invoice takes no more money
        raise BadParameter(N_("%(number)s is not waiting for a payment: it is paid or void."), number=number)
    assert who.account is not None
    try:
        payment = await collection.settlement.resolve_statement_item(row_id or 0, document.id,
                                                                     resolved_by=who.account.id,
                                                                     actor=actor_of(who))
    except LookupError:
        raise PageNotFound() from None
    await _record(services, who, "statement.assigned", bot_id=document.bot_id, subject=number,
                  before={"item": row_id, "status": "open"}, after={"payment_id": payment.id,
                                                                    "amount_yen": payment.amount_yen})
    return _back(services, f"{BILLING}/transfers", ASSIGNED)


@router.post("/reconciliation/{item_id}/dismiss")
async def dismiss(request: Request, who: Staff, services: ServicesDep, collection: CollectionDep,
                  item_id: str) -> Response:
    row_id = parse_row_id(item_id)
    form = await request.form()
    note = text_field(_field(form, "note"), _label(services, who, N_("Why")), limit=500)
    assert who.account is not None
    try:
        await collection.transfers.dismiss(row_id or 0, resolved_by=who.account.id, note=note)
    except LookupError:
        raise PageNotFound() from None
    await _record(services, who, "statement.dismissed", subject=f"#{row_id}", before={"status": "open"},
                  after={"status": "dismissed", "note": note})
    return _back(services, f"{BILLING}/transfers", DISMISSED)
