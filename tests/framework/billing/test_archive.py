"""The archive finds issued documents by issue-date range, amount range and counterparty, combined, paged."""

from __future__ import annotations

from datetime import date

import pytest

from linemod.framework.billing.invoicing.archive import ArchiveQuery
from linemod.framework.billing.invoicing.book import InvoiceBook
from linemod.framework.billing.invoicing.documents import (
    DocumentKind,
    DocumentStatus,
    Honorific,
    InvoiceLine,
    Recipient,
)
from linemod.framework.clock import ManualClock
from tests.framework.billing.builders import AUGUST

DAY = 86400
SAKURA = Recipient("株式会社さくら美容室", Honorific.ONCHU)
HANA = Recipient("Hana Salon 合同会社", Honorific.ONCHU)
TARO = Recipient("山田 太郎", Honorific.SAMA)


async def issue(book: InvoiceBook, recipient: Recipient, net: int) -> int:
    draft = await book.create_draft(recipient, [InvoiceLine("月額利用料", 1, net)], period=AUGUST)
    return (await book.finalize(draft.id or 0)).id or 0


@pytest.fixture
async def archive(book: InvoiceBook, clock: ManualClock) -> dict[str, int]:
    """Six documents over three days (Sept 1, 2, 3), tax-included totals ¥1,100 … ¥33,000, plus a draft."""
    ids = {
        "sakura_1100": await issue(book, SAKURA, 1000),
        "hana_11000": await issue(book, HANA, 10000),
    }
    clock.advance(DAY)
    ids["taro_5500"] = await issue(book, TARO, 5000)
    ids["sakura_22000"] = await issue(book, SAKURA, 20000)
    clock.advance(DAY)
    ids["hana_33000"] = await issue(book, HANA, 30000)
    await book.void(ids["hana_33000"], reason="二重発行")
    ids["receipt_5500"] = (await book.mark_paid(ids["taro_5500"])).id or 0
    ids["draft"] = (await book.create_draft(SAKURA, [InvoiceLine("下書き", 1, 999)], period=AUGUST)).id or 0
    return ids


async def found(book: InvoiceBook, **criteria: object) -> set[str]:
    page = await book.search(ArchiveQuery(**criteria))  # type: ignore[arg-type]
    return {item.number or f"draft {item.id}" for item in page.items}


async def test_issued_documents_are_found_by_issue_date_range(book: InvoiceBook, archive: dict[str, int]) -> None:
    assert await found(book, issued_from=date(2026, 9, 2), issued_to=date(2026, 9, 2)) == {"INV-000003", "INV-000004"}
    assert await found(book, issued_from=date(2026, 9, 3)) == {"INV-000005", "RCT-000001"}
    assert await found(book, issued_to=date(2026, 9, 1)) == {"INV-000001", "INV-000002"}


async def test_by_amount_range_of_the_total_tax_included(book: InvoiceBook, archive: dict[str, int]) -> None:
    assert await found(book, min_total=5500, max_total=11000) == {"INV-000002", "INV-000003", "RCT-000001"}
    assert await found(book, min_total=22000) == {"INV-000004", "INV-000005"}
    assert await found(book, max_total=1100) == {"INV-000001"}


async def test_by_part_of_the_counterpartys_name_ignoring_case(book: InvoiceBook, archive: dict[str, int]) -> None:
    assert await found(book, counterparty="さくら") == {"INV-000001", "INV-000004"}
    assert await found(book, counterparty="hana salon") == {"INV-000002", "INV-000005"}
    assert await found(book, counterparty="山田") == {"INV-000003", "RCT-000001"}
    assert await found(book, counterparty="%") == set()  # a wildcard is a character like any other


async def test_criteria_combine(book: InvoiceBook, archive: dict[str, int]) -> None:
    assert await found(book, counterparty="さくら", min_total=2000, issued_from=date(2026, 9, 2)) == {"INV-000004"}
    assert await found(book, counterparty="Hana", issued_to=date(2026, 9, 2), max_total=20000) == {"INV-000002"}
    assert await found(book, kinds=frozenset({DocumentKind.RECEIPT})) == {"RCT-000001"}
    assert await found(book, statuses=frozenset({DocumentStatus.VOID})) == {"INV-000005"}
    assert await found(book, counterparty="さくら", min_total=50000) == set()


async def test_drafts_stay_out_unless_asked_for(book: InvoiceBook, archive: dict[str, int]) -> None:
    assert len(await found(book)) == 6
    assert f"draft {archive['draft']}" in await found(book, include_drafts=True, counterparty="さくら")


async def test_results_come_newest_first_a_page_at_a_time(book: InvoiceBook, archive: dict[str, int]) -> None:
    first = await book.search(page_size=4)
    assert (first.total, first.pages, first.has_next) == (6, 2, True)
    second = await book.search(page=2, page_size=4)
    assert not second.has_next
    numbers = [item.number for item in first.items + second.items]
    assert numbers == ["RCT-000001", "INV-000005", "INV-000004", "INV-000003", "INV-000002", "INV-000001"]
    voided = first.items[1]
    assert (voided.status, voided.total_gross, voided.total_tax, voided.recipient_name) == (
        DocumentStatus.VOID,
        33000,
        3000,
        "Hana Salon 合同会社",
    )
    with pytest.raises(ValueError, match="page_size"):
        await book.search(page_size=1000)
