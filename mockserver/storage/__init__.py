"""Where the mock keeps its data: the `Store` interface the behaviours use, and `open_store`.

- `schema.py`: the tables, once for every engine; `queries.py`: every query on them (`Queries`);
  `seeding.py`: a seed into them and their contents back out;
- `sqlite.py`: the embedded engine (a file, or ":memory:");
- `shared_state.py`: the clock offset, the faults and the token generation every process agrees on;
- `files.py`: the file lock and change counter processes on one host share.

A behaviour opens a transaction and calls queries on it:

    with store.transaction() as queries:
        if not queries.exists("talent", tenant_key, talent_id):
            raise not_found
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from mockserver.storage.queries import NewRecord, Queries
from mockserver.storage.seeding import apply_seed, dump
from mockserver.storage.shared_state import ChangeCounter

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres(db: str | Path) -> bool:
    """`db` names a PostgreSQL database (a libpq URL); anything else is a SQLite file (or ":memory:")."""
    return str(db).startswith(POSTGRES_SCHEMES)


class Store(Protocol):
    """The mock's database, as the behaviours, the runtime and the control plane use it."""

    @property
    def generation(self) -> ChangeCounter:
        """Moved after any commit that deletes tokens (and by the shared state after its changes), so
        each process's caches know when to read again."""
        ...

    @property
    def path(self) -> Path | None:
        """The database file, beside which processes on this host share files (the journal); None for
        a database that is not a file."""
        ...

    @property
    def private(self) -> bool:
        """Whether only this process can open the database (no other process can share it)."""
        ...

    @property
    def journal_rides_writes(self) -> bool:
        """Whether a write's statement can carry the journal entry of its call
        (`Queries.insert_record_if_absent`'s `journal`, `Queries.update_resource`'s `journal_for`): one
        round trip for both, where the database is across a network."""
        ...

    def transaction(
        self, write: bool = True, then: Callable[[], None] | None = None
    ) -> AbstractContextManager[Queries]:
        """One transaction, committed when the block ends and rolled back if it raises; `then` runs after
        the commit. Inside a transaction of the same thread it joins that one."""
        ...

    def statement(self) -> AbstractContextManager[Queries]:
        """Writes committed statement by statement: for a write that is one statement."""
        ...

    def read(self) -> Queries:
        """Reads outside a transaction, each statement a consistent snapshot of its own."""
        ...

    def token(self, token: str) -> Mapping[str, Any] | None:
        """The token's row (app_id, tenant_key, issued_at, expires_at), or None if unknown."""
        ...

    def reset(self, seed: Mapping[str, Any]) -> None:
        """Only what `seed` holds: every row of the data tables replaced, tokens gone."""
        ...

    def close(self) -> None: ...


def open_store(url_or_path: str | Path) -> Store:
    """The store at `url_or_path`: a file path or ":memory:" is SQLite, `postgresql://...` PostgreSQL."""
    if is_postgres(url_or_path):
        from mockserver.storage.postgres import PostgresStore

        return PostgresStore(str(url_or_path))
    from mockserver.storage.sqlite import SQLiteStore

    return SQLiteStore(url_or_path)


__all__ = ["ChangeCounter", "NewRecord", "Queries", "Store", "apply_seed", "dump", "open_store"]
