"""An engine the mock depends on (PostgreSQL, Redis) that could not be asked, told to the log in two
lines however long it lasts: when it began, with why, and when the engine answered again. A line per
failed call would be one per request for as long as the engine is down."""

from __future__ import annotations

import logging
import threading
import time


def reason(exc: BaseException) -> str:
    """What went wrong, in one line: the error's type and the first line of its message (a driver's may
    run to several)."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


class Outage:
    """Whether `engine` is known to be down in this process, and the log lines of its outages (on
    `logger`, the module that asks the engine)."""

    def __init__(self, engine: str, logger: logging.Logger) -> None:
        self.engine = engine
        self._logger = logger
        self._since: float | None = None  # when the outage began (time.monotonic), until it ends
        self._lock = threading.Lock()

    @property
    def ongoing(self) -> bool:
        """A call found the engine down, and none has been answered by it since."""
        return self._since is not None

    def began(self, exc: BaseException) -> None:
        """A call could not ask the engine (`exc`): the first of an outage is logged, the rest not."""
        with self._lock:
            if self._since is not None:
                return
            self._since = time.monotonic()
        self._logger.warning(
            "%s cannot be asked (%s): calls answer 1002001 until it can", self.engine, reason(exc)
        )

    def ended(self) -> None:
        """The engine answered a call: an outage, if one was on, is over and logged with its length.
        Called after every answered call: without an outage it takes no lock."""
        if self._since is None:
            return
        with self._lock:
            since, self._since = self._since, None
        if since is not None:
            self._logger.warning(
                "%s answers again, %.1f s after it could not be asked", self.engine, time.monotonic() - since
            )
