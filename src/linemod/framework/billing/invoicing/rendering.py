"""Documents as HTML (one Jinja template, its words translated through the framework's catalogs as the consoles'
are) and as PDF made from that same HTML by WeasyPrint, with the CJK font embedded (subset) so the PDF reads
the same on any machine.

The PDF step is CPU-bound (60-80 ms of CPU a page, 60 times what issuing the document in a batch takes); it
runs off the event loop, in the executor given (`pdf_pool()` renders in parallel processes) or in the loop's
default thread pool. WeasyPrint is imported on first use: importing this module costs nothing.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from datetime import date
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


def pdf_pool(workers: int | None = None, *, nice: int = 10) -> ProcessPoolExecutor:
    """A process pool for `InvoiceRenderer(executor=...)`: one process per core unless told, each a fresh
    interpreter (spawned: nothing of the caller's event loop) that loads WeasyPrint and the fonts when it
    starts, at a lower CPU priority (`nice`) so that PDFs made beside issuing and serving take only the CPU
    those leave."""
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
    os.nice(nice)
    html_to_pdf("<!DOCTYPE html><html lang=ja><body><p>請求書</p></body></html>")


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
    stub in tests that are not about the PDF); `executor` is where it runs; `catalogs` translate the
    template's words (the framework's own unless the app's, with its modules' additions, are given)."""

    def __init__(
        self, *, pdf_maker: PdfMaker = html_to_pdf, executor: Executor | None = None, catalogs: Catalogs | None = None
    ) -> None:
        self.pdf_maker = pdf_maker
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
