"""The provider billing console's actions, in-process: a manual invoice and a credit (a form sent twice
writes one charge), coupons created, refused and deactivated, a bank statement imported with its matched and
queued credits and a queued one assigned, and a refund of an invoice paid by transfer. Refunds to a card,
against localstripe, are in the browser tests."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from linemod.framework.billing.invoicing.documents import DocumentKind, DocumentStatus
from linemod.framework.billing.records import BillingChargeRow
from linemod.framework.billing.staff_coupons import list_coupons
from tests.framework.billing.provider_console.world import REQUEST_KEY, collection_of, subscribed_oa
from tests.framework.console.conftest import Browser, Console
from tests.framework.helpers import BOT, OTHER_BOT

NOTICE = re.compile(r'data-testid="notice">([^<]+)<')


async def notice_after(browser: Browser, answer: object) -> str:
    page = await browser.follow(answer)  # type: ignore[arg-type]
    found = NOTICE.search(page.text)
    assert found is not None, page.text[-2000:]
    return found.group(1)


async def charges(console: Console, bot_id: str) -> list[BillingChargeRow]:
    async with console.db.session() as session:
        return list(await session.scalars(select(BillingChargeRow).where(BillingChargeRow.bot_id == bot_id)
                                          .order_by(BillingChargeRow.id)))


async def test_a_manual_invoice_is_issued_once_and_a_credit_waits_for_the_next(console: Console) -> None:
    await subscribed_oa(console.app, BOT, "Cafe Sakura")
    staff = await console.staff()
    page = await staff.get(f"/provider/billing/tenants/{BOT}")
    found = REQUEST_KEY.search(page.text)
    assert found is not None
    form = {"request_key": found.group(1), "kind": "invoice", "description": "初期設定サポート", "amount": "30,000",
            "rate": "10"}
    first = await staff.post(f"/provider/billing/tenants/{BOT}/manual", form)
    assert await notice_after(staff, first) == "請求書を発行しました。"
    again = await staff.post(f"/provider/billing/tenants/{BOT}/manual", form)  # the same form, sent twice
    assert await notice_after(staff, again) == "このフォームは送信済みです。二度目の処理は行っていません。"
    manual = [c for c in await charges(console, BOT) if c.reason == "manual_invoice"]
    assert len(manual) == 1 and manual[0].subtotal_yen == 30_000 and manual[0].invoice_ref
    issued = await collection_of(console.app).book.get_by_number(manual[0].invoice_ref or "")
    assert issued.total_gross == 33_000 and issued.status is DocumentStatus.FINALIZED

    page = await staff.get(f"/provider/billing/tenants/{BOT}")
    key = REQUEST_KEY.search(page.text)
    assert key is not None and key.group(1) != found.group(1)  # a new key for the next form
    credit = {"request_key": key.group(1), "kind": "credit", "description": "障害のお詫び", "amount": "1000",
              "rate": "10"}
    await staff.post(f"/provider/billing/tenants/{BOT}/manual", credit)
    [waiting] = [c for c in await charges(console, BOT) if c.reason == "manual_credit"]
    assert waiting.subtotal_yen == -1_000 and waiting.invoice_ref is None

    for bad, message in (({"amount": "-5"}, "円単位の整数"), ({"amount": "12.5"}, "円単位の整数"),
                         ({"rate": "5"}, "税率は10％か8％"), ({"description": ""}, "内容を入力"),
                         ({"request_key": ""}, "キーがありません")):
        sent = {**credit, "request_key": "x" * 20, **bad}
        refused = await staff.post(f"/provider/billing/tenants/{BOT}/manual", sent)
        assert refused.status_code == 400 and message in refused.text, bad
    assert len(await charges(console, BOT)) == 3  # nothing written by a refused form


async def test_coupons_are_created_refused_when_taken_and_deactivated(console: Console) -> None:
    staff = await console.staff()
    page = await staff.get("/provider/billing/coupons")
    assert 'data-code="launch" data-active="yes"' in page.text  # declared in code: listed, not deactivatable
    form = {"code": "winter", "kind": "amount", "value": "1000", "duration": "repeating", "months": "2",
            "name_ja": "冬のキャンペーン", "name_en": "Winter"}
    created = await staff.post("/provider/billing/coupons", form)
    assert await notice_after(staff, created) == "クーポンを作成しました。"
    for taken in ("winter", "launch"):
        refused = await staff.post("/provider/billing/coupons", {**form, "code": taken})
        assert refused.status_code == 400 and 'data-testid="error"' in refused.text
    too_big = {**form, "code": "big", "kind": "percent", "value": "150"}
    bad_terms = await staff.post("/provider/billing/coupons", too_big)
    assert bad_terms.status_code == 400 and "at most 100" in bad_terms.text
    for field, value, message in (("value", "abc", "値は5000のように"), ("months", "9999999999", "月数は1から120")):
        refused = await staff.post("/provider/billing/coupons", {**form, "code": "odd", field: value})
        assert refused.status_code == 400 and message in refused.text, field

    await subscribed_oa(console.app, BOT, "Cafe Sakura")
    billing = console.app.runtime.billing
    async with console.db.transaction() as session:
        await billing.changes.redeem_coupon(session, BOT, "winter")  # a staff coupon redeems like a declared one
    await staff.post("/provider/billing/coupons/winter/deactivate", {})
    listed = {c.coupon.code: c for c in await list_coupons(console.db, billing.catalog.catalog.coupons)}
    assert listed["winter"].active is False and listed["winter"].created_by == "staff:staff@provider.example"
    async with console.db.transaction() as session:
        with pytest.raises(LookupError):
            await billing.changes.redeem_coupon(session, BOT, "winter")  # no new redemption
    async with console.db.session() as session:
        sub = await billing.subscription_row(session, BOT)
        assert sub is not None and sub.coupon_json is not None and '"winter"' in sub.coupon_json  # kept its terms
    assert (await staff.post("/provider/billing/coupons/launch/deactivate", {})).status_code == 404


async def test_a_statement_import_pays_what_matches_and_queues_the_rest(console: Console) -> None:
    first = await subscribed_oa(console.app, BOT, "Cafe Sakura")
    second = await subscribed_oa(console.app, OTHER_BOT, "Ramen Kaze")
    assert first is not None and second is not None
    book = collection_of(console.app).book
    reference = (await book.get(first.invoice_id)).payer_reference
    statement = (
        "取引日,摘要,入金金額,出金金額,残高,振込依頼人名\n"
        f"2026/09/12,振込,{first.amount_yen},,100000,{reference} ｶ)ｻｸﾗｶﾌｪ\n"
        f"2026/09/13,振込,{second.amount_yen},,105500,ﾔﾏﾀﾞ ﾀﾛｳ\n"
    ).encode("cp932")
    staff = await console.staff()
    await staff.get("/provider/billing/transfers")
    imported = await staff.http.post(
        "/provider/billing/statements", data={"csrf_token": staff.token},
        files={"statement": ("meisai.csv", statement, "text/csv")},
    )
    assert imported.status_code == 200, imported.text[-1500:]
    assert imported.text.count('data-testid="matched-row"') == 1 and first.number in imported.text
    assert (await book.get(first.invoice_id)).status is DocumentStatus.PAID
    [queued] = re.findall(r'data-testid="queue-row" data-item="(\d+)"', imported.text)

    wrong = await staff.post(f"/provider/billing/reconciliation/{queued}/assign", {"invoice_number": "INV-404"})
    assert wrong.status_code == 400 and "INV-404" in wrong.text
    paid = await staff.post(f"/provider/billing/reconciliation/{queued}/assign", {"invoice_number": first.number})
    assert paid.status_code == 400 and "支払い済みか無効" in paid.text  # the first invoice is paid already
    assigned = await staff.post(f"/provider/billing/reconciliation/{queued}/assign", {"invoice_number": second.number})
    assert await notice_after(staff, assigned) == "入金を請求書に割り当てました。"
    assert (await book.get(second.invoice_id)).status is DocumentStatus.PAID
    again = await staff.post(f"/provider/billing/reconciliation/{queued}/assign", {"invoice_number": second.number})
    assert again.status_code == 400  # paid now: nothing is paid twice
    third = await subscribed_oa(console.app, "U" + "3" * 32, "Soba Kiku")
    assert third is not None
    closed = await staff.post(f"/provider/billing/reconciliation/{queued}/assign", {"invoice_number": third.number})
    assert closed.status_code == 404  # the credit is assigned already: it cannot pay a second invoice
    assert (await book.get(third.invoice_id)).status is DocumentStatus.FINALIZED

    not_csv = await staff.http.post("/provider/billing/statements", data={"csrf_token": staff.token},
                                    files={"statement": ("photo.csv", b"\x89PNG\r\n", "text/csv")})
    assert not_csv.status_code == 400 and "見出し行" in not_csv.text


async def test_a_transfer_paid_invoice_gets_a_return_invoice_and_too_much_is_refused(console: Console) -> None:
    run = await subscribed_oa(console.app, BOT, "Cafe Sakura")
    assert run is not None
    staff = await console.staff()
    await staff.post(f"/provider/billing/invoices/{run.invoice_id}/mark-paid",
                     {"amount": str(run.amount_yen), "paid_on": "2026-09-10"})
    page = await staff.get(f"/provider/billing/invoices/{run.invoice_id}")
    key = REQUEST_KEY.search(page.text)
    assert key is not None and 'data-testid="refund-form"' in page.text
    form = {"request_key": key.group(1), "description": "9月分 一部返金", "amount": "6000", "rate": "10",
            "reason": "二重契約"}
    too_much = await staff.post(f"/provider/billing/invoices/{run.invoice_id}/refund", form)
    assert too_much.status_code == 400 and "返金できませんでした" in too_much.text
    book = collection_of(console.app).book
    assert [d.kind for d in await book.related(run.invoice_id)] == [DocumentKind.RECEIPT]

    page = await staff.get(f"/provider/billing/invoices/{run.invoice_id}")
    key = REQUEST_KEY.search(page.text)
    assert key is not None
    done = await staff.post(f"/provider/billing/invoices/{run.invoice_id}/refund",
                            {**form, "request_key": key.group(1), "amount": "1000"})
    assert await notice_after(staff, done) == "返還請求書を発行しました。返金は銀行振込で行ってください。"
    [returned] = [d for d in await book.related(run.invoice_id) if d.kind is DocumentKind.RETURN_INVOICE]
    assert returned.total_gross == 1_100 and returned.number and returned.number.startswith("RET-")
