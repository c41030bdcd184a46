"""Fixtures of the invoice engine's tests: an InvoiceBook on each engine, on a manual clock.

The book's PDF maker is a stub (WeasyPrint takes a few hundred milliseconds a page); the tests about the
PDF itself build a book with the real one."""

from __future__ import annotations

import pytest

from linemod.framework.billing.invoicing.book import InvoiceBook
from linemod.framework.billing.invoicing.rendering import InvoiceRenderer
from linemod.framework.clock import ManualClock
from linemod.framework.storage.database import Database
from tests.framework.billing.builders import ISSUER, SEPT_1_2026_MS, stub_pdf


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(SEPT_1_2026_MS)


@pytest.fixture
def book(db: Database, clock: ManualClock) -> InvoiceBook:
    return InvoiceBook(db, clock, ISSUER, renderer=InvoiceRenderer(pdf_maker=stub_pdf))
