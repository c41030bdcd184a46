"""What the invoice engine refuses, each with a message that says what to do instead."""

from __future__ import annotations

from collections.abc import Sequence

from linemod.framework.billing.invoicing.documents import MissingItem


class InvoiceError(Exception):
    """Base of the invoice engine's errors."""


class InvoiceNotFoundError(InvoiceError, LookupError):
    pass


class NotQualifiedError(InvoiceError, ValueError):
    """The document lacks mandatory items of a qualified invoice; nothing was issued (no number used)."""

    def __init__(self, what: str, missing: Sequence[MissingItem]) -> None:
        self.missing = list(missing)
        items = "\n".join(f"  - {item}" for item in self.missing)
        super().__init__(f"{what} cannot be issued: it lacks what a qualified invoice must show:\n{items}")


class ImmutableInvoiceError(InvoiceError):
    """An issued document was to be edited. Issued documents never change: void it and issue a new one,
    or issue a return invoice for what is given back."""


class InvoiceStateError(InvoiceError):
    """The operation does not apply to the document in its current status (e.g. paying a voided invoice)."""


class ReturnExceedsOriginalError(InvoiceError, ValueError):
    """A return invoice would give back more, at some tax rate, than the original invoice charged there."""
