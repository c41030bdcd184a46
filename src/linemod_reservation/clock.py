"""A clock that follows the emulator's, so moving the emulator's time also moves the module's scheduler.

The framework takes any object with `now_ms()` as its clock (`ModuleApp(clock=...)`). This one is the wall
clock plus an offset that only grows: `catch_up(now_ms)` moves it to another clock's reading (tests do this
after `POST /_emulator/clock/advance`), and `follow(url)` keeps it in step with an emulator by polling
`GET /_emulator/clock` (what `linemod demo` runs, so a reminder fires when the inspector's clock passes it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import httpx

log = logging.getLogger("linemod_reservation.clock")


class FollowingClock:
    def __init__(self) -> None:
        self._offset_ms = 0
        self._task: asyncio.Task[None] | None = None

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000 + self._offset_ms

    @property
    def offset_ms(self) -> int:
        return self._offset_ms

    def catch_up(self, now_ms: int) -> None:
        """Move forward to `now_ms` if it is ahead. Never backwards: leases, job times and token expiries
        computed from an earlier reading must stay in the past."""
        ahead = now_ms - (time.time_ns() // 1_000_000)
        if ahead > self._offset_ms:
            self._offset_ms = ahead

    def advance(self, seconds: float) -> None:
        self._offset_ms += int(seconds * 1000)

    def follow(self, emulator_url: str, every_seconds: float = 1.0) -> None:
        """Poll the emulator's clock in the background (call inside the running event loop)."""
        if self._task is None:
            self._task = asyncio.create_task(self._poll(emulator_url.rstrip("/"), every_seconds))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _poll(self, url: str, every_seconds: float) -> None:
        async with httpx.AsyncClient(timeout=5) as client:
            while True:
                try:
                    response = await client.get(f"{url}/_emulator/clock")
                    self.catch_up(int(response.json()["now_ms"]))
                except (httpx.HTTPError, ValueError, KeyError):
                    log.debug("could not read the emulator clock", exc_info=True)
                await asyncio.sleep(every_seconds)
