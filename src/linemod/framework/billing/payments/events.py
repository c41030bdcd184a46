"""The payment events billing reacts to, whatever provider sent them.

A provider's webhook is verified and converted by its adapter (`PaymentProvider.parse_webhook`); what comes
out is one of these frozen records, so dunning, receipts and the console never read a provider's payload.
`event_id` is the provider's own event id: store it to ignore a redelivered webhook.
"""

from __future__ import annotations

from dataclasses import dataclass

from linemod.framework.billing.payments.provider import ChargeOutcome, SavedPaymentMethod


@dataclass(frozen=True)
class PaymentSucceeded:
    event_id: str
    payment_id: str
    amount_yen: int
    charge_id: str | None = None
    customer_id: str | None = None
    invoice_id: str | None = None
    """linemod's invoice, from the metadata the charge was created with (None for payments made elsewhere)."""
    idempotency_key: str | None = None


@dataclass(frozen=True)
class PaymentFailed:
    event_id: str
    payment_id: str
    amount_yen: int
    outcome: ChargeOutcome
    """`declined`, `hard_declined` or `requires_action`, classified as a synchronous decline would be."""
    failure_code: str | None = None
    decline_code: str | None = None
    message: str | None = None
    customer_id: str | None = None
    invoice_id: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class PaymentMethodAttached:
    event_id: str
    payment_method: SavedPaymentMethod


@dataclass(frozen=True)
class PaymentMethodUpdated:
    """The card's details changed (a new expiry from the network's card updater, for instance)."""

    event_id: str
    payment_method: SavedPaymentMethod


@dataclass(frozen=True)
class PaymentMethodExpiring:
    """The provider warns that the card expires at the end of its expiry month."""

    event_id: str
    payment_method: SavedPaymentMethod


@dataclass(frozen=True)
class RefundSucceeded:
    event_id: str
    refund_id: str
    amount_yen: int
    payment_id: str | None = None
    charge_id: str | None = None


PaymentEvent = (
    PaymentSucceeded
    | PaymentFailed
    | PaymentMethodAttached
    | PaymentMethodUpdated
    | PaymentMethodExpiring
    | RefundSucceeded
)
