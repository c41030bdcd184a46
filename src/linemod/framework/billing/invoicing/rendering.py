"""Documents as HTML (one Jinja template, its words translated through the framework's catalogs as the consoles'
are) and as PDF made from that same HTML by WeasyPrint, with the CJK font embedded (subset) so the PDF reads
the same on any machine.

The PDF step is CPU-bound and runs off the event loop, in the executor given (`pdf_pool()` renders in parallel
processes) or in the loop's default thread pool. One PDF alone is WeasyPrint's (~80 ms of CPU); many at once
(`pdfs()`, the render job's) are printed together by Chromium and cut apart (~7 ms each, `batch_printing.py`).
WeasyPrint and the browser are loaded on first use: importing this module costs nothing.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from linemod.framework.billing.invoicing.documents import LANGUAGES, DocumentKind, Invoice, Period
from linemod.framework.i18n import Catalogs, TranslatedEnvironments

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
BatchPdfMaker = Callable[[Sequence[str]], list[bytes]]


def pdf_pool(workers: int | None = None, *, nice: int = 10) -> ProcessPoolExecutor:
    """A process pool for `InvoiceRenderer(executor=...)`: one process per core unless told, each a fresh
    interpreter (spawned: nothing of the caller's event loop) that loads WeasyPrint and the fonts when it
    starts, and starts its Chromium at its first batch (a few hundred MB of memory for the pool's life), at
    a lower CPU priority (`nice`, the browser's too) so that PDFs made beside issuing and serving take only
    the CPU those leave."""
    return ProcessPoolExecutor(
        max_workers=workers or os.cpu_count() or 1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_pdf_process,
        initargs=(nice,),
    )


class LazyPdfPool(Executor):
    """`pdf_pool()` started at its first PDF, not before: a service that may never render one (no invoice
    issued while it runs) spawns no processes. `shutdown()` stops the pool if it was started."""

    def __init__(self, workers: int | None = None, *, nice: int = 10) -> None:
        self.workers = workers
        self.nice = nice
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    @property
    def started(self) -> bool:
        return self._pool is not None

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._lock:
            if self._pool is None:
                self._pool = pdf_pool(self.workers, nice=self.nice)
            pool = self._pool
        return pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def _start_pdf_process(nice: int) -> None:
    from multiprocessing.util import Finalize

    from linemod.framework.billing.invoicing.batch_printing import close_printers

    os.nice(nice)
    # A pool's process ends without running atexit handlers; its finalizers run: the browser it may have
    # started is closed with it.
    Finalize(None, close_printers, exitpriority=10)
    html_to_pdf("<!DOCTYPE html><html lang=ja><body><p>請求書</p></body></html>")


def htmls_to_pdfs(htmls: Sequence[str], browser: str = "auto") -> list[bytes]:
    """The PDF of each self-contained HTML document, printed together when there are several (a top-level
    function, so a process pool can run it). `browser`: the Chromium to print with ("auto": the one on the
    PATH; "off": none, every PDF WeasyPrint's)."""
    from linemod.framework.billing.invoicing.batch_printing import print_batch

    return print_batch(htmls, html_to_pdf, browser)


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


DATE_FORMATS: dict[str, Callable[[date | None], str]] = {"ja": date_ja, "en": date_en}
SPAN_SEPARATORS = {"ja": "〜", "en": " – "}
_framework_catalogs: Catalogs | None = None


def framework_catalogs() -> Catalogs:
    """The framework's own catalogs, compiled once per process for every renderer not given the app's."""
    global _framework_catalogs
    if _framework_catalogs is None:
        _framework_catalogs = Catalogs()
    return _framework_catalogs


class InvoiceRenderer:
    """Renders documents. `pdf_maker` turns HTML into PDF bytes (WeasyPrint unless replaced, e.g. by a
    stub in tests that are not about the PDF); `batch_maker` turns many at once (printed together by the
    Chromium `browser` names when `pdf_maker` is WeasyPrint; `pdf_maker` on each otherwise); `executor` is
    where they run; `catalogs` translate the template's words (the framework's own unless the app's, with its
    modules' additions, are given). Without an executor, each thread of the loop's default pool that prints
    a batch starts a browser of its own (a Playwright browser belongs to its thread): give it a `pdf_pool()`."""

    def __init__(
        self,
        *,
        pdf_maker: PdfMaker = html_to_pdf,
        batch_maker: BatchPdfMaker | None = None,
        browser: str = "auto",
        executor: Executor | None = None,
        catalogs: Catalogs | None = None,
    ) -> None:
        self.pdf_maker = pdf_maker
        if batch_maker is None:
            batch_maker = partial(htmls_to_pdfs, browser=browser) if pdf_maker is html_to_pdf else partial(
                _each, pdf_maker
            )
        self.batch_maker = batch_maker
        self.executor = executor
        self._envs = TranslatedEnvironments(catalogs or framework_catalogs(), self._make_env)

    @staticmethod
    def _make_env() -> Environment:
        env = Environment(
            loader=FileSystemLoader(TEMPLATE_DIR),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters["yen"] = yen
        return env

    def html(self, document: Invoice) -> str:
        """The document as a self-contained HTML page in its language."""
        language = document.language
        assert language in LANGUAGES
        day = DATE_FORMATS[language]

        def span(period: Period) -> str:
            return f"{day(period.start)}{SPAN_SEPARATORS[language]}{day(period.end)}"

        return self._envs.get(language).get_template("document.html").render(
            doc=document,
            kinds=DocumentKind,
            mark=REDUCED_RATE_MARK,
            day=day,
            span=span,
        )

    async def pdf(self, html: str) -> bytes:
        """The PDF of HTML this renderer made, produced off the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, self.pdf_maker, html)

    async def pdfs(self, htmls: Sequence[str]) -> list[bytes]:
        """The PDFs of many documents this renderer made, in order, made together off the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, self.batch_maker, list(htmls))


def _each(pdf_maker: PdfMaker, htmls: Sequence[str]) -> list[bytes]:
    return [pdf_maker(html) for html in htmls]
