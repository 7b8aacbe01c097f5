"""The mock's one clock. Tokens expire, rate windows roll and log ids are stamped on it, so a test can
move time forward (`advance`) instead of sleeping."""

from __future__ import annotations

import threading
import time


class Clock:
    """Real time plus an offset, or (with `start`) a frozen instant that moves only by `advance`.

    A frozen clock makes rate-limit tests deterministic: no window rolls over between two requests.
    """

    def __init__(self, start: float | None = None) -> None:
        self._frozen_at = start
        self._offset = 0.0
        self._lock = threading.Lock()

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def now(self) -> float:
        """Seconds since the epoch, as the mock sees it."""
        base = self._frozen_at if self._frozen_at is not None else time.time()
        return base + self._offset

    def advance(self, seconds: float) -> float:
        """Moves the clock forward (never back: tokens and windows only age) and answers the new now."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += seconds
        return self.now()
