"""The state of one mock server beside its database: config, seed, clock, limits, faults and journal.

Single-process servers keep the clock's offset, the faults, the journal and the rate-limit windows in
memory (fast, and correct for one process). With `MockConfig.shared_state` they live in the database
instead (`storage.shared_state.StoredState`, `ratelimit.database`), the journal in a file beside it
(`journal.FileJournal`), so several worker processes on one database behave as one server. On a
database server (PostgreSQL) they always do, the journal in a table (`storage.postgres_journal`), so
several hosts behave as one server. `MockConfig.redis_url` puts the rate-limit windows in Redis.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from flask import current_app

from mockserver.clock import Clock
from mockserver.config import MockConfig
from mockserver.faults import Faults
from mockserver.journal import FileJournal, Journal
from mockserver.ratelimit import RateLimiter, Windows
from mockserver.ratelimit.database import DatabaseWindows
from mockserver.ratelimit.memory import MemoryWindows
from mockserver.seed import load_seed
from mockserver.storage import Store, open_store
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

    @classmethod
    def start(cls, config: MockConfig) -> Runtime:
        seed = load_seed(config.seed)
        store = open_store(config.db_path)
        # Rows a previous run acknowledged are kept; only what is missing comes from the seed.
        with store.transaction() as queries:
            queries.apply_seed(seed, replace=False)
        # A database server (no file) is shared by hosts: its state always is.
        if not config.shared_state and store.path is not None:
            windows = MemoryWindows() if config.redis_url is None else _windows(config, store)
            limiter = RateLimiter(
                config.clock, windows, enabled=config.rate_limits, scale=config.rate_limit_scale
            )
            return cls(config, seed, store, config.clock, limiter, Faults(), Journal())
        if store.private:
            store.close()
            raise ValueError("shared_state needs a database file other processes can open, not :memory:")
        shared = StoredState(store)
        clock = config.clock.sharing(shared)
        limiter = RateLimiter(
            clock, _windows(config, store), enabled=config.rate_limits, scale=config.rate_limit_scale
        )
        return cls(config, seed, store, clock, limiter, Faults(shared), _journal(store), shared)

    def reset(self) -> None:
        """Back to the seed: data, tokens, counters, faults and journal (the clock keeps its time)."""
        self.store.reset(self.seed)
        self.limiter.reset()
        self.faults.clear()
        self.journal.clear()

    def forget_shared_state(self) -> None:
        """What a fresh server starts with: clock offset, faults, journal and counters gone from the
        database (the data stays). Run once by whatever starts the worker processes."""
        if self.shared is None:
            raise ValueError("this server keeps its state in memory (MockConfig.shared_state is off)")
        self.shared.forget()
        self.limiter.reset()
        self.journal.clear()

    def close(self) -> None:
        self.journal.close()
        self.store.close()


# PostgreSQL's modules are imported only for a PostgreSQL store: a SQLite server never loads psycopg.
def _windows(config: MockConfig, store: Store) -> Windows:
    """Where processes sharing `store` count rate-limit windows: Redis when configured, else the database."""
    if config.redis_url is not None:
        from mockserver.ratelimit.redis import RedisWindows

        return RedisWindows(config.redis_url)
    if store.path is None:
        from mockserver.ratelimit.postgres import PostgresWindows

        return PostgresWindows(cast("PostgresStore", store))
    return DatabaseWindows(store)


def _journal(store: Store) -> Journal:
    """The journal of processes sharing `store`: a table of the database server, or a file beside the
    database file."""
    if store.path is None:
        from mockserver.storage.postgres_journal import PostgresJournal

        return Journal(PostgresJournal(cast("PostgresStore", store)))
    return Journal(FileJournal(Path(f"{store.path}.requests")))


def runtime() -> Runtime:
    """The runtime of the app handling the current request."""
    found: Runtime = current_app.extensions[EXTENSION]
    return found
