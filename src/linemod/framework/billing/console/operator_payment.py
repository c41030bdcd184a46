"""How the OA pays: a card saved through Stripe.js Elements, or bank transfer (owners only).

The card form is the one page of the console that loads a script from elsewhere: Stripe.js, from
`LINEMOD_STRIPE_JS_URL` (localstripe serves a shim at `{its URL}/js.stripe.com/v3/`). Only this page's
Content-Security-Policy names that origin (and Stripe's API, which Stripe.js calls); every other page keeps
the framework's same-origin policy. The card number goes from the browser to Stripe, never through here:
the page asks for a SetupIntent (`card-setup`), Stripe.js confirms it with the card, and the page tells us
which SetupIntent succeeded (`card`), which we read back from Stripe before keeping the card.

Choosing bank transfer removes the saved card: the collection run charges a card whenever the OA has one.
"""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at run time.

from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import update

from linemod.framework.billing.collection_service import CollectionService
from linemod.framework.billing.console.operator_access import BillingOa, Owner
from linemod.framework.billing.payments.provider import PaymentProviderError
from linemod.framework.billing.payments.records import PaymentMethodRow
from linemod.framework.console.web import CONSOLE, PageNotFound, check_csrf
from linemod.framework.i18n import N_
from linemod.framework.security_headers import CONTENT_SECURITY_POLICY

router = APIRouter(prefix=CONSOLE, dependencies=[Depends(check_csrf)], include_in_schema=False)
CARD_SCRIPT = Path(__file__).parent / "static" / "card_form.js"
CARD_SAVED = N_("The card was saved. Invoices are charged to it from now on.")
BANK_TRANSFER_CHOSEN = N_("Invoices are now paid by bank transfer.")
MAX_SETUP_BODY = 4096


STRIPE_JS_ORIGIN = "https://js.stripe.com"
# Stripe's own CSP guidance: the real Stripe.js shows 3-D Secure challenges in frames from this origin, which
# a card that asks for authentication needs (localstripe's shim shows its own confirm box instead).
STRIPE_3DS_FRAMES = "https://hooks.stripe.com"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def card_page_policy(stripe_js_url: str, stripe_api_base: str) -> str:
    """The framework's policy with Stripe.js's origin allowed to run, frame and be called, and Stripe's API
    to be called: on the card page only."""
    js, api = _origin(stripe_js_url), _origin(stripe_api_base)
    sources = js if js == api else f"{js} {api}"
    policy = CONTENT_SECURITY_POLICY.replace("script-src 'self'", f"script-src 'self' {js}")
    policy = policy.replace("connect-src 'self'", f"connect-src 'self' {sources}")
    frames = f"{js} {STRIPE_3DS_FRAMES}" if js == STRIPE_JS_ORIGIN else js
    return f"{policy}; frame-src {frames}"


def _cards(oa: BillingOa) -> CollectionService:
    collection = oa.billing.collection
    if collection is None or collection.cards is None:
        raise PageNotFound()
    return collection


@router.get("/billing/card_form.js")
async def card_script() -> Response:
    return FileResponse(CARD_SCRIPT, media_type="text/javascript")


@router.get("/oas/{bot_id}/billing/payment")
async def payment_page(request: Request, oa: Owner) -> Response:
    collection = oa.billing.collection
    if collection is None:
        raise PageNotFound()
    settings = oa.services.settings
    card = await collection.cards.default_card(oa.bot_id) if collection.cards is not None else None
    response = oa.page(
        request,
        "billing/operator/payment.html",
        cards_enabled=collection.cards is not None,
        card=card,
        stripe_js_url=settings.stripe_js_url,
        publishable_key=settings.stripe_publishable_key or "",
        bank=collection.book.issuer.bank_account,
    )
    if collection.cards is not None:
        response.headers["content-security-policy"] = card_page_policy(settings.stripe_js_url,
                                                                        settings.stripe_api_base)
    return response


@router.post("/oas/{bot_id}/billing/payment/card-setup")
async def card_setup(oa: Owner) -> Response:
    collection = _cards(oa)
    try:
        setup = await collection.start_card_setup(oa.bot_id)
    except PaymentProviderError:
        return JSONResponse({"error": "card_setup_failed"}, status_code=502)
    return JSONResponse({"setup_id": setup.setup_id, "client_secret": setup.client_secret})


@router.post("/oas/{bot_id}/billing/payment/card")
async def save_card(request: Request, oa: Owner) -> Response:
    collection = _cards(oa)
    body = await request.body()
    setup_id = None
    if len(body) <= MAX_SETUP_BODY:
        try:
            payload = await request.json()
        except ValueError:
            payload = None
        setup_id = payload.get("setup_id") if isinstance(payload, dict) else None
    if not isinstance(setup_id, str) or not setup_id.startswith("seti_") or len(setup_id) > 255:
        return JSONResponse({"error": "setup_id is required"}, status_code=400)
    try:
        card = await collection.save_card(oa.bot_id, setup_id)
    except PaymentProviderError:
        return JSONResponse({"error": "card_not_saved"}, status_code=400)
    return JSONResponse({
        "card": {"brand": card.brand, "last4": card.last4},
        "redirect": oa.services.with_notice(oa.base, CARD_SAVED),
    })


@router.post("/oas/{bot_id}/billing/payment/bank-transfer")
async def choose_bank_transfer(oa: Owner) -> Response:
    if oa.billing.collection is None:
        raise PageNotFound()
    now = oa.services.clock.now_ms()
    async with oa.services.db.transaction() as session:
        await session.execute(
            update(PaymentMethodRow)
            .where(PaymentMethodRow.bot_id == oa.bot_id, PaymentMethodRow.removed_at_ms.is_(None))
            .values(is_default=False, removed_at_ms=now, updated_at_ms=now)
        )
        await oa.billing.changes.set_payment_method(session, oa.bot_id, "bank_transfer")
    return RedirectResponse(oa.services.with_notice(oa.base, BANK_TRANSFER_CHOSEN), status_code=303)
