"""Which declines dunning retries, checked on Stripe's codes and, through the adapter, on error bodies shaped as
Stripe documents them (localstripe only ever answers `card_declined` without a `decline_code`, so it cannot
produce a hard decline); and what the adapter puts on the wire."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

import pytest
import stripe

from linemod.framework.billing.payments.declines import HARD_DECLINE_CODES, classify_decline
from linemod.framework.billing.payments.provider import (
    ChargeOutcome,
    ChargeRequest,
    PaymentProviderError,
    PaymentProviderUnavailable,
)
from linemod.framework.billing.payments.stripe_adapter import StripeProvider

REQUEST = ChargeRequest("inv_42", 3300, "cus_A", "pm_A", "charge:inv_42:1", "U" + "b" * 32)


@pytest.mark.parametrize(
    ("code", "decline_code", "advice_code", "outcome"),
    [
        ("card_declined", "stolen_card", None, ChargeOutcome.HARD_DECLINED),
        ("card_declined", "lost_card", None, ChargeOutcome.HARD_DECLINED),
        ("card_declined", "pickup_card", None, ChargeOutcome.HARD_DECLINED),
        ("card_declined", "fraudulent", None, ChargeOutcome.HARD_DECLINED),
        ("card_declined", "do_not_honor", None, ChargeOutcome.HARD_DECLINED),
        ("card_declined", "revocation_of_authorization", None, ChargeOutcome.HARD_DECLINED),
        ("expired_card", "expired_card", None, ChargeOutcome.HARD_DECLINED),
        ("incorrect_number", None, None, ChargeOutcome.HARD_DECLINED),
        ("card_declined", "insufficient_funds", None, ChargeOutcome.DECLINED),
        ("card_declined", "generic_decline", None, ChargeOutcome.DECLINED),
        ("card_declined", "card_velocity_exceeded", None, ChargeOutcome.DECLINED),
        ("card_declined", "try_again_later", None, ChargeOutcome.DECLINED),
        ("processing_error", None, None, ChargeOutcome.DECLINED),
        ("card_declined", None, None, ChargeOutcome.DECLINED),  # what localstripe answers
        ("card_declined", "some_code_stripe_adds_later", None, ChargeOutcome.DECLINED),
        ("card_declined", "generic_decline", "do_not_try_again", ChargeOutcome.HARD_DECLINED),
        ("card_declined", "do_not_honor", "try_again_later", ChargeOutcome.DECLINED),
        ("card_declined", "stolen_card", "try_again_later", ChargeOutcome.HARD_DECLINED),
        ("authentication_required", "authentication_required", None, ChargeOutcome.REQUIRES_ACTION),
    ],
)
def test_hard_declines_are_never_retried_and_unknown_ones_are(
    code: str, decline_code: str | None, advice_code: str | None, outcome: ChargeOutcome
) -> None:
    assert classify_decline(code, decline_code, advice_code) is outcome


def test_every_hard_decline_code_says_why() -> None:
    assert all(reason for reason in HARD_DECLINE_CODES.values())


class RecordedStripe(stripe.HTTPClient):
    """Answers each request with the next recorded response and keeps what was sent."""

    name = "recorded"

    def __init__(self, *responses: tuple[int, Mapping[str, Any]]) -> None:
        super().__init__()
        self.responses = list(responses)
        self.sent: list[tuple[str, str, dict[str, str], dict[str, list[str]]]] = []

    async def request_async(  # type: ignore[override]
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any = None
    ) -> tuple[bytes, int, Mapping[str, str]]:
        self.sent.append((method, url, dict(headers), parse_qs(post_data or "")))
        status, body = self.responses.pop(0)
        # Stripe's own hint: do not retry (keeps these tests from waiting on the SDK's backoff).
        return json.dumps(body).encode(), status, {"stripe-should-retry": "false"}

    async def close_async(self) -> None:
        pass


def card_error(decline_code: str | None, code: str = "card_declined", **extra: Any) -> dict[str, Any]:
    intent = {
        "id": "pi_3Q", "object": "payment_intent", "amount": 3300, "currency": "jpy",
        "status": "requires_payment_method", "client_secret": "pi_3Q_secret_x", "latest_charge": "ch_3Q",
        "metadata": {"linemod_invoice_id": "inv_42"},
    }
    return {"error": {"type": "card_error", "code": code, "decline_code": decline_code, "charge": "ch_3Q",
                      "message": "Your card was declined.", "payment_intent": intent, **extra}}


def provider(http: RecordedStripe, **options: Any) -> StripeProvider:
    return StripeProvider("sk_test_recorded", api_base="https://stripe.test", http_client=http, **options)


@pytest.mark.parametrize(
    ("body", "outcome"),
    [
        (card_error("stolen_card"), ChargeOutcome.HARD_DECLINED),
        (card_error("do_not_honor"), ChargeOutcome.HARD_DECLINED),
        (card_error("do_not_honor", advice_code="try_again_later"), ChargeOutcome.DECLINED),
        (card_error("insufficient_funds"), ChargeOutcome.DECLINED),
        (card_error("authentication_required", code="authentication_required"), ChargeOutcome.REQUIRES_ACTION),
    ],
)
async def test_a_stripe_decline_becomes_a_typed_result_with_the_providers_ids(
    body: dict[str, Any], outcome: ChargeOutcome
) -> None:
    result = await provider(RecordedStripe((402, body))).charge(REQUEST)

    assert result.outcome is outcome
    assert (result.payment_id, result.charge_id, result.amount_yen) == ("pi_3Q", "ch_3Q", 3300)
    assert result.decline_code == body["error"]["decline_code"]
    assert result.client_secret == ("pi_3Q_secret_x" if outcome is ChargeOutcome.REQUIRES_ACTION else None)


async def test_a_charge_is_sent_in_yen_off_session_with_linemods_idempotency_key() -> None:
    succeeded = {"id": "pi_1", "object": "payment_intent", "amount": 3300, "status": "succeeded",
                 "latest_charge": "ch_1"}
    http = RecordedStripe((200, succeeded))

    result = await provider(http).charge(REQUEST)

    assert result.outcome is ChargeOutcome.SUCCEEDED and result.payment_id == "pi_1"
    [(method, url, headers, form)] = http.sent
    assert (method, url) == ("post", "https://stripe.test/v1/payment_intents")
    assert headers["Idempotency-Key"] == "charge:inv_42:1"
    assert form["amount"] == ["3300"] and form["currency"] == ["jpy"]
    assert form["off_session"] == ["true"] and form["confirm"] == ["true"]
    assert form["metadata[linemod_invoice_id]"] == ["inv_42"]
    # The API version the SDK pins refuses `payment_method_types`; localstripe knows only that name.
    assert form["allowed_payment_method_types[0]"] == ["card"] and "payment_method_types[0]" not in form


async def test_the_localstripe_dialect_names_card_types_the_old_way() -> None:
    http = RecordedStripe((200, {"id": "pi_1", "object": "payment_intent", "amount": 3300, "status": "succeeded"}))
    await provider(http, localstripe=True).charge(REQUEST)
    [(_, _, _, form)] = http.sent
    assert form["payment_method_types[0]"] == ["card"] and "allowed_payment_method_types[0]" not in form


async def test_a_server_error_leaves_the_outcome_unknown_and_a_bad_request_is_an_error() -> None:
    server_error = {"error": {"type": "api_error", "message": "Something went wrong"}}
    with pytest.raises(PaymentProviderUnavailable):
        await provider(RecordedStripe((500, server_error))).charge(REQUEST)
    bad_request = {"error": {"type": "invalid_request_error", "message": "No such PaymentMethod: 'pm_A'"}}
    with pytest.raises(PaymentProviderError) as refused:
        await provider(RecordedStripe((400, bad_request))).charge(REQUEST)
    assert not isinstance(refused.value, PaymentProviderUnavailable)
