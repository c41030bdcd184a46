"""The emulator's clock: real time plus an offset that tests move forward."""

from __future__ import annotations

import time


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
        if seconds <= 0:
            raise ValueError("seconds must be greater than 0")
        self._offset_ms += int(seconds * 1000)
        return self.now_ms()

    def reset(self) -> None:
        self._offset_ms = 0

    @property
    def offset_ms(self) -> int:
        return self._offset_ms

    def set_offset_ms(self, offset_ms: int) -> None:
        self._offset_ms = offset_ms
