"""The shop's booking rules (slot length, seats per slot, lead time, largest party, days ahead): a settings
form of the framework's console, at /console/oas/{bot_id}/settings/booking.

The framework renders and checks the form and keeps its values per OA; `Reservation.rules()` reads them
(`app.console.read_settings`) together with the shop's hours and holidays. Saving the form also brings the
slots already in the database in line: future slots take the new capacity, never below what is booked.
"""

from __future__ import annotations

from typing import Any

from linemod import N_, ConsoleContext, Field, ModuleApp, SettingsForm
from linemod_reservation import store
from linemod_reservation.slots import ShopRules

FORM = "booking"
DEFAULTS = ShopRules()
FIELDS = (
    Field.integer(
        "slot_minutes",
        N_("Slot length (minutes)"),
        default=DEFAULTS.slot_minutes,
        min=10,
        max=240,
        required=True,
        help=N_("A slot lasts 10 to 240 minutes."),
    ),
    Field.integer(
        "capacity",
        N_("Seats per slot"),
        default=DEFAULTS.capacity,
        min=1,
        max=500,
        required=True,
        help=N_("Seats per slot: 1 to 500."),
    ),
    Field.integer(
        "lead_minutes",
        N_("Lead time (minutes)"),
        default=DEFAULTS.lead_minutes,
        min=0,
        max=10_080,
        required=True,
        help=N_("Lead time: 0 to 10080 minutes."),
    ),
    Field.integer(
        "max_party",
        N_("Largest party"),
        default=DEFAULTS.max_party,
        min=1,
        max=50,
        required=True,
        help=N_("Largest party: 1 to 50."),
    ),
    Field.integer(
        "days_ahead",
        N_("Bookable days ahead"),
        default=DEFAULTS.days_ahead,
        min=1,
        max=365,
        required=True,
        help=N_("Bookable days ahead: 1 to 365."),
    ),
)


def register(app: ModuleApp) -> SettingsForm:
    """Add the form to the console (staff may change it, as they may change the hours)."""
    form = app.console.settings_form(
        FORM,
        title=N_("Booking rules"),
        fields=FIELDS,
        description=N_(
            "Customers can book on LINE until the lead time before a slot starts; the console can book any time."
        ),
        owner_only=False,
    )
    form.on_saved(saved)
    return form


async def saved(cx: ConsoleContext, values: dict[str, Any]) -> None:
    """Future slots take the new capacity (never below what is already booked in them), in the transaction
    that saved the form."""
    bot_id, now = cx.tenant.bot_id, cx.now_ms()
    shop = await store.get_shop(cx.db, bot_id)
    if shop is not None:
        shop.updated_at_ms = now
    today = ShopRules(timezone=shop.timezone if shop else DEFAULTS.timezone).today(now).isoformat()
    await store.set_capacity_from(cx.db, bot_id, today, int(values["capacity"]))
