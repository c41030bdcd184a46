"""The owner's billing pages answer bad input with a 400 page that says what is wrong (never a 500) and
write nothing; the billing notice shows on every page of the OA while the trial ends or money is owed, with
the pay-now link that works; the data export is the module's tables of this OA, CSV cells kept from being
formulas.

On SQLite only: the pages read and write through the billing engine, whose queries are tested on both engines
(and `test_operator_access.py` runs these pages on both)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, update

from linemod.framework.billing.billing_contacts import contact_of
from linemod.framework.billing.coupons import Coupon
from linemod.framework.billing.records import BillingAccountRow, BillingHistoryRow, BillingSubscriptionRow
from linemod.framework.billing.staff_coupons import create_coupon
from linemod.framework.i18n import LANG_COOKIE
from linemod.framework.security_headers import CONTENT_SECURITY_POLICY
from linemod.framework.storage.database import Database
from tests.framework.billing.console.test_operator_access import PROFILE, world
from tests.framework.billing.helpers import START
from tests.framework.helpers import BOT
from tests.support.localstripe import LocalStripe

pytestmark = pytest.mark.parametrize("db", ["sqlite"], indirect=True)
BILLING = f"/console/oas/{BOT}/billing"
DAY_MS = 86_400_000


async def _status(db: Database, status: str, **values: object) -> None:
    async with db.transaction() as session:
        await session.execute(update(BillingSubscriptionRow).where(BillingSubscriptionRow.bot_id == BOT)
                              .values(status=status, **values))


async def test_bad_input_is_a_helpful_400_and_changes_nothing(db: Database, localstripe: LocalStripe) -> None:
    run, console = await world(db, localstripe)
    try:
        owner = await console.operator("owner@sakura.example")
        await console.give_oa("owner@sakura.example", BOT)
        await owner.get(BILLING)
        # the profile: each wrong field named, what was typed kept
        bad = await owner.post(f"{BILLING}/profile", {**PROFILE, "email": "not-an-address", "honorific": "殿",
                                                      "registration_number": "T1234567890123", "cc": "a@b.example x"})
        assert bad.status_code == 400
        for field in ("email", "honorific", "registration_number", "cc"):
            assert f'data-testid="error-{field}"' in bad.text, field
        assert 'value="株式会社さくら"' in bad.text
        async with db.session() as session:
            assert await contact_of(session, BOT) is None
        # full-width digits and hyphens, as people type them, are a valid number once normalized
        typed = "Ｔ２０１１-００１１２３４５６"
        good = await owner.post(f"{BILLING}/profile", {**PROFILE, "registration_number": typed})
        assert good.status_code == 303
        async with db.session() as session:
            saved = await contact_of(session, BOT)
        assert saved is not None and saved.registration_number == "T2011001123456"
        # a plan or interval that does not exist
        for query in ("plan=gold&interval=month", "plan=pro&interval=year", "plan=basic"):
            page = await owner.get(f"{BILLING}/plan?{query}")
            assert page.status_code == 400 and 'data-testid="bad-parameter"' in page.text, query
        assert (await owner.post(f"{BILLING}/plan", {"plan": "gold", "interval": "month"})).status_code == 400
        # resume what is not cancelling; cancel without a reason
        assert (await owner.post(f"{BILLING}/resume")).status_code == 400
        await owner.get(f"{BILLING}/cancel")
        refused = await owner.post(f"{BILLING}/cancel", {"note": ""})
        assert refused.status_code == 400 and 'data-testid="error"' in refused.text
        assert (await owner.post(f"{BILLING}/cancel", {"note": "x" * 1001})).status_code == 400
        # a card the form never set up; an unknown table; a document that does not exist or is no number
        await owner.get(f"{BILLING}/payment")
        answer = await owner.http.post(f"{BILLING}/payment/card", content=b"{not json",
                                       headers={"x-csrf-token": owner.token, "content-type": "application/json"})
        assert answer.status_code == 400
        assert (await owner.get(f"{BILLING}/export/nothing.csv")).status_code == 404
        for document in ("99", "99999999999999999999999", "abc"):
            assert (await owner.get(f"{BILLING}/documents/{document}.pdf")).status_code == 404
        async with db.session() as session:
            sub = await session.get(BillingSubscriptionRow, BOT)
        assert sub is not None and sub.status == "trialing"
        # a POST without the CSRF token is refused
        assert (await owner.post(f"{BILLING}/resume", csrf=False)).status_code == 403
        # choosing bank transfer is recorded on the billing account
        assert (await owner.post(f"{BILLING}/payment/bank-transfer")).status_code == 303
        async with db.session() as session:
            account = await session.get(BillingAccountRow, BOT)
        assert account is not None and account.payment_method == "bank_transfer"
        for b in console.browsers:
            await b.close()
    finally:
        await run.__aexit__(None, None, None)


async def test_the_billing_notice_is_on_every_oa_page_with_a_pay_link_that_works(
    db: Database, localstripe: LocalStripe
) -> None:
    run, console = await world(db, localstripe)
    try:
        owner = await console.operator("owner@sakura.example")
        await console.give_oa("owner@sakura.example", BOT)
        overview = await owner.get(f"/console/oas/{BOT}")
        assert 'data-testid="billing-notice"' not in overview.text  # 30 days of trial left
        assert "請求・プラン" in overview.text  # the navigation entry
        now = console.app.clock.now_ms()
        await _status(db, "trialing", trial_ends_at_ms=now + 3 * DAY_MS)
        for path in ("", "/team", "/billing"):
            page = await owner.get(f"/console/oas/{BOT}{path}")
            assert 'data-kind="trial_ending"' in page.text and "無料体験はあと3日で終了します。" in page.text, path
        await _status(db, "past_due")
        page = await owner.get(f"/console/oas/{BOT}/team")
        assert 'data-kind="payment_failed"' in page.text
        pay = page.text.split('data-testid="pay-now"')[0].rsplit('href="', 1)[1].split('"', 1)[0]
        assert (await owner.http.get(pay.replace(console.app.settings.public_base_url, ""))).status_code == 200
        await _status(db, "restricted")
        assert 'data-kind="restricted"' in (await owner.get(f"/console/oas/{BOT}")).text
        for b in console.browsers:
            await b.close()
    finally:
        await run.__aexit__(None, None, None)


async def test_the_export_is_this_oas_tables_with_no_formula_cells(db: Database, localstripe: LocalStripe) -> None:
    run, console = await world(db, localstripe)
    try:
        owner = await console.operator("owner@sakura.example")
        await console.give_oa("owner@sakura.example", BOT)
        exported = await owner.get(f"{BILLING}/export.json")
        assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
        assert exported.json()["tables"] == {"notes": [{"bot_id": BOT, "text": "=1+1"}]}
        csv = await owner.get(f"{BILLING}/export/notes.csv")
        assert csv.content.decode("utf-8-sig").splitlines() == ["bot_id,text", f"{BOT},'=1+1"]
        for b in console.browsers:
            await b.close()
    finally:
        await run.__aexit__(None, None, None)


async def test_only_the_card_page_allows_stripe_js_and_the_pages_speak_english_too(
    db: Database, localstripe: LocalStripe
) -> None:
    run, console = await world(db, localstripe)
    try:
        owner = await console.operator("owner@sakura.example")
        await console.give_oa("owner@sakura.example", BOT)
        card = await owner.get(f"{BILLING}/payment")
        policy = card.headers["content-security-policy"]
        assert f"script-src 'self' {localstripe.url};" in policy and f"connect-src 'self' {localstripe.url};" in policy
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        assert f'src="{localstripe.url}/js.stripe.com/v3/"' in card.text
        for path in ("", "/plan", "/profile", "/cancel"):
            page = await owner.get(f"{BILLING}{path}")
            assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
            assert "js.stripe.com" not in page.text, path
        owner.http.cookies.set(LANG_COOKIE, "en")
        english = await owner.get(BILLING)
        assert "Billing and plan" in english.text and "Price (tax included)" in english.text
        assert "料金（税込）" not in english.text
        for b in console.browsers:
            await b.close()
    finally:
        await run.__aexit__(None, None, None)


async def test_a_cancellation_keeps_its_reasons_and_can_be_withdrawn(db: Database, localstripe: LocalStripe) -> None:
    run, console = await world(db, localstripe)
    try:
        owner = await console.operator("owner@sakura.example")
        await console.give_oa("owner@sakura.example", BOT)
        await owner.get(f"{BILLING}/cancel")
        done = await owner.post(f"{BILLING}/cancel", {"reason": "switching", "note": "別のサービスへ"})
        assert done.status_code == 303
        async with db.session() as session:
            sub = await session.get(BillingSubscriptionRow, BOT)
            assert sub is not None and sub.status == "canceling"
            why = await session.scalar(select(BillingHistoryRow.detail_json).where(
                BillingHistoryRow.bot_id == BOT, BillingHistoryRow.reason == "cancel_reason"))
        assert why is not None and json.loads(why)["reasons"] == ["switching"]
        assert json.loads(why)["note"] == "別のサービスへ"
        page = await owner.get(BILLING)
        assert 'data-status="canceling"' in page.text and 'data-testid="resume"' in page.text
        assert (await owner.post(f"{BILLING}/resume")).status_code == 303
        async with db.session() as session:
            sub = await session.get(BillingSubscriptionRow, BOT)
        assert sub is not None and sub.status == "trialing"
        for b in console.browsers:
            await b.close()
    finally:
        await run.__aexit__(None, None, None)


async def test_an_owner_redeems_a_coupon_code_and_guessing_codes_is_stopped(
    db: Database, localstripe: LocalStripe
) -> None:
    run, console = await world(db, localstripe)
    try:
        owner = await console.operator("owner@sakura.example")
        await console.give_oa("owner@sakura.example", BOT)
        await create_coupon(db, Coupon("spring10", "percent", 10, "repeating", 3, "春の割引", "Spring discount"), {},
                            created_by="staff:kaori@provider.example", now_ms=START)
        overview = await owner.get(BILLING)
        assert f'href="{BILLING}/coupon" data-testid="use-coupon"' in overview.text
        page = await owner.get(f"{BILLING}/coupon")
        assert page.status_code == 200 and 'data-testid="coupon-form"' in page.text and "data-code=" not in page.text

        blank = await owner.post(f"{BILLING}/coupon", {"code": "  "})
        assert blank.status_code == 400 and "クーポンコードを入力してください" in blank.text
        wrong = await owner.post(f"{BILLING}/coupon", {"code": "SPRING11"})
        assert wrong.status_code == 400 and 'value="SPRING11"' in wrong.text
        async with db.session() as session:
            sub = await session.get(BillingSubscriptionRow, BOT)
        assert sub is not None and sub.coupon_json is None  # nothing written by a wrong code

        done = await owner.post(f"{BILLING}/coupon", {"code": " SPRING10 "})
        assert done.status_code == 303
        async with db.session() as session:
            sub = await session.get(BillingSubscriptionRow, BOT)
            assert sub is not None and sub.coupon_json is not None
            assert json.loads(sub.coupon_json)["code"] == "spring10" and sub.coupon_remaining == 3
            why = await session.scalar(select(BillingHistoryRow.detail_json).where(
                BillingHistoryRow.bot_id == BOT, BillingHistoryRow.reason == "coupon_redeemed"))
        assert why is not None and json.loads(why) == {"coupon": "spring10"}
        current = await owner.get(f"{BILLING}/coupon")
        assert 'data-code="spring10"' in current.text and "春の割引" in current.text and "10 %" in current.text

        # Wrong codes count per account and per OA (the good one gave its try back): 9 more wrong ones reach
        # the limit of 10, and then even a good code waits.
        for n in range(9):
            assert (await owner.post(f"{BILLING}/coupon", {"code": f"GUESS{n}"})).status_code == 400
        stopped = await owner.post(f"{BILLING}/coupon", {"code": "SPRING10"})
        assert stopped.status_code == 429 and "1 時間後" in stopped.text

        # An ended subscription takes no coupon (and the page says why instead of showing the form).
        await _status(db, "ended")
        ended = await owner.get(f"{BILLING}/coupon")
        assert 'data-testid="not-now"' in ended.text and 'data-testid="coupon-form"' not in ended.text
        for b in console.browsers:
            await b.close()
    finally:
        await run.__aexit__(None, None, None)
