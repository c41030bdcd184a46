"""The documents the invoice engine issues, as typed, immutable values.

Three kinds share one shape: a qualified invoice (適格請求書), a receipt issued once it is paid (領収書, which
carries every item of a qualified invoice too), and a return invoice (適格返還請求書) for refunds, credits and
discounts after the sale. Amounts are integer yen; the totals per rate and their tax are derived from the
lines (see `tax.py`), so a document cannot carry totals that disagree with its lines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cached_property
from typing import TypedDict

from linemod.framework.billing.invoicing.registration_number import registration_number_problem
from linemod.framework.billing.invoicing.tax import RateTotals, Rounding, TaxRate, totals_per_rate

_Lack = Callable[[str, str], None]

LANGUAGES = ("ja", "en")
"""The languages a document can be written in (one template each)."""

RETURN_INVOICE_THRESHOLD_YEN = 10_000
"""A return invoice is not required when the amount returned is under this, tax included (消令70の9③二)."""


def return_invoice_required(amount_incl_tax: int) -> bool:
    """Whether a refund, credit or discount of this amount (tax included) needs a return invoice."""
    return abs(amount_incl_tax) >= RETURN_INVOICE_THRESHOLD_YEN


class DocumentKind(StrEnum):
    INVOICE = "invoice"  # 適格請求書
    RECEIPT = "receipt"  # 領収書
    RETURN_INVOICE = "return_invoice"  # 適格返還請求書


class DocumentStatus(StrEnum):
    """draft → finalized → paid, or → void. Only drafts change; the rest is history."""

    DRAFT = "draft"
    FINALIZED = "finalized"
    PAID = "paid"
    VOID = "void"


class Honorific(StrEnum):
    """What follows the recipient's name: 御中 for a company or department, 様 for a person."""

    ONCHU = "御中"
    SAMA = "様"


@dataclass(frozen=True)
class BankAccount:
    """Where bank transfers go (振込先)."""

    bank_name: str
    branch_name: str
    account_number: str
    account_holder: str  # as the bank shows it, usually in katakana
    account_type: str = "普通"  # 普通 (ordinary) or 当座 (checking)


@dataclass(frozen=True)
class Issuer:
    """The provider issuing the document. `sole_proprietor` relaxes the registration number check (see
    `registration_number.py`)."""

    name: str
    registration_number: str
    address: str = ""
    contact: str = ""
    bank_account: BankAccount | None = None
    sole_proprietor: bool = False


@dataclass(frozen=True)
class Recipient:
    """Who the document is addressed to (宛名)."""

    name: str
    honorific: Honorific = Honorific.ONCHU
    address: str = ""


@dataclass(frozen=True)
class Period:
    """A span of days, both ends included (e.g. the month a subscription covers)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"a period cannot end ({self.end}) before it starts ({self.start})")


@dataclass(frozen=True)
class InvoiceLine:
    """One thing sold (or returned): `unit_price` is in yen, tax-exclusive unless the document says its
    prices include tax. A negative unit price is a discount within the document."""

    description: str
    quantity: int
    unit_price: int
    tax_rate: int = TaxRate.STANDARD
    period: Period | None = None

    def __post_init__(self) -> None:
        for name in ("quantity", "unit_price", "tax_rate"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an int (yen amounts are integers), not {value!r}")
        if self.quantity <= 0:
            raise ValueError(f"quantity must be positive, not {self.quantity}")
        if self.tax_rate not in (TaxRate.STANDARD, TaxRate.REDUCED):
            raise ValueError(f"unsupported tax rate {self.tax_rate} %: use 10 or 8")

    @property
    def amount(self) -> int:
        return self.quantity * self.unit_price

    @property
    def is_reduced_rate(self) -> bool:
        """Reduced-rate items are marked (※) on the document, with a legend."""
        return self.tax_rate == TaxRate.REDUCED


@dataclass(frozen=True)
class OriginalSale:
    """The invoice a return invoice refers to: its number, when it was issued, and when the sale was."""

    number: str
    issue_date: date
    transaction_date: date | None = None
    period: Period | None = None


@dataclass(frozen=True)
class PaymentReceived:
    """What a receipt acknowledges: the amount, the day it was paid, how, and what for (但し書き)."""

    amount: int
    paid_on: date
    method: str
    proviso: str


class DraftFields(TypedDict, total=False):
    """What a new draft invoice may say besides its recipient, lines and language (`InvoiceBook.create_draft`)."""

    transaction_date: date | None
    period: Period | None
    due_date: date | None
    notes: str
    payer_reference: str | None
    bot_id: str | None


@dataclass(frozen=True)
class Invoice:
    """A document of any kind, draft or issued. `number`, `issue_date` are set at finalization."""

    kind: DocumentKind
    issuer: Issuer
    recipient: Recipient
    lines: tuple[InvoiceLine, ...]
    status: DocumentStatus = DocumentStatus.DRAFT
    id: int | None = None
    number: str | None = None
    sequence: int | None = None
    issue_date: date | None = None
    transaction_date: date | None = None
    period: Period | None = None
    due_date: date | None = None
    payer_reference: str | None = None
    notes: str = ""
    language: str = "ja"
    prices_include_tax: bool = False
    rounding: Rounding = Rounding.FLOOR
    bot_id: str | None = None
    original: OriginalSale | None = None
    payment: PaymentReceived | None = None
    related_invoice_id: int | None = None
    void_reason: str | None = None

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            raise ValueError(f"documents are written in {' or '.join(LANGUAGES)}, not {self.language!r}")

    @cached_property
    def totals(self) -> tuple[RateTotals, ...]:
        """Per tax rate, highest first: net, tax (rounded once for the rate) and gross."""
        return totals_per_rate(
            ((line.tax_rate, line.amount) for line in self.lines),
            prices_include_tax=self.prices_include_tax,
            rounding=self.rounding,
        )

    @property
    def total_net(self) -> int:
        return sum(rate.net for rate in self.totals)

    @property
    def total_tax(self) -> int:
        return sum(rate.tax for rate in self.totals)

    @property
    def total_gross(self) -> int:
        """The grand total, tax included: what is billed, received or returned."""
        return sum(rate.gross for rate in self.totals)

    @property
    def has_reduced_rate(self) -> bool:
        return any(line.is_reduced_rate for line in self.lines)

    @property
    def is_draft(self) -> bool:
        return self.status is DocumentStatus.DRAFT

    def totals_for(self, rate: int) -> RateTotals | None:
        return next((totals for totals in self.totals if totals.rate == rate), None)


@dataclass(frozen=True)
class MissingItem:
    """One mandatory item a document lacks; `item` is a stable key, `detail` says what to fix."""

    item: str
    detail: str

    def __str__(self) -> str:
        return f"{self.item}: {self.detail}"


def check_qualified(document: Invoice) -> list[MissingItem]:
    """Every mandatory item of a qualified invoice (or receipt, or return invoice) the document lacks;
    empty when it may be issued. The items are those of 消費税法 57条の4: issuer's name and registration
    number, transaction date or period, what was sold, totals per rate with the rate, tax per rate, the
    recipient's name; for a return invoice also the original sale it refers to."""
    missing: list[MissingItem] = []

    def lack(item: str, detail: str) -> None:
        missing.append(MissingItem(item, detail))

    issuer = document.issuer
    if not issuer.name.strip():
        lack("issuer_name", "the issuer's name (適格請求書発行事業者の氏名又は名称) is empty")
    problem = registration_number_problem(issuer.registration_number, sole_proprietor=issuer.sole_proprietor)
    if problem is not None:
        lack("registration_number", f"the issuer's registration number (登録番号) is invalid: {problem}")
    dated = document.transaction_date is not None or document.period is not None
    if not dated and not (document.lines and all(line.period is not None for line in document.lines)):
        lack("transaction_date", "neither a transaction date (取引年月日) nor a period is given")
    if not document.lines:
        lack("lines", "the document sells nothing: it has no lines (取引内容)")
    for index, line in enumerate(document.lines, start=1):
        if not line.description.strip():
            lack("description", f"line {index} has no description (取引内容)")
    for totals in document.totals:
        if totals.gross < 0 or totals.net < 0:
            lack("totals_per_rate", f"the {totals.rate} % total is negative ({totals.gross} yen)")
    if not document.recipient.name.strip():
        lack("recipient_name", "the recipient's name (宛名) is empty")
    if document.kind is DocumentKind.RETURN_INVOICE:
        _check_return(document, lack)
    if document.kind is DocumentKind.RECEIPT:
        _check_receipt(document, lack)
    return missing


def _check_return(document: Invoice, lack: _Lack) -> None:
    original = document.original
    if original is None or not original.number.strip():
        lack("original_invoice", "a return invoice names the invoice of the original sale")
    elif original.transaction_date is None and original.period is None:
        lack("original_sale_date", "a return invoice gives the date (or period) of the original sale")
    if document.transaction_date is None:
        lack("return_date", "a return invoice gives the date of the return (返品等を行った年月日)")


def _check_receipt(document: Invoice, lack: _Lack) -> None:
    payment = document.payment
    if payment is None:
        lack("payment", "a receipt states the amount received, when and how")
    elif payment.amount != document.total_gross:
        lack("payment", f"the amount received ({payment.amount}) differs from the total ({document.total_gross})")
