"""A payment provider in memory, for the rules of `CardPayments` that need no real server: it records every
call and can hold a charge until released or lose its answer."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from linemod.framework.billing.payments.events import PaymentEvent
from linemod.framework.billing.payments.provider import (
    BillingProfile,
    CardSetup,
    ChargeOutcome,
    ChargeRequest,
    ChargeResult,
    PaymentProviderError,
    PaymentProviderUnavailable,
    RefundResult,
    RefundStatus,
    SavedPaymentMethod,
)


@dataclass
class FakeProvider:
    name: str = "fake"
    charges: dict[str, ChargeResult] = field(default_factory=dict)  # by idempotency key
    charge_calls: int = 0
    outcome: ChargeOutcome = ChargeOutcome.SUCCEEDED
    refuse_with: str | None = None  # the next charge raises PaymentProviderError with this message
    lose_answers: int = 0  # the next N charges happen, but the caller gets a timeout
    unreachable: int = 0  # the next N charges never reach the provider
    hold: asyncio.Event | None = None  # charges wait for this
    started: asyncio.Event = field(default_factory=asyncio.Event)

    async def create_customer(self, bot_id: str, profile: BillingProfile, *, idempotency_key: str) -> str:
        return f"cus_{bot_id[-6:]}"

    async def update_customer(self, customer_id: str, profile: BillingProfile) -> None:
        pass

    async def start_card_setup(self, customer_id: str, *, idempotency_key: str) -> CardSetup:
        return CardSetup("seti_1", "seti_1_secret_x")

    async def saved_payment_method(self, customer_id: str, setup_id: str) -> SavedPaymentMethod:
        return SavedPaymentMethod("pm_1", customer_id, "visa", "4242", 12, 2034)

    async def charge(self, request: ChargeRequest) -> ChargeResult:
        self.charge_calls += 1
        self.started.set()
        if self.hold is not None:
            await self.hold.wait()
        if self.unreachable:
            self.unreachable -= 1
            raise PaymentProviderUnavailable("connection refused")
        if self.refuse_with:
            message, self.refuse_with = self.refuse_with, None
            raise PaymentProviderError(message)
        result = ChargeResult(self.outcome, request.amount_yen, payment_id=f"pi_{len(self.charges) + 1}")
        self.charges[request.idempotency_key] = result
        if self.lose_answers:
            self.lose_answers -= 1
            raise PaymentProviderUnavailable("read timed out")
        return result

    async def find_charge(self, customer_id: str, idempotency_key: str) -> ChargeResult | None:
        return self.charges.get(idempotency_key)

    async def refund(self, payment_id: str, amount_yen: int, *, idempotency_key: str) -> RefundResult:
        return RefundResult("re_1", RefundStatus.SUCCEEDED, amount_yen, payment_id)

    async def find_refund(self, payment_id: str, idempotency_key: str) -> RefundResult | None:
        return None

    def parse_webhook(self, raw_body: bytes, signature: str | None) -> Sequence[PaymentEvent]:
        return []

    async def aclose(self) -> None:
        pass
