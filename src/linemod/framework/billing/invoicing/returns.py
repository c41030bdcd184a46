"""What a return invoice may give back: only at tax rates the original invoice charged, and never more at
a rate than the original charged there, counting the returns already issued against it."""

from __future__ import annotations

from collections.abc import Sequence

from linemod.framework.billing.invoicing.documents import Invoice
from linemod.framework.billing.invoicing.errors import ReturnExceedsOriginalError


def check_return_fits(original: Invoice, earlier_returns: Sequence[Invoice], new_return: Invoice) -> None:
    """Raise `ReturnExceedsOriginalError` unless `new_return` fits within what is left of `original`."""
    if not new_return.lines:
        raise ReturnExceedsOriginalError("a return invoice returns something: give at least one line")
    for totals in new_return.totals:
        charged = original.totals_for(totals.rate)
        if charged is None:
            raise ReturnExceedsOriginalError(
                f"{original.number} charged nothing at {totals.rate} %: a return cannot give back tax it never took"
            )
        if totals.gross <= 0:
            raise ReturnExceedsOriginalError(f"the {totals.rate} % return must be a positive amount")
        already = sum(
            earlier_totals.gross
            for earlier in earlier_returns
            if (earlier_totals := earlier.totals_for(totals.rate)) is not None
        )
        left = charged.gross - already
        if totals.gross > left:
            raise ReturnExceedsOriginalError(
                f"{original.number}: {totals.gross} yen back at {totals.rate} % is more than the {left} yen "
                f"left of the {charged.gross} yen charged there"
            )
