"""Stripe webhooks localstripe does not send (payment methods, card expiry, refunds, failures), signed here
with the SDK's own test helper and the shared secret: verified on the raw bytes, turned into linemod's events."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import stripe

from linemod.framework.billing.payments.card_payments import CardPayments
from linemod.framework.billing.payments.events import (
    PaymentFailed,
    PaymentMethodExpiring,
    PaymentMethodUpdated,
    RefundSucceeded,
)
from linemod.framework.billing.payments.provider import (
    BillingProfile,
    ChargeOutcome,
    SavedPaymentMethod,
    WebhookSignatureError,
)
from linemod.framework.billing.payments.stripe_adapter import StripeProvider
from tests.framework.billing.payments.fakes import FakeProvider

SECRET = "whsec_recorded"
BOT = "U" + "d" * 32


def signed(event_type: str, obj: dict[str, Any], *, secret: str = SECRET, at: int | None = None) -> tuple[bytes, str]:
    body = json.dumps({"id": "evt_1", "object": "event", "type": event_type, "created": 1, "data": {"object": obj}})
    header = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=at)
    return body.encode(), header


@pytest.fixture
def provider() -> StripeProvider:
    return StripeProvider("sk_test_x", webhook_secret=SECRET, api_base="https://stripe.test")


CARD = {"id": "pm_1", "object": "payment_method", "customer": "cus_1",
        "card": {"brand": "jcb", "last4": "0000", "exp_month": 3, "exp_year": 2031}}


def test_a_card_updated_by_the_network_arrives_as_payment_method_updated(provider: StripeProvider) -> None:
    [event] = provider.parse_webhook(*signed("payment_method.automatically_updated", CARD))
    assert event == PaymentMethodUpdated("evt_1", SavedPaymentMethod("pm_1", "cus_1", "jcb", "0000", 3, 2031))


def test_an_expiring_card_arrives_as_payment_method_expiring(provider: StripeProvider) -> None:
    card = {"id": "card_1", "object": "card", "customer": "cus_1", "brand": "Visa", "last4": "4242",
            "exp_month": 12, "exp_year": 2026}
    [event] = provider.parse_webhook(*signed("customer.source.expiring", card))
    assert event == PaymentMethodExpiring("evt_1", SavedPaymentMethod("card_1", "cus_1", "visa", "4242", 12, 2026))


def test_a_succeeded_refund_arrives_as_refund_succeeded(provider: StripeProvider) -> None:
    refund = {"id": "re_1", "object": "refund", "amount": 1100, "status": "succeeded", "payment_intent": "pi_1",
              "charge": "ch_1"}
    [event] = provider.parse_webhook(*signed("refund.updated", refund))
    assert event == RefundSucceeded("evt_1", "re_1", 1100, "pi_1", "ch_1")
    assert provider.parse_webhook(*signed("refund.updated", {**refund, "status": "pending"})) == []


def test_a_failed_payment_is_classified_like_a_synchronous_decline(provider: StripeProvider) -> None:
    intent = {"id": "pi_1", "object": "payment_intent", "amount": 3300, "status": "requires_payment_method",
              "customer": "cus_1", "metadata": {"linemod_invoice_id": "inv_1", "linemod_idempotency_key": "k"},
              "last_payment_error": {"code": "card_declined", "decline_code": "lost_card", "message": "declined"}}
    [event] = provider.parse_webhook(*signed("payment_intent.payment_failed", intent))
    assert isinstance(event, PaymentFailed)
    assert (event.outcome, event.decline_code, event.invoice_id, event.amount_yen) == (
        ChargeOutcome.HARD_DECLINED, "lost_card", "inv_1", 3300
    )


def test_event_types_billing_does_not_use_are_verified_then_ignored(provider: StripeProvider) -> None:
    assert provider.parse_webhook(*signed("customer.created", {"id": "cus_1", "object": "customer"})) == []


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda body, header: (body, header.replace("v1=", "v1=0")), id="wrong signature"),
        pytest.param(lambda body, header: (body + b" ", header), id="body changed after signing"),
        pytest.param(lambda body, header: (body, ""), id="no signature"),
        pytest.param(lambda body, header: signed("refund.updated", {}, secret="whsec_other"), id="other secret"),
        pytest.param(lambda body, header: signed("refund.updated", {}, at=int(time.time()) - 3600), id="replayed"),
    ],
)
def test_a_webhook_that_does_not_check_out_is_refused(provider: StripeProvider, forge: Any) -> None:
    body, header = signed("refund.updated", {"id": "re_1", "object": "refund", "status": "succeeded"})
    with pytest.raises(WebhookSignatureError):
        provider.parse_webhook(*forge(body, header))


def test_without_a_webhook_secret_every_webhook_is_refused() -> None:
    with pytest.raises(WebhookSignatureError, match="LINEMOD_STRIPE_WEBHOOK_SECRET"):
        StripeProvider("sk_test_x").parse_webhook(*signed("refund.updated", {}))


async def test_a_card_update_reaches_the_stored_card(db, clock) -> None:  # type: ignore[no-untyped-def]
    payments = CardPayments(db, FakeProvider(), clock)
    await payments.ensure_customer(BOT, BillingProfile("Cafe", "cafe@example.jp"))
    await payments.record_card(BOT, "seti_1")

    await payments.apply_event(PaymentMethodUpdated("evt_1", SavedPaymentMethod("pm_1", "cus_1", "visa", "4242", 1,
                                                                                2036)))
    await payments.apply_event(PaymentMethodUpdated("evt_2", SavedPaymentMethod("pm_other", None, "visa", "1", 1, 1)))

    card = await payments.default_card(BOT)
    assert card is not None and (card.exp_month, card.exp_year) == (1, 2036)
