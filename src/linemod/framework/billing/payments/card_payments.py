"""Card payments for OAs: the provider's customer, the saved card, charges and refunds, each exactly once.

`CardPayments` stands between billing and a `PaymentProvider`. It keeps the provider's ids in linemod's own
tables and guards every money-moving call with a row written *before* the call:

- a charge is card attempt N of an invoice, unique on (invoice, card, N), sent with the idempotency key
  `charge:{invoice}:{N}`. Asking again returns the stored result without calling the provider;
- while the first call runs, its row holds a lease; a second caller gets `ChargeInProgressError`;
- a call that never came back (timeout, crash) leaves the row pending. Once the lease has passed, the next
  call first asks the provider whether a charge with that key exists (`find_charge`) and adopts it; only if
  there is none is the charge sent again, with the same key. So a retry never charges twice, even on a
  provider that ignores idempotency keys (localstripe does) or after Stripe has forgotten the key (24 h).

Refunds follow the same pattern, keyed `refund:{reference}` (e.g. the return invoice's id). Call these
methods outside a handler's own database transaction: they commit their own short ones and call the
provider between them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from sqlalchemy import Update, func, select, update
from sqlalchemy.exc import IntegrityError

from linemod.framework.billing.payments.events import (
    PaymentEvent,
    PaymentFailed,
    PaymentMethodAttached,
    PaymentMethodUpdated,
    PaymentSucceeded,
    RefundSucceeded,
)
from linemod.framework.billing.payments.payment_ledger import PaymentRecord, status_of, stored_result
from linemod.framework.billing.payments.provider import (
    BillingProfile,
    CardSetup,
    ChargeRequest,
    ChargeResult,
    PaymentProvider,
    PaymentProviderError,
    PaymentProviderUnavailable,
    RefundResult,
    RefundStatus,
    SavedPaymentMethod,
)
from linemod.framework.billing.payments.records import (
    PaymentCustomerRow,
    PaymentMethodKind,
    PaymentMethodRow,
    PaymentRow,
    PaymentStatus,
    RefundRow,
)
from linemod.framework.clock import Clock
from linemod.framework.storage.database import Database

DEFAULT_LEASE_SECONDS = 120  # longer than the SDK's timeout times its retries: a live call is never taken over


_Row = TypeVar("_Row", PaymentRow, RefundRow)


class NoCardError(LookupError):
    """The OA has no provider customer or no saved card to charge."""


class ChargeInProgressError(RuntimeError):
    """Another call is charging this attempt right now; ask again after its lease."""


@dataclass(frozen=True)
class _Claim:
    row_id: int
    result: ChargeResult | RefundResult | None  # set when the attempt is already settled
    recovering: bool  # the first call never came back: look it up before sending again
    card: tuple[str, str] | None = None  # (customer, payment method) the first call charged, when recovering


class CardPayments:
    def __init__(
        self, db: Database, provider: PaymentProvider, clock: Clock, *, lease_seconds: int = DEFAULT_LEASE_SECONDS
    ) -> None:
        self.db = db
        self.provider = provider
        self.clock = clock
        self.lease_ms = lease_seconds * 1000

    # ---- customers and cards ----------------------------------------------------------------------------

    async def ensure_customer(self, bot_id: str, profile: BillingProfile) -> str:
        """The OA's customer id at the provider, created on first use; a changed name or email is sent on."""
        async with self.db.session() as session:
            row = await session.get(PaymentCustomerRow, (self.provider.name, bot_id))
        if row is not None:
            if (row.name, row.email) != (profile.name, profile.email):
                await self.provider.update_customer(row.customer_id, profile)
                await self._save_profile(bot_id, profile)
            return row.customer_id
        customer_id = await self.provider.create_customer(bot_id, profile, idempotency_key=f"customer:{bot_id}")
        now = self.clock.now_ms()
        try:
            async with self.db.transaction() as session:
                session.add(
                    PaymentCustomerRow(
                        provider=self.provider.name, bot_id=bot_id, customer_id=customer_id, name=profile.name,
                        email=profile.email, created_at_ms=now, updated_at_ms=now,
                    )
                )
        except IntegrityError:  # a concurrent first call won; its customer is the OA's
            async with self.db.session() as session:
                winner = await session.get(PaymentCustomerRow, (self.provider.name, bot_id))
            assert winner is not None
            return winner.customer_id
        return customer_id

    async def _save_profile(self, bot_id: str, profile: BillingProfile) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                update(PaymentCustomerRow)
                .where(PaymentCustomerRow.provider == self.provider.name, PaymentCustomerRow.bot_id == bot_id)
                .values(name=profile.name, email=profile.email, updated_at_ms=self.clock.now_ms())
            )

    async def customer_id(self, bot_id: str) -> str:
        async with self.db.session() as session:
            row = await session.get(PaymentCustomerRow, (self.provider.name, bot_id))
        if row is None:
            raise NoCardError(f"OA {bot_id} has no customer at {self.provider.name}: call ensure_customer first")
        return row.customer_id

    async def start_card_setup(self, bot_id: str) -> CardSetup:
        """A card form for the OA (its customer must exist): give `client_secret` to Stripe.js."""
        customer_id = await self.customer_id(bot_id)
        return await self.provider.start_card_setup(
            customer_id, idempotency_key=f"card-setup:{bot_id}:{self.clock.now_ms()}"
        )

    async def record_card(self, bot_id: str, setup_id: str) -> SavedPaymentMethod:
        """After the card form succeeded: stores the card it saved as the OA's default one."""
        card = await self.provider.saved_payment_method(await self.customer_id(bot_id), setup_id)
        now = self.clock.now_ms()
        async with self.db.transaction() as session:
            await session.execute(
                update(PaymentMethodRow).where(PaymentMethodRow.bot_id == bot_id).values(is_default=False)
            )
            row = await session.scalar(
                select(PaymentMethodRow).where(
                    PaymentMethodRow.provider == self.provider.name,
                    PaymentMethodRow.payment_method_id == card.payment_method_id,
                )
            )
            if row is None:
                row = PaymentMethodRow(
                    provider=self.provider.name, bot_id=bot_id, payment_method_id=card.payment_method_id,
                    customer_id=card.customer_id or "", created_at_ms=now,
                )
                session.add(row)
            row.brand, row.last4, row.exp_month, row.exp_year = card.brand, card.last4, card.exp_month, card.exp_year
            row.is_default, row.removed_at_ms, row.updated_at_ms = True, None, now
        return card

    async def default_card(self, bot_id: str) -> SavedPaymentMethod | None:
        async with self.db.session() as session:
            row = await session.scalar(
                select(PaymentMethodRow).where(
                    PaymentMethodRow.bot_id == bot_id,
                    PaymentMethodRow.provider == self.provider.name,
                    PaymentMethodRow.is_default.is_(True),
                    PaymentMethodRow.removed_at_ms.is_(None),
                )
            )
        if row is None:
            return None
        return SavedPaymentMethod(row.payment_method_id, row.customer_id, row.brand, row.last4, row.exp_month,
                                  row.exp_year)

    # ---- charges ----------------------------------------------------------------------------------------

    async def charge(self, invoice_id: str, amount_yen: int, *, bot_id: str, attempt: int) -> ChargeResult:
        """Attempt `attempt` (1, 2, ...) to collect `amount_yen` for an invoice with the OA's default card.
        Declines are results; `NoCardError` if there is no card, `PaymentProviderUnavailable` if the outcome
        is unknown (ask again later: the same attempt is never charged twice)."""
        if amount_yen <= 0:
            raise ValueError("a charge is for a positive number of yen")
        card = await self.default_card(bot_id)
        if card is None or not card.customer_id:
            raise NoCardError(f"OA {bot_id} has no saved card")
        request = ChargeRequest(invoice_id, amount_yen, card.customer_id, card.payment_method_id,
                                f"charge:{invoice_id}:{attempt}", bot_id)

        def new_row(now: int) -> PaymentRow:
            return PaymentRow(
                invoice_id=invoice_id, attempt=attempt, idempotency_key=request.idempotency_key,
                method=PaymentMethodKind.CARD, status=PaymentStatus.PENDING, amount_yen=amount_yen, bot_id=bot_id,
                provider=self.provider.name, customer_id=card.customer_id,
                payment_method_id=card.payment_method_id, lease_until_ms=now + self.lease_ms, created_at_ms=now,
                updated_at_ms=now,
            )

        claim = await self._claim(PaymentRow, request.idempotency_key, new_row, amount_yen)
        if isinstance(claim.result, ChargeResult):
            return claim.result
        found = None
        if claim.recovering:
            if claim.card is not None:  # the same card as the first call: the same key must mean the same charge
                request = replace(request, customer_id=claim.card[0], payment_method_id=claim.card[1])
            found = await self.provider.find_charge(request.customer_id, request.idempotency_key)
        try:
            result = found or await self.provider.charge(request)
        except PaymentProviderUnavailable:
            raise  # the row stays pending: after its lease, the next call looks the charge up
        except PaymentProviderError as error:
            await self._settle_charge_error(claim.row_id, str(error))
            raise
        await self._settle_charge(claim.row_id, result)
        return result

    async def _claim(self, table: type[_Row], key: str, new_row: Callable[[int], _Row], amount_yen: int) -> _Claim:
        """Writes the attempt's row, or finds it: settled (its result), running (error), or abandoned (taken
        over, to be looked up)."""
        now = self.clock.now_ms()
        try:
            async with self.db.transaction() as session:
                existing = await session.scalar(select(table).where(table.idempotency_key == key))
                if existing is None:
                    row = new_row(now)
                    session.add(row)
                    await session.flush()
                    return _Claim(row.id, None, recovering=False)
        except IntegrityError:
            pass  # written by a concurrent call in the meantime
        async with self.db.transaction() as session:
            existing = await session.scalar(select(table).where(table.idempotency_key == key))
            if existing is None:
                raise ValueError(f"{key}: that attempt is already used by another payment of the invoice")
            if existing.amount_yen != amount_yen:
                raise ValueError(f"{key} was for ¥{existing.amount_yen}, not ¥{amount_yen}")
            if existing.lease_until_ms is None:  # settled: only a claimed row has a lease
                settled = stored_result(existing) if isinstance(existing, PaymentRow) else _refund_result(existing)
                if settled is None:
                    raise PaymentProviderError(f"{key} failed: {existing.message}")
                return _Claim(existing.id, settled, recovering=False)
            lease = existing.lease_until_ms
            if lease > now:
                raise ChargeInProgressError(f"{key} is being processed")
            taken = await session.execute(
                update(table)
                .where(table.id == existing.id, table.lease_until_ms == lease)
                .values(lease_until_ms=now + self.lease_ms, updated_at_ms=now)
            )
            if getattr(taken, "rowcount", 0) != 1:
                raise ChargeInProgressError(f"{key} is being processed")
            card = None
            if isinstance(existing, PaymentRow) and existing.customer_id and existing.payment_method_id:
                card = (existing.customer_id, existing.payment_method_id)
            return _Claim(existing.id, None, recovering=True, card=card)

    async def _settle_charge(self, row_id: int, result: ChargeResult) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                update(PaymentRow)
                .where(PaymentRow.id == row_id, PaymentRow.status != PaymentStatus.SUCCEEDED)
                .values(
                    status=status_of(result.outcome), provider_payment_id=result.payment_id,
                    provider_charge_id=result.charge_id, failure_code=result.failure_code,
                    decline_code=result.decline_code, message=result.message, lease_until_ms=None,
                    updated_at_ms=self.clock.now_ms(),
                )
            )

    async def _settle_charge_error(self, row_id: int, message: str) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                update(PaymentRow)
                .where(PaymentRow.id == row_id)
                .values(status=PaymentStatus.ERROR, message=message, lease_until_ms=None,
                        updated_at_ms=self.clock.now_ms())
            )

    # ---- refunds ----------------------------------------------------------------------------------------

    async def refund(self, payment_id: int, amount_yen: int, *, reference: str) -> RefundResult:
        """Refunds part or all of a succeeded card payment (linemod's payment id), once per `reference`."""
        key = f"refund:{reference}"
        async with self.db.session() as session:
            payment = await session.get(PaymentRow, payment_id)
            refunded = await session.scalar(
                select(func.coalesce(func.sum(RefundRow.amount_yen), 0)).where(
                    RefundRow.payment_id == payment_id, RefundRow.status != RefundStatus.FAILED,
                    RefundRow.idempotency_key != key,
                )
            )
        if payment is None or payment.status != PaymentStatus.SUCCEEDED or not payment.provider_payment_id:
            raise ValueError(f"payment {payment_id} is not a succeeded card payment")
        if amount_yen <= 0 or amount_yen > payment.amount_yen - int(refunded or 0):
            raise ValueError(f"¥{amount_yen} is more than what is left to refund of payment {payment_id}")

        def new_row(now: int) -> RefundRow:
            return RefundRow(payment_id=payment_id, idempotency_key=key, amount_yen=amount_yen,
                             status=PaymentStatus.PENDING, lease_until_ms=now + self.lease_ms, created_at_ms=now,
                             updated_at_ms=now)

        claim = await self._claim(RefundRow, key, new_row, amount_yen)
        if isinstance(claim.result, RefundResult):
            return claim.result
        provider_payment = payment.provider_payment_id
        found = await self.provider.find_refund(provider_payment, key) if claim.recovering else None
        try:
            result = found or await self.provider.refund(provider_payment, amount_yen, idempotency_key=key)
        except PaymentProviderUnavailable:
            raise
        except PaymentProviderError as error:
            await self._settle_refund(claim.row_id, RefundStatus.FAILED, None, str(error))
            raise
        await self._settle_refund(claim.row_id, result.status, result.refund_id, None)
        return result

    async def _settle_refund(self, row_id: int, status: str, refund_id: str | None, message: str | None) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                update(RefundRow)
                .where(RefundRow.id == row_id)
                .values(status=status, provider_refund_id=refund_id, message=message, lease_until_ms=None,
                        updated_at_ms=self.clock.now_ms())
            )

    # ---- webhooks ---------------------------------------------------------------------------------------

    async def apply_event(self, event: PaymentEvent) -> PaymentRecord | None:
        """Brings the stored state up to date with a verified provider event; applying one twice changes
        nothing. Returns the payment it settled, if it is one of linemod's."""
        if isinstance(event, PaymentSucceeded | PaymentFailed):
            return await self._apply_payment_event(event)
        if isinstance(event, PaymentMethodAttached | PaymentMethodUpdated):
            card = event.payment_method
            await self._update_rows(
                update(PaymentMethodRow)
                .where(PaymentMethodRow.provider == self.provider.name,
                       PaymentMethodRow.payment_method_id == card.payment_method_id)
                .values(brand=card.brand, last4=card.last4, exp_month=card.exp_month, exp_year=card.exp_year,
                        updated_at_ms=self.clock.now_ms())
            )
        elif isinstance(event, RefundSucceeded):
            await self._update_rows(
                update(RefundRow)
                .where(RefundRow.provider_refund_id == event.refund_id)
                .values(status=RefundStatus.SUCCEEDED, updated_at_ms=self.clock.now_ms())
            )
        return None

    async def _update_rows(self, statement: Update) -> None:
        async with self.db.transaction() as session:
            await session.execute(statement)

    async def _apply_payment_event(self, event: PaymentSucceeded | PaymentFailed) -> PaymentRecord | None:
        async with self.db.transaction() as session:
            where = PaymentRow.provider_payment_id == event.payment_id
            if event.idempotency_key:
                where = where | (PaymentRow.idempotency_key == event.idempotency_key)
            row = await session.scalar(select(PaymentRow).where(where))
            if row is None:
                return None
            if row.status != PaymentStatus.SUCCEEDED:  # a late failure never undoes money received
                row.provider_payment_id = event.payment_id
                if isinstance(event, PaymentSucceeded):
                    row.status = PaymentStatus.SUCCEEDED
                    row.provider_charge_id = event.charge_id or row.provider_charge_id
                else:
                    row.status = status_of(event.outcome)
                    row.failure_code, row.decline_code = event.failure_code, event.decline_code
                    row.message = event.message
                row.lease_until_ms, row.updated_at_ms = None, self.clock.now_ms()
            await session.flush()
            return PaymentRecord.from_row(row)


def _refund_result(row: RefundRow) -> RefundResult | None:
    if row.status == RefundStatus.FAILED:
        return None
    return RefundResult(refund_id=row.provider_refund_id or "", status=RefundStatus(row.status),
                        amount_yen=row.amount_yen)

