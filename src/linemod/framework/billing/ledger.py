"""The write side every subscription change goes through: load with a lock, move the status (checked by the
state machine, kept in the history table), write charges, schedule jobs and emit billing events, all in the
caller's session so they commit, or roll back, together with the change that caused them."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.billing.events import EVENT_JOB, BillingEvent, BillingEventType, BillingHandler, new_event_id
from linemod.framework.billing.lines import BillableLine, subtotal_yen
from linemod.framework.billing.periods import Period
from linemod.framework.billing.pricing import PriceTerms
from linemod.framework.billing.records import (
    BillingAccountRow,
    BillingChargeRow,
    BillingHistoryRow,
    BillingPriceRow,
    BillingSubscriptionRow,
)
from linemod.framework.billing.states import SubscriptionStatus, check_transition
from linemod.framework.clock import Clock
from linemod.framework.queue.scheduler import JobScheduler

S = SubscriptionStatus
_STATUS_EVENTS: dict[SubscriptionStatus, BillingEventType] = {
    S.TRIALING: "trial.started",
    S.ACTIVE: "subscription.activated",
    S.PAST_DUE: "subscription.past_due",
    S.RESTRICTED: "subscription.restricted",
    S.PAUSED: "subscription.paused",
    S.CANCELING: "subscription.canceling",
    S.ENDED: "subscription.ended",
}
INSERT_ACCOUNT = (
    "INSERT INTO billing_accounts (bot_id, created_at_ms, updated_at_ms) VALUES (:bot_id, :now, :now) "
    "ON CONFLICT (bot_id) DO NOTHING"
)
INSERT_CHARGE = (
    "INSERT INTO billing_charges (bot_id, charge_key, reason, period_start, period_end, lines_json, subtotal_yen, "
    "created_at_ms) VALUES (:bot_id, :charge_key, :reason, :period_start, :period_end, :lines_json, :subtotal_yen, "
    ":created_at_ms) ON CONFLICT (charge_key) DO NOTHING"
)


def events_for(previous: SubscriptionStatus | None, target: SubscriptionStatus, reason: str) -> list[BillingEventType]:
    """The billing events a status change emits."""
    found: list[BillingEventType] = []
    if previous is S.TRIALING and reason == "trial_ended":
        found.append("trial.ended")
    if previous is S.PAUSED and reason == "resumed":
        return [*found, "subscription.resumed"]
    if previous is S.CANCELING and target in (S.ACTIVE, S.TRIALING):
        return [*found, "subscription.cancellation_revoked"]
    return [*found, _STATUS_EVENTS[target]]


class Ledger:
    """Subscription writes inside a caller's session. `handlers` is the app's `on_billing` registry: events
    of a type nobody handles are not written."""

    def __init__(
        self,
        *,
        clock: Clock,
        scheduler: JobScheduler,
        handlers: Mapping[str, Sequence[BillingHandler]],
        is_postgres: bool,
    ) -> None:
        self.clock = clock
        self.scheduler = scheduler
        self.handlers = handlers
        self.is_postgres = is_postgres
        self._terms: dict[int, PriceTerms] = {}
        self.on_charge: Callable[[AsyncSession, str, str], Awaitable[None]] | None = None
        """Called with (session, bot ID, charge key) after a charge is written, in its transaction: the
        collection schedules its run there (`collection_service.py`)."""

    def now_ms(self) -> int:
        return self.clock.now_ms()

    async def load(self, session: AsyncSession, bot_id: str) -> BillingSubscriptionRow | None:
        """The OA's subscription, locked on PostgreSQL for the rest of the transaction (elsewhere the
        `revision` check refuses a change made meanwhile, and the job or event is retried)."""
        return await session.get(
            BillingSubscriptionRow, bot_id, with_for_update=self.is_postgres or None, populate_existing=True
        )

    async def account(self, session: AsyncSession, bot_id: str) -> BillingAccountRow:
        """The OA's billing account, created on first use (insert-or-ignore: attach callback and attached event
        may race)."""
        row = await session.get(BillingAccountRow, bot_id)
        if row is None:
            await session.execute(text(INSERT_ACCOUNT), {"bot_id": bot_id, "now": self.now_ms()})
            row = await session.get(BillingAccountRow, bot_id, populate_existing=True)
            assert row is not None
        return row

    async def terms(self, session: AsyncSession, price_id: int) -> PriceTerms:
        """The terms of a price version (immutable, so cached for the life of the process)."""
        terms = self._terms.get(price_id)
        if terms is None:
            row = await session.get(BillingPriceRow, price_id)
            if row is None:
                raise LookupError(f"price {price_id} does not exist")
            terms = self._terms[price_id] = PriceTerms.from_json(json.loads(row.terms_json))
        return terms

    async def transition(
        self,
        session: AsyncSession,
        sub: BillingSubscriptionRow,
        target: SubscriptionStatus,
        reason: str,
        *,
        new: bool = False,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        """Move `sub` to `target` (checked), record it in the history and emit its events; `new`: the row
        was just created (it had no status before)."""
        before = None if new else _status(sub.status)
        check_transition(before, target)
        sub.status = target
        sub.updated_at_ms = self.now_ms()
        if target is not S.ENDED:
            sub.ended_at_ms = sub.ended_reason = None
        await self.history(session, sub, before, reason, detail)
        for kind in events_for(before, target, reason):
            await self.emit(session, kind, sub, previous=before, reason=reason, data=detail)

    async def history(
        self,
        session: AsyncSession,
        sub: BillingSubscriptionRow,
        previous: SubscriptionStatus | None,
        reason: str,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        """Append to the history (a status change, or with the same status a plan change or renewal)."""
        session.add(
            BillingHistoryRow(
                bot_id=sub.bot_id,
                from_status=previous.value if previous is not None else None,
                to_status=sub.status,
                reason=reason,
                plan_code=sub.plan_code,
                price_id=sub.price_id,
                detail_json=json.dumps(dict(detail or {}), ensure_ascii=False, default=str),
                at_ms=self.now_ms(),
            )
        )

    async def emit(
        self,
        session: AsyncSession,
        kind: BillingEventType,
        sub: BillingSubscriptionRow,
        *,
        previous: SubscriptionStatus | None = None,
        reason: str | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> bool:
        """Queue billing event `kind` in this transaction, if any handler listens for it."""
        if not self.handlers.get(kind):
            return False
        event = BillingEvent(
            event_id=new_event_id(),
            type=kind,
            bot_id=sub.bot_id,
            at_ms=self.now_ms(),
            status=sub.status,
            previous_status=previous.value if previous is not None else sub.status,
            plan_code=sub.plan_code,
            reason=reason,
            data={k: _jsonable(v) for k, v in (data or {}).items()},
        )
        key = f"billing:event:{event.event_id}"
        return await self.schedule(session, EVENT_JOB, event.to_payload(), key=key, bot_id=sub.bot_id)

    async def schedule(
        self,
        session: AsyncSession,
        name: str,
        payload: dict[str, Any],
        *,
        key: str,
        bot_id: str | None,
        run_at_ms: int | None = None,
    ) -> bool:
        return await self.scheduler.schedule(
            name, payload, run_at_ms=run_at_ms, key=key, bot_id=bot_id, session=session
        )

    async def charge(
        self,
        session: AsyncSession,
        sub: BillingSubscriptionRow,
        key: str,
        reason: str,
        lines: Sequence[BillableLine],
        period: Period | None = None,
    ) -> bool:
        """Write a charge for the invoice engine (idempotent on `key`); nothing when there are no lines."""
        if not lines:
            return False
        values = {
            "bot_id": sub.bot_id,
            "charge_key": key,
            "reason": reason,
            "period_start": period.start if period else None,
            "period_end": period.last_day if period else None,
            "lines_json": json.dumps([line.to_json() for line in lines], ensure_ascii=False),
            "subtotal_yen": subtotal_yen(list(lines)),
            "created_at_ms": self.now_ms(),
        }
        result = await session.execute(text(INSERT_CHARGE), values)
        if not result.rowcount:  # type: ignore[attr-defined]
            return False
        if self.on_charge is not None:
            await self.on_charge(session, sub.bot_id, key)
        data = {"charge_key": key, "reason": reason, "subtotal_yen": values["subtotal_yen"]}
        if period is not None:
            data |= {"period_start": period.start.isoformat(), "period_end": period.last_day.isoformat()}
        await self.emit(session, "charge.created", sub, reason=reason, data=data)
        return True


async def charges_of(session: AsyncSession, bot_id: str) -> list[tuple[BillingChargeRow, list[BillableLine]]]:
    """Every charge written for an OA, oldest first, with its lines."""
    rows = await session.scalars(
        select(BillingChargeRow).where(BillingChargeRow.bot_id == bot_id).order_by(BillingChargeRow.id)
    )
    return [(row, [BillableLine.from_json(v) for v in json.loads(row.lines_json)]) for row in rows]


def _status(value: str | None) -> SubscriptionStatus | None:
    return SubscriptionStatus(value) if value is not None else None


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value
