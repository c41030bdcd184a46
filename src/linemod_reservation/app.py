"""The reservation module: a `ModuleApp` with the reservation handlers, jobs and console registered on it.

```python
from linemod_reservation import create_app
app = create_app()          # LINEMOD_* settings; `linemod serve linemod_reservation.main:app` serves it
```
"""

from __future__ import annotations

import logging
from typing import Any

from linemod import ModuleApp, Settings
from linemod.framework.clock import Clock
from linemod_reservation import console, handlers, migrate
from linemod_reservation.clock import FollowingClock

log = logging.getLogger("linemod_reservation")

# message:send/receive for the conversation, account:manage for the rich menu, profile:read for the
# customer's name and language (the module works without the last two, with less to show).
SCOPES = ("message:send", "message:receive", "account:manage", "profile:read")


class Reservation:
    """What the handlers, jobs and console pages share: the app."""

    def __init__(self, app: ModuleApp) -> None:
        self.app = app

    @property
    def runtime(self) -> Any:
        if self.app.runtime is None:
            raise RuntimeError("the reservation module is not started")
        return self.app.runtime


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    follow_emulator: str | None = None,
    **options: Any,
) -> ModuleApp:
    """The reservation module as a `ModuleApp`. `clock` replaces the wall clock; with `follow_emulator` (an
    emulator's URL) a `FollowingClock` keeps the module's time in step with the emulator's, so reminders
    fire when the emulator's clock passes them. Other keyword arguments go to `ModuleApp` (for instance
    `upgrade_on_start=True`; otherwise migrate with `linemod db upgrade linemod_reservation.main:app`)."""
    if follow_emulator is not None and clock is None:
        clock = FollowingClock()
    settings = settings or Settings()
    settings.scopes = sorted({*settings.scopes, *SCOPES})
    app = ModuleApp(settings, clock=clock, **options)
    app.add_migrations(migrate.SCRIPT_LOCATION, version_table=migrate.VERSION_TABLE)
    module = Reservation(app)
    app.reservation = module  # type: ignore[attr-defined]  # reachable from routes and tests

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
