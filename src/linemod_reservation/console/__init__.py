"""The reservation module's pages in the operator console (the framework's `app.console` extension API):
reservations by day and by week, a reservation taken by phone, edit, cancel and CSV export; the shop's
hours and holidays (its booking rules are a settings form, see `linemod_reservation.booking`); customers,
with who is handling each chat.

Pages are served at /console/oas/{bot_id}/... to signed-in members of that OA only (the framework checks).
Their texts are English message IDs, translated from the module's one catalog (`locales/ja/LC_MESSAGES/
messages.po`, conversation texts included; see `linemod_reservation/babel.cfg` for regenerating it).
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from linemod import ModuleApp

if TYPE_CHECKING:
    from linemod_reservation.app import Reservation

HERE = Path(__file__).parent


def console_path(bot_id: str) -> str:
    """Where an OA's reservations start in the console, relative to the module's public URL."""
    return f"/console/oas/{bot_id}/reservations"


def register(module: Reservation) -> None:
    from linemod_reservation.console import export, pages_reservations, pages_shop

    module.app.console.add_templates(HERE / "templates")
    pages_reservations.register(module)
    pages_shop.register(module)
    export.register(module)


async def create_demo_operator(app: ModuleApp, bot_id: str, email: str = "owner@cafe-sakura.example") -> dict[str, str]:
    """A verified console account owning the demo OA, with a fresh password: what signing up and then
    attaching while signed in would have made. For a database without an account of `email` (the demo's is
    new on every run): an existing account keeps its own password."""
    password = secrets.token_urlsafe(9)
    await app.console.create_operator(email, password, bot_id)
    return {"email": email, "password": password}


async def create_demo_staff(app: ModuleApp, email: str = "staff@provider.example") -> dict[str, str]:
    """A provider staff account with a fresh password, so the demo also shows the provider's side: the
    tenants, the billing console and the help desk."""
    password = secrets.token_urlsafe(9)
    await app.console.create_staff(email, password)
    return {"email": email, "password": password}
