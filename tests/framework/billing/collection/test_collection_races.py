"""Concurrent collection on both engines: however many runs, jobs or app instances collect an OA's pending
charges at once, there is one finalized invoice with all of them, each charge is marked once, and the card
is charged at most once (counted at localstripe and in linemod's payments); two dunning retries of the same
attempt charge once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from linemod.framework.billing.collection import CollectionRun, IssuedRun
from linemod.framework.billing.collection_records import CollectionStatus
from linemod.framework.billing.invoicing.book import InvoiceBook
from linemod.framework.billing.invoicing.documents import DocumentKind
from linemod.framework.billing.payments.bank_transfer import BankTransfers
from linemod.framework.billing.payments.card_payments import ChargeInProgressError
from linemod.framework.billing.payments.provider import ChargeOutcome, ChargeResult
from linemod.framework.billing.payments.records import PaymentStatus
from linemod.framework.clock import ManualClock
from linemod.framework.storage.database import Database
from tests.framework.billing.collection.bench import DECLINING_CARD, Bench, add_charges, collection_app
from tests.framework.billing.helpers import START
from tests.framework.helpers import BOT, Running
from tests.support.localstripe import LocalStripe

CHARGES = [3000, 500, 1200]  # ¥4,700 without tax, ¥5,170 with it


@pytest.fixture
async def bench(db: Database, localstripe: LocalStripe) -> AsyncIterator[Bench]:
    clock = ManualClock(START)
    async with Running(collection_app(db, clock, localstripe)) as run:
        yield Bench(run, db, clock, localstripe)


async def _one_invoice_for_every_charge(bench: Bench, issued: list[IssuedRun | None]) -> IssuedRun:
    [winner] = [r for r in issued if r is not None]
    await bench.run.drain(timeout=30)
    [run] = await bench.runs()
    assert (run.id, run.invoice_id, run.invoice_number) == (winner.collection_id, winner.invoice_id, winner.number)
    assert await bench.charge_refs() == [winner.number] * len(CHARGES)
    invoice = await bench.service.book.get(winner.invoice_id)
    assert not invoice.is_draft and invoice.number == winner.number and invoice.total_gross == 5170
    assert len(invoice.lines) == len(CHARGES)
    page = await bench.service.book.search(page_size=50)
    assert [item.number for item in page.items if item.number and item.number.startswith("INV")] == [winner.number]
    return winner


@pytest.mark.parametrize("callers", [2, 8])
async def test_concurrent_collects_of_one_oa_make_one_invoice_and_one_card_charge(bench: Bench, callers: int) -> None:
    await bench.save_card()
    await bench.attach()
    await add_charges(bench.db, BOT, CHARGES)

    issued = await asyncio.gather(*(bench.service.collect(BOT) for _ in range(callers)))

    winner = await _one_invoice_for_every_charge(bench, issued)
    [run] = await bench.runs()
    assert run.status == CollectionStatus.PAID
    [payment] = await bench.payments(winner.invoice_id)
    assert (payment.status, payment.amount_yen) == (PaymentStatus.SUCCEEDED, 5170)
    assert await bench.card_charges_at_stripe() == (1, 1)
    await bench.send_waiting_mails()
    assert sum("請求書" in s for s in await bench.mail_subjects()) == 1


async def test_two_app_instances_sharing_the_database_make_one_invoice(bench: Bench, db: Database) -> None:
    """A second instance: its own connection pool and invoice book on the same database (as a second
    process would have), collecting at the same time as the first."""
    await bench.save_card()
    await bench.attach()
    await add_charges(bench.db, BOT, CHARGES)
    first = bench.service
    other_db = Database(db.url, schema=db.schema)
    other = CollectionRun(other_db, bench.clock, first.ledger, InvoiceBook(other_db, bench.clock, first.book.issuer),
                          BankTransfers(other_db, bench.clock), card_provider=first.run.card_provider)
    try:
        issued = await asyncio.gather(*(runner.collect(BOT) for runner in (first.run, other, first.run, other)))
    finally:
        await other_db.dispose()

    await _one_invoice_for_every_charge(bench, issued)
    assert (await bench.runs())[0].status == CollectionStatus.PAID
    assert await bench.card_charges_at_stripe() == (1, 1)


async def test_two_dunning_retries_of_one_attempt_charge_once(bench: Bench) -> None:
    await bench.save_card(number=DECLINING_CARD)
    await bench.attach()
    await add_charges(bench.db, BOT, CHARGES)
    issued = await bench.service.collect(BOT)
    assert issued is not None
    await bench.run.drain(timeout=30)  # attempt 1: declined
    [run] = await bench.runs()
    assert (run.status, run.card_attempts) == (CollectionStatus.PAST_DUE, 1)

    results: list[Any] = await asyncio.gather(
        *(bench.service.dunning.charge(run.id, 2) for _ in range(2)), return_exceptions=True
    )

    declined = [r for r in results if isinstance(r, ChargeResult)]
    assert declined and all(r.outcome is ChargeOutcome.DECLINED for r in declined)
    assert all(isinstance(r, ChargeResult | ChargeInProgressError) for r in results), results
    assert [(p.attempt, p.status) for p in await bench.payments(issued.invoice_id)] == [
        (1, PaymentStatus.DECLINED), (2, PaymentStatus.DECLINED)
    ]
    assert await bench.card_charges_at_stripe() == (2, 2)
    [run] = await bench.runs()
    assert run.card_attempts == 2


async def test_concurrent_settlements_of_one_invoice_issue_one_receipt(bench: Bench) -> None:
    """A charge's own answer and Stripe's webhook about it (or a staff transfer and a statement import) may
    settle the same invoice at the same moment: one receipt, one receipt mail, and no caller fails."""
    await bench.attach()
    await add_charges(bench.db, BOT, CHARGES)
    issued = await bench.service.collect(BOT)  # no card: a bank transfer, left open
    assert issued is not None
    await bench.run.drain(timeout=30)

    receipts = await asyncio.gather(*(bench.service.settlement.settle_paid(issued.collection_id, "bank_transfer")
                                      for _ in range(4)))

    await bench.run.drain(timeout=30)
    [run] = await bench.runs()
    assert run.status == CollectionStatus.PAID and run.receipt_id is not None
    assert {r.id for r in receipts if r is not None} == {run.receipt_id}
    related = await bench.service.book.related(issued.invoice_id)
    assert [d.id for d in related if d.kind is DocumentKind.RECEIPT] == [run.receipt_id]
    assert sum("領収書" in s for s in await bench.mail_subjects()) == 1
