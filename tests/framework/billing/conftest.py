"""Fixtures of the invoice engine's tests: an InvoiceBook on each engine, on a manual clock.

The book's PDF maker is a stub (WeasyPrint takes a few hundred milliseconds a page); the tests about the
PDF itself build a book with the real one."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from linemod.framework.billing.invoicing.book import InvoiceBook
from linemod.framework.billing.invoicing.rendering import InvoiceRenderer
from linemod.framework.clock import ManualClock
from linemod.framework.storage.database import Database
from tests.framework.billing.builders import ISSUER, SEPT_1_2026_MS, assert_every_issued_document_qualified, stub_pdf


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(SEPT_1_2026_MS)


@pytest.fixture
async def book(db: Database, clock: ManualClock) -> AsyncIterator[InvoiceBook]:
    """A book whose every issued document goes through the qualified-invoice checker when the test ends."""
    book = InvoiceBook(db, clock, ISSUER, renderer=InvoiceRenderer(pdf_maker=stub_pdf))
    yield book
    await assert_every_issued_document_qualified(book)
