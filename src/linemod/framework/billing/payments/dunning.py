"""The payment side of dunning: when a failed card charge is tried again, when a bank transfer is due and
reminded, which saved cards are about to expire. Subscription states and notices build on these answers.

Card retries follow a schedule of days after the first failure (default 1, 3, 5, 7, as the issue asks; Stripe's
own default is 8 tries in 2 weeks). Only a soft decline is retried: a hard decline never is (the issuer will
not approve that card again, see `declines.py`), and a charge waiting for 3-D Secure needs the cardholder,
not another try. Bank transfers are never "retried": they have a due date, by default the end of the month
after the invoice (月末締め翌月末払い), and reminders around it.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from linemod.framework.billing.payments.provider import ChargeOutcome, SavedPaymentMethod
from linemod.framework.billing.payments.records import PaymentMethodRow
from linemod.framework.storage.database import Database

DAY_MS = 86_400_000


@dataclass(frozen=True)
class RetrySchedule:
    days: tuple[int, ...] = (1, 3, 5, 7)
    """Days after the first failed charge on which it is tried again."""

    def __post_init__(self) -> None:
        if any(day <= 0 for day in self.days) or list(self.days) != sorted(set(self.days)):
            raise ValueError("retry days must be positive and increasing")

    def next_attempt_at_ms(self, first_failure_ms: int, failed_attempts: int, outcome: ChargeOutcome) -> int | None:
        """When to charge again after `failed_attempts` failed attempts (1 = the first charge failed), the last
        one ending as `outcome`; None: stop retrying (the invoice goes on to the next dunning step)."""
        if outcome is not ChargeOutcome.DECLINED or not 1 <= failed_attempts <= len(self.days):
            return None
        return first_failure_ms + self.days[failed_attempts - 1] * DAY_MS


def end_of_month(day: date, months_later: int = 0) -> date:
    month_index = day.month - 1 + months_later
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, calendar.monthrange(year, month)[1])


def transfer_due_date(issued_on: date, *, months_later: int = 1) -> date:
    """A bank transfer's due date: the end of the month `months_later` months after the invoice's."""
    return end_of_month(issued_on, months_later)


@dataclass(frozen=True)
class TransferReminders:
    before_due_days: tuple[int, ...] = (7,)
    after_due_days: tuple[int, ...] = (1, 7, 14)

    def dates(self, due: date) -> list[date]:
        """The days on which a transfer still unpaid is reminded of, in order."""
        before = [due - timedelta(days=days) for days in self.before_due_days]
        after = [due + timedelta(days=days) for days in self.after_due_days]
        return sorted({*before, *after})


def card_expires_before(card: SavedPaymentMethod, day: date) -> bool:
    """A card is good through the last day of its expiry month."""
    if not card.exp_year or not 1 <= card.exp_month <= 12:
        return False
    return end_of_month(date(card.exp_year, card.exp_month, 1)) < day


async def cards_expiring(db: Database, today: date, *, within_days: int = 30) -> list[tuple[str, SavedPaymentMethod]]:
    """The OAs whose default card expires within `within_days` of `today` (or already has), with the card."""
    limit = today + timedelta(days=within_days)
    async with db.session() as session:
        rows = await session.scalars(
            select(PaymentMethodRow).where(
                PaymentMethodRow.is_default.is_(True),
                PaymentMethodRow.removed_at_ms.is_(None),
                # A coarse filter in SQL (the expiry year), the exact month-end test below.
                PaymentMethodRow.exp_year <= limit.year,
            )
        )
        cards = [
            (row.bot_id, SavedPaymentMethod(row.payment_method_id, row.customer_id, row.brand, row.last4,
                                            row.exp_month, row.exp_year))
            for row in rows
        ]
    return [(bot_id, card) for bot_id, card in cards if card_expires_before(card, limit)]
