"""The provider's billing console in Debian's Chromium: a staff member marks a bank transfer paid, refunds
part of an invoice paid by card (localstripe refunds it; the return invoice is listed and downloads), finds
an invoice by amount range in the archive, and is told what is wrong with a range the wrong way round;
imports a bank statement and assigns the credit the matcher could not place."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.framework.billing.provider_browser.conftest import BillingSite


def test_a_staff_member_marks_a_bank_transfer_paid(chromium: Browser, billing_site: BillingSite) -> None:
    page = billing_site.signed_in(chromium)
    try:
        page.get_by_test_id("billing-link").click()
        expect(page.locator("#chart-mrr")).to_be_visible()
        billing_site.shot(page, "dashboard")
        page.get_by_role("link", name="銀行振込").click()
        waiting = page.locator(f'[data-testid=open-transfer][data-number="{billing_site.transfer.number}"]')
        waiting.get_by_role("link", name=billing_site.transfer.number).click()
        form = page.get_by_test_id("mark-paid-form")
        expect(form.locator("[name=amount]")).to_have_value(str(billing_site.transfer.amount_yen))
        form.get_by_test_id("mark-paid").click()
        expect(page.get_by_test_id("notice")).to_have_text("振込の入金を記録しました。")
        badge = page.get_by_test_id("invoice").locator("[data-status]").first
        expect(badge).to_have_attribute("data-status", "paid")
        expect(badge).to_have_text("入金済み")
        expect(page.locator("[data-testid=related-row][data-kind=receipt]")).to_have_count(1)
        expect(page.get_by_test_id("mark-paid-form")).to_have_count(0)  # nothing left to mark
        page.get_by_role("link", name="監査ログ").click()
        row = page.locator('[data-testid=audit-row][data-action="transfer.marked_paid"]')
        expect(row).to_have_attribute("data-actor", "staff:keiri@provider.example")
        expect(row).to_contain_text(billing_site.transfer.number)
    finally:
        page.close()


def test_a_staff_member_refunds_part_of_a_card_paid_invoice(chromium: Browser, billing_site: BillingSite) -> None:
    page = billing_site.signed_in(chromium)
    try:
        page.goto(f"{billing_site.base}/provider/billing/invoices/{billing_site.card.invoice_id}")
        expect(page.get_by_test_id("payments")).to_contain_text("クレジットカード")
        form = page.get_by_test_id("refund-form")
        form.locator("[name=description]").fill("9月分 月額利用料の一部")
        form.locator("[name=amount]").fill("2000")
        form.locator("[name=rate]").select_option("10")
        form.locator("[name=reason]").fill("障害による利用停止（3日間）")
        form.get_by_test_id("refund").click()
        expect(page.get_by_test_id("notice")).to_have_text("返還請求書を発行し、カードへ返金しました。")
        returned = page.locator("[data-testid=related-row][data-kind=return_invoice]")
        expect(returned).to_have_count(1)
        expect(returned).to_contain_text("¥2,200")  # ¥2,000 and its 10 % tax
        expect(returned.locator("[data-status]")).to_have_attribute("data-status", "succeeded")
        billing_site.shot(page, "invoice")
        number = returned.get_attribute("data-number") or ""
        assert number.startswith("RET-")
        with page.expect_download() as download_info:
            returned.get_by_test_id("related-pdf").click()
        download = download_info.value
        assert download.suggested_filename == f"{number}.pdf"
        with open(download.path(), "rb") as pdf:
            assert pdf.read(5) == b"%PDF-"
        # The money went back at localstripe: one refund of ¥2,200 on the charge that paid the invoice.
        charges = billing_site.stripe.get("/v1/charges", limit=100)["data"]
        refunded = [charge for charge in charges if charge.get("amount_refunded")]
        assert [charge["amount_refunded"] for charge in refunded] == [2_200]
        page.get_by_role("link", name="請求書の検索").click()
        page.get_by_test_id("archive-form").locator("[name=counterparty]").fill("らーめん")
        page.get_by_test_id("search").click()
        expect(page.locator(f'[data-testid=document-row][data-number="{number}"]')).to_have_count(1)
    finally:
        page.close()


def test_a_staff_member_finds_an_invoice_by_amount_range(chromium: Browser, billing_site: BillingSite) -> None:
    page = billing_site.signed_in(chromium)
    try:
        page.goto(f"{billing_site.base}/provider/billing/archive")
        form = page.get_by_test_id("archive-form")
        form.locator("[name=min]").fill("30000")
        form.locator("[name=max]").fill("40000")
        form.get_by_test_id("search").click()
        rows = page.locator("[data-testid=archive-results] [data-testid=document-row]")
        expect(rows).to_have_count(1)
        expect(rows).to_have_attribute("data-number", billing_site.manual.number)
        expect(rows).to_have_attribute("data-total", "33000")
        billing_site.shot(page, "archive")
        form = page.get_by_test_id("archive-form")
        form.locator("[name=min]").fill("50000")
        form.locator("[name=max]").fill("1000")
        form.get_by_test_id("search").click()
        expect(page.get_by_test_id("bad-parameter")).to_contain_text("最小金額（50,000円）が最大金額（1,000円）より大きく")
        page.goto(f"{billing_site.base}/provider/billing/tax")
        expect(page.get_by_test_id("tax-report")).to_be_visible()
        billing_site.shot(page, "tax")
    finally:
        page.close()


def test_a_staff_member_imports_a_statement_and_assigns_what_did_not_match(
    chromium: Browser, billing_site: BillingSite, tmp_path: Path
) -> None:
    statement = tmp_path / "nyushukkin.csv"
    statement.write_bytes((
        "取引日,摘要,入金金額,出金金額,残高,振込依頼人名\n"
        f"2026/12/01,振込,{billing_site.manual.amount_yen},,500000,{billing_site.manual_reference} ｶ)ｶﾌｪｻｸﾗ\n"
        f"2026/12/01,振込,{billing_site.earliest.amount_yen},,504789,ﾀﾅｶ ｲﾁﾛｳ\n"
    ).encode("cp932"))  # as Japanese banks export it: Shift_JIS
    page = billing_site.signed_in(chromium)
    try:
        page.goto(f"{billing_site.base}/provider/billing/transfers")
        form = page.get_by_test_id("statement-form")
        form.locator("[name=statement]").set_input_files(str(statement))
        form.get_by_test_id("import").click()
        expect(page.get_by_test_id("import-result")).to_contain_text("自動消込 1 件、要確認 1 件")
        matched = page.get_by_test_id("matched-row")
        expect(matched).to_have_count(1)
        expect(matched).to_contain_text(billing_site.manual.number)
        queued = page.get_by_test_id("queue-row")
        expect(queued).to_have_count(1)
        expect(queued).to_contain_text("ﾀﾅｶ ｲﾁﾛｳ")
        billing_site.shot(page, "transfers")
        queued.locator("[name=invoice_number]").fill(billing_site.earliest.number)
        queued.get_by_test_id("assign").click()
        expect(page.get_by_test_id("notice")).to_have_text("入金を請求書に割り当てました。")
        expect(page.get_by_test_id("queue-row")).to_have_count(0)
        for run in (billing_site.manual, billing_site.earliest):  # both paid now, neither waits any more
            expect(page.locator(f'[data-testid=open-transfer][data-number="{run.number}"]')).to_have_count(0)
    finally:
        page.close()
