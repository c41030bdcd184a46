"""What the invoice engine's tests build documents from: an issuer, a recipient, lines, the checker."""

from __future__ import annotations

from datetime import date

from linemod.framework.billing.invoicing.book import InvoiceBook
from linemod.framework.billing.invoicing.documents import (
    BankAccount,
    DocumentKind,
    Honorific,
    Invoice,
    InvoiceLine,
    Issuer,
    Period,
    Recipient,
    check_qualified,
)

# 2026-09-01 10:00 in Japan (01:00 UTC).
SEPT_1_2026_MS = 1_788_224_400_000

ISSUER = Issuer(
    name="株式会社リンクモッド",
    # A made-up corporate number whose check digit (2) is right for its 12 digits.
    registration_number="T2011001123456",
    address="東京都千代田区丸の内1-1-1",
    contact="billing@linemod.example",
    bank_account=BankAccount("みずほ銀行", "丸の内支店", "1234567", "カ)リンクモッド"),
)
SHOP = Recipient("株式会社さくら美容室", Honorific.ONCHU, "大阪府大阪市北区梅田1-1")
AUGUST = Period(date(2026, 8, 1), date(2026, 8, 31))


def stub_pdf(html: str) -> bytes:
    return b"%PDF-stub " + str(len(html)).encode()


def module_lines() -> list[InvoiceLine]:
    """Three lines of ¥1,005 at 10 % (¥301 of tax on the invoice) and one reduced-rate item."""
    return [
        InvoiceLine("予約モジュール 月額", 1, 1005),
        InvoiceLine("リマインダー送信", 1, 1005),
        InvoiceLine("追加スタッフ枠", 1, 1005),
        InvoiceLine("お茶(軽減税率)", 2, 540, tax_rate=8),
    ]


async def assert_every_issued_document_qualified(book: InvoiceBook) -> None:
    """Run the checker on every document a test issued (what a book fixture does when the test ends)."""
    page = 1
    while True:
        found = await book.search(page=page, page_size=200)
        for item in found.items:
            assert_qualified(await book.get(item.id))
        if not found.has_next:
            return
        page += 1


def assert_qualified(document: Invoice) -> None:
    """The checker every document a test produces goes through."""
    assert check_qualified(document) == [], f"{document.kind} {document.number} is not qualified"
    if document.kind is DocumentKind.RETURN_INVOICE:
        assert document.original is not None
