"""The render job's PDFs, printed many at once by Chromium and cut into one file per document: each file has
its own document's pages only (a long invoice keeps all of its pages), every mandatory item, its pages
numbered per document, the font embedded, and nothing of the other documents' text, not even in the file's
raw bytes. Real Chromium and WeasyPrint; SQLite only (the PDF does not depend on the engine)."""

from __future__ import annotations

import asyncio
import re
import subprocess
import zlib
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image

from linemod.framework.billing.invoicing.batch_printing import close_printers, find_browser, print_batch
from linemod.framework.billing.invoicing.book import InvoiceBook
from linemod.framework.billing.invoicing.documents import Honorific, Invoice, InvoiceLine, Recipient
from linemod.framework.billing.invoicing.rendering import InvoiceRenderer, LazyPdfPool, html_to_pdf
from linemod.framework.clock import ManualClock
from linemod.framework.storage.database import Database
from tests.framework.billing.builders import AUGUST, ISSUER, SEPT_1_2026_MS, module_lines
from tests.framework.billing.test_invoice_pdf import ISSUER_ITEMS, assert_shows, embedded_fonts, pdf_text
from tests.framework.helpers import open_test_database

CHROMIUM = "/usr/bin/chromium"
SALON = Recipient("株式会社さくら美容室", Honorific.ONCHU, "大阪府大阪市北区梅田1-1")
BAKERY = Recipient("有限会社ひまわり製パン", Honorific.ONCHU, "福岡県福岡市中央区天神2-2")
DENTIST = Recipient("Maple Dental Clinic", Honorific.SAMA, "札幌市中央区北1条西3-3")
LONG_LINES = [InvoiceLine(f"出張施術 第{n}回(鍼灸院くすのき)", 1, 3000 + n) for n in range(1, 61)]


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async for opened in open_test_database("sqlite", tmp_path, name="batch-pdf", prepare=Database.upgrade):
        yield opened


@pytest.fixture
def thread() -> Iterator[ThreadPoolExecutor]:
    """A thread to print in, its browser closed at the end (a Playwright browser belongs to the thread that
    started it, and pytest's own thread runs the event loops)."""
    with ThreadPoolExecutor(max_workers=1) as opened:
        try:
            yield opened
        finally:
            opened.submit(close_printers).result()


def book_printing_with(db: Database, browser: str, thread: ThreadPoolExecutor) -> InvoiceBook:
    renderer = InvoiceRenderer(browser=browser, executor=thread)
    return InvoiceBook(db, ManualClock(SEPT_1_2026_MS), ISSUER, renderer=renderer, pdf_on_issue=False)


async def issue(book: InvoiceBook, recipient: Recipient, lines: list[InvoiceLine], language: str = "ja") -> Invoice:
    draft = await book.create_draft(recipient, lines, period=AUGUST, language=language)
    return await book.finalize(draft.id or 0)


def pages_of(pdf: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]


def producer_of(pdf: bytes) -> str:
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return re.search(r"^Producer:\s+(.*)$", info, re.M).group(1)  # type: ignore[union-attr]


def raw_text_forms(pdf: bytes) -> bytes:
    """The file's bytes with every compressed stream inflated next to it (where any text would be)."""
    inflated = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            inflated.append(zlib.decompress(stream))
        except zlib.error:
            continue
    return pdf + b"".join(inflated)


def assert_nothing_of(pdf: bytes, others: list[str]) -> None:
    text, raw = pdf_text(pdf), raw_text_forms(pdf)
    for other in others:
        assert other not in text
        for encoding in ("utf-8", "utf-16-be"):
            assert other.encode(encoding) not in raw, f"{other!r} is in the file ({encoding})"


async def test_the_render_job_prints_documents_together_into_one_file_each(
    db: Database, thread: ThreadPoolExecutor
) -> None:
    assert find_browser(CHROMIUM) is not None, "Chromium is missing: run `bash scripts/browser-deps.sh`"
    book = book_printing_with(db, CHROMIUM, thread)
    salon = await issue(book, SALON, module_lines())
    long = await issue(book, BAKERY, LONG_LINES)
    dentist = await issue(book, DENTIST, module_lines(), language="en")

    assert await book.render_pending_pdfs() == 3
    files = {invoice.number: await book.pdf(invoice.id or 0) for invoice in (salon, long, dentist)}

    for number, pdf in files.items():
        assert "Chromium" in producer_of(pdf)  # printed in the batch, not one by one
        assert_shows(pdf_text(pdf), [number or "", *ISSUER_ITEMS])
        assert any("BIZUDPGothic" in font for font in embedded_fonts(pdf))
    salon_pdf, long_pdf, dentist_pdf = files.values()

    assert_shows(pdf_text(salon_pdf), ["株式会社さくら美容室 御中", "10%対象 ¥3,015(税抜) 消費税 ¥301", "1 / 1"])
    assert_shows(pdf_text(dentist_pdf), ["Maple Dental Clinic", "Subject to 10%", "1 / 1"])
    # The long invoice keeps every page of its own, numbered as its own, and starts no other document.
    assert pages_of(long_pdf) >= 2 and pages_of(salon_pdf) == pages_of(dentist_pdf) == 1
    total = pages_of(long_pdf)
    expected = ["有限会社ひまわり製パン 御中", "第1回", "第60回", f"1 / {total}", f"{total} / {total}"]
    assert_shows(pdf_text(long_pdf), expected)

    names = {salon.number: SALON.name, long.number: BAKERY.name, dentist.number: DENTIST.name}
    for number, pdf in files.items():
        assert_nothing_of(pdf, [name for other, name in names.items() if other != number])
        assert_nothing_of(pdf, [other or "" for other in names if other != number])


async def test_without_a_browser_every_pdf_is_made_alone_by_weasyprint(
    db: Database, thread: ThreadPoolExecutor
) -> None:
    book = book_printing_with(db, "off", thread)
    first, second = await issue(book, SALON, module_lines()), await issue(book, BAKERY, module_lines())
    assert await book.render_pending_pdfs() == 2
    for invoice, name in ((first, SALON.name), (second, BAKERY.name)):
        pdf = await book.pdf(invoice.id or 0)
        assert "WeasyPrint" in producer_of(pdf)
        assert_shows(pdf_text(pdf), [invoice.number or "", f"{name} 御中", "1 / 1"])


def test_a_batch_loads_nothing_a_document_points_to(tmp_path: Path, thread: ThreadPoolExecutor) -> None:
    image = tmp_path / "secret.png"
    Image.new("RGB", (37, 23), "red").save(image)  # a size of its own, told apart from a broken-image icon
    page = (
        '<!DOCTYPE html>\n<html lang="ja">\n<head>\n<meta charset="utf-8">\n<title>請求書 {n}</title>\n'
        "<style>h1 {{ color: #111; }}</style>\n</head>\n<body>\n<h1>請求書 {n}</h1>"
        f'<img src="{image.as_uri()}"><img src="http://127.0.0.1:9/tracker.png">\n</body>\n</html>\n'
    )
    pdfs = thread.submit(print_batch, [page.format(n=1), page.format(n=2)], html_to_pdf, CHROMIUM).result()
    for pdf in pdfs:
        assert "Chromium" in producer_of(pdf)
        assert re.search(rb"/Width 37\b", pdf) is None and re.search(rb"/Height 23\b", pdf) is None


def template_page(number: int) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="ja">\n<head>\n<meta charset="utf-8">\n<title>請求書 {number}</title>\n'
        f"<style>h1 {{ color: #111; }}</style>\n</head>\n<body>\n<h1>請求書 INV-{number:06d}</h1>\n</body>\n</html>\n"
    )


def test_a_page_of_another_shape_is_made_alone_and_a_browser_that_fails_leaves_every_pdf_to_weasyprint(
    thread: ThreadPoolExecutor,
) -> None:
    other = "<!DOCTYPE html><html lang=en><body><p>Not from the invoice template</p></body></html>"
    pdfs = thread.submit(print_batch, [template_page(1), other, template_page(2)], html_to_pdf, CHROMIUM).result()
    assert [producer_of(pdf).split()[0] for pdf in pdfs] == ["linemod", "WeasyPrint", "linemod"]
    assert_shows(pdf_text(pdfs[2]), ["INV-000002"])

    failing = thread.submit(print_batch, [template_page(3), template_page(4)], html_to_pdf, "/bin/false").result()
    assert ["WeasyPrint" in producer_of(pdf) for pdf in failing] == [True, True]
    assert_shows(pdf_text(failing[1]), ["INV-000004"])


def descendants(pids: set[int]) -> set[int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError):
                continue
    found: set[int] = set()
    while grown := {pid for pid, parent in parents.items() if parent in pids | found} - found:
        found |= grown
    return found


async def test_a_pool_process_prints_with_its_own_browser_which_stops_with_the_pool(db: Database) -> None:
    pool = LazyPdfPool(1)
    renderer = InvoiceRenderer(browser=CHROMIUM, executor=pool)
    book = InvoiceBook(db, ManualClock(SEPT_1_2026_MS), ISSUER, renderer=renderer, pdf_on_issue=False)
    try:
        invoices = [await issue(book, SALON, module_lines()), await issue(book, BAKERY, module_lines())]
        assert await book.render_pending_pdfs() == 2
        for invoice in invoices:
            assert "Chromium" in producer_of(await book.pdf(invoice.id or 0))
        browsers = descendants(set(pool._pool._processes))  # type: ignore[union-attr]  # started by now
        assert browsers, "the pool's process started no browser"
    finally:
        await asyncio.to_thread(pool.shutdown)
    for _ in range(100):  # the browser's processes may take a moment to be reaped after the pool's has ended
        if not any(Path(f"/proc/{pid}").exists() for pid in browsers):
            break
        await asyncio.sleep(0.1)
    assert not any(Path(f"/proc/{pid}").exists() for pid in browsers), "the browser outlived the pool"
