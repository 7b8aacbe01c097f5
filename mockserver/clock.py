"""The mock's one clock. Tokens expire, rate windows roll and log ids are stamped on it, so a test can
move time forward (`advance`) instead of sleeping."""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Offsets(Protocol):
    """Where the clock's offset lives: in the process (`LocalOffset`) or in the database (shared state)."""

    def clock_offset(self) -> float: ...

    def advance_clock(self, seconds: float) -> float: ...


class LocalOffset:
    def __init__(self) -> None:
        self._seconds = 0.0
        self._lock = threading.Lock()

    def clock_offset(self) -> float:
        return self._seconds

    def advance_clock(self, seconds: float) -> float:
        with self._lock:
            self._seconds += seconds
            return self._seconds


class Clock:
    """Real time plus an offset, or (with `start`) a frozen instant that moves only by `advance`.

    A frozen clock makes rate-limit tests deterministic: no window rolls over between two requests.
    """

    def __init__(self, start: float | None = None, offsets: Offsets | None = None) -> None:
        self.start = start
        self._offsets: Offsets = offsets or LocalOffset()

    @property
    def frozen(self) -> bool:
        return self.start is not None

    def sharing(self, offsets: Offsets) -> Clock:
        """The same clock with its offset kept in `offsets` (several processes, one clock)."""
        return Clock(self.start, offsets)

    def now(self) -> float:
        """Seconds since the epoch, as the mock sees it."""
        base = self.start if self.start is not None else time.time()
        return base + self._offsets.clock_offset()

    def advance(self, seconds: float) -> float:
        """Moves the clock forward (never back: tokens and windows only age) and answers the new now."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._offsets.advance_clock(seconds)
        return self.now()
