"""The reservation module: a `ModuleApp` with the reservation handlers, jobs and console registered on it.

```python
from linemod_reservation import create_app
app = create_app()          # LINEMOD_* settings; `linemod serve linemod_reservation.main:app` serves it
```
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from linemod import Clock, ModuleApp, Settings, SettingsForm
from linemod_reservation import booking, console, handlers, migrate, plans, store
from linemod_reservation.clock import FollowingClock
from linemod_reservation.slots import ShopRules

log = logging.getLogger("linemod_reservation")

# message:send/receive for the conversation, account:manage for the rich menu, profile:read for the
# customer's name and language (the module works without the last two, with less to show).
SCOPES = ("message:send", "message:receive", "account:manage", "profile:read")
LOCALES = Path(__file__).parent / "console" / "locales"
"""The module's one catalog (conversation and console): `ja/LC_MESSAGES/messages.po`. Under `console/`
only because that is where the package data of the distribution looks for it."""


class Reservation:
    """What the handlers, jobs and console pages share: the app and the booking rules form."""

    def __init__(self, app: ModuleApp) -> None:
        self.app = app
        self.booking: SettingsForm = booking.register(app)

    async def rules(self, session: AsyncSession, bot_id: str) -> ShopRules:
        """The OA's shop rules: the booking rules form's values, the hours and the holidays."""
        values = await self.app.console.read_settings(session, bot_id, booking.FORM)
        return await store.rules_for(session, bot_id, values)


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    follow_emulator: str | None = None,
    upgrade_on_start: bool = False,
) -> ModuleApp:
    """The reservation module as a `ModuleApp`. `clock` replaces the wall clock; with `follow_emulator` (an
    emulator's URL) a `FollowingClock` keeps the module's time in step with the emulator's, so reminders
    fire when the emulator's clock passes them. `upgrade_on_start=True` migrates at every start; otherwise
    migrate with `linemod db upgrade linemod_reservation.main:app` (or `await app.upgrade_database()`)."""
    if follow_emulator is not None and clock is None:
        clock = FollowingClock()
    settings = settings or Settings()
    settings.scopes = sorted({*settings.scopes, *SCOPES})
    app = ModuleApp(settings, clock=clock, upgrade_on_start=upgrade_on_start)
    app.add_migrations(migrate.SCRIPT_LOCATION, version_table=migrate.VERSION_TABLE)
    app.add_translations(LOCALES)
    plans.declare(app)
    module = Reservation(app)

    handlers.register(module)
    console.register(module)

    if isinstance(clock, FollowingClock):
        following = clock

        @app.on_startup
        async def follow(app: ModuleApp) -> None:
            if follow_emulator is not None:
                following.follow(follow_emulator)

        @app.on_shutdown
        async def stop_following(app: ModuleApp) -> None:
            await following.stop()

    return app
