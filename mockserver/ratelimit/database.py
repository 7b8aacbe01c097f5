"""Rate-limit windows in the mock's database (`rate_counters`), for several processes serving one
database: each call's test and hit of all its windows is one write transaction, so limits stay exact
with any number of workers (a counter per process would let N workers admit N times the limit)."""

from __future__ import annotations

from collections.abc import Sequence

from mockserver.ratelimit import Refusal, Window, app_prefix
from mockserver.storage import Store


class DatabaseWindows:
    def __init__(self, store: Store) -> None:
        self.store = store

    def hit(self, caller: str, windows: Sequence[Window], now: float) -> Refusal | None:
        with self.store.transaction() as queries:
            for window in windows:
                live = queries.rate_window(window.key(caller), now)
                if live is not None and live[0] >= window.limit:
                    return Refusal.of(window, live[1], now)
            for window in windows:
                queries.rate_incr(window.key(caller), now, window.seconds, 1)
            return None

    def clear(self, apps: Sequence[str] | None = None) -> None:
        with self.store.transaction() as queries:
            queries.rate_clear(None if apps is None else [app_prefix(app_id) for app_id in apps])

    def ping(self) -> None:
        """Nothing to ask: the windows are in the store."""
