"""Stripe's JSON (from the SDK's `to_dict()`) into linemod's payment records and events.

Pure functions on plain dicts, so each rule is tested on recorded payloads without a server. The adapter
(`stripe_adapter.py`) makes the calls; this module reads what came back. Fields are read defensively: the
same objects come from Stripe (newest API version) and from localstripe (older shapes, e.g. `latest_charge`
expanded into an object, no `decline_code` on errors).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from linemod.framework.billing.payments.declines import classify_decline
from linemod.framework.billing.payments.events import (
    PaymentEvent,
    PaymentFailed,
    PaymentMethodAttached,
    PaymentMethodExpiring,
    PaymentMethodUpdated,
    PaymentSucceeded,
    RefundSucceeded,
)
from linemod.framework.billing.payments.provider import (
    ChargeOutcome,
    ChargeResult,
    RefundResult,
    RefundStatus,
    SavedPaymentMethod,
)

Json = Mapping[str, Any]

# The metadata every PaymentIntent linemod creates carries: how a webhook or a lookup finds linemod's own ids.
INVOICE_KEY = "linemod_invoice_id"
IDEMPOTENCY_KEY = "linemod_idempotency_key"
BOT_KEY = "linemod_bot_id"


def _id_of(value: Any) -> str | None:
    """An expandable field: an id, or the expanded object carrying one."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        found = value.get("id")
        return found if isinstance(found, str) else None
    return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _metadata(obj: Json) -> Mapping[str, Any]:
    metadata = obj.get("metadata")
    return metadata if isinstance(metadata, Mapping) else {}


def charge_result_from_payment_intent(intent: Json) -> ChargeResult:
    """A PaymentIntent after confirmation, as linemod's result."""
    status = intent.get("status")
    amount = int(intent.get("amount") or 0)
    common: dict[str, Any] = {
        "amount_yen": amount,
        "payment_id": _id_of(intent.get("id")),
        "charge_id": _id_of(intent.get("latest_charge")),
    }
    if status == "succeeded":
        return ChargeResult(ChargeOutcome.SUCCEEDED, **common)
    if status in ("processing", "requires_capture"):
        return ChargeResult(ChargeOutcome.PROCESSING, **common)
    if status in ("requires_action", "requires_confirmation"):
        return ChargeResult(ChargeOutcome.REQUIRES_ACTION, client_secret=_str(intent.get("client_secret")), **common)
    error = intent.get("last_payment_error")
    error = error if isinstance(error, Mapping) else {}
    outcome = classify_decline(_str(error.get("code")), _str(error.get("decline_code")), _str(error.get("advice_code")))
    return ChargeResult(
        outcome,
        failure_code=_str(error.get("code")) or ("canceled" if status == "canceled" else None),
        decline_code=_str(error.get("decline_code")),
        message=_str(error.get("message")),
        client_secret=_str(intent.get("client_secret")) if outcome is ChargeOutcome.REQUIRES_ACTION else None,
        **common,
    )


def charge_result_from_error(error: Json, amount_yen: int) -> ChargeResult:
    """A card error (HTTP 402) answering a PaymentIntent create-and-confirm. Stripe puts the PaymentIntent in
    the error; localstripe only the charge id."""
    intent = error.get("payment_intent")
    outcome = classify_decline(_str(error.get("code")), _str(error.get("decline_code")), _str(error.get("advice_code")))
    client_secret = None
    if isinstance(intent, Mapping) and outcome is ChargeOutcome.REQUIRES_ACTION:
        client_secret = _str(intent.get("client_secret"))
    charge_id = _id_of(error.get("charge"))
    if charge_id is None and isinstance(intent, Mapping):
        charge_id = _id_of(intent.get("latest_charge"))
    return ChargeResult(
        outcome,
        amount_yen=amount_yen,
        payment_id=_id_of(intent),
        charge_id=charge_id,
        failure_code=_str(error.get("code")),
        decline_code=_str(error.get("decline_code")),
        message=_str(error.get("message")),
        client_secret=client_secret,
    )


def saved_payment_method(method: Json) -> SavedPaymentMethod:
    """A card PaymentMethod (or a legacy `card_...` object, as `customer.source.expiring` sends)."""
    card = method.get("card") if method.get("object") == "payment_method" else method
    card = card if isinstance(card, Mapping) else {}
    return SavedPaymentMethod(
        payment_method_id=str(method.get("id") or ""),
        customer_id=_id_of(method.get("customer")),
        brand=str(card.get("brand") or "unknown").lower(),
        last4=str(card.get("last4") or ""),
        exp_month=int(card.get("exp_month") or 0),
        exp_year=int(card.get("exp_year") or 0),
    )


def refund_result(refund: Json) -> RefundResult:
    status = {"succeeded": RefundStatus.SUCCEEDED, "failed": RefundStatus.FAILED, "canceled": RefundStatus.FAILED}
    return RefundResult(
        refund_id=str(refund.get("id") or ""),
        status=status.get(str(refund.get("status")), RefundStatus.PENDING),
        amount_yen=int(refund.get("amount") or 0),
        payment_id=_id_of(refund.get("payment_intent")),
    )


def payment_event(event: Json) -> PaymentEvent | None:
    """The linemod event a Stripe webhook event stands for; None for the types billing does not use."""
    event_id = str(event.get("id") or "")
    kind = event.get("type")
    data = event.get("data")
    obj = data.get("object") if isinstance(data, Mapping) else None
    if not isinstance(obj, Mapping):
        return None
    if kind == "payment_intent.succeeded":
        metadata = _metadata(obj)
        return PaymentSucceeded(
            event_id=event_id,
            payment_id=str(obj.get("id") or ""),
            amount_yen=int(obj.get("amount_received") or obj.get("amount") or 0),
            charge_id=_id_of(obj.get("latest_charge")),
            customer_id=_id_of(obj.get("customer")),
            invoice_id=_str(metadata.get(INVOICE_KEY)),
            idempotency_key=_str(metadata.get(IDEMPOTENCY_KEY)),
        )
    if kind in ("payment_intent.payment_failed", "payment_intent.requires_action"):
        result = charge_result_from_payment_intent(obj)
        metadata = _metadata(obj)
        outcome = result.outcome if result.outcome is not ChargeOutcome.SUCCEEDED else ChargeOutcome.DECLINED
        return PaymentFailed(
            event_id=event_id,
            payment_id=str(obj.get("id") or ""),
            amount_yen=result.amount_yen,
            outcome=outcome,
            failure_code=result.failure_code,
            decline_code=result.decline_code,
            message=result.message,
            customer_id=_id_of(obj.get("customer")),
            invoice_id=_str(metadata.get(INVOICE_KEY)),
            idempotency_key=_str(metadata.get(IDEMPOTENCY_KEY)),
        )
    if kind == "payment_method.attached":
        return PaymentMethodAttached(event_id, saved_payment_method(obj))
    if kind in ("payment_method.updated", "payment_method.automatically_updated"):
        return PaymentMethodUpdated(event_id, saved_payment_method(obj))
    if kind == "customer.source.expiring":
        return PaymentMethodExpiring(event_id, saved_payment_method(obj))
    if kind in ("refund.created", "refund.updated", "charge.refund.updated") and obj.get("status") == "succeeded":
        return RefundSucceeded(
            event_id=event_id,
            refund_id=str(obj.get("id") or ""),
            amount_yen=int(obj.get("amount") or 0),
            payment_id=_id_of(obj.get("payment_intent")),
            charge_id=_id_of(obj.get("charge")),
        )
    return None
