"""The reservation module's pages in the operator console (the framework's `app.console` extension API):
reservations by day and by week, a reservation taken by phone, edit, cancel and CSV export; the shop's
hours, holidays and booking rules; customers, with who is handling each chat.

Pages are served at /console/oas/{bot_id}/... to signed-in members of that OA only (the framework checks).
Their texts are English message IDs; the Japanese is in `locales/ja/LC_MESSAGES/messages.po`. After changing
a page (from this directory): `pybabel extract -F babel.cfg -k N_ --no-location --omit-header -o messages.pot .`
then `pybabel update -i messages.pot -d locales -l ja --no-location`, and translate the new entries.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent


def console_path(bot_id: str) -> str:
    """Where an OA's reservations start in the console, relative to the module's public URL."""
    return f"/console/oas/{bot_id}/reservations"


def register(module: Any) -> None:
    from linemod_reservation.console import pages_reservations, pages_shop

    console = module.app.console
    console.add_templates(HERE / "templates")
    module.app.add_translations(HERE / "locales")
    pages_reservations.register(module)
    pages_shop.register(module)


async def create_demo_operator(app: Any, bot_id: str, email: str = "owner@cafe-sakura.example") -> dict[str, str]:
    """A verified console account owning the demo OA, with a fresh password: what signing up and then
    attaching while signed in would have made. The demo's database is new on every run."""
    services = app.console.services()
    password = secrets.token_urlsafe(9)
    done = await services.accounts.sign_up(email, password, verified=True)
    if done.account is None:
        raise RuntimeError(f"a console account {email} exists already")
    await services.teams.make_owner(done.account.id, bot_id)
    return {"email": email, "password": password}
