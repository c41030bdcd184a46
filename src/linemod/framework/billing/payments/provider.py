"""What billing asks of a card payment provider, and what it gets back: a Protocol and linemod's own records.

An adapter (`stripe_adapter.StripeProvider`, or a fake in tests) turns these calls into the provider's API and
its answers into the frozen records below; nothing of the provider's SDK leaves the adapter. Every call that
creates something takes an idempotency key made from linemod's own ids, so repeating it after a timeout
returns what the first call did instead of doing it twice (on providers that honour keys: see `CardPayments`
for the guard that holds even where they do not).

Amounts are integer yen. JPY is a zero-decimal currency, so ¥3,300 is sent as 3300: there is no minor unit
to convert to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from linemod.framework.billing.payments.events import PaymentEvent


@dataclass(frozen=True)
class BillingProfile:
    """Who pays for an OA: the name and address the provider keeps on its customer record."""

    name: str
    email: str


@dataclass(frozen=True)
class CardSetup:
    """A card form to show: Stripe.js confirms `client_secret` with the card the operator types."""

    setup_id: str
    client_secret: str


@dataclass(frozen=True)
class SavedPaymentMethod:
    """A card saved for off-session charges. The number itself never reaches linemod."""

    payment_method_id: str
    customer_id: str | None
    brand: str
    last4: str
    exp_month: int
    exp_year: int


class ChargeOutcome(StrEnum):
    SUCCEEDED = "succeeded"
    DECLINED = "declined"
    """Soft decline (insufficient funds, a generic refusal...): retry on the dunning schedule."""
    HARD_DECLINED = "hard_declined"
    """The card will not be approved again (lost, stolen, closed...): no retries, ask for another card."""
    REQUIRES_ACTION = "requires_action"
    """The issuer wants the cardholder present (3-D Secure): send the operator to pay now."""
    PROCESSING = "processing"
    """Accepted but not settled yet; a webhook says how it ends."""


@dataclass(frozen=True)
class ChargeRequest:
    invoice_id: str
    amount_yen: int
    customer_id: str
    payment_method_id: str
    idempotency_key: str
    bot_id: str = ""


@dataclass(frozen=True)
class ChargeResult:
    """How a charge ended, with the provider's ids (`payment_id`: Stripe's PaymentIntent, `charge_id`: its
    charge). `client_secret` is set for `requires_action`: the pay-now page confirms it with Stripe.js."""

    outcome: ChargeOutcome
    amount_yen: int
    payment_id: str | None = None
    charge_id: str | None = None
    failure_code: str | None = None
    decline_code: str | None = None
    message: str | None = None
    client_secret: str | None = None

    @property
    def retryable(self) -> bool:
        return self.outcome is ChargeOutcome.DECLINED


class RefundStatus(StrEnum):
    SUCCEEDED = "succeeded"
    PENDING = "pending"
    FAILED = "failed"


@dataclass(frozen=True)
class RefundResult:
    refund_id: str
    status: RefundStatus
    amount_yen: int
    payment_id: str | None = None


class PaymentProviderError(RuntimeError):
    """The provider refused a call for a reason other than a card decline (bad request, authentication...).
    Retrying the same call will not help."""


class PaymentProviderUnavailable(PaymentProviderError):
    """The provider could not be reached or did not answer in time: the call may or may not have happened.
    Repeat it with the same idempotency key."""


class CardDeclinedError(PaymentProviderError):
    """The card was refused where a refusal is an error, not a result (saving a card, for instance)."""

    def __init__(self, message: str, error: Mapping[str, Any]) -> None:
        super().__init__(message)
        self.error = error
        """The provider's error object as a plain dict (`code`, `decline_code`, `message`...)."""


class WebhookSignatureError(ValueError):
    """A webhook's signature does not match its raw body (or is missing, or too old): refuse it."""


class PaymentProvider(Protocol):
    """A card payment provider. `name` is stored next to every provider id ("stripe")."""

    name: str

    async def create_customer(self, bot_id: str, profile: BillingProfile, *, idempotency_key: str) -> str:
        """Creates the provider's customer for an OA; returns its id."""
        ...

    async def update_customer(self, customer_id: str, profile: BillingProfile) -> None: ...

    async def start_card_setup(self, customer_id: str, *, idempotency_key: str) -> CardSetup:
        """A SetupIntent (or equivalent) for a card form that saves a card for off-session charges."""
        ...

    async def saved_payment_method(self, customer_id: str, setup_id: str) -> SavedPaymentMethod:
        """The card a completed card setup saved, attached to `customer_id`. Raises `PaymentProviderError`
        if the setup has not succeeded or belongs to another customer."""
        ...

    async def charge(self, request: ChargeRequest) -> ChargeResult:
        """Charges a saved card off-session. Declines are results, not errors."""
        ...

    async def find_charge(self, customer_id: str, idempotency_key: str) -> ChargeResult | None:
        """The charge an earlier call with `idempotency_key` made, if the provider has one (money taken or
        refused); None if it never got that far."""
        ...

    async def refund(self, payment_id: str, amount_yen: int, *, idempotency_key: str) -> RefundResult: ...

    async def find_refund(self, payment_id: str, idempotency_key: str) -> RefundResult | None:
        """The refund an earlier call with `idempotency_key` made, if there is one."""
        ...

    def parse_webhook(self, raw_body: bytes, signature: str | None) -> Sequence[PaymentEvent]:
        """Verifies a webhook on its raw bytes (`WebhookSignatureError` if it does not check out) and returns
        the linemod payment events it carries (none for event types billing does not use)."""
        ...

    async def aclose(self) -> None: ...
