"""Many documents' PDFs from one print: their stored HTML pages put one after the other in a single page (each
document starting a new sheet), printed once by a headless Chromium, and the PDF cut back into one file per
document.

Why (cProfile of WeasyPrint 70 on one invoice, ~80 ms of CPU on a quiet core): layout 40 % (tables' preferred
widths and Pango's line breaking most of it), the style cascade 25 % (parsing the page's own style included:
handing WeasyPrint that stylesheet parsed once saves 5 %), building the boxes 10 %, drawing 10 %, writing the
PDF and subsetting the font 15 %. Printing many invoices as one WeasyPrint document saves nothing (its render
costs 68 ms a document), and writing each invoice's pages out of it (`Document.copy(pages)`) costs 25 ms a file
(a font subset each). WeasyPrint's options do not change the picture: an uncompressed PDF saves 10 % of the CPU
for 11 times the size, hinting nothing, whole fonts cost 11 times the CPU (6 MB a file). Chromium, given 100
invoices in one page, parses, lays out and prints them in ~7 ms of CPU each and pikepdf (qpdf) cuts the PDF apart in
~0.6 ms each (pypdf took 1.5-2.5 ms): 8-10 % of what WeasyPrint takes, measured side by side.
One print of a single document costs Chromium about as much as WeasyPrint (its fixed cost per print), so
single PDFs (a mail, a download before the render job ran) stay with WeasyPrint.

Each document's pages are found from named destinations: every document's section has an id, and a last
sheet (dropped) links to each of them and to itself, so Chromium writes a destination for each, with its page
(cheaper than the outline, which needs a tagged PDF: 40 % more CPU). Every file keeps only its own
pages: the text of the other documents of the batch is not in it; the embedded font subset is the batch's
(glyphs, not text). The pages of the batch are numbered per batch by Chromium, so its page-number footer is
replaced by one numbered per document, stamped on each file's pages.

The browser is started once per process (a pool process keeps it for its life) with JavaScript off and
every request refused, so a document's URL makes it load nothing. No browser, or one that fails: the
documents are made one by one by WeasyPrint.
"""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

log = logging.getLogger(__name__)

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
BATCH_CLASS = "linemod-batch-document"
_PARTS = re.compile(
    r'\A<!DOCTYPE html>\s*<html lang="(?P<lang>[\w-]+)">.*?<title>(?P<title>.*?)</title>\s*'
    r"<style>(?P<style>.*?)</style>\s*</head>\s*<body>(?P<body>.*)</body>\s*</html>\s*\Z",
    re.S,
)
# What a batch adds to the documents' own style: each one on new sheets, and no page-number footer from
# Chromium (its counters run over the whole batch); `_stamp_page_numbers` numbers each file's pages instead.
# Nothing is laid out for the screen: loading the page would lay all of it out at the window's width, only for
# the print to lay it out again at the sheet's (a fifth of the browser's CPU per document).
_BATCH_STYLE = (
    "\n@media screen { body { display: none; } }\n"
    f"\n.{BATCH_CLASS} {{ break-before: page; }}\n"
    f".{BATCH_CLASS}:first-child {{ break-before: auto; }}\n"
    "@page { @bottom-right { content: none; } }\n"
)


@dataclass(frozen=True)
class Parts:
    """A stored document page split into what a batch needs of it."""

    lang: str
    title: str
    style: str
    body: str


def parts_of(html: str) -> Parts | None:
    """The parts of a page the invoice template made; None for any other page (it is printed alone)."""
    match = _PARTS.match(html)
    if match is None:
        return None
    return Parts(match["lang"], match["title"], match["style"], match["body"])


def batch_page(documents: Sequence[Parts]) -> str:
    """One page holding every document (all with the same style), each in a section with its language and the
    id `_anchor(i)`, then the sheet of links that makes Chromium write where each one starts."""
    sections = "".join(
        f'<section class="{BATCH_CLASS}" lang="{d.lang}" id="{_anchor(i)}">{d.body}</section>'
        for i, d in enumerate(documents)
    )
    links = "".join(f'<a href="#{_anchor(i)}">{i}</a> ' for i in range(len(documents) + 1))
    index = f'<nav class="{BATCH_CLASS}" id="{_anchor(len(documents))}">{links}</nav>'
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<style>{documents[0].style}{_BATCH_STYLE}</style></head><body>{sections}{index}</body></html>"
    )


def _anchor(index: int) -> str:
    return f"linemod-batch-{index}"


class BatchPrinter:
    """A headless Chromium of this process that prints batch pages (started at the first print)."""

    def __init__(self, executable: str | None) -> None:
        self.executable = executable
        self._page: Any = None
        self._stop: Callable[[], None] | None = None

    def print(self, page: str) -> bytes:
        if self._page is None:
            self._start()
        self._page.set_content(page, wait_until="load")
        pdf: bytes = self._page.pdf(prefer_css_page_size=True, print_background=True)
        return pdf

    def _start(self) -> None:
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        try:
            args = ["--headless", "--disable-gpu"] + (["--no-sandbox"] if os.geteuid() == 0 else [])
            browser = playwright.chromium.launch(executable_path=self.executable, args=args)
            context = browser.new_context(java_script_enabled=False, offline=True)
            context.route("**/*", lambda route: route.abort())
            self._page = context.new_page()
        except Exception:
            playwright.stop()
            raise

        def stop() -> None:
            browser.close()
            playwright.stop()

        self._stop = stop

    def close(self) -> None:
        stop, self._stop, self._page = self._stop, None, None
        if stop is not None:
            stop()


def find_browser(setting: str) -> str | None:
    """The Chromium binary `setting` names: "auto" looks for one on the PATH, "off" (or a name that is not
    found) means none."""
    if setting == "off":
        return None
    if setting != "auto":
        return shutil.which(setting) or (setting if os.access(setting, os.X_OK) else None)
    return next((path for name in BROWSER_NAMES if (path := shutil.which(name))), None)


_printers = threading.local()  # one browser per thread (a pool process has one thread that prints)


def _printer(browser: str) -> BatchPrinter | None:
    """This thread's printer for `browser`, or None when there is no browser or it would not start."""
    known: dict[str, BatchPrinter | None] = _printers.__dict__.setdefault("by_setting", {})
    if browser not in known:
        executable = find_browser(browser)
        known[browser] = BatchPrinter(executable) if executable else None
        if executable is None and browser != "off":
            log.warning("no Chromium found (%s): invoice PDFs are made one by one by WeasyPrint", browser)
    return known[browser]


def _forget_printer(browser: str) -> None:
    """Close this thread's browser for `browser`; the next batch starts a new one (a crashed browser is not
    the end of batches)."""
    known: dict[str, BatchPrinter | None] = _printers.__dict__.setdefault("by_setting", {})
    printer = known.pop(browser, None)
    if printer is not None:
        try:
            printer.close()
        except Exception:
            log.debug("closing a failed browser", exc_info=True)


def close_printers() -> None:
    """Close the browsers this thread started."""
    for browser in list(_printers.__dict__.get("by_setting", {})):
        _forget_printer(browser)


def print_batch(htmls: Sequence[str], single: Callable[[str], bytes], browser: str = "auto") -> list[bytes]:
    """The PDF of each page in `htmls`, in order: the template's pages that share a style printed together by
    Chromium; any other page, or every page if Chromium is missing or fails, by `single`."""
    pdfs: list[bytes | None] = [None] * len(htmls)
    printer = _printer(browser) if len(htmls) > 1 else None
    groups: dict[str, list[tuple[int, Parts]]] = {}
    for index, html in enumerate(htmls):
        parts = parts_of(html) if printer is not None else None
        if parts is not None:
            groups.setdefault(parts.style, []).append((index, parts))
    for members in groups.values():
        if printer is None or len(members) < 2:
            continue
        try:
            files = split_documents(printer.print(batch_page([parts for _, parts in members])), members)
        except Exception:
            log.exception("printing %d documents at once failed: they are made one by one", len(members))
            _forget_printer(browser)
            printer = None
            continue
        for (index, _), pdf in zip(members, files, strict=True):
            pdfs[index] = pdf
    return [pdf if pdf is not None else single(html) for html, pdf in zip(htmls, pdfs, strict=True)]


def split_documents(pdf: bytes, members: Sequence[tuple[int, Parts]]) -> list[bytes]:
    """One PDF per document of a printed batch, each with its own pages (from its section's first page to the
    page before the next section's), its own title, and its pages numbered."""
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as batch:
        pages = _anchor_pages(batch, len(members) + 1)
        bounds = [page for page in pages if page is not None]
        if len(bounds) != len(pages) or bounds[0] != 0 or any(a >= b for a, b in pairwise(bounds)):
            raise ValueError(f"the starts of a batch of {len(members)} documents are not all in its PDF: {pages}")
        files = []
        for (_, parts), start, end in zip(members, bounds[:-1], bounds[1:], strict=True):
            with pikepdf.new() as document:
                # qpdf copies what these pages use (their fonts, images) and nothing else of the batch.
                document.pages.extend(batch.pages[start:end])
                _stamp_page_numbers(document)
                document.docinfo = document.make_indirect(
                    pikepdf.Dictionary(
                        Title=pikepdf.String(_unescape(parts.title)),
                        Producer=pikepdf.String("linemod (Chromium, pikepdf)"),
                    )
                )
                out = io.BytesIO()
                document.save(out)
            files.append(out.getvalue())
    return files


def _anchor_pages(batch: Any, count: int) -> list[int | None]:
    """The page index of each `_anchor(i)` for i < count, from the batch's named destinations (Chromium writes
    them in the catalog's /Dests; a name tree under /Names is read too), None where one is missing."""
    import pikepdf

    targets: dict[str, Any] = {}
    if "/Dests" in batch.Root:
        targets.update((str(name), value) for name, value in batch.Root.Dests.items())
    if "/Names" in batch.Root and "/Dests" in batch.Root.Names:
        targets.update((f"/{name}", value) for name, value in pikepdf.NameTree(batch.Root.Names.Dests).items())
    index_of = {page.objgen: number for number, page in enumerate(batch.pages)}
    found: list[int | None] = []
    for i in range(count):
        target = targets.get(f"/{_anchor(i)}")
        if isinstance(target, pikepdf.Dictionary):  # {/D [page /XYZ ...]}
            target = target.get("/D")
        found.append(index_of.get(target[0].objgen) if isinstance(target, pikepdf.Array) and len(target) else None)
    return found


# The footer the template's `@page` rule draws (8 pt, grey, right-aligned in the bottom margin), drawn with a
# standard PDF font (digits and a slash need no embedded one).
_FOOTER_FONT = "/LinemodPageNumber"
_FOOTER_SIZE = 8.0
_FOOTER_RIGHT_PT = 14 / 25.4 * 72  # the template's right margin (14 mm)
_FOOTER_BASELINE_PT = 8 / 25.4 * 72  # in the middle of its bottom margin (16 mm)
_HELVETICA_DIGIT_WIDTH = 0.556  # every Helvetica digit is 556/1000 em wide; the space 278, the slash 278


def _stamp_page_numbers(document: Any) -> None:
    """Append "n / total" to each page's contents, after the page's own drawing (wrapped in q/Q so that
    whatever state it leaves does not move the number)."""
    import pikepdf

    font = document.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)
    )
    total = len(document.pages)
    for number, page in enumerate(document.pages, start=1):
        label = f"{number} / {total}"
        width = sum(_HELVETICA_DIGIT_WIDTH if c.isdigit() else 0.278 for c in label) * _FOOTER_SIZE
        x = float(page.mediabox[2]) - _FOOTER_RIGHT_PT - width
        stamp = (
            f"\nQ q 0.4 0.4 0.4 rg BT {_FOOTER_FONT} {_FOOTER_SIZE:g} Tf {x:.2f} {_FOOTER_BASELINE_PT:.2f} Td "
            f"({label}) Tj ET Q\n"
        )
        page.add_resource(font, pikepdf.Name.Font, pikepdf.Name(_FOOTER_FONT))
        page.contents_add(pikepdf.Stream(document, b"q\n"), prepend=True)
        page.contents_add(pikepdf.Stream(document, stamp.encode()))


def _unescape(text: str) -> str:
    from html import unescape

    return unescape(text)
