"""Billing's web routes on the module app: Stripe's webhook, and the pay-now page the mails link to.

- `POST /billing/stripe/webhook`: the raw body is verified with Stripe's SDK (400 if it does not check out),
  each payment event kept once by Stripe's event id and applied by a job (`collection_jobs.py`); 200 then,
  so Stripe stops redelivering. Register this URL (`{public_base_url}/billing/stripe/webhook`) in Stripe's
  dashboard with the events `payment_intent.succeeded` and `payment_intent.payment_failed`.
- `GET /billing/pay/{token}`: what the OA owes (each unpaid invoice: number, amount, due date, its PDF),
  the bank account with the payer reference to write, and the card form's endpoints. The token is the
  mail's signed, expiring link (`pay_links.py`): it is the only credential, like a password-reset link.
- `POST /billing/pay/{token}/card-setup` → `{client_secret, publishable_key}` for Stripe.js's
  `confirmCardSetup`; `POST /billing/pay/{token}/card` with `{"setup_id": ...}` saves the confirmed card and
  charges every unpaid invoice to it.

The page is deliberately plain (no script: the framework's pages allow scripts from their own origin only);
the card form with Stripe.js is on the operator console's billing pages (`billing/console/`).
"""

from __future__ import annotations

import html
from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from linemod.framework.billing.collection_jobs import store_webhook_events
from linemod.framework.billing.collection_service import CollectionService
from linemod.framework.billing.pay_links import PAY_PATH, PayToken
from linemod.framework.billing.payments.provider import PaymentProviderError, WebhookSignatureError

STRIPE_WEBHOOK_PATH = "/billing/stripe/webhook"
MAX_WEBHOOK_BYTES = 512 * 1024  # Stripe's events are a few kilobytes


def billing_router(collection: Callable[[], CollectionService | None]) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.post(STRIPE_WEBHOOK_PATH)
    async def stripe_webhook(request: Request) -> Response:
        found = collection()
        if found is None or found.provider is None:
            return JSONResponse({"error": "card payments are not configured"}, status_code=404)
        body = await request.body()
        if len(body) > MAX_WEBHOOK_BYTES:
            return JSONResponse({"error": "too large"}, status_code=413)
        try:
            new = await store_webhook_events(found, body, request.headers.get("stripe-signature"))
        except WebhookSignatureError as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        return JSONResponse({"received": True, "new": new})

    def token_of(raw: str) -> tuple[CollectionService, PayToken] | None:
        found = collection()
        token = found.links.read(raw) if found is not None else None
        return (found, token) if found is not None and token is not None else None

    @router.get(PAY_PATH + "/{raw}")
    async def pay_page(raw: str) -> Response:
        opened = token_of(raw)
        if opened is None:
            return HTMLResponse(_page("リンクの有効期限が切れています / This link has expired", ""), status_code=404)
        found, token = opened
        runs = await found.settlement.unpaid_runs(token.bot_id)
        rows = []
        for run in runs:
            invoice = await found.book.get(run.invoice_id or 0)
            pdf = f"{PAY_PATH}/{raw}/invoices/{run.invoice_id}.pdf"
            rows.append(
                f"<tr><td>{html.escape(invoice.number or '')}</td><td>¥{invoice.total_gross:,}</td>"
                f"<td>{invoice.due_date or ''}</td><td>{html.escape(invoice.payer_reference or '')}</td>"
                f'<td><a href="{pdf}">PDF</a></td></tr>'
            )
        bank = found.book.issuer.bank_account
        bank_text = (
            f"{bank.bank_name} {bank.branch_name} {bank.account_type} {bank.account_number} {bank.account_holder}"
            if bank else ""
        )
        body = (
            "<table><tr><th>請求書番号</th><th>金額(税込)</th><th>お支払期限</th><th>お客様番号</th><th></th></tr>"
            + "".join(rows) + "</table>"
            + (f"<p>お振込先: {html.escape(bank_text)}（振込依頼人名の前にお客様番号をご記入ください）</p>"
               if bank else "")
            + (f'<p data-card-setup="{PAY_PATH}/{raw}/card-setup" data-card="{PAY_PATH}/{raw}/card">'
               "カードでのお支払い / Pay by card</p>" if found.cards is not None else "")
        )
        title = "お支払い / Payment" if runs else "未払いのご請求はありません / Nothing to pay"
        return HTMLResponse(_page(title, body))

    @router.get(PAY_PATH + "/{raw}/invoices/{invoice_id}.pdf")
    async def invoice_pdf(raw: str, invoice_id: int) -> Response:
        opened = token_of(raw)
        if opened is None:
            return Response(status_code=404)
        found, token = opened
        try:
            invoice = await found.book.get(invoice_id)
        except LookupError:
            return Response(status_code=404)
        if invoice.bot_id != token.bot_id or invoice.is_draft:
            return Response(status_code=404)
        return Response(await found.book.pdf(invoice_id), media_type="application/pdf")

    @router.post(PAY_PATH + "/{raw}/card-setup")
    async def card_setup(raw: str) -> Response:
        opened = token_of(raw)
        if opened is None or opened[0].cards is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        found, token = opened
        setup = await found.start_card_setup(token.bot_id)
        return JSONResponse({"setup_id": setup.setup_id, "client_secret": setup.client_secret,
                             "publishable_key": found.settings.stripe_publishable_key})

    @router.post(PAY_PATH + "/{raw}/card")
    async def save_card(raw: str, request: Request) -> Response:
        opened = token_of(raw)
        if opened is None or opened[0].cards is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        found, token = opened
        payload = await request.json()
        setup_id = payload.get("setup_id") if isinstance(payload, dict) else None
        if not isinstance(setup_id, str) or not setup_id:
            return JSONResponse({"error": "setup_id is required"}, status_code=400)
        try:
            card = await found.save_card(token.bot_id, setup_id)
        except PaymentProviderError as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        unpaid = await found.settlement.unpaid_runs(token.bot_id)
        return JSONResponse({"card": {"brand": card.brand, "last4": card.last4},
                             "unpaid_invoices": [run.invoice_number for run in unpaid]})

    return router


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="ja"><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
