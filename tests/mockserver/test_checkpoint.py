"""The WAL is copied back off the write path and still starts over: under writes that never pause, from
two stores on one file (two processes), every row is kept and the WAL is reused once it is longer than
`WAL_RESTART_PAGES` (made small here)."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from mockserver.seed import WEBSITE_ID, load_seed
from mockserver.storage import NewRecord, apply_seed, sqlite
from mockserver.storage.files import FileLock
from mockserver.storage.sqlite import SQLiteStore

TENANT = "sandbox"


def _write(store: SQLiteStore, prefix: str, until: float, counts: dict[str, int]) -> None:
    n = 0
    while time.monotonic() < until:
        key = f"{prefix}{n}"
        user = {"external_id": key, "user_id": key, "name": "x" * 200}
        record = NewRecord(TENANT, "site_user", "website", WEBSITE_ID, key, key, user, created_at=1.0)
        with store.statement() as queries:
            assert queries.insert_record_if_absent(record)
        n += 1
    counts[prefix] = n


def test_the_wal_stays_small_under_nonstop_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite, "WAL_RESTART_PAGES", 1_000)
    stores = [SQLiteStore(tmp_path / "m.db"), SQLiteStore(tmp_path / "m.db")]
    with stores[0].transaction() as queries:
        apply_seed(queries, load_seed(None), replace=False)
    counts: dict[str, int] = {}
    until = time.monotonic() + 2.0
    writers = [
        threading.Thread(target=_write, args=(s, prefix, until, counts))
        for s, prefix in zip(stores, ("a", "b"), strict=True)
    ]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    wal = Path(f"{tmp_path / 'm.db'}-wal").stat().st_size
    time.sleep(0.5)  # a few of the checkpointer's rounds with no writer about
    _write(stores[1], "c", time.monotonic() + 0.01, counts)
    frames = stores[0].connection().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
    rows = stores[0].connection().execute("SELECT count(*) FROM records").fetchone()[0]
    for s in stores:
        s.close()
    commits = sum(counts.values())
    assert counts["a"] + counts["b"] > 5_000
    assert rows == commits
    # Each commit appends a page (4 KiB) or more: a WAL that never started over would be bigger.
    assert wal < (counts["a"] + counts["b"]) * 4096, f"{wal} bytes of WAL after {rows} rows"
    # Once the writers paused, the WAL was copied whole and the next writes started it over.
    assert frames < 5 * counts["c"] + 10, f"{frames} frames in the WAL after {counts['c']} commits"


def test_the_wal_starts_over_after_a_pause_without_stopping_the_writers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Below `WAL_RESTART_PAGES` the writers are never stopped: once they pause, the checkpoint that
    takes no lock copies the WAL whole, and the next write starts it over."""
    lockers: list[str] = []
    acquire = FileLock.acquire

    def noting_acquire(self: FileLock, shared: bool = False) -> None:
        lockers.append(threading.current_thread().name)
        acquire(self, shared)

    monkeypatch.setattr(FileLock, "acquire", noting_acquire)
    store = SQLiteStore(tmp_path / "m.db")
    try:
        with store.transaction() as queries:
            apply_seed(queries, load_seed(None), replace=False)
        counts: dict[str, int] = {}
        _write(store, "a", time.monotonic() + 0.05, counts)
        before = store.connection().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
        time.sleep(0.5)
        _write(store, "b", time.monotonic() + 0.01, counts)
        after = store.connection().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
    finally:
        store.close()
    assert before > counts["a"] > 100
    assert before < sqlite.WAL_RESTART_PAGES
    assert after < 5 * counts["b"] + 10, f"{after} frames in the WAL after {counts['b']} commits"
    assert "feishu-mock-checkpoint" not in lockers
    assert lockers  # the writers' own


def test_a_checkpointer_that_starts_while_the_database_is_locked_goes_on_once_it_is_not(
    tmp_path: Path,
) -> None:
    """A process starting beside one that holds the database (SQLite's "database is locked" on the
    checkpointer's first statement) still checkpoints once the database is free."""
    path = tmp_path / "c.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode = WAL")
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("CREATE TABLE t (x TEXT)")
    holder.execute("INSERT INTO t VALUES ('held')")  # the first write takes the lock, kept till close
    checkpointer = sqlite.Checkpointer(path, FileLock(Path(f"{path}.lock")), restart_pages=1_000, every=0.01)
    try:
        time.sleep(0.2)  # its first rounds find the database locked
        holder.close()
        writer = sqlite3.connect(path, isolation_level=None)
        for n in range(50):
            writer.execute("INSERT INTO t VALUES (?)", ("x" * 1000 + str(n),))
        time.sleep(0.3)  # its rounds copy the WAL whole ...
        writer.execute("INSERT INTO t VALUES ('after')")  # ... so this write starts it over
        frames = writer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
        writer.close()
    finally:
        checkpointer.stop()
    assert frames < 10, f"{frames} frames in the WAL: no checkpoint copied the 50 rows"
