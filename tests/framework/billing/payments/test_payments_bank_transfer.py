"""Bank transfers end to end on each database: payer references, payments staff mark by hand, and a statement
import (golden cases) that pays exact matches, queues the rest, and pays nothing twice when imported again."""

from __future__ import annotations

from datetime import date

import pytest

from linemod.framework.billing.payments.bank_transfer import BankTransfers
from linemod.framework.billing.payments.payer_reference import is_valid_reference
from linemod.framework.billing.payments.payment_ledger import PaymentLedger
from linemod.framework.billing.payments.records import PaymentStatus
from linemod.framework.billing.payments.statement_matching import OpenInvoice, QueueReason
from linemod.framework.clock import ManualClock

STAFF = 7


@pytest.fixture
def transfers(db) -> BankTransfers:  # type: ignore[no-untyped-def]
    return BankTransfers(db, ManualClock())


async def test_each_invoice_gets_its_own_stable_valid_payer_reference(transfers: BankTransfers) -> None:
    first = await transfers.payer_reference("inv_1")
    second = await transfers.payer_reference("inv_2")
    assert await transfers.payer_reference("inv_1") == first
    assert first != second and is_valid_reference(first) and is_valid_reference(second)


async def test_a_payment_marked_twice_by_staff_is_recorded_once(transfers: BankTransfers) -> None:
    first = await transfers.mark_paid("inv_1", 33000, date(2026, 11, 30), note="確認済み", recorded_by=STAFF)
    again = await transfers.mark_paid("inv_1", 33000, date(2026, 11, 30), note="確認済み", recorded_by=STAFF)

    assert again == first and first.status is PaymentStatus.SUCCEEDED and first.method == "bank_transfer"
    assert (first.paid_on, first.note) == (date(2026, 11, 30), "確認済み")
    assert await PaymentLedger(transfers.db).paid_yen("inv_1") == 33000


async def test_a_statement_pays_exact_matches_queues_the_rest_and_pays_nothing_twice(  # type: ignore[no-untyped-def]
    transfers: BankTransfers,
) -> None:
    sakura_ref = await transfers.payer_reference("inv_sakura")
    tanaka_ref = await transfers.payer_reference("inv_tanaka_a")
    invoices = [
        OpenInvoice("inv_sakura", "2026-0101", 33000, sakura_ref, "株式会社さくらカフェ", payer_kana="ｶ)ｻｸﾗｶﾌｪ"),
        OpenInvoice("inv_yamada", "2026-0102", 3300, None, "ヤマダ　タロウ"),
        OpenInvoice("inv_tanaka_a", "2026-0103", 11000, tanaka_ref, "田中商店", payer_kana="タナカショウテン"),
        OpenInvoice("inv_jiro", "2026-0104", 12100, None, "田中次郎", payer_kana="タナカ ジロウ"),
        OpenInvoice("inv_suzuki_1", "2026-0105", 5500, None, "鈴木一郎", payer_kana="スズキ イチロウ"),
        OpenInvoice("inv_suzuki_2", "2026-0106", 5500, None, "鈴木一郎", payer_kana="スズキ イチロウ"),
    ]
    statement = f"""取引日,入金金額,出金金額,振込依頼人名,残高
2026/11/25,"33,000",,{sakura_ref} ｶ)ｻｸﾗｶﾌｪ,"133,000"
2026/11/25,"3,300",,ﾔﾏﾀﾞ ﾀﾛｳ,"136,300"
2026/11/26,"12,000",,{tanaka_ref}ﾀﾅｶｼﾖｳﾃﾝ,"148,300"
2026/11/26,"12,000",,ﾀﾅｶ ｼﾞﾛｳ,"160,300"
2026/11/27,"5,500",,ｽｽﾞｷ ｲﾁﾛｳ,"165,800"
2026/11/27,"7,700",,ﾜﾀﾅﾍﾞ ﾊﾅｺ,"173,500"
2026/11/28,,440,振込手数料,"173,060"
2026/11/28,"33,000",,{sakura_ref} ｶ)ｻｸﾗｶﾌｪ,"206,060"
""".encode("cp932")

    report = await transfers.import_statement(statement, invoices, filename="2026-11.csv", imported_by=STAFF)

    assert (report.credits, report.already_imported) == (7, 0)
    assert [(m.invoice_id, m.amount_yen, m.value_date) for m in report.matched] == [
        ("inv_sakura", 33000, date(2026, 11, 25)),  # by its payer reference
        ("inv_yamada", 3300, date(2026, 11, 25)),  # half-width ﾔﾏﾀﾞ ﾀﾛｳ is full-width ヤマダ タロウ
    ]
    assert [(q.reason, q.candidates, q.amount_yen) for q in report.queued] == [
        (QueueReason.OVERPAYMENT, ("inv_tanaka_a",), 12000),
        (QueueReason.UNDERPAYMENT, ("inv_jiro",), 12000),
        (QueueReason.AMBIGUOUS, ("inv_suzuki_1", "inv_suzuki_2"), 5500),
        (QueueReason.NO_MATCH, (), 7700),
        (QueueReason.UNKNOWN_REFERENCE, (), 33000),  # inv_sakura was just paid: a second payment is for staff
    ]
    ledger = PaymentLedger(transfers.db)
    assert await ledger.paid_yen("inv_sakura") == 33000 and await ledger.paid_yen("inv_yamada") == 3300

    again = await transfers.import_statement(statement, invoices, filename="2026-11.csv", imported_by=STAFF)

    assert (again.credits, again.already_imported, again.matched, again.queued) == (7, 7, [], [])
    assert await ledger.paid_yen("inv_sakura") == 33000
    assert len(await transfers.open_items()) == 5


async def test_staff_resolve_a_queued_credit_to_an_invoice_or_dismiss_it(transfers: BankTransfers) -> None:
    invoices = [OpenInvoice("inv_1", "2026-0201", 11000, None, "タナカ ショウテン")]
    statement = "日付,入金額,振込依頼人名\n2026/12/01,12000,ﾀﾅｶｼｮｳﾃﾝ\n2026/12/01,100,ﾃｽﾄ\n".encode()
    report = await transfers.import_statement(statement, invoices)
    overpaid, stray = report.queued
    assert overpaid.reason is QueueReason.OVERPAYMENT

    payment = await transfers.resolve(overpaid.id, "inv_1", resolved_by=STAFF, note="差額は返金")
    await transfers.dismiss(stray.id, resolved_by=STAFF, note="テスト送金")

    assert (payment.invoice_id, payment.amount_yen, payment.paid_on) == ("inv_1", 12000, date(2026, 12, 1))
    assert await transfers.open_items() == []
    with pytest.raises(LookupError):
        await transfers.resolve(overpaid.id, "inv_1", resolved_by=STAFF)
    assert [p.amount_yen for p in await PaymentLedger(transfers.db).payments_for("inv_1")] == [12000]
