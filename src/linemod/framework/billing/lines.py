"""The billable line: what subscriptions hand the invoice engine (one per fee, usage tier, discount, credit)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

TaxRate = Literal[10, 8]
"""Japanese consumption tax rates: 10 % standard, 8 % reduced (軽減税率)."""


@dataclass(frozen=True)
class BillableLine:
    """One line of a future invoice, tax-exclusive, in whole yen.

    `unit_price_yen` is negative for discounts and credits. `period_start` / `period_end` are the first and the
    last day the line covers (both included, as an invoice prints them), or None for one-off items. Tax is not
    computed here: the invoice rounds it once per rate over all its lines (NTA Q&A 問57).
    """

    description_ja: str
    description_en: str
    quantity: int
    unit_price_yen: int
    tax_rate_percent: TaxRate
    period_start: date | None = None
    period_end: date | None = None

    @property
    def amount_yen(self) -> int:
        return self.quantity * self.unit_price_yen

    def to_json(self) -> dict[str, Any]:
        return {
            "description_ja": self.description_ja,
            "description_en": self.description_en,
            "quantity": self.quantity,
            "unit_price_yen": self.unit_price_yen,
            "tax_rate_percent": self.tax_rate_percent,
            "period_start": self.period_start.isoformat() if self.period_start else None,
            "period_end": self.period_end.isoformat() if self.period_end else None,
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> BillableLine:
        rate = int(value["tax_rate_percent"])
        if rate not in (10, 8):
            raise ValueError(f"tax rate {rate} % is neither 10 nor 8")
        start, end = value.get("period_start"), value.get("period_end")
        return cls(
            description_ja=str(value["description_ja"]),
            description_en=str(value["description_en"]),
            quantity=int(value["quantity"]),
            unit_price_yen=int(value["unit_price_yen"]),
            tax_rate_percent=10 if rate == 10 else 8,
            period_start=date.fromisoformat(start) if start else None,
            period_end=date.fromisoformat(end) if end else None,
        )


def subtotal_yen(lines: list[BillableLine]) -> int:
    """The tax-exclusive sum of `lines`."""
    return sum(line.amount_yen for line in lines)
