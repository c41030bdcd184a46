"""The PDF of every kind of document, read back with pdftotext, shows every mandatory item, with its CJK
font embedded. Real WeasyPrint here; SQLite only (the PDF does not depend on the engine)."""

from __future__ import annotations

import multiprocessing
import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from linemod.framework.billing.invoicing.book import InvoiceBook
from linemod.framework.billing.invoicing.documents import Invoice, InvoiceLine
from linemod.framework.billing.invoicing.rendering import InvoiceRenderer, html_to_pdf
from linemod.framework.clock import ManualClock
from linemod.framework.storage.database import Database
from tests.framework.billing.builders import (
    AUGUST,
    ISSUER,
    SEPT_1_2026_MS,
    SHOP,
    assert_every_issued_document_qualified,
    assert_qualified,
    module_lines,
)
from tests.framework.helpers import open_test_database


def pdf_text(pdf: bytes) -> str:
    """The PDF's text with all whitespace removed (layout puts spaces and line breaks anywhere)."""
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: run `bash scripts/browser-deps.sh` (Debian's poppler-utils)")
    extracted = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return re.sub(r"\s+", "", extracted.decode())


def embedded_fonts(pdf: bytes) -> list[str]:
    listing = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return [line.split()[0] for line in listing.splitlines()[2:] if " yes yes " in line]


def assert_shows(text: str, items: list[str]) -> None:
    missing = [item for item in items if re.sub(r"\s+", "", item) not in text]
    assert missing == [], f"the PDF does not show {missing}"


@pytest.fixture
async def book(tmp_path: object) -> AsyncIterator[InvoiceBook]:
    async for db in open_test_database("sqlite", tmp_path, name="invoice-pdf", prepare=Database.upgrade):
        book = InvoiceBook(db, ManualClock(SEPT_1_2026_MS), ISSUER)
        yield book
        await assert_every_issued_document_qualified(book)


async def issued(book: InvoiceBook, language: str = "ja") -> Invoice:
    notes = "毎度ありがとうございます"
    draft = await book.create_draft(SHOP, module_lines(), period=AUGUST, language=language, notes=notes)
    return await book.finalize(draft.id or 0)


ISSUER_ITEMS = ["株式会社リンクモッド", "T2011001123456"]
RECIPIENT_ITEMS = ["株式会社さくら美容室 御中"]
DESCRIPTIONS = ["予約モジュール 月額", "リマインダー送信", "追加スタッフ枠", "お茶(軽減税率) ※"]


async def test_an_invoice_pdf_shows_every_mandatory_item_with_its_font_embedded(book: InvoiceBook) -> None:
    invoice = await issued(book)
    assert_qualified(invoice)
    pdf = await book.pdf(invoice.id or 0)
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    assert_shows(text, ISSUER_ITEMS + RECIPIENT_ITEMS + DESCRIPTIONS)
    assert_shows(
        text,
        [
            "請求書",
            "INV-000001",
            "発行日 2026年9月1日",
            "対象期間 2026年8月1日〜2026年8月31日",
            "10%対象 ¥3,015(税抜) 消費税 ¥301 ¥3,316(税込)",
            "8%対象(軽減税率) ¥1,080(税抜) 消費税 ¥86 ¥1,166(税込)",
            "※は軽減税率(8%)対象品目です。",
            "合計(税込) ¥4,482",
            "お支払期限 2026年10月31日",
            "みずほ銀行 丸の内支店 普通 1234567",
            "お客様番号「000001」",
            "毎度ありがとうございます",
        ],
    )
    assert any("BIZ-UDPGothic" in font for font in embedded_fonts(pdf))


async def test_the_english_invoice_shows_the_same_items(book: InvoiceBook) -> None:
    invoice = await issued(book, language="en")
    text = pdf_text(await book.pdf(invoice.id or 0))
    assert_shows(text, ISSUER_ITEMS + RECIPIENT_ITEMS + DESCRIPTIONS)
    assert_shows(
        text,
        [
            "Invoice",
            "Issued September 1, 2026",
            "Period August 1, 2026 – August 31, 2026",
            "Subject to 10% ¥3,015 excl. tax Tax ¥301 ¥3,316 incl. tax",
            "Subject to 8% (reduced) ¥1,080 excl. tax Tax ¥86 ¥1,166 incl. tax",
            "Due date October 31, 2026",
        ],
    )


async def test_a_receipt_pdf_shows_what_was_received_when_how_and_for_what(book: InvoiceBook) -> None:
    invoice = await issued(book)
    receipt = await book.mark_paid(invoice.id or 0, paid_on=date(2026, 9, 10), method="銀行振込")
    assert_qualified(receipt)
    text = pdf_text(await book.pdf(receipt.id or 0))
    assert_shows(text, ISSUER_ITEMS + RECIPIENT_ITEMS + DESCRIPTIONS)
    assert_shows(
        text,
        [
            "領収書",
            "RCT-000001",
            "金額 ¥4,482-(税込)",
            "但し 請求書 INV-000001 のご請求代金として",
            "上記正に領収いたしました。",
            "領収日 2026年9月10日",
            "お支払方法 銀行振込",
            "10%対象 ¥3,015(税抜) 消費税 ¥301",
            "8%対象(軽減税率) ¥1,080(税抜) 消費税 ¥86",
        ],
    )


async def test_a_return_invoice_pdf_shows_the_original_sale_and_what_is_returned_per_rate(book: InvoiceBook) -> None:
    invoice = await issued(book)
    returned = await book.issue_return_invoice(
        invoice.id or 0, [InvoiceLine("お茶(返品)", 1, 540, tax_rate=8)], reason="破損による返品"
    )
    assert_qualified(returned)
    text = pdf_text(await book.pdf(returned.id or 0))
    assert_shows(text, ISSUER_ITEMS + RECIPIENT_ITEMS)
    assert_shows(
        text,
        [
            "返還請求書",
            "適格返還請求書",
            "RET-000001",
            "返品・値引き等の日 2026年9月1日",
            "対象の請求書 INV-000001(発行日 2026年9月1日)",
            "元の取引日 2026年8月1日〜2026年8月31日",
            "お茶(返品) ※",
            "8%対象(軽減税率) ¥540(税抜) 消費税 ¥43 ¥583(税込)",
            "返還額合計(税込) ¥583",
            "破損による返品",
        ],
    )


def test_the_pdf_maker_fetches_nothing_a_document_points_to(tmp_path: Path) -> None:
    image = tmp_path / "secret.png"
    Image.new("RGB", (8, 8), "red").save(image)
    pointing = f'<html><body><p>x</p><img src="{image.as_uri()}"></body></html>'
    assert b"/Subtype /Image" not in html_to_pdf(pointing)
    assert b"/Subtype /Image" in _weasyprint_default_fetch(pointing)  # what the refusal prevents


def _weasyprint_default_fetch(html: str) -> bytes:
    from weasyprint import HTML  # type: ignore[import-untyped]

    return HTML(string=html).write_pdf()  # type: ignore[no-any-return]


async def test_pdfs_render_in_a_process_pool(tmp_path: Path) -> None:
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter: nothing of the test's event loop
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        async for db in open_test_database("sqlite", tmp_path, name="pool", prepare=Database.upgrade):
            renderer = InvoiceRenderer(executor=pool)
            book = InvoiceBook(db, ManualClock(SEPT_1_2026_MS), ISSUER, renderer=renderer, pdf_on_issue=False)
            invoice = await issued(book)
            assert await book.render_pending_pdfs() == 1
            assert_shows(pdf_text(await book.pdf(invoice.id or 0)), ["INV-000001", *ISSUER_ITEMS])
