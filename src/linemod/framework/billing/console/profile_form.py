"""The billing profile form: what the operator types, checked into a `BillingContact` or per-field errors.

Errors are message IDs (translated on the page). The registration number is the buyer's own, optional; as
people type it (full-width, hyphens, spaces) it is normalized, then held to the corporate check digit unless
the invoice goes to a person (様), who may be a sole proprietor whose number carries none.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from linemod.framework.billing.billing_contacts import BillingContact
from linemod.framework.billing.invoicing.documents import Honorific
from linemod.framework.billing.invoicing.registration_number import (
    normalize_registration_number,
    registration_number_problem,
)
from linemod.framework.i18n import N_

MAX_CC = 10
MAX_NAME = 255
MAX_ADDRESS = 1000
_EMAIL = re.compile(r"\A[^@\s,]+@[^@\s,]+\.[^@\s,]+\Z")

FIELDS = ("company_name", "honorific", "address", "email", "cc", "registration_number", "language")


@dataclass
class ProfileForm:
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    contact: BillingContact | None = None


def form_values(contact: BillingContact | None) -> dict[str, str]:
    """The form's fields filled from a saved profile (empty when there is none)."""
    if contact is None:
        return {"honorific": Honorific.ONCHU.value, "language": "ja"}
    return {
        "company_name": contact.company_name,
        "honorific": contact.honorific.value,
        "address": contact.address,
        "email": contact.email,
        "cc": "\n".join(contact.cc),
        "registration_number": contact.registration_number or "",
        "language": contact.language,
    }


def parse_profile(submitted: Mapping[str, str]) -> ProfileForm:
    values = {name: (submitted.get(name) or "").strip() for name in FIELDS}
    form = ProfileForm(values)
    errors = form.errors
    name = values["company_name"]
    if not name:
        errors["company_name"] = N_("Enter the name invoices are addressed to.")
    elif len(name) > MAX_NAME:
        errors["company_name"] = N_("The name is too long.")
    honorific = values["honorific"]
    if honorific not in (Honorific.ONCHU.value, Honorific.SAMA.value):
        errors["honorific"] = N_("Choose 御中 (a company) or 様 (a person).")
    if len(values["address"]) > MAX_ADDRESS:
        errors["address"] = N_("The address is too long.")
    if not _EMAIL.match(values["email"]) or len(values["email"]) > 254:
        errors["email"] = N_("Enter the email address invoices are sent to.")
    cc = tuple(dict.fromkeys(part.strip().lower() for part in re.split(r"[\s,;、]+", values["cc"]) if part.strip()))
    if any(not _EMAIL.match(address) or len(address) > 254 for address in cc):
        errors["cc"] = N_("Each copy address must be an email address (one per line).")
    elif len(cc) > MAX_CC:
        errors["cc"] = N_("Send copies to at most 10 addresses.")
    number: str | None = None
    if values["registration_number"]:
        number = normalize_registration_number(values["registration_number"])
        if registration_number_problem(number, sole_proprietor=honorific == Honorific.SAMA.value) is not None:
            errors["registration_number"] = N_(
                "This is not a valid registration number: T followed by 13 digits, the first a check digit."
            )
    if values["language"] not in ("ja", "en"):
        errors["language"] = N_("Choose the language of the invoices.")
    if not errors:
        form.contact = BillingContact(
            company_name=name,
            email=values["email"].lower(),
            honorific=Honorific(honorific),
            address=values["address"],
            cc=cc,
            registration_number=number,
            language=values["language"],
        )
    return form
