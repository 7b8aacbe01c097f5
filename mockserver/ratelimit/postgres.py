"""Rate-limit windows in PostgreSQL (`rate_counters`), for hosts sharing a database without a Redis:
each call's test and hit of its windows is one transaction holding a lock on the caller
(`pg_advisory_xact_lock`), so two hosts cannot both admit the last call of a window."""

from __future__ import annotations

from collections.abc import Sequence

from mockserver.ratelimit import Refusal, Window
from mockserver.ratelimit.database import DatabaseWindows
from mockserver.storage.postgres import PostgresStore


class PostgresWindows:
    def __init__(self, store: PostgresStore) -> None:
        self.store = store
        self._counted = DatabaseWindows(store)

    def hit(self, caller: str, windows: Sequence[Window], now: float) -> Refusal | None:
        with self.store.transaction() as queries:
            queries.conn.execute("SELECT pg_advisory_xact_lock(hashtext(:caller))", {"caller": caller})
            return self._counted.hit(caller, windows, now)  # joins this transaction

    def clear(self, apps: Sequence[str] | None = None) -> None:
        self._counted.clear(apps)
