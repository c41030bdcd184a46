"""The payment side of dunning: card retries on days 1, 3, 5, 7 and never after a hard decline; bank transfer
due dates and reminders; cards about to expire."""

from __future__ import annotations

from datetime import date

import pytest

from linemod.framework.billing.payments.card_payments import CardPayments
from linemod.framework.billing.payments.dunning import (
    DAY_MS,
    RetrySchedule,
    TransferReminders,
    cards_expiring,
    transfer_due_date,
)
from linemod.framework.billing.payments.provider import BillingProfile, ChargeOutcome
from tests.framework.billing.payments.fakes import FakeProvider

FIRST_FAILURE = 1_800_000_000_000


def test_a_soft_decline_is_retried_on_days_1_3_5_7_then_no_more() -> None:
    schedule = RetrySchedule()
    retries = [schedule.next_attempt_at_ms(FIRST_FAILURE, failed, ChargeOutcome.DECLINED) for failed in range(1, 6)]
    assert retries == [FIRST_FAILURE + days * DAY_MS for days in (1, 3, 5, 7)] + [None]


@pytest.mark.parametrize("outcome", [ChargeOutcome.HARD_DECLINED, ChargeOutcome.REQUIRES_ACTION,
                                     ChargeOutcome.SUCCEEDED])
def test_nothing_but_a_soft_decline_is_retried(outcome: ChargeOutcome) -> None:
    assert RetrySchedule().next_attempt_at_ms(FIRST_FAILURE, 1, outcome) is None


def test_a_schedule_must_move_forward() -> None:
    with pytest.raises(ValueError):
        RetrySchedule((3, 1))


@pytest.mark.parametrize(
    ("issued", "due"),
    [(date(2026, 10, 15), date(2026, 11, 30)), (date(2026, 12, 1), date(2027, 1, 31)),
     (date(2027, 1, 31), date(2027, 2, 28)), (date(2028, 1, 10), date(2028, 2, 29))],
)
def test_a_bank_transfer_is_due_at_the_end_of_the_following_month(issued: date, due: date) -> None:
    assert transfer_due_date(issued) == due


def test_a_bank_transfer_is_reminded_before_and_after_its_due_date() -> None:
    assert TransferReminders().dates(date(2026, 11, 30)) == [
        date(2026, 11, 23), date(2026, 12, 1), date(2026, 12, 7), date(2026, 12, 14)
    ]


async def test_cards_expiring_within_a_month_are_found(db, clock) -> None:  # type: ignore[no-untyped-def]
    payments = CardPayments(db, FakeProvider(), clock)  # the fake saves a card expiring 12/2034
    await payments.ensure_customer("U" + "e" * 32, BillingProfile("Cafe", "cafe@example.jp"))
    await payments.record_card("U" + "e" * 32, "seti_1")

    assert await cards_expiring(db, date(2034, 11, 30)) == []
    [(bot_id, card)] = await cards_expiring(db, date(2034, 12, 2))
    assert bot_id == "U" + "e" * 32 and (card.exp_month, card.exp_year) == (12, 2034)
