"""Dunning and settlement paths the end-to-end scenario does not take, on both engines, with the real queue on
a manual clock and localstripe: a bank transfer reminded, overdue and restricted; a bank statement paying
it; a 3-D Secure charge settled by Stripe's webhook; a hard decline; an OA deleted while it was being dunned.

The OA attaches on 2025-06-05 with no trial: its first period (to 2025-07-01) is invoiced at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from linemod.framework.billing.collection_records import CollectionRow, CollectionStatus
from linemod.framework.billing.payments.provider import ChargeOutcome, ChargeRequest, ChargeResult
from linemod.framework.billing.payments.records import PaymentMethodKind, PaymentStatus
from linemod.framework.clock import ManualClock
from linemod.framework.storage.database import Database
from tests.framework.billing.collection.bench import (
    DECLINING_CARD,
    THREE_D_SECURE_CARD,
    Bench,
    collection_app,
)
from tests.framework.billing.helpers import START, history, subscription
from tests.framework.helpers import BOT, Running, detached_event
from tests.support.localstripe import LocalStripe
from tests.support.servers import WebhookReceiver

ISSUER_NAME = "株式会社リンクモッド"


@pytest.fixture
async def bench(db: Database, localstripe: LocalStripe) -> AsyncIterator[Bench]:
    clock = ManualClock(START)
    async with Running(collection_app(db, clock, localstripe, trial_days=0)) as run:
        yield Bench(run, db, clock, localstripe)


async def first_run(bench: Bench) -> CollectionRow:
    runs = await bench.runs()
    assert runs, "nothing was invoiced"
    return runs[0]


async def about(bench: Bench, run: CollectionRow) -> list[str]:
    """The subjects of the mails about the run's invoice."""
    return [s.removeprefix(f"【{ISSUER_NAME}】") for s in await bench.mail_subjects() if str(run.invoice_number) in s]


# ---- bank transfer ------------------------------------------------------------------------------------------


async def test_a_bank_transfer_is_due_at_the_end_of_next_month_reminded_then_past_due_then_restricted(
    bench: Bench, db: Database
) -> None:
    await bench.attach()
    await bench.send_waiting_mails()
    run = await first_run(bench)
    number = run.invoice_number
    assert (run.method, run.status, run.due_date) == (PaymentMethodKind.BANK_TRANSFER, CollectionStatus.OPEN,
                                                       date(2025, 7, 31))
    assert (await bench.service.book.get(run.invoice_id or 0)).due_date == date(2025, 7, 31)
    assert await about(bench, run) == [f"請求書 {number} のご送付"]

    await bench.advance_to(date(2025, 7, 23))
    assert len(await about(bench, run)) == 1
    await bench.advance_to(date(2025, 7, 24))  # 7 days before
    assert (await about(bench, run))[1:] == [f"請求書 {number} のお支払期限（2025年7月31日）が近づいております"]
    assert (await subscription(db, BOT)).status == "active"

    await bench.advance_to(date(2025, 8, 1))  # 1 day after: overdue
    overdue = f"請求書 {number} のお支払期限を過ぎております"
    assert (await about(bench, run))[2:] == [overdue]
    assert (await first_run(bench)).status == CollectionStatus.PAST_DUE
    assert (await subscription(db, BOT)).status == "past_due"

    await bench.advance_to(date(2025, 8, 7))
    assert (await subscription(db, BOT)).status == "past_due"
    await bench.advance_to(date(2025, 8, 14))  # the last reminder, then restricted
    assert (await about(bench, run))[3:] == [overdue, overdue]
    # The restriction's mail and the last reminder's are jobs of the same moment, run in either order.
    assert f"【{ISSUER_NAME}】ご利用を一部制限しました" in (await bench.mail_subjects())[-2:]
    assert (await first_run(bench)).status == CollectionStatus.RESTRICTED
    assert (await subscription(db, BOT)).status == "restricted"
    # The status changes only: the 1 August renewal may run before or after the overdue step that day, and when
    # after, it records a past_due → past_due renewal in the history too.
    changes = [reason for was, to, reason in await history(db, BOT) if to in ("past_due", "restricted") and was != to]
    assert changes == ["payment_failed", "grace_period_over"]


async def test_a_bank_statement_paying_an_overdue_invoice_issues_its_receipt_and_reactivates(
    bench: Bench, db: Database
) -> None:
    await bench.attach()
    await bench.advance_to(date(2025, 8, 1))
    run = await first_run(bench)
    assert run.status == CollectionStatus.PAST_DUE
    invoice = await bench.service.book.get(run.invoice_id or 0)
    assert invoice.payer_reference
    payer = f"{invoice.payer_reference} ｶ)ｶﾌｴｻｸﾗ"  # the reference the invoice asks payers to write, then the name
    statement = f"取引日,摘要,入金金額,出金金額,振込依頼人名\n2025/08/01,振込,\"{run.amount_yen:,}\",,{payer}\n"

    imported = await bench.service.settlement.import_statement(statement.encode("cp932"), filename="aug.csv")
    await bench.run.drain(timeout=30)

    assert [credit.invoice_id for credit in imported.matched] == [str(run.invoice_id)]
    paid = await first_run(bench)
    assert paid.status == CollectionStatus.PAID and paid.receipt_id is not None
    receipt = await bench.service.book.get(paid.receipt_id)
    assert receipt.total_gross == run.amount_yen
    assert (await subscription(db, BOT)).status == "active"
    assert any(subject.startswith("【株式会社リンクモッド】領収書") for subject in await bench.mail_subjects())

    # nothing more is reminded or restricted for it
    before = await about(bench, run)
    await bench.advance_to(date(2025, 8, 15))
    assert await about(bench, run) == before
    assert (await first_run(bench)).status == CollectionStatus.PAID


# ---- cards --------------------------------------------------------------------------------------------------


async def test_a_charge_waiting_for_3d_secure_is_not_retried_and_is_settled_by_stripes_webhook(
    bench: Bench, db: Database, receiver: WebhookReceiver
) -> None:
    await bench.save_card(number=THREE_D_SECURE_CARD)
    await bench.attach()
    run = await first_run(bench)
    [payment] = await bench.payments(run.invoice_id)
    assert (payment.status, run.status, run.last_outcome) == (
        PaymentStatus.REQUIRES_ACTION, CollectionStatus.PAST_DUE, ChargeOutcome.REQUIRES_ACTION
    )
    assert (await subscription(db, BOT)).status == "past_due"
    assert any("お支払いができませんでした" in s for s in await about(bench, run))

    await bench.advance_days(3.5)  # past the first two retry days: a 3-D Secure charge needs the cardholder
    assert len(await bench.payments(run.invoice_id)) == 1

    # the operator opens the pay-now page and passes 3-D Secure; Stripe tells linemod by webhook
    assert payment.provider_payment_id is not None
    intent = bench.stripe.get(f"/v1/payment_intents/{payment.provider_payment_id}")
    bench.stripe.authenticate_payment(intent["client_secret"])
    await bench.forward_stripe_webhooks(receiver, "payment_intent.succeeded", payment.provider_payment_id)

    paid = await first_run(bench)
    assert paid.status == CollectionStatus.PAID and paid.receipt_id is not None
    [payment] = await bench.payments(run.invoice_id)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert (await subscription(db, BOT)).status == "active"
    assert any("領収書" in s for s in await bench.mail_subjects())
    assert await bench.card_charges_at_stripe() == (1, 1)
    await bench.advance_days(4)  # the day it would have been restricted: nothing happens
    assert (await first_run(bench)).status == CollectionStatus.PAID
    assert (await subscription(db, BOT)).status == "active"


class HardDeclines:
    """The Stripe adapter, except that a declined charge comes back as Stripe reports a lost card
    (`card_declined` / `lost_card`): localstripe's declines are all `card_declined` with no decline code."""

    def __init__(self, provider: Any) -> None:
        self.provider = provider
        self.name = provider.name

    def __getattr__(self, name: str) -> Any:
        return getattr(self.provider, name)

    async def charge(self, request: ChargeRequest) -> ChargeResult:
        result: ChargeResult = await self.provider.charge(request)
        if result.outcome is ChargeOutcome.DECLINED:
            return replace(result, outcome=ChargeOutcome.HARD_DECLINED, decline_code="lost_card")
        return result


async def test_a_hard_decline_is_never_retried_and_restricts_on_the_last_retry_day(bench: Bench, db: Database) -> None:
    cards = bench.service.cards
    assert cards is not None
    cards.provider = HardDeclines(cards.provider)  # type: ignore[assignment]
    await bench.save_card(number=DECLINING_CARD)
    await bench.attach()
    run = await first_run(bench)
    assert [p.decline_code for p in await bench.payments(run.invoice_id)] == ["lost_card"]
    assert (run.status, run.last_outcome) == (CollectionStatus.PAST_DUE, ChargeOutcome.HARD_DECLINED)

    for days in (1, 2, 2):  # days 1, 3, 5: no retry
        await bench.advance_days(days)
        assert len(await bench.payments(run.invoice_id)) == 1
        assert (await subscription(db, BOT)).status == "past_due"
    await bench.advance_days(2.1)  # day 7, the last retry's: restricted without another charge
    assert (await subscription(db, BOT)).status == "restricted"
    assert len(await bench.payments(run.invoice_id)) == 1
    assert await bench.card_charges_at_stripe() == (1, 1)


async def test_no_dunning_after_the_oa_is_deleted(bench: Bench, db: Database) -> None:
    await bench.save_card(number=DECLINING_CARD)
    await bench.attach()
    await bench.send_waiting_mails()
    run = await first_run(bench)
    assert (run.status, len(await bench.payments(run.invoice_id))) == (CollectionStatus.PAST_DUE, 1)
    mails = await about(bench, run)

    answer = await bench.run.post_webhook([detached_event(BOT, reason="bot_deleted", ts=bench.clock.now_ms())])
    assert answer.status_code == 200
    await bench.run.drain()
    assert (await subscription(db, BOT)).status == "ended"

    for days in (1, 2, 2, 2, 15, 8):  # every retry day, past the grace period and the final notice
        await bench.advance_days(days)
    assert len(await bench.payments(run.invoice_id)) == 1
    assert await about(bench, run) == mails
    assert (await subscription(db, BOT)).status == "ended"
    assert "restricted" not in [to for _f, to, _r in await history(db, BOT)]
    assert (await first_run(bench)).status in (CollectionStatus.PAST_DUE, CollectionStatus.CLOSED)
