"""The invoice engine: Japanese qualified invoices (適格請求書), receipts (領収書) and return invoices
(適格返還請求書), issued once with gap-free numbers, kept immutable with their history, rendered as HTML and
PDF, and searchable in an archive.

- `tax.py`: consumption tax once per document per rate; `registration_number.py`: the issuer's `T` number.
- `documents.py`: the typed documents and `check_qualified()`; `follow_up_documents.py`: receipts and returns.
- `book.py`: `InvoiceBook`, the service (drafts, finalize, void, mark_paid, issue_return_invoice, search).
- `records.py` (tables, migration `0004_invoices`), `document_rows.py`, `snapshots.py`, `numbering.py`,
  `change_log.py`, `archive.py`: storage; `rendering.py` + `templates/`: HTML and PDF.

Money is integer yen everywhere.
"""

from linemod.framework.billing.invoicing.archive import ArchivePage, ArchiveQuery, InvoiceSummary
from linemod.framework.billing.invoicing.book import KEEP, InvoiceBook
from linemod.framework.billing.invoicing.change_log import ChangeAction, InvoiceChange
from linemod.framework.billing.invoicing.documents import (
    BankAccount,
    DocumentKind,
    DocumentStatus,
    Honorific,
    Invoice,
    InvoiceLine,
    Issuer,
    MissingItem,
    OriginalSale,
    PaymentReceived,
    Period,
    Recipient,
    check_qualified,
    return_invoice_required,
)
from linemod.framework.billing.invoicing.errors import (
    ImmutableInvoiceError,
    InvoiceError,
    InvoiceNotFoundError,
    InvoiceStateError,
    NotQualifiedError,
    ReturnExceedsOriginalError,
)
from linemod.framework.billing.invoicing.invoice_settings import InvoiceSettings, end_of_following_month
from linemod.framework.billing.invoicing.numbering import NumberFormat
from linemod.framework.billing.invoicing.registration_number import (
    is_valid_registration_number,
    normalize_registration_number,
    registration_number_problem,
)
from linemod.framework.billing.invoicing.rendering import InvoiceRenderer, html_to_pdf
from linemod.framework.billing.invoicing.tax import RateTotals, Rounding, TaxRate, totals_per_rate

__all__ = [
    "KEEP",
    "ArchivePage",
    "ArchiveQuery",
    "BankAccount",
    "ChangeAction",
    "DocumentKind",
    "DocumentStatus",
    "Honorific",
    "ImmutableInvoiceError",
    "Invoice",
    "InvoiceBook",
    "InvoiceChange",
    "InvoiceError",
    "InvoiceLine",
    "InvoiceNotFoundError",
    "InvoiceRenderer",
    "InvoiceSettings",
    "InvoiceStateError",
    "InvoiceSummary",
    "Issuer",
    "MissingItem",
    "NotQualifiedError",
    "NumberFormat",
    "OriginalSale",
    "PaymentReceived",
    "Period",
    "RateTotals",
    "Recipient",
    "ReturnExceedsOriginalError",
    "Rounding",
    "TaxRate",
    "check_qualified",
    "end_of_following_month",
    "html_to_pdf",
    "is_valid_registration_number",
    "normalize_registration_number",
    "registration_number_problem",
    "return_invoice_required",
    "totals_per_rate",
]
