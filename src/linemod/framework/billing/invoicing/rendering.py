"""Documents as HTML (one Jinja template per language) and as PDF made from that same HTML by WeasyPrint,
with the CJK font embedded (subset) so the PDF reads the same on any machine.

The PDF step is CPU-bound (about 80 ms of CPU a page, 15 times what issuing the document takes); it runs off
the event loop, in the executor given (a process pool renders in parallel) or in the loop's default thread
pool. WeasyPrint is imported on first use: importing this module costs nothing.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from linemod.framework.billing.invoicing.documents import LANGUAGES, DocumentKind, Invoice

TEMPLATE_DIR = Path(__file__).parent / "templates"
REDUCED_RATE_MARK = "※"
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]

PdfMaker = Callable[[str], bytes]


def html_to_pdf(html: str) -> bytes:
    """The PDF of a self-contained HTML document (a top-level function, so a process pool can run it)."""
    from weasyprint import HTML  # type: ignore[import-untyped]  # WeasyPrint ships no type information

    # The HTML is self-contained (styles inline, fonts from the system): nothing is fetched, so no URL in a
    # document can make the renderer read a local file or call out.
    fetcher, font_config = _weasyprint_setup()
    pdf = HTML(string=html, url_fetcher=fetcher).write_pdf(font_config=font_config)
    assert pdf is not None  # write_pdf returns the bytes when given no target
    return pdf


_setup = threading.local()


def _weasyprint_setup() -> tuple[Any, Any]:
    """The URL fetcher and font configuration of this thread, made once: loading fontconfig's fonts again
    for every document cost 12 ms of the 90 ms an invoice takes. Per thread, as WeasyPrint's fontconfig and
    Pango objects are not known to be safe to share between threads (one per process in a process pool)."""
    if not hasattr(_setup, "value"):
        from weasyprint.text.fonts import FontConfiguration  # type: ignore[import-untyped]
        from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

        _setup.value = (URLFetcher(allowed_protocols=()), FontConfiguration())
    return _setup.value  # type: ignore[no-any-return]


def yen(amount: int) -> str:
    """¥1,234 (−¥1,234 for a negative amount)."""
    return f"¥{amount:,}" if amount >= 0 else f"−¥{-amount:,}"


def date_ja(day: date | None) -> str:
    return "" if day is None else f"{day.year}年{day.month}月{day.day}日"


def date_en(day: date | None) -> str:
    return "" if day is None else f"{_MONTHS[day.month - 1]} {day.day}, {day.year}"


class InvoiceRenderer:
    """Renders documents. `pdf_maker` turns HTML into PDF bytes (WeasyPrint unless replaced, e.g. by a
    stub in tests that are not about the PDF); `executor` is where it runs."""

    def __init__(self, *, pdf_maker: PdfMaker = html_to_pdf, executor: Executor | None = None) -> None:
        self.pdf_maker = pdf_maker
        self.executor = executor
        self._env = Environment(
            loader=FileSystemLoader(TEMPLATE_DIR),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._env.filters["yen"] = yen
        self._env.filters["date_ja"] = date_ja
        self._env.filters["date_en"] = date_en

    def html(self, document: Invoice) -> str:
        """The document as a self-contained HTML page in its language."""
        assert document.language in LANGUAGES
        template = self._env.get_template(f"document_{document.language}.html")
        return template.render(
            doc=document,
            kinds=DocumentKind,
            mark=REDUCED_RATE_MARK,
            has_line_periods=any(line.period is not None for line in document.lines),
        )

    async def pdf(self, html: str) -> bytes:
        """The PDF of HTML this renderer made, produced off the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, self.pdf_maker, html)
