"""The store's transactions: joining one already open, and never leaving a failed one open."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockserver.seed import DEFAULT_APP_ID, load_seed
from mockserver.storage import apply_seed
from mockserver.storage.sqlite import SQLiteStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "m.db")
    with s.transaction() as queries:
        apply_seed(queries, load_seed(None), replace=False)
    yield s
    s.close()


def _tokens(store: SQLiteStore) -> int:
    count: int = store.connection().execute("SELECT count(*) FROM tokens").fetchone()[0]
    return count


def test_a_transaction_begun_on_the_connection_itself_is_joined(store: SQLiteStore) -> None:
    conn = store.connection()
    conn.execute("BEGIN")
    with store.transaction() as queries:
        queries.insert_token("t-joined", queries.app(DEFAULT_APP_ID) or {}, issued_at=0, expires_at=1)
    with store.statement() as queries:
        queries.prune_tokens(expired_before=2)
    assert conn.in_transaction  # joined, not committed: the outer transaction decides
    conn.execute("ROLLBACK")
    assert _tokens(store) == 0


def test_a_failed_commit_is_rolled_back_and_the_next_transaction_commits(store: SQLiteStore) -> None:
    conn = store.connection()
    # A deferred foreign key fails at COMMIT, which leaves the transaction open in SQLite.
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("CREATE TEMP TABLE parent (id INTEGER PRIMARY KEY)")
    conn.execute("CREATE TEMP TABLE child (parent_id REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)")

    def fails_at_commit() -> None:
        with store.transaction() as queries:
            queries.insert_token("t-lost", queries.app(DEFAULT_APP_ID) or {}, issued_at=0, expires_at=1)
            queries.conn.execute("INSERT INTO child VALUES (1)")

    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        fails_at_commit()
    assert not conn.in_transaction
    with store.transaction() as queries:
        queries.insert_token("t-kept", queries.app(DEFAULT_APP_ID) or {}, issued_at=0, expires_at=1)
    assert [row[0] for row in conn.execute("SELECT token FROM tokens")] == ["t-kept"]


def test_tokens_deleted_by_a_statement_block_that_then_fails_are_forgotten(
    tmp_path: Path, store: SQLiteStore
) -> None:
    with store.transaction() as queries:
        queries.insert_token("t-old", queries.app(DEFAULT_APP_ID) or {}, issued_at=0, expires_at=1)
    other = SQLiteStore(tmp_path / "m.db")  # another process's cache
    try:
        assert other.token("t-old") is not None

        def prune_then_fail() -> None:
            with store.statement() as queries:
                queries.prune_tokens(expired_before=2)  # committed at once (autocommit)
                raise RuntimeError("after the delete")

        with pytest.raises(RuntimeError, match="after the delete"):
            prune_then_fail()
        assert other.token("t-old") is None
    finally:
        other.close()
