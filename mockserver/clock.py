"""The mock's one clock. Tokens expire, rate windows roll and log ids are stamped on it, so a test can
move time forward (`advance`) instead of sleeping."""

from __future__ import annotations

import time

from mockserver.storage.shared_state import LocalState, SharedState


class Clock:
    """Real time plus an offset, or (with `start`) a frozen instant that moves only by `advance`.

    A frozen clock makes rate-limit tests deterministic: no window rolls over between two requests.
    """

    def __init__(self, start: float | None = None, state: SharedState | None = None) -> None:
        self.start = start
        self._state: SharedState = state or LocalState()

    @property
    def frozen(self) -> bool:
        return self.start is not None

    def sharing(self, state: SharedState) -> Clock:
        """The same clock with its offset kept in `state` (several processes, one clock)."""
        return Clock(self.start, state)

    def now(self, tenant_key: str | None = None) -> float:
        """Seconds since the epoch, as the mock sees it (as the tenant sees it, when one is named: a
        tenant's clock runs ahead of the server's by what it has advanced its own)."""
        base = self.start if self.start is not None else time.time()
        return base + self._state.clock_offset(tenant_key)

    def tenant_now(self, tenant_key: str, server_now: float) -> float:
        """The tenant's time at the instant the server's clock read `server_now` (an answer of `now()`):
        a request reads the clock once, and its journal entry, its token check and its rate windows all
        stand at that one instant."""
        return server_now + self._state.tenant_offset(tenant_key)

    def advance(self, seconds: float, tenant_key: str | None = None) -> float:
        """Moves the clock forward (never back: tokens and windows only age), the server's or only the
        tenant's, and answers the new now (the tenant's, when one is named)."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._state.advance_clock(seconds, tenant_key)
        return self.now(tenant_key)

    def forget(self, tenant_key: str) -> None:
        """The tenant's clock runs with the server's again."""
        self._state.forget_tenant(tenant_key)
