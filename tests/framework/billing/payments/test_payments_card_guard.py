"""The guard around every charge: a row unique on (invoice, attempt) written before the provider is called,
a lease while the call runs, and a look-up before anything is sent again."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from linemod.framework.billing.payments.bank_transfer import BankTransfers
from linemod.framework.billing.payments.card_payments import (
    DEFAULT_LEASE_SECONDS,
    CardPayments,
    ChargeInProgressError,
    NoCardError,
)
from linemod.framework.billing.payments.payment_ledger import PaymentLedger
from linemod.framework.billing.payments.provider import (
    BillingProfile,
    ChargeOutcome,
    PaymentProviderError,
    PaymentProviderUnavailable,
)
from linemod.framework.billing.payments.records import PaymentStatus
from linemod.framework.clock import ManualClock
from tests.framework.billing.payments.fakes import FakeProvider

BOT = "U" + "c" * 32


@pytest.fixture
def fake() -> FakeProvider:
    return FakeProvider()


@pytest.fixture
async def payments(db, fake: FakeProvider, clock: ManualClock) -> CardPayments:  # type: ignore[no-untyped-def]
    service = CardPayments(db, fake, clock)
    await service.ensure_customer(BOT, BillingProfile("Cafe", "cafe@example.jp"))
    await service.record_card(BOT, "seti_1")
    return service


async def test_a_second_call_while_the_first_runs_is_refused_not_sent(payments, fake) -> None:  # type: ignore[no-untyped-def]
    fake.hold = asyncio.Event()
    first = asyncio.create_task(payments.charge("inv_1", 3300, bot_id=BOT, attempt=1))
    await fake.started.wait()

    with pytest.raises(ChargeInProgressError):
        await payments.charge("inv_1", 3300, bot_id=BOT, attempt=1)

    fake.hold.set()
    assert (await first).outcome is ChargeOutcome.SUCCEEDED
    assert fake.charge_calls == 1


async def test_an_answer_lost_in_a_timeout_is_looked_up_not_charged_again(payments, fake, clock) -> None:  # type: ignore[no-untyped-def]
    fake.lose_answers = 1
    with pytest.raises(PaymentProviderUnavailable):
        await payments.charge("inv_2", 3300, bot_id=BOT, attempt=1)
    [pending] = await PaymentLedger(payments.db).payments_for("inv_2")
    assert pending.status is PaymentStatus.PENDING
    with pytest.raises(ChargeInProgressError):  # within the lease, the first call may still be running
        await payments.charge("inv_2", 3300, bot_id=BOT, attempt=1)

    clock.advance(DEFAULT_LEASE_SECONDS + 1)
    result = await payments.charge("inv_2", 3300, bot_id=BOT, attempt=1)

    assert result.outcome is ChargeOutcome.SUCCEEDED and result.payment_id == "pi_1"
    assert fake.charge_calls == 1
    [settled] = await PaymentLedger(payments.db).payments_for("inv_2")
    assert settled.status is PaymentStatus.SUCCEEDED and settled.provider_payment_id == "pi_1"


async def test_a_call_that_never_reached_the_provider_is_sent_again_after_its_lease(payments, fake, clock) -> None:  # type: ignore[no-untyped-def]
    fake.unreachable = 1
    with pytest.raises(PaymentProviderUnavailable):
        await payments.charge("inv_3", 3300, bot_id=BOT, attempt=1)
    clock.advance(DEFAULT_LEASE_SECONDS + 1)

    result = await payments.charge("inv_3", 3300, bot_id=BOT, attempt=1)

    assert result.outcome is ChargeOutcome.SUCCEEDED
    assert fake.charge_calls == 2 and len(fake.charges) == 1


async def test_a_refused_call_is_stored_as_an_error_and_the_next_attempt_goes_ahead(payments, fake) -> None:  # type: ignore[no-untyped-def]
    fake.refuse_with = "No such PaymentMethod"
    with pytest.raises(PaymentProviderError, match="No such PaymentMethod"):
        await payments.charge("inv_4", 3300, bot_id=BOT, attempt=1)
    with pytest.raises(PaymentProviderError, match="No such PaymentMethod"):  # stored, not sent again
        await payments.charge("inv_4", 3300, bot_id=BOT, attempt=1)

    assert (await payments.charge("inv_4", 3300, bot_id=BOT, attempt=2)).outcome is ChargeOutcome.SUCCEEDED
    statuses = [p.status for p in await PaymentLedger(payments.db).payments_for("inv_4")]
    assert statuses == [PaymentStatus.ERROR, PaymentStatus.SUCCEEDED] and fake.charge_calls == 2


async def test_an_attempt_cannot_be_reused_for_another_amount(payments) -> None:  # type: ignore[no-untyped-def]
    await payments.charge("inv_5", 3300, bot_id=BOT, attempt=1)
    with pytest.raises(ValueError, match="was for ¥3300"):
        await payments.charge("inv_5", 5500, bot_id=BOT, attempt=1)


async def test_declines_are_stored_and_returned_again(payments, fake) -> None:  # type: ignore[no-untyped-def]
    fake.outcome = ChargeOutcome.HARD_DECLINED
    first = await payments.charge("inv_6", 3300, bot_id=BOT, attempt=1)
    again = await payments.charge("inv_6", 3300, bot_id=BOT, attempt=1)
    assert first.outcome is again.outcome is ChargeOutcome.HARD_DECLINED and not again.retryable
    assert fake.charge_calls == 1


async def test_an_oa_without_a_card_is_not_charged(db, fake, clock) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NoCardError):
        await CardPayments(db, fake, clock).charge("inv_7", 3300, bot_id=BOT, attempt=1)
    assert fake.charge_calls == 0


async def test_card_attempts_are_numbered_apart_from_bank_transfers(payments, clock) -> None:  # type: ignore[no-untyped-def]
    await BankTransfers(payments.db, clock).mark_paid("inv_8", 1000, date(2026, 12, 1))
    assert (await payments.charge("inv_8", 2300, bot_id=BOT, attempt=1)).outcome is ChargeOutcome.SUCCEEDED
    assert [(p.method, p.attempt) for p in await PaymentLedger(payments.db).payments_for("inv_8")] == [
        ("bank_transfer", 1), ("card", 1)
    ]
