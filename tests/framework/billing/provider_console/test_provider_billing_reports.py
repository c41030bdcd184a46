"""The provider billing console's reports: the dashboard's charts against the figures they draw, the monthly
tax report against hand-computed numbers (and its CSV read back), the archive search and its 400 pages,
and the audit log."""

from __future__ import annotations

import csv
import io
import re

from linemod.framework.billing.invoicing.book import InvoiceBook
from linemod.framework.billing.invoicing.documents import Invoice, InvoiceLine
from linemod.framework.billing.payments.records import PaymentRow
from linemod.framework.billing.records import BillingSubscriptionRow
from linemod.framework.clock import ManualClock
from tests.framework.billing.builders import AUGUST, SHOP, module_lines
from tests.framework.billing.provider_console.world import PLAN_YEN, collection_of, detach_oa, subscribed_oa
from tests.framework.console.conftest import Console
from tests.framework.helpers import BOT, OTHER_BOT

POINT = re.compile(r'<(?:circle|rect) [^>]*data-series="(\w+)" data-label="([\d-]+)" data-value="(\d+)"')


def chart_values(page: str, chart_id: str) -> dict[tuple[str, str], int]:
    svg = page.split(f'id="{chart_id}"')[1].split("</svg>")[0]
    return {(series, label): int(value) for series, label, value in POINT.findall(svg)}


async def test_the_dashboard_charts_draw_mrr_arr_and_oas_per_month(console: Console, clock: ManualClock) -> None:
    await subscribed_oa(console.app, BOT, "Cafe Sakura")  # 10 September 2026
    clock.advance(30 * 86_400)  # 10 October
    await subscribed_oa(console.app, OTHER_BOT, "Ramen Kaze")
    await detach_oa(console.app, BOT)
    staff = await console.staff()
    page = (await staff.get("/provider/billing/")).text

    assert '<svg class="chart" id="chart-mrr"' in page and 'role="img"' in page
    assert '<title id="chart-mrr-title">' in page and '<desc id="chart-mrr-desc">' in page
    money = chart_values(page, "chart-mrr")
    assert money[("mrr", "2026-08")] == 0
    assert money[("mrr", "2026-09")] == PLAN_YEN  # one OA paying at September's end
    assert money[("mrr", "2026-10")] == PLAN_YEN  # one came, one left
    assert chart_values(page, "chart-arr")[("arr", "2026-10")] == 12 * PLAN_YEN
    assert len([key for key in money if key[0] == "mrr"]) == 12  # a year of months, November 2025 on
    oas = chart_values(page, "chart-oas")
    assert (oas[("new", "2026-09")], oas[("churned", "2026-09")]) == (1, 0)
    assert (oas[("new", "2026-10")], oas[("churned", "2026-10")], oas[("trialing", "2026-10")]) == (1, 1, 0)
    # the same numbers as a table, and each point names its figure for screen readers
    row = page.split('data-month="2026-10"')[1].split("</tr>")[0]
    assert "¥5,000" in row and "¥60,000" in row
    assert "<title>2026-10 MRR: ¥5,000</title>" in page


async def issue(book: InvoiceBook, lines: list[InvoiceLine]) -> Invoice:
    return await book.finalize((await book.create_draft(SHOP, lines, period=AUGUST)).id or 0)


async def test_the_tax_report_adds_invoices_less_returns_per_rate(console: Console, clock: ManualClock) -> None:
    book = collection_of(console.app).book
    first = await issue(book, module_lines())
    second = await issue(book, [InvoiceLine("導入支援", 1, 10_000)])
    voided = await issue(book, [InvoiceLine("誤り", 1, 7_777)])
    await book.void(voided.id or 0, reason="宛先の誤り")
    await book.mark_paid(second.id or 0)  # its receipt is no sale: it does not count
    await book.issue_return_invoice(second.id or 0, [InvoiceLine("導入支援 一部返金", 1, 2_000)], reason="一部未実施")
    clock.advance(25 * 86_400)  # 5 October: another month
    await issue(book, [InvoiceLine("お茶", 1, 50_000, tax_rate=8)])
    assert first.number is not None
    staff = await console.staff()

    page = (await staff.get("/provider/billing/tax?month=2026-09")).text
    # By hand: 10 %: 3 × ¥1,005 (tax ¥301, rounded once) + ¥10,000 (¥1,000) − the ¥2,000 return (¥200);
    # 8 %: 2 × ¥540 = ¥1,080, tax ¥86 (86.4 rounded down). The void invoice and the receipt count nothing.
    ten = page.split('data-rate="10"')[1].split("</tr>")[0]
    eight = page.split('data-rate="8"')[1].split("</tr>")[0]
    assert '<td class="num" data-testid="base">¥11,015</td><td class="num" data-testid="tax">¥1,101</td>' in ten
    assert '<td class="num" data-testid="base">¥1,080</td><td class="num" data-testid="tax">¥86</td>' in eight

    download = await staff.get("/provider/billing/tax.csv?month=2026-09")
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    assert 'filename="tax-report-2026-09.csv"' in download.headers["content-disposition"]
    assert download.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["対象月", "税率"]
    assert rows[1] == ["2026-09", "10%", "13015", "1301", "2000", "200", "11015", "1101", "2", "1"]
    assert rows[2] == ["2026-09", "8%", "1080", "86", "0", "0", "1080", "86", "1", "0"]
    assert rows[3][:8] == ["2026-09", "合計", "14095", "1387", "2000", "200", "12095", "1187"]

    october = list(csv.reader(io.StringIO((await staff.get("/provider/billing/tax.csv?month=2026-10")).text)))
    assert october[2][6:8] == ["50000", "4000"] and october[1][6:8] == ["0", "0"]
    december = list(csv.reader(io.StringIO((await staff.get("/provider/billing/tax.csv?month=2026-12")).text)))
    assert [row[6:8] for row in december[1:3]] == [["0", "0"], ["0", "0"]]  # the month that ends a year
    for bad in ("2026-13", "2026-9", "september"):
        refused = await staff.get(f"/provider/billing/tax?month={bad}")
        assert refused.status_code == 400 and "YYYY-MM" in refused.text


async def test_the_archive_finds_by_amount_range_and_explains_bad_input(console: Console) -> None:
    book = collection_of(console.app).book
    for yen in (1_000, 20_000, 300_000):
        await issue(book, [InvoiceLine("作業", 1, yen)])
    staff = await console.staff()
    found = await staff.get("/provider/billing/archive?min=10000&max=100000")
    assert found.status_code == 200
    assert re.findall(r'data-testid="document-row" data-number="[^"]+" data-total="(\d+)"', found.text) == ["22000"]
    by_name = await staff.get("/provider/billing/archive?counterparty=%E3%81%95%E3%81%8F%E3%82%89")  # さくら
    assert by_name.text.count('data-testid="document-row"') == 3

    swapped = await staff.get("/provider/billing/archive?min=100000&max=10000")
    assert swapped.status_code == 400
    assert "100,000" in swapped.text and "10,000" in swapped.text  # says which numbers are the wrong way round
    for query, field in (("min=abc", "最小金額"), ("max=1.5", "最大金額"), ("from=2026-02-30", "発行日（から）")):
        refused = await staff.get(f"/provider/billing/archive?{query}")
        assert refused.status_code == 400, query
        assert field in refused.text, (query, refused.text[-1500:])
    assert (await staff.get("/provider/billing/archive?min=1&page=0")).status_code == 400


async def test_the_audit_log_shows_staff_and_engine_actions_with_who(console: Console) -> None:
    run = await subscribed_oa(console.app, BOT, "Cafe Sakura")
    assert run is not None
    staff = await console.staff("kaori@provider.example")
    await staff.post(f"/provider/billing/invoices/{run.invoice_id}/mark-paid",
                     {"amount": str(run.amount_yen), "paid_on": "2026-09-10", "note": "みずほ 入金確認"})
    page = (await staff.get("/provider/billing/audit")).text
    marked = page.split('data-action="transfer.marked_paid"')[1].split("</tr>")[0]
    assert marked.startswith(' data-actor="staff:kaori@provider.example"')
    assert run.number in marked
    assert "&#34;status&#34;: &#34;finalized&#34;" in marked and "&#34;status&#34;: &#34;paid&#34;" in marked
    assert 'data-action="invoice.finalized" data-actor="system"' in page  # the engine's own change log
    assert 'data-action="receipt.created"' in page
    # The invoice's own change log names who settled it, not "system".
    assert 'data-action="invoice.paid" data-actor="staff:kaori@provider.example"' in page
    assert 'data-action="subscription.attached" data-actor="system"' in page
    assert 'data-action="payment.bank_transfer" data-actor="staff:kaori@provider.example"' in page
    tenant_only = await staff.get(f"/provider/billing/audit?bot_id={OTHER_BOT}")
    assert 'data-testid="audit-row"' not in tenant_only.text


async def test_the_pages_read_in_english_too_and_the_tenant_page_links_to_its_billing(console: Console) -> None:
    run = await subscribed_oa(console.app, BOT, "Cafe Sakura")
    assert run is not None
    staff = await console.staff()
    tenant = await staff.get(f"/provider/tenants/{BOT}")
    assert f'href="/provider/billing/tenants/{BOT}" data-testid="tenant-billing"' in tenant.text
    billing = await staff.get(f"/provider/billing/tenants/{BOT}")
    assert "契約の履歴" in billing.text and run.number in billing.text
    assert f'href="/provider/tenants/{BOT}">← Cafe Sakura</a>' in billing.text
    assert "<title>Cafe Sakura · " in billing.text and "<h1>Cafe Sakura: " in billing.text
    invoice = await staff.get(f"/provider/billing/invoices/{run.invoice_id}")
    assert f'href="/provider/billing/tenants/{BOT}">← Cafe Sakura</a>' in invoice.text
    await staff.get("/console/lang/en?next=/provider/billing/")
    for path, words in (("/provider/billing/", "Trials ending soon"), ("/provider/billing/tax", "Taxable base"),
                        (f"/provider/billing/invoices/{run.invoice_id}", "Mark the bank transfer paid")):
        page = await staff.get(path)
        assert page.status_code == 200 and '<html lang="en">' in page.text and words in page.text, path


async def test_the_dashboard_lists_trials_ending_past_due_oas_and_failed_payments(
    console: Console, clock: ManualClock
) -> None:
    first = await subscribed_oa(console.app, BOT, "Cafe Sakura")
    await subscribed_oa(console.app, OTHER_BOT, "Ramen Kaze")
    assert first is not None
    now = clock.now_ms()
    async with console.db.transaction() as session:  # the states dunning and a trial would have left
        trial = await session.get(BillingSubscriptionRow, BOT)
        late = await session.get(BillingSubscriptionRow, OTHER_BOT)
        assert trial is not None and late is not None
        trial.status, trial.trial_ends_at_ms = "trialing", now + 3 * 86_400_000
        late.status = "past_due"
        session.add(PaymentRow(invoice_id=str(first.invoice_id), attempt=1, idempotency_key="charge:test:1",
                               method="card", status="declined", amount_yen=first.amount_yen, bot_id=BOT,
                               message="Your card was declined.", created_at_ms=now, updated_at_ms=now))
    staff = await console.staff()
    page = (await staff.get("/provider/billing/")).text
    trials = page.split('data-testid="trials-ending"')[1].split("</table>")[0]
    unpaid = page.split('data-testid="past-due"')[1].split("</table>")[0]
    failed = page.split('data-testid="failed-payments"')[1].split("</table>")[0]
    assert "Cafe Sakura" in trials and "Ramen Kaze" not in trials
    assert "Ramen Kaze" in unpaid and 'data-status="past_due"' in unpaid and "Cafe Sakura" not in unpaid
    assert first.number in failed
    assert "Cafe Sakura" in failed and "Your card was declined." in failed and f"¥{first.amount_yen:,}" in failed
