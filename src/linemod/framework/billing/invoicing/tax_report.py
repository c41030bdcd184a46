"""The monthly consumption tax report for the accountant: per tax rate, the taxable base and the tax of the
invoices issued in a month, minus the return invoices (適格返還請求書) issued in it.

Figures are the documents' own per-rate totals, as issued (tax rounded once per document per rate): adding
them is what the books do, where recomputing tax on the month's sum would differ by the rounding. Voided
documents and drafts count for nothing; receipts are not sales and are left out.

The CSV is UTF-8 with a byte order mark: Excel, which most Japanese accountants open it with, reads a CSV
without one as Shift_JIS and shows the Japanese headers as mojibake; with the BOM it reads UTF-8.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.billing.invoicing.documents import DocumentKind, DocumentStatus
from linemod.framework.billing.invoicing.records import InvoiceRow
from linemod.framework.billing.invoicing.snapshots import document_from_row
from linemod.framework.billing.invoicing.tax import TaxRate

CSV_HEADER = (
    "対象月", "税率", "請求 課税標準額(税抜)", "請求 消費税額", "返還 対価の額(税抜)", "返還 消費税額",
    "差引 課税標準額(税抜)", "差引 消費税額", "請求書数", "返還請求書数",
)


@dataclass(frozen=True)
class RateLine:
    rate: int
    invoiced_net: int = 0
    invoiced_tax: int = 0
    returned_net: int = 0
    returned_tax: int = 0
    invoices: int = 0
    returns: int = 0

    @property
    def net(self) -> int:
        return self.invoiced_net - self.returned_net

    @property
    def tax(self) -> int:
        return self.invoiced_tax - self.returned_tax


@dataclass(frozen=True)
class TaxReport:
    month: date  # its first day
    lines: tuple[RateLine, ...]  # 10 % first, then 8 %

    @property
    def label(self) -> str:
        return f"{self.month.year}-{self.month.month:02d}"

    @property
    def net(self) -> int:
        return sum(line.net for line in self.lines)

    @property
    def tax(self) -> int:
        return sum(line.tax for line in self.lines)

    def to_csv(self) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")  # CRLF: what Excel writes and expects
        writer.writerow(CSV_HEADER)
        for line in self.lines:
            writer.writerow((self.label, f"{line.rate}%", line.invoiced_net, line.invoiced_tax, line.returned_net,
                             line.returned_tax, line.net, line.tax, line.invoices, line.returns))
        writer.writerow((self.label, "合計", sum(x.invoiced_net for x in self.lines),
                         sum(x.invoiced_tax for x in self.lines), sum(x.returned_net for x in self.lines),
                         sum(x.returned_tax for x in self.lines), self.net, self.tax,
                         "", ""))
        return out.getvalue().encode("utf-8-sig")


def _next_month(first: date) -> date:
    return date(first.year + 1, 1, 1) if first.month == 12 else date(first.year, first.month + 1, 1)


async def monthly_tax_report(session: AsyncSession, provider: str, month: date) -> TaxReport:
    """The report of `month` (any day of it) for `provider`'s documents."""
    first = date(month.year, month.month, 1)
    rows = await session.scalars(
        select(InvoiceRow).where(
            InvoiceRow.provider == provider,
            InvoiceRow.kind.in_([DocumentKind.INVOICE.value, DocumentKind.RETURN_INVOICE.value]),
            InvoiceRow.status.in_([DocumentStatus.FINALIZED.value, DocumentStatus.PAID.value]),
            InvoiceRow.issue_date >= first,
            InvoiceRow.issue_date < _next_month(first),
        )
    )
    sums = {int(rate): [0, 0, 0, 0, 0, 0] for rate in (TaxRate.STANDARD, TaxRate.REDUCED)}
    for row in rows:
        document = document_from_row(row)
        returned = document.kind is DocumentKind.RETURN_INVOICE
        for totals in document.totals:
            figures = sums[totals.rate]
            offset = 2 if returned else 0
            figures[offset] += totals.net
            figures[offset + 1] += totals.tax
            figures[5 if returned else 4] += 1
    lines = tuple(RateLine(rate, *values) for rate, values in sums.items())
    return TaxReport(first, lines)
