"""The Stripe adapter: customers, cards saved with SetupIntents, off-session PaymentIntents, refunds, webhooks.

Through the official SDK's `StripeClient`, async methods only, on an explicit httpx client (`HTTPXClient`), at
the base URL of `LINEMOD_STRIPE_API_BASE` (localstripe in tests and in the demo). Every object the SDK
returns is turned into a plain dict with `to_dict()` and read by `stripe_conversion.py`: no SDK object leaves
this module (stripe-python has changed what its objects are across majors; linemod's records do not).

Cards only: PaymentIntents and SetupIntents are limited to the `card` type, so confirming never needs a
`return_url` (which dynamic payment methods would, for the redirecting ones). The API version the SDK pins
(2026-09-30 "Endive" on) names that limit `allowed_payment_method_types` and refuses the old
`payment_method_types` with a 400; localstripe emulates an older version and knows only the old name. So a
provider built with `localstripe=True` (what `from_settings` does for any base URL other than Stripe's) sends
the old name; nothing else differs. No `description` on PaymentIntents either (localstripe refuses it): the
invoice is in the metadata.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, TypeVar, cast

import stripe
from stripe.params import PaymentIntentCreateParams, SetupIntentCreateParams

from linemod.framework.billing.payments.events import PaymentEvent
from linemod.framework.billing.payments.provider import (
    BillingProfile,
    CardDeclinedError,
    CardSetup,
    ChargeRequest,
    ChargeResult,
    PaymentProvider,
    PaymentProviderError,
    PaymentProviderUnavailable,
    RefundResult,
    SavedPaymentMethod,
    WebhookSignatureError,
)
from linemod.framework.billing.payments.stripe_conversion import (
    BOT_KEY,
    IDEMPOTENCY_KEY,
    INVOICE_KEY,
    charge_result_from_error,
    charge_result_from_payment_intent,
    payment_event,
    refund_result,
    saved_payment_method,
)
from linemod.framework.settings import Settings

DEFAULT_API_BASE = "https://api.stripe.com"
CURRENCY = "jpy"  # zero-decimal: `amount` is yen as-is

# The SDK retries connection errors and 5xx itself, resending the same Idempotency-Key, which Stripe answers
# with the first call's result. (localstripe ignores the key: see `CardPayments` for the guard that holds.)
MAX_NETWORK_RETRIES = 2
# How many of a customer's most recent charges `find_charge` looks through. A lookup only happens for an
# attempt whose first call never came back, which is the customer's latest charge or close to it.
LOOKUP_DEPTH = 100

T = TypeVar("T")


class StripeProvider:
    """`PaymentProvider` on Stripe. Close it with `aclose()` (its httpx client holds connections)."""

    name = "stripe"

    def __init__(
        self,
        api_key: str,
        *,
        webhook_secret: str | None = None,
        api_base: str = DEFAULT_API_BASE,
        timeout_seconds: float = 30.0,
        http_client: stripe.HTTPClient | None = None,
        localstripe: bool = False,
    ) -> None:
        self._http = http_client or stripe.HTTPXClient(timeout=timeout_seconds)
        self._stripe = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base.rstrip("/")},
            http_client=self._http,
            max_network_retries=MAX_NETWORK_RETRIES,
        )
        self._webhook_secret = webhook_secret
        self._card_types_param = "payment_method_types" if localstripe else "allowed_payment_method_types"

    @classmethod
    def from_settings(cls, settings: Settings) -> StripeProvider:
        if not settings.stripe_api_key:
            raise PaymentProviderError("card payments need LINEMOD_STRIPE_API_KEY (a secret key, sk_...)")
        return cls(
            settings.stripe_api_key,
            webhook_secret=settings.stripe_webhook_secret,
            api_base=settings.stripe_api_base,
            localstripe=settings.stripe_api_base.rstrip("/") != DEFAULT_API_BASE,
        )

    async def aclose(self) -> None:
        await self._http.close_async()

    async def create_customer(self, bot_id: str, profile: BillingProfile, *, idempotency_key: str) -> str:
        customer = await _call(
            "create a customer",
            self._stripe.v1.customers.create_async(
                {"name": profile.name, "email": profile.email, "metadata": {BOT_KEY: bot_id}},
                {"idempotency_key": idempotency_key},
            ),
        )
        return str(customer.to_dict()["id"])

    async def update_customer(self, customer_id: str, profile: BillingProfile) -> None:
        await _call(
            "update a customer",
            self._stripe.v1.customers.update_async(customer_id, {"name": profile.name, "email": profile.email}),
        )

    async def start_card_setup(self, customer_id: str, *, idempotency_key: str) -> CardSetup:
        params = cast(
            SetupIntentCreateParams,
            {"customer": customer_id, "usage": "off_session", self._card_types_param: ["card"]},
        )
        intent = await _call(
            "start a card setup",
            self._stripe.v1.setup_intents.create_async(params, {"idempotency_key": idempotency_key}),
        )
        data = intent.to_dict()
        return CardSetup(setup_id=str(data["id"]), client_secret=str(data["client_secret"]))

    async def saved_payment_method(self, customer_id: str, setup_id: str) -> SavedPaymentMethod:
        intent = (
            await _call(
                "read a card setup",
                self._stripe.v1.setup_intents.retrieve_async(setup_id, {"expand": ["payment_method"]}),
            )
        ).to_dict()
        if intent.get("status") != "succeeded":
            raise PaymentProviderError(f"card setup {setup_id} has not succeeded (status {intent.get('status')})")
        if intent.get("customer") not in (None, customer_id):
            raise PaymentProviderError(f"card setup {setup_id} belongs to another customer")
        method = intent.get("payment_method")
        if not isinstance(method, Mapping):
            raise PaymentProviderError(f"card setup {setup_id} has no payment method")
        owner = method.get("customer")
        if owner is None:
            # Stripe attaches the card to the SetupIntent's customer when it succeeds; localstripe does not.
            method = (
                await _call(
                    "attach a card",
                    self._stripe.v1.payment_methods.attach_async(str(method["id"]), {"customer": customer_id}),
                )
            ).to_dict()
        elif owner != customer_id:
            raise PaymentProviderError(f"the card of setup {setup_id} belongs to another customer")
        return saved_payment_method(method)

    async def charge(self, request: ChargeRequest) -> ChargeResult:
        params = {
            "amount": request.amount_yen,
            "currency": CURRENCY,
            "customer": request.customer_id,
            "payment_method": request.payment_method_id,
            self._card_types_param: ["card"],
            "confirm": True,
            "off_session": True,  # merchant-initiated: the cardholder is not there to authenticate
            "metadata": {
                INVOICE_KEY: request.invoice_id,
                IDEMPOTENCY_KEY: request.idempotency_key,
                BOT_KEY: request.bot_id,
            },
        }
        try:
            intent = await _call(
                "charge a card",
                self._stripe.v1.payment_intents.create_async(
                    cast(PaymentIntentCreateParams, params), {"idempotency_key": request.idempotency_key}
                ),
            )
        except CardDeclinedError as declined:
            result = charge_result_from_error(declined.error, request.amount_yen)
            if result.payment_id is None and result.charge_id is not None:
                result = await self._with_payment_id(result)
            return result
        return charge_result_from_payment_intent(intent.to_dict())

    async def _with_payment_id(self, result: ChargeResult) -> ChargeResult:
        """localstripe's decline names the charge only; its PaymentIntent is on the charge."""
        assert result.charge_id is not None
        charge = (await _call("read a charge", self._stripe.v1.charges.retrieve_async(result.charge_id))).to_dict()
        intent = charge.get("payment_intent")
        payment_id = intent if isinstance(intent, str) else None
        return replace(result, payment_id=payment_id)

    async def find_charge(self, customer_id: str, idempotency_key: str) -> ChargeResult | None:
        listing = await _call(
            "list charges",
            self._stripe.v1.charges.list_async(
                {"customer": customer_id, "limit": LOOKUP_DEPTH, "expand": ["data.payment_intent"]}
            ),
        )
        for charge in listing.to_dict().get("data", []):
            intent = charge.get("payment_intent")
            if isinstance(intent, Mapping) and intent.get("metadata", {}).get(IDEMPOTENCY_KEY) == idempotency_key:
                return charge_result_from_payment_intent(intent)
        return None

    async def refund(self, payment_id: str, amount_yen: int, *, idempotency_key: str) -> RefundResult:
        refund = await _call(
            "refund a payment",
            self._stripe.v1.refunds.create_async(
                {"payment_intent": payment_id, "amount": amount_yen, "metadata": {IDEMPOTENCY_KEY: idempotency_key}},
                {"idempotency_key": idempotency_key},
            ),
        )
        return refund_result(refund.to_dict())

    async def find_refund(self, payment_id: str, idempotency_key: str) -> RefundResult | None:
        listing = await _call(
            "list refunds",
            self._stripe.v1.refunds.list_async({"payment_intent": payment_id, "limit": LOOKUP_DEPTH}),
        )
        for refund in listing.to_dict().get("data", []):
            if refund.get("metadata", {}).get(IDEMPOTENCY_KEY) == idempotency_key:
                return refund_result(refund)
        return None

    def parse_webhook(self, raw_body: bytes, signature: str | None) -> Sequence[PaymentEvent]:
        if not self._webhook_secret:
            raise WebhookSignatureError("no webhook secret is configured (LINEMOD_STRIPE_WEBHOOK_SECRET)")
        try:
            # Verified on the bytes as received: re-serialised JSON would not match the signature.
            event = self._stripe.construct_event(raw_body, signature, self._webhook_secret)
        except (stripe.SignatureVerificationError, ValueError, UnicodeDecodeError) as error:
            raise WebhookSignatureError(f"Stripe webhook refused: {error}") from None
        converted = payment_event(event.to_dict())
        return [converted] if converted is not None else []


if TYPE_CHECKING:
    _conforms: type[PaymentProvider] = StripeProvider  # mypy holds the adapter to the Protocol


async def _call(what: str, call: Awaitable[T]) -> T:
    """One SDK call, its errors as linemod's: a refused card as `CardDeclinedError` (`charge` makes it a
    result), an unknown outcome as `PaymentProviderUnavailable`, anything else as `PaymentProviderError`."""
    try:
        return await call
    except stripe.CardError as error:
        body = error.json_body if isinstance(error.json_body, Mapping) else {}
        details = body.get("error")
        details = details if isinstance(details, Mapping) else {"message": error.user_message}
        raise CardDeclinedError(f"Stripe could not {what}: {error.user_message}", details) from None
    except (stripe.APIConnectionError, stripe.RateLimitError) as error:
        raise PaymentProviderUnavailable(f"Stripe could not {what}: {error.user_message}") from error
    except stripe.APIError as error:  # 5xx: Stripe may or may not have done it
        raise PaymentProviderUnavailable(f"Stripe could not {what}: {error.user_message}") from error
    except stripe.StripeError as error:
        raise PaymentProviderError(f"Stripe refused to {what}: {error.user_message}") from error
