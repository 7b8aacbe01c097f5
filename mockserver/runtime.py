"""The state of one mock server beside its database: config, seed, clock, limits, faults and journal.

Single-process servers keep the clock's offset, the faults and the rate-limit windows in memory (fast,
and correct for one process). With `MockConfig.shared_state` they live in the database instead
(`storage.shared_state.StoredState`, `ratelimit.database`), so several worker processes on one database
behave as one server; on a database server (PostgreSQL) they always do, so several hosts behave as one
server. `MockConfig.redis_url` puts the rate-limit windows in Redis. The journal is always in the
database (`journal.Journal`): its filters need the indexes, and every process and host of one server
writes one journal.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from flask import current_app

from mockserver.clock import Clock
from mockserver.config import MockConfig
from mockserver.faults import Faults
from mockserver.journal import Journal
from mockserver.ratelimit import RateLimiter, Windows
from mockserver.ratelimit.database import DatabaseWindows
from mockserver.ratelimit.memory import MemoryWindows
from mockserver.seed import load_seed
from mockserver.storage import Store, apply_seed, open_store
from mockserver.storage.shared_state import SharedState, StoredState

if TYPE_CHECKING:
    from mockserver.storage.postgres import PostgresStore

EXTENSION = "feishu_mock"


@dataclass
class Runtime:
    config: MockConfig
    seed: dict[str, Any]
    store: Store
    clock: Clock
    limiter: RateLimiter
    faults: Faults
    journal: Journal
    shared: SharedState | None = None
    # Requests being answered, so `close` can let them finish before the store goes.
    _inflight: int = field(default=0, init=False, repr=False)
    _settled: threading.Condition = field(default_factory=threading.Condition, init=False, repr=False)
    closing: bool = field(default=False, init=False)
    closed: bool = field(default=False, init=False)

    @classmethod
    def start(cls, config: MockConfig) -> Runtime:
        seed = load_seed(config.seed)
        store = open_store(config.db_path)
        # Rows a previous run acknowledged are kept; only what is missing comes from the seed.
        with store.transaction() as queries:
            apply_seed(queries, seed, replace=False)
        # A database server (no file) is shared by hosts: its state always is.
        if not config.shared_state and store.path is not None:
            windows = MemoryWindows() if config.redis_url is None else _windows(config, store)
            limiter = RateLimiter(
                config.clock, windows, enabled=config.rate_limits, scale=config.rate_limit_scale
            )
            return cls(config, seed, store, config.clock, limiter, Faults(limiter), Journal(store))
        if store.private:
            store.close()
            raise ValueError("shared_state needs a database file other processes can open, not :memory:")
        shared = StoredState(store)
        clock = config.clock.sharing(shared)
        limiter = RateLimiter(
            clock, _windows(config, store), enabled=config.rate_limits, scale=config.rate_limit_scale
        )
        return cls(config, seed, store, clock, limiter, Faults(limiter, shared), Journal(store), shared)

    def reset(self) -> None:
        """Back to the seed: data, tokens, counters, faults and journal (the clock keeps its time)."""
        self.store.reset(self.seed)
        self.limiter.reset()
        self.faults.clear()
        self.journal.clear()

    def renew(self, clock: Clock) -> None:
        """What a new app on this configuration starts with, on `clock`: the seed's data, and no tokens,
        rate windows, faults, journal or clock offset. Cheaper than a new app and database (the pytest
        plugin's fresh state per test)."""
        self.store.reset(self.seed)
        with self.store.transaction() as queries:
            queries.clear_tenant_records()
        self.limiter.reset()
        self.journal.clear()
        if self.shared is not None:
            self.shared.forget()
            self.clock = clock.sharing(self.shared)
        else:
            self.faults = Faults(self.limiter)
            self.clock = clock
        self.limiter.clock = self.clock

    def forget_shared_state(self) -> None:
        """What a fresh server starts with: clock offset, faults, journal and counters gone from the
        database (the data stays). Run once by whatever starts the worker processes."""
        if self.shared is None:
            raise ValueError("this server keeps its state in memory (MockConfig.shared_state is off)")
        self.shared.forget()
        self.limiter.reset()
        self.journal.clear()

    @property
    def in_flight(self) -> int:
        """Requests being answered now."""
        return self._inflight

    def enter(self) -> bool:
        """Counts a request in; False once the runtime is closing (the request is then refused)."""
        with self._settled:
            if self.closing:
                return False
            self._inflight += 1
            return True

    def leave(self) -> None:
        with self._settled:
            self._inflight -= 1
            if self._inflight == 0:
                self._settled.notify_all()

    def close(self, wait_s: float = 5.0) -> None:
        """Refuses new requests, lets those in flight finish (up to `wait_s`), then closes the store."""
        with self._settled:
            self.closing = True
            self._settled.wait_for(lambda: self._inflight == 0, timeout=wait_s)
            self.closed = True
        self.journal.flush()
        self.store.close()


# PostgreSQL's modules are imported only for a PostgreSQL store: a SQLite server never loads psycopg.
def _windows(config: MockConfig, store: Store) -> Windows:
    """Where processes sharing `store` count rate-limit windows: Redis when configured, else the database."""
    if config.redis_url is not None:
        from mockserver.ratelimit.redis import RedisWindows

        # A PostgreSQL store's generation is checked in Redis, with each call's count.
        generation = cast("PostgresStore", store).generation if store.path is None else None
        return RedisWindows(config.redis_url, generation=generation)
    if store.path is None:
        from mockserver.ratelimit.postgres import PostgresWindows

        return PostgresWindows(cast("PostgresStore", store))
    return DatabaseWindows(store)


def runtime() -> Runtime:
    """The runtime of the app handling the current request."""
    found: Runtime = current_app.extensions[EXTENSION]
    return found
