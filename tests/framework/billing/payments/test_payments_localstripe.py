"""Card payments through the Stripe adapter against a real localstripe process: cards saved with SetupIntents,
charged off-session, declined, refunded; webhooks verified on their raw bytes."""

from __future__ import annotations

import time
from typing import Any

import pytest

from linemod.framework.billing.payments.card_payments import DEFAULT_LEASE_SECONDS, CardPayments
from linemod.framework.billing.payments.events import PaymentFailed, PaymentSucceeded
from linemod.framework.billing.payments.payment_ledger import PaymentLedger
from linemod.framework.billing.payments.provider import (
    BillingProfile,
    ChargeOutcome,
    ChargeRequest,
    ChargeResult,
    PaymentProviderError,
    PaymentProviderUnavailable,
    RefundStatus,
    WebhookSignatureError,
)
from linemod.framework.billing.payments.records import PaymentStatus
from linemod.framework.billing.payments.stripe_adapter import StripeProvider
from tests.support.localstripe import WEBHOOK_PATH, LocalStripe
from tests.support.servers import Received, WebhookReceiver

BOT = "U" + "a" * 32
PROFILE = BillingProfile(name="株式会社さくらカフェ", email="billing@sakura.example")
VISA = "4242424242424242"
DECLINED_WHEN_CHARGED = "4000000000000341"
DECLINED_WHEN_SAVED = "4000000000000002"
ALWAYS_3DS = "4000002760003184"


async def save_card(payments: CardPayments, localstripe: LocalStripe, number: str = VISA) -> str:
    """The operator's part: a customer, a card form, the card typed in; then linemod records the card."""
    await payments.ensure_customer(BOT, PROFILE)
    setup = await payments.start_card_setup(BOT)
    intent = localstripe.confirm_card_setup(setup.client_secret, number)
    assert intent["status"] == "succeeded", intent
    card = await payments.record_card(BOT, setup.setup_id)
    return card.payment_method_id


def stripe_webhooks(receiver: WebhookReceiver, event_type: str, object_id: str) -> list[Received]:
    """Waits (bounded) for localstripe's webhook of `event_type` about `object_id`: it sends them a second
    after the change."""
    deadline = time.monotonic() + 15
    while True:
        found = [
            r for r in list(receiver.received)
            if r.path == WEBHOOK_PATH and r.body.get("type") == event_type
            and r.body["data"]["object"].get("id") == object_id
        ]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


async def test_a_card_saved_with_a_setup_intent_is_charged_off_session(card_payments, localstripe) -> None:  # type: ignore[no-untyped-def]
    payment_method = await save_card(card_payments, localstripe)
    card = await card_payments.default_card(BOT)
    assert card is not None and (card.payment_method_id, card.last4, card.exp_year) == (payment_method, "4242", 2034)

    result = await card_payments.charge("inv_1", 3300, bot_id=BOT, attempt=1)

    assert result.outcome is ChargeOutcome.SUCCEEDED and result.payment_id and result.charge_id
    intent = localstripe.get(f"/v1/payment_intents/{result.payment_id}")
    # JPY has no minor unit: ¥3,300 is 3300 on the wire, not 330000.
    assert (intent["amount"], intent["currency"], intent["status"]) == (3300, "jpy", "succeeded")
    assert intent["metadata"]["linemod_invoice_id"] == "inv_1"
    assert intent["customer"] == card.customer_id and intent["payment_method"] == payment_method
    assert await PaymentLedger(card_payments.db).paid_yen("inv_1") == 3300


async def test_the_customer_is_created_once_per_oa_and_follows_profile_changes(card_payments, localstripe) -> None:  # type: ignore[no-untyped-def]
    first = await card_payments.ensure_customer(BOT, PROFILE)
    assert await card_payments.ensure_customer(BOT, PROFILE) == first
    renamed = BillingProfile(name="株式会社さくら", email="pay@sakura.example")
    assert await card_payments.ensure_customer(BOT, renamed) == first
    customer = localstripe.get(f"/v1/customers/{first}")
    assert (customer["name"], customer["email"], customer["metadata"]) == (
        "株式会社さくら", "pay@sakura.example", {"linemod_bot_id": BOT}
    )


async def test_a_card_declined_when_charged_is_a_soft_decline(  # type: ignore[no-untyped-def]
    card_payments, stripe_provider, localstripe, receiver
) -> None:
    await save_card(card_payments, localstripe, DECLINED_WHEN_CHARGED)

    result = await card_payments.charge("inv_2", 5500, bot_id=BOT, attempt=1)

    assert result.outcome is ChargeOutcome.DECLINED and result.retryable
    assert result.failure_code == "card_declined" and result.payment_id and result.charge_id
    [payment] = await PaymentLedger(card_payments.db).payments_for("inv_2")
    assert payment.status is PaymentStatus.DECLINED and payment.provider_payment_id == result.payment_id
    [webhook] = stripe_webhooks(receiver, "payment_intent.payment_failed", result.payment_id)
    [event] = stripe_provider.parse_webhook(webhook.raw, webhook.headers["stripe-signature"])
    assert isinstance(event, PaymentFailed)
    assert (event.outcome, event.failure_code, event.invoice_id) == (ChargeOutcome.DECLINED, "card_declined", "inv_2")


async def test_a_card_refused_by_the_form_is_not_recorded(card_payments, localstripe) -> None:  # type: ignore[no-untyped-def]
    await card_payments.ensure_customer(BOT, PROFILE)
    setup = await card_payments.start_card_setup(BOT)
    refused = localstripe.confirm_card_setup(setup.client_secret, DECLINED_WHEN_SAVED)
    assert refused["error"]["code"] == "card_declined"

    with pytest.raises(PaymentProviderError, match="has not succeeded"):
        await card_payments.record_card(BOT, setup.setup_id)
    assert await card_payments.default_card(BOT) is None


async def test_a_card_that_needs_3d_secure_off_session_asks_for_action_and_is_paid_on_session(  # type: ignore[no-untyped-def]
    card_payments, stripe_provider, localstripe, receiver
) -> None:
    await save_card(card_payments, localstripe, ALWAYS_3DS)

    result = await card_payments.charge("inv_3", 3300, bot_id=BOT, attempt=1)

    assert result.outcome is ChargeOutcome.REQUIRES_ACTION
    assert result.client_secret and result.client_secret.startswith(f"{result.payment_id}_secret_")
    assert localstripe.charges(await card_payments.customer_id(BOT)) == []

    # The operator pays now: 3-D Secure passes in the browser, Stripe's webhook settles linemod's attempt.
    localstripe.authenticate_payment(result.client_secret)
    [webhook] = stripe_webhooks(receiver, "payment_intent.succeeded", result.payment_id)
    [event] = stripe_provider.parse_webhook(webhook.raw, webhook.headers["stripe-signature"])
    settled = await card_payments.apply_event(event)
    assert settled is not None and settled.status is PaymentStatus.SUCCEEDED
    assert await PaymentLedger(card_payments.db).paid_yen("inv_3") == 3300


async def test_a_refund_returns_part_of_a_payment_once_per_reference(card_payments, localstripe) -> None:  # type: ignore[no-untyped-def]
    await save_card(card_payments, localstripe)
    await card_payments.charge("inv_4", 11000, bot_id=BOT, attempt=1)
    [payment] = await PaymentLedger(card_payments.db).payments_for("inv_4")

    refund = await card_payments.refund(payment.id, 1100, reference="return_1")
    again = await card_payments.refund(payment.id, 1100, reference="return_1")

    assert refund.status is RefundStatus.SUCCEEDED and refund.amount_yen == 1100
    assert again.refund_id == refund.refund_id
    charge = localstripe.get(f"/v1/charges/{localstripe.charges(await card_payments.customer_id(BOT))[0]['id']}")
    assert charge["amount_refunded"] == 1100
    assert await PaymentLedger(card_payments.db).paid_yen("inv_4") == 9900
    with pytest.raises(ValueError, match="more than what is left"):
        await card_payments.refund(payment.id, 9901, reference="return_2")


async def test_charging_the_same_attempt_twice_charges_once(card_payments, localstripe) -> None:  # type: ignore[no-untyped-def]
    await save_card(card_payments, localstripe)

    first = await card_payments.charge("inv_5", 3300, bot_id=BOT, attempt=1)
    second = await card_payments.charge("inv_5", 3300, bot_id=BOT, attempt=1)

    assert second == first
    assert len(localstripe.charges(await card_payments.customer_id(BOT))) == 1


class LosesTheFirstAnswer:
    """The Stripe adapter, except that the first charge's answer is lost on the way back (a read timeout):
    localstripe charged the card, linemod does not know it."""

    def __init__(self, provider: StripeProvider) -> None:
        self.provider = provider
        self.name = provider.name
        self.lost = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.provider, name)

    async def charge(self, request: ChargeRequest) -> ChargeResult:
        result = await self.provider.charge(request)
        if not self.lost:
            self.lost = True
            raise PaymentProviderUnavailable("Stripe could not charge a card: read timed out")
        return result


async def test_a_charge_retried_after_a_timeout_is_not_charged_twice(  # type: ignore[no-untyped-def]
    db, stripe_provider, clock, localstripe
) -> None:
    payments = CardPayments(db, LosesTheFirstAnswer(stripe_provider), clock)  # type: ignore[arg-type]
    await save_card(payments, localstripe)
    with pytest.raises(PaymentProviderUnavailable):
        await payments.charge("inv_8", 3300, bot_id=BOT, attempt=1)

    clock.advance(DEFAULT_LEASE_SECONDS + 1)  # the first call is presumed dead: the next one may take over
    result = await payments.charge("inv_8", 3300, bot_id=BOT, attempt=1)

    [charge] = localstripe.charges(await payments.customer_id(BOT))
    assert result.outcome is ChargeOutcome.SUCCEEDED and result.charge_id == charge["id"]
    [payment] = await PaymentLedger(db).payments_for("inv_8")
    assert payment.status is PaymentStatus.SUCCEEDED and payment.provider_payment_id == charge["payment_intent"]


async def test_localstripe_ignores_idempotency_keys_which_is_why_linemod_guards_itself(  # type: ignore[no-untyped-def]
    card_payments, stripe_provider, localstripe
) -> None:
    payment_method = await save_card(card_payments, localstripe)
    customer = await card_payments.customer_id(BOT)
    request = ChargeRequest("inv_6", 3300, customer, payment_method, "charge:inv_6:1", BOT)

    await stripe_provider.charge(request)
    await stripe_provider.charge(request)

    # Stripe would answer the second call with the first one's PaymentIntent; localstripe charges again.
    assert len(localstripe.charges(customer)) == 2


async def test_a_localstripe_webhook_is_verified_on_its_raw_bytes_and_a_tampered_one_refused(  # type: ignore[no-untyped-def]
    card_payments, stripe_provider: StripeProvider, localstripe, receiver
) -> None:
    await save_card(card_payments, localstripe)
    result = await card_payments.charge("inv_7", 3300, bot_id=BOT, attempt=1)
    assert result.payment_id is not None

    [webhook] = stripe_webhooks(receiver, "payment_intent.succeeded", result.payment_id)
    signature = webhook.headers["stripe-signature"]
    [event] = stripe_provider.parse_webhook(webhook.raw, signature)

    assert isinstance(event, PaymentSucceeded)
    assert (event.payment_id, event.amount_yen, event.invoice_id, event.idempotency_key) == (
        result.payment_id, 3300, "inv_7", "charge:inv_7:1"
    )
    settled = await card_payments.apply_event(event)
    assert settled is not None and settled.status is PaymentStatus.SUCCEEDED and settled.invoice_id == "inv_7"
    tampered = webhook.raw.replace(b'"amount": 3300', b'"amount": 1')
    assert tampered != webhook.raw
    with pytest.raises(WebhookSignatureError):
        stripe_provider.parse_webhook(tampered, signature)
    with pytest.raises(WebhookSignatureError):
        stripe_provider.parse_webhook(webhook.raw, None)
