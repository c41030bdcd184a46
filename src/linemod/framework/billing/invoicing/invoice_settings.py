"""The provider's invoicing choices, with their defaults."""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from types import MappingProxyType

from linemod.framework.billing.invoicing.documents import DocumentKind
from linemod.framework.billing.invoicing.numbering import NumberFormat
from linemod.framework.billing.invoicing.tax import Rounding

JST = timezone(timedelta(hours=9), "JST")


def end_of_following_month(issued: date) -> date:
    """月末締め翌月末払い: due at the end of the month after the one the invoice was issued in."""
    year, month = (issued.year + 1, 1) if issued.month == 12 else (issued.year, issued.month + 1)
    return date(year, month, calendar.monthrange(year, month)[1])


DEFAULT_NUMBER_FORMATS: Mapping[DocumentKind, NumberFormat] = MappingProxyType(
    {
        DocumentKind.INVOICE: NumberFormat("INV-"),
        DocumentKind.RECEIPT: NumberFormat("RCT-"),
        DocumentKind.RETURN_INVOICE: NumberFormat("RET-"),
    }
)


@dataclass(frozen=True)
class InvoiceSettings:
    """How documents are numbered, taxed, dated and written.

    - `provider`: whose counters and archive these are ("default"); numbering is gap-free per provider and
      kind of document (each kind is a series of its own, formatted by `number_formats`).
    - `rounding`: how each rate's tax is rounded once per document (floor, the common choice).
    - `prices_include_tax`: whether line prices include tax (False: they are tax-exclusive).
    - `language`: of new documents, "ja" or "en" ("ja").
    - `due_date`: the due date of an invoice issued on a day, when its draft gave none (end of the
      following month).
    - `timezone`: where "today" is for issue dates (Japan).
    - `payment_method`: what a receipt says was used when the caller does not say (None: bank transfer,
      in the document's language).
    """

    provider: str = "default"
    rounding: Rounding = Rounding.FLOOR
    prices_include_tax: bool = False
    language: str = "ja"
    number_formats: Mapping[DocumentKind, NumberFormat] = field(default_factory=lambda: DEFAULT_NUMBER_FORMATS)
    due_date: Callable[[date], date] = end_of_following_month
    timezone: tzinfo = JST
    payment_method: str | None = None

    def today(self, now_ms: int) -> date:
        return datetime.fromtimestamp(now_ms / 1000, tz=self.timezone).date()
