"""The emulator's clock: real time plus an offset that tests move forward."""

from __future__ import annotations

import math
import time

# The clock stops short of the year 9000, so that every time the platform computes from it (a
# purge a century later at most) is still a date Python, and so the pages, can print.
LATEST_MS = 221_845_392_000_000  # 9000-01-01T00:00:00Z


class Clock:
    """Milliseconds since the UNIX epoch as the emulated platform sees them.

    `advance()` only ever moves time forward, so anything computed from an earlier reading stays
    in the past. Timers are not kept here: the platform asks `now_ms()` and fires what is due.
    """

    def __init__(self) -> None:
        self._offset_ms = 0

    def now_ms(self) -> int:
        return int(time.time() * 1000) + self._offset_ms

    def now_s(self) -> float:
        return self.now_ms() / 1000

    def advance(self, seconds: float) -> int:
        if not (math.isfinite(seconds) and seconds > 0):
            raise ValueError("seconds must be a number greater than 0")
        step = int(seconds * 1000)
        if self.now_ms() + step > LATEST_MS:
            raise ValueError("the clock cannot be moved past 9000-01-01")
        self._offset_ms += step
        return self.now_ms()

    def reset(self) -> None:
        self._offset_ms = 0

    @property
    def offset_ms(self) -> int:
        return self._offset_ms

    def set_offset_ms(self, offset_ms: int) -> None:
        self._offset_ms = offset_ms
