"""The request journal of hosts that share a PostgreSQL database: one table every host appends to, so
`/mock-api/requests` on any host lists the calls of all of them, oldest first (a `journal.JournalTable`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from mockserver.storage.postgres import PostgresStore, PostgresUnavailable

DDL = (
    "CREATE TABLE IF NOT EXISTS journal_entries"
    " (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, entry TEXT NOT NULL)",
)
# How often (in a process's own appends) it drops what is past `keep`.
TRIM_EVERY = 500


class PostgresJournal:
    def __init__(self, store: PostgresStore) -> None:
        self.store = store
        self._appends = 0
        with store.transaction() as queries:
            store.create(queries, DDL)

    def record(self, entry: Mapping[str, Any], keep: int) -> None:
        """One statement before the answer. While PostgreSQL is down the entry is dropped: the answer
        (1002001, or one decided before it went down) still goes out."""
        # ASCII JSON (escapes for the rest) reads back whatever it holds.
        try:
            self.store.read().conn.execute(
                "INSERT INTO journal_entries (entry) VALUES (:entry)",
                {"entry": json.dumps(entry, separators=(",", ":"))},
            )
        except PostgresUnavailable:
            return
        self._appends += 1
        if self._appends % TRIM_EVERY == 0:
            self.store.read().conn.execute(
                "DELETE FROM journal_entries WHERE id <= (SELECT max(id) FROM journal_entries) - :keep",
                {"keep": keep},
            )

    def journal(self, keep: int) -> list[dict[str, Any]]:
        rows = (
            self.store.read()
            .conn.execute("SELECT entry FROM journal_entries ORDER BY id DESC LIMIT :keep", {"keep": keep})
            .fetchall()
        )
        return [json.loads(row["entry"]) for row in reversed(rows)]

    def clear_journal(self) -> None:
        self.store.read().conn.execute("DELETE FROM journal_entries")

    def close(self) -> None:
        pass
