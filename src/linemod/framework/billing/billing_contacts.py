"""Who an OA's invoices are for: the company name on the invoice (宛名, with 御中 or 様), its address, the
billing email and copies, its own registration number, and the language of its documents.

Kept per OA in `billing_profiles` (outliving detach, like the billing account). An OA with no profile is
still invoiced: to the OA's display name with 御中, and a warning in the log, since an invoice addressed to
a LINE account name may not be what the buyer's accounting accepts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.billing.collection_records import BillingProfileRow
from linemod.framework.billing.invoicing.documents import Honorific, Recipient
from linemod.framework.storage.models import Tenant

log = logging.getLogger("linemod.billing")


@dataclass(frozen=True)
class BillingContact:
    """`company_name` + `honorific` is the invoice's 宛名 (御中 for a company or department, 様 for a person);
    `email` receives invoices, receipts and notices, `cc` gets copies; `registration_number` is the buyer's
    own T number (optional, printed nowhere yet: kept for their accounting)."""

    company_name: str
    email: str = ""
    honorific: Honorific = Honorific.ONCHU
    address: str = ""
    cc: tuple[str, ...] = ()
    registration_number: str | None = None
    language: str = "ja"

    def recipient(self) -> Recipient:
        return Recipient(self.company_name, self.honorific, self.address)


async def save_contact(session: AsyncSession, bot_id: str, contact: BillingContact, now_ms: int) -> None:
    """Create or replace the OA's billing profile, in `session`."""
    if not contact.company_name.strip():
        raise ValueError("a billing profile needs the company (or person's) name invoices are addressed to")
    if contact.language not in ("ja", "en"):
        raise ValueError(f"documents are written in ja or en, not {contact.language!r}")
    row = await session.get(BillingProfileRow, bot_id)
    if row is None:
        row = BillingProfileRow(bot_id=bot_id)
        session.add(row)
    row.company_name, row.honorific, row.address = contact.company_name, contact.honorific.value, contact.address
    row.email, row.cc_emails = contact.email, ",".join(contact.cc)
    row.registration_number, row.language, row.updated_at_ms = contact.registration_number, contact.language, now_ms


async def contact_of(session: AsyncSession, bot_id: str) -> BillingContact | None:
    row = await session.get(BillingProfileRow, bot_id)
    return None if row is None else _contact(row)


def _contact(row: BillingProfileRow) -> BillingContact:
    return BillingContact(
        company_name=row.company_name,
        email=row.email,
        honorific=Honorific(row.honorific),
        address=row.address,
        cc=tuple(cc for cc in row.cc_emails.split(",") if cc),
        registration_number=row.registration_number,
        language=row.language,
    )


async def contacts_or_fallback(session: AsyncSession, bot_ids: Sequence[str]) -> dict[str, BillingContact]:
    """Each OA's billing profile, else its display name (or bot ID) with 御中 and no email, logged; read
    together (the month's run addresses hundreds of invoices at once)."""
    wanted = list(dict.fromkeys(bot_ids))
    found = {
        row.bot_id: _contact(row)
        for row in await session.scalars(select(BillingProfileRow).where(BillingProfileRow.bot_id.in_(wanted)))
    }
    missing = [bot_id for bot_id in wanted if bot_id not in found]
    if missing:
        names = dict((await session.execute(
            select(Tenant.bot_id, Tenant.display_name).where(Tenant.bot_id.in_(missing))
        )).all())
        for bot_id in missing:
            name = names.get(bot_id) or bot_id
            log.warning("OA %s has no billing profile: its invoice is addressed to %s 御中 and not mailed", bot_id,
                        name)
            found[bot_id] = BillingContact(company_name=name)
    return {bot_id: found[bot_id] for bot_id in wanted}
