"""Refunds with return invoices (`billing/refunds.py`) against a payment provider in memory: the return
invoice comes first and the refund is keyed by it, so a refund whose answer was lost is sent again with the
same key once its lease has passed, and an amount the card payment cannot carry is refused before any
document exists. (The real refund, at localstripe, is in the browser tests.)"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from linemod.framework.billing.invoicing.documents import DocumentKind, InvoiceLine
from linemod.framework.billing.payments.card_payments import DEFAULT_LEASE_SECONDS, CardPayments
from linemod.framework.billing.payments.provider import PaymentProviderUnavailable, RefundResult, RefundStatus
from linemod.framework.billing.refunds import (
    RefundRefused,
    refund_reference,
    refund_state,
    refund_with_return_invoice,
    retry_refund,
)
from linemod.framework.clock import ManualClock
from tests.framework.billing.payments.fakes import FakeProvider
from tests.framework.billing.provider_console.world import collection_of, subscribed_oa
from tests.framework.console.conftest import Console
from tests.framework.helpers import BOT


@dataclass
class LosingRefunds(FakeProvider):
    """Refunds the first call but loses its answer (a timeout), as a network can."""

    refund_keys: list[str] = field(default_factory=list)
    lose_refund_answers: int = 1

    async def refund(self, payment_id: str, amount_yen: int, *, idempotency_key: str) -> RefundResult:
        self.refund_keys.append(idempotency_key)
        if self.lose_refund_answers:
            self.lose_refund_answers -= 1
            raise PaymentProviderUnavailable("read timed out")
        return RefundResult("re_1", RefundStatus.SUCCEEDED, amount_yen, payment_id)


async def test_a_lost_refund_is_retried_with_the_same_key_and_too_much_is_refused_first(
    console: Console, clock: ManualClock
) -> None:
    collection = collection_of(console.app)
    provider = LosingRefunds()
    collection.provider, collection.cards = provider, CardPayments(console.db, provider, clock)
    collection.settlement.cards = collection.dunning.cards = collection.cards
    run = await subscribed_oa(console.app, BOT, "Cafe Sakura")
    assert run is not None
    setup = await collection.start_card_setup(BOT)
    await collection.save_card(BOT, setup.setup_id)  # pays the open invoice by card
    book = collection.book

    with pytest.raises(RefundRefused, match="more than the"):
        await refund_with_return_invoice(collection, run.invoice_id, [InvoiceLine("全額以上", 1, 6_000)],
                                         reason="誤請求", actor="staff:a@example.com")
    assert [d.kind for d in await book.related(run.invoice_id)] == [DocumentKind.RECEIPT]  # nothing issued

    outcome = await refund_with_return_invoice(collection, run.invoice_id, [InvoiceLine("一部返金", 1, 1_000)],
                                               reason="障害", actor="staff:a@example.com")
    returned = outcome.return_invoice
    assert returned.total_gross == 1_100 and outcome.refund is None and outcome.error
    assert returned.id is not None and await refund_state(collection, returned.id) == "pending"
    early = await retry_refund(collection, returned.id)  # the first call may still be running
    assert early.refund is None and "being processed" in (early.error or "")
    clock.advance(DEFAULT_LEASE_SECONDS + 1)
    again = await retry_refund(collection, returned.id)
    assert again.refund is not None and again.refund.status is RefundStatus.SUCCEEDED
    assert await refund_state(collection, returned.id) == "succeeded"
    assert provider.refund_keys == ["refund:" + refund_reference(returned.id)] * 2  # one key, never a second refund
    done = await retry_refund(collection, returned.id)  # settled: the stored result, no third call
    assert done.refund is not None and len(provider.refund_keys) == 2
    history = await book.history(run.invoice_id)
    assert history[-1].actor == "staff:a@example.com" and history[-1].after == {"return_invoice": returned.number}
