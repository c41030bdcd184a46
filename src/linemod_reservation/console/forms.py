"""Reading the console's forms: what the operator typed, checked, with an error message ID per mistake."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from linemod import N_, parse_day

TIME = re.compile(r"\A([01]\d|2[0-3]):[0-5]\d\Z")
WEEKDAY_NAMES = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)


@dataclass
class ReservationForm:
    """A reservation as the console's form submits it."""

    day: str = ""
    start: str = ""
    party: int = 2
    name: str = ""
    note: str = ""
    user_id: str = ""  # "" for a customer who is not a LINE friend of the OA
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, form: Mapping[str, str]) -> ReservationForm:
        out = cls(
            day=form.get("day", "").strip(),
            start=form.get("start", "").strip(),
            name=form.get("name", "").strip()[:100],
            note=form.get("note", "").strip()[:500],
            user_id=form.get("user_id", "").strip(),
        )
        if parse_day(out.day) is None:
            out.errors["day"] = N_("Choose a date.")
        if not TIME.match(out.start):
            out.errors["start"] = N_("Choose a time.")
        try:
            out.party = int(form.get("party", ""))
            if out.party < 1:
                raise ValueError
        except ValueError:
            out.errors["party"] = N_("Enter the number of people.")
        if not out.name:
            out.errors["name"] = N_("Enter the customer's name.")
        return out


@dataclass
class HoursForm:
    """The shop's opening hours per weekday (holidays have their own small forms, the booking rules are the
    settings form "booking")."""

    hours: dict[int, tuple[str, str] | None] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, form: Mapping[str, str]) -> HoursForm:
        out = cls()
        for weekday in range(7):
            if form.get(f"closed_{weekday}") == "on":
                out.hours[weekday] = None
                continue
            opens, closes = form.get(f"opens_{weekday}", ""), form.get(f"closes_{weekday}", "")
            if not (TIME.match(opens) and TIME.match(closes)) or opens >= closes:
                out.errors[f"hours_{weekday}"] = N_("Opening must be before closing (HH:MM).")
                continue
            out.hours[weekday] = (opens, closes)
        return out
