"""Dunning and enforcement: what happens to an issued invoice until it is paid, on the app's clock.

Every step is a keyed job (`linemod.billing.dunning`, payload `collection_id` and `step`), scheduled in the
transaction that makes it due, so a step runs once and a repeated step schedules nothing twice:

    card:  charge (attempt 1) ─soft decline─▶ past_due, "payment failed" mail, retries on days 1, 3, 5, 7
           after the first failure ─still declined─▶ restrict
           hard decline (or 3-D Secure needed, or no card) ─▶ past_due, mail, no retries; restrict on the day
           the last retry would have been
    bank transfer: reminders 7 days before the due date and 1, 7, 14 days after; overdue ─▶ past_due;
           after the last reminder ─▶ restrict
    restrict ─▶ `restricted` (entitlements fall back to the restricted set), mail; `billing_grace_days`
           later the final notice (mail); `billing_final_notice_days` later the provider-side detach.

A payment at any step (`settlement.py`) makes the invoice paid and stops the rest: every step first checks
the run is still unpaid. Dunning only runs while the subscription lives: once it has ended (a detach, be it
LINE's `bot_deleted` or the provider's own) nothing is retried or mailed; the open invoice stays for staff.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.billing.changes import SubscriptionChanges
from linemod.framework.billing.collection import DUNNING_JOB, NOTICE_JOB
from linemod.framework.billing.collection_records import UNPAID, CollectionRow, CollectionStatus
from linemod.framework.billing.ledger import Ledger
from linemod.framework.billing.payments.card_payments import CardPayments, NoCardError
from linemod.framework.billing.payments.dunning import DAY_MS, RetrySchedule, TransferReminders
from linemod.framework.billing.payments.provider import ChargeOutcome, ChargeResult, PaymentProviderUnavailable
from linemod.framework.billing.periods import day_of
from linemod.framework.billing.records import BillingSubscriptionRow
from linemod.framework.billing.states import SubscriptionStatus
from linemod.framework.clock import Clock
from linemod.framework.storage.database import Database

log = logging.getLogger("linemod.billing")
DETACH = "detach"
"""What `run_step` returns when the OA is to be detached through LINE's Detach API now."""


class DunningSteps:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        ledger: Ledger,
        changes: SubscriptionChanges,
        cards: CardPayments | None,
        *,
        retries: RetrySchedule,
        grace_days: int,
        final_notice_days: int,
        reminders: TransferReminders | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.ledger = ledger
        self.changes = changes
        self.cards = cards
        self.retries = retries
        self.grace_days = grace_days
        self.final_notice_days = final_notice_days
        self.reminders = reminders or TransferReminders()
        self.settle: Callable[[int, str], Awaitable[object]] | None = None
        """Marks a run paid (`Settlement.settle_paid`); set by the service that builds both."""

    async def run_step(self, collection_id: int, step: str, payload: dict[str, Any]) -> str | None:
        if step == "charge":
            await self.charge(collection_id, int(payload["attempt"]))
        elif step == "transfer_reminder":
            await self._transfer_reminder(collection_id, date.fromisoformat(payload["day"]))
        elif step == "restrict":
            await self._restrict(collection_id)
        elif step == "final_notice":
            await self._final_notice(collection_id)
        elif step == DETACH:
            return await self._detach(collection_id)
        elif step != "settle_free":  # settle_free is `settlement.py`'s
            raise ValueError(f"unknown dunning step {step!r}")
        return None

    # ---- card -----------------------------------------------------------------------------------------

    async def charge(self, collection_id: int, attempt: int) -> ChargeResult | None:
        """Card attempt `attempt` of the run's invoice (exactly once: `CardPayments`' guard), then what its
        outcome asks for. None when the run needs no charge any more."""
        async with self.db.session() as session:
            run = await session.get(CollectionRow, collection_id)
            live = run is not None and await self._live(session, run.bot_id)
        if run is None or run.status not in UNPAID or run.invoice_id is None or (attempt > 1 and not live):
            return None
        if self.cards is None:
            log.warning("invoice %s is due by card, but no card provider is configured", run.invoice_number)
            return None
        try:
            result = await self.cards.charge(str(run.invoice_id), run.amount_yen, bot_id=run.bot_id, attempt=attempt)
        except NoCardError as error:
            result = ChargeResult(ChargeOutcome.HARD_DECLINED, run.amount_yen, message=str(error))
        except PaymentProviderUnavailable:
            raise  # the job is retried; the same attempt is looked up, never charged twice
        await self.after_charge(collection_id, attempt, result)
        return result

    async def after_charge(self, collection_id: int, attempt: int, result: ChargeResult) -> None:
        """Act on a card attempt's outcome (from a charge, or later from a webhook)."""
        if result.outcome is ChargeOutcome.SUCCEEDED:
            assert self.settle is not None, "the billing service connects the settlement"
            await self.settle(collection_id, "card")
            return
        now = self.clock.now_ms()
        async with self.db.transaction() as session:
            run = await self._lock(session, collection_id)
            if run is None or run.status not in UNPAID:
                return
            run.card_attempts = max(run.card_attempts, attempt)
            run.last_outcome, run.updated_at_ms = result.outcome.value, now
            if result.outcome is ChargeOutcome.PROCESSING:
                return  # a webhook tells how it ends
            if not await self._live(session, run.bot_id):
                run.status = CollectionStatus.CLOSED
                return
            first = run.first_failure_at_ms is None
            if first:
                run.first_failure_at_ms = now
            if run.status == CollectionStatus.OPEN:
                run.status = CollectionStatus.PAST_DUE
            detail = {"invoice": run.invoice_number, "attempt": attempt, "outcome": result.outcome.value,
                      "decline_code": result.decline_code or result.failure_code}
            if first:
                await self.changes.payment_failed(session, run.bot_id, detail)
                await self._notice(session, run, "payment_failed", {"outcome": result.outcome.value})
            assert run.first_failure_at_ms is not None
            retry_at = self.retries.next_attempt_at_ms(run.first_failure_at_ms, attempt, result.outcome)
            if retry_at is not None:
                await self._step(session, run, "charge", f"charge:{attempt + 1}", retry_at, attempt=attempt + 1)
            elif result.outcome is ChargeOutcome.DECLINED:  # the last retry failed
                await self._step(session, run, "restrict", "restrict", now)
            else:  # no retries: the operator has until the last retry's day to fix the card
                last = self.retries.days[-1] if self.retries.days else 0
                await self._step(session, run, "restrict", "restrict", run.first_failure_at_ms + last * DAY_MS)

    # ---- bank transfer --------------------------------------------------------------------------------

    async def _transfer_reminder(self, collection_id: int, day: date) -> None:
        async with self.db.transaction() as session:
            run = await self._lock(session, collection_id)
            if run is None or run.status not in UNPAID or not await self._live(session, run.bot_id):
                return
            due = run.due_date
            overdue = due is not None and day > due
            if overdue and run.status == CollectionStatus.OPEN:
                run.status, run.updated_at_ms = CollectionStatus.PAST_DUE, self.clock.now_ms()
                await self.changes.payment_failed(session, run.bot_id, {"invoice": run.invoice_number,
                                                                        "overdue_since": str(due)})
            await self._notice(session, run, "transfer_reminder", {"day": day.isoformat(), "overdue": overdue},
                               key=f"transfer_reminder:{run.id}:{day.isoformat()}")
            if due is not None and day == max(self.reminders.dates(due)):
                await self._step(session, run, "restrict", "restrict", self.clock.now_ms())

    # ---- enforcement ----------------------------------------------------------------------------------

    async def _restrict(self, collection_id: int) -> None:
        async with self.db.transaction() as session:
            run = await self._lock(session, collection_id)
            if run is None or run.status not in UNPAID:
                return
            if not await self._live(session, run.bot_id):
                run.status = CollectionStatus.CLOSED
                return
            run.status, run.updated_at_ms = CollectionStatus.RESTRICTED, self.clock.now_ms()
            sub = await self.ledger.load(session, run.bot_id)
            if sub is not None and sub.status == SubscriptionStatus.ACTIVE:  # not past due yet (e.g. no card)
                await self.changes.payment_failed(session, run.bot_id, {"invoice": run.invoice_number})
            await self.changes.restrict(session, run.bot_id, {"invoice": run.invoice_number})
            final_at = self.clock.now_ms() + self.grace_days * DAY_MS
            await self._notice(session, run, "restricted", {"final_notice_at_ms": final_at})
            await self._step(session, run, "final_notice", "final_notice", final_at)

    async def _final_notice(self, collection_id: int) -> None:
        async with self.db.transaction() as session:
            run = await self._lock(session, collection_id)
            if run is None or run.status != CollectionStatus.RESTRICTED or not await self._live(session, run.bot_id):
                return
            detach_at = self.clock.now_ms() + self.final_notice_days * DAY_MS
            await self._notice(session, run, "final_notice", {"detach_on": day_of(detach_at).isoformat()})
            await self._step(session, run, DETACH, DETACH, detach_at)

    async def _detach(self, collection_id: int) -> str | None:
        async with self.db.session() as session:
            run = await session.get(CollectionRow, collection_id)
            if run is None or run.status != CollectionStatus.RESTRICTED or not await self._live(session, run.bot_id):
                return None
        log.warning("OA %s: invoice %s unpaid after the final notice; detaching it", run.bot_id, run.invoice_number)
        return DETACH

    # ---- shared ---------------------------------------------------------------------------------------

    @staticmethod
    async def _live(session: AsyncSession, bot_id: str) -> bool:
        """The OA's subscription has not ended (dunning stops with it)."""
        sub = await session.get(BillingSubscriptionRow, bot_id, populate_existing=True)
        return sub is not None and sub.status != SubscriptionStatus.ENDED

    async def _lock(self, session: AsyncSession, collection_id: int) -> CollectionRow | None:
        return await session.get(
            CollectionRow, collection_id, with_for_update=self.db.is_postgres or None, populate_existing=True
        )

    async def _step(
        self, session: AsyncSession, run: CollectionRow, step: str, key: str, at_ms: int, **extra: Any
    ) -> None:
        await self.ledger.schedule(
            session, DUNNING_JOB, {"collection_id": run.id, "step": step, **extra},
            key=f"billing:dunning:{run.id}:{key}", bot_id=run.bot_id, run_at_ms=at_ms,
        )

    async def _notice(
        self, session: AsyncSession, run: CollectionRow, kind: str, data: dict[str, Any], *, key: str | None = None
    ) -> None:
        await self.ledger.schedule(
            session, NOTICE_JOB, {"kind": kind, "collection_id": run.id, **data},
            key=f"billing:notice:{key or f'{kind}:{run.id}'}", bot_id=run.bot_id,
        )
