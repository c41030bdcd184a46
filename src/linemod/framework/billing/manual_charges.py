"""Charges staff add by hand: a manual invoice (something sold outside the plans: a setup service, a
custom report) or a credit (money owed back, taken off the OA's next invoice).

Both go through the ledger like the subscription's own charges, so they are invoiced, taxed, collected and
dunned the same way. A manual invoice is collected at once (the collection run claims the OA's pending
charges, this one among them, and issues the invoice now); a credit is a negative charge that waits for the
next invoice (when it is larger than what comes with it, the rest is carried forward again). Each is keyed
by the console form's one-time key, so a form sent twice writes one charge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from linemod.framework.billing.collection import IssuedRun
from linemod.framework.billing.collection_service import CollectionService
from linemod.framework.billing.lines import BillableLine, TaxRate
from linemod.framework.storage.database import Database

ManualKind = Literal["invoice", "credit"]


class NoSubscription(LookupError):
    """The OA has no subscription: there is no billing account to charge."""


@dataclass(frozen=True)
class ManualCharge:
    kind: ManualKind
    description: str
    amount_yen: int  # tax-exclusive, positive; a credit is written negative
    tax_rate: TaxRate

    def __post_init__(self) -> None:
        if self.amount_yen <= 0:
            raise ValueError("the amount is a positive number of yen")
        if not self.description.strip():
            raise ValueError("describe what is charged or credited")


async def add_manual_charge(
    db: Database, collection: CollectionService, bot_id: str, charge: ManualCharge, *, request_key: str
) -> IssuedRun | None:
    """Write the charge (once per `request_key`); for an invoice, collect the OA's pending charges now."""
    sign = -1 if charge.kind == "credit" else 1
    description = charge.description.strip()[:200]
    line = BillableLine(description, description, 1, sign * charge.amount_yen, charge.tax_rate)
    async with db.transaction() as session:
        sub = await collection.ledger.load(session, bot_id)
        if sub is None:
            raise NoSubscription(bot_id)
        await collection.ledger.charge(session, sub, f"manual:{request_key}", f"manual_{charge.kind}", [line])
    if charge.kind == "invoice":
        return await collection.collect(bot_id)
    return None
