"""The embedded engine: the mock's tables in one SQLite file (WAL), shared by every process that opens it.

A connection per thread; writers queue on a `FileLock` beside the database, then BEGIN IMMEDIATE; a
`Checkpointer` thread copies the WAL back into the database off the write path.

The request journal lives in a second file beside it (`<db>.requests`, attached to every connection as
`requests`), written without syncs: a server starts with its journal fresh, so the journal needs no
durability beyond the process, which a killed process keeps (the data sits in the system's page cache).
A sync is what stalls writers on a real disk, and the journal's eleven indexes are most of what each
call writes; the data file keeps its syncs (NORMAL: a committed transaction survives a killed process,
and the file stays whole through a power cut). A journal file SQLite cannot open (a power cut during
its write) is replaced by an empty one.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from mockserver.storage.engine import Engine
from mockserver.storage.files import FileLock, Generation
from mockserver.storage.queries import Queries
from mockserver.storage.schema import ADDED_COLUMNS, ddl
from mockserver.storage.shared_state import TokenCache

# The WAL's length, in pages, past which the Checkpointer stops the writers to let it start over: about
# 64 MiB of 4 KiB pages, which steady writes fill in a second or more.
WAL_RESTART_PAGES = 16_384
# The attached database that holds the journal, and the suffix of its file; written without syncs.
JOURNAL_SCHEMA = "requests"
JOURNAL_SYNCHRONOUS = "OFF"


class Checkpointer:
    """Copies the WAL back into the database file on a thread of its own, every `every` seconds.

    SQLite's automatic checkpoint would run inside the commit that crosses 1000 WAL pages, under the
    write lock, stalling every writer of every process while it copies and syncs. Here the bulk is
    copied by a PASSIVE checkpoint that takes no writer lock, so writers go on meanwhile. When it copies
    the WAL whole (no writer came in between), SQLite lets the next writer start the WAL over. Under
    writes that never pause that never happens, and the WAL would grow for ever: once it is longer than
    `restart_pages`, a second checkpoint, under the write lock, copies the few pages written since, and
    the WAL starts over. That stall (two syncs) comes once per `restart_pages` written, not every round.
    What is durable when stays the same. Each process may run one; a checkpoint that finds another
    running returns at once.
    """

    def __init__(
        self,
        path: Path,
        write_lock: FileLock,
        *,
        restart_pages: int,
        every: float = 0.1,
        synchronous: str = "NORMAL",
    ) -> None:
        """`synchronous`: the database's setting (a checkpoint syncs the files under NORMAL, not OFF)."""
        self._path = path
        self._synchronous = synchronous
        self._write_lock = write_lock
        self._every = every
        self._restart_pages = restart_pages
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="feishu-mock-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        conn = sqlite3.connect(self._path, timeout=0, isolation_level=None, check_same_thread=False)
        configured = False
        try:
            while not self._stop.wait(self._every):
                with contextlib.suppress(sqlite3.Error):  # busy, or the file is going away: next time
                    if not configured:  # a database another process holds is locked even to this
                        conn.execute(f"PRAGMA synchronous = {self._synchronous}")
                        configured = True
                    busy, pages, _ = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    if not busy and pages > self._restart_pages:
                        with self._write_lock:
                            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        finally:
            conn.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


class SQLiteStore(Engine):
    """One SQLite database (a `Store`). ":memory:" is a private temporary file, so threads share it."""

    def __init__(self, path: str | Path) -> None:
        self._tempdir: str | None = None
        if str(path) == ":memory:":
            self._tempdir = tempfile.mkdtemp(prefix="feishu-mock-")
            path = Path(self._tempdir) / "mock.db"
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._closed = False
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        # Writers wait on this lock rather than in SQLite's busy handler, whose naps (1, 2, 5 ... 100 ms)
        # outlast the lock's release; busy_timeout stays for writers that do not take it (other tools).
        self._write_lock = FileLock(Path(f"{self.path}.lock"))
        # Every process on this database maps it: moved after commits that delete tokens, and by the
        # shared state after changes to what it caches.
        self.generation = Generation(Path(f"{self.path}.generation"))
        self._tokens = TokenCache(self.generation)
        self.journal_path = Path(f"{self.path}.{JOURNAL_SCHEMA}")
        _replace_if_unreadable(self.journal_path)
        conn = self.connection()
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(f"PRAGMA {JOURNAL_SCHEMA}.journal_mode = WAL")
        with self.transaction() as queries:
            # Earlier versions kept the journal in the database itself (a server starts with it fresh).
            queries.conn.execute("DROP TABLE IF EXISTS main.journal")
            for statement in ddl("sqlite", journal_schema=JOURNAL_SCHEMA):
                queries.conn.execute(statement)
            for table, column, kind in ADDED_COLUMNS:
                present = {row["name"] for row in conn.execute(f"PRAGMA table_info({table})").fetchall()}
                if column not in present:
                    conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        self._checkpointers = [
            Checkpointer(self.path, self._write_lock, restart_pages=WAL_RESTART_PAGES),
            Checkpointer(
                self.journal_path,
                self._write_lock,
                restart_pages=WAL_RESTART_PAGES,
                synchronous=JOURNAL_SYNCHRONOUS,
            ),
        ]

    @property
    def private(self) -> bool:
        """A ":memory:" store: a temporary file no other process can share."""
        return self._tempdir is not None

    @property
    def journal_rides_writes(self) -> bool:
        """No: SQLite's statements cannot insert into two tables, and a call into a file is cheap."""
        return False

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use, closed by `close`)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise sqlite3.ProgrammingError(f"the store {self.path} is closed")
            # check_same_thread=False only so close() can close every thread's connection.
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            # NORMAL in WAL mode: a committed transaction survives a killed process (not a power cut).
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute(f"ATTACH DATABASE ? AS {JOURNAL_SCHEMA}", (str(self.journal_path),))
            conn.execute(f"PRAGMA {JOURNAL_SCHEMA}.synchronous = {JOURNAL_SYNCHRONOUS}")
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("PRAGMA wal_autocheckpoint = 0")  # the Checkpointer's job, off the write path
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def transaction(self, write: bool = True, then: Callable[[], None] | None = None) -> Iterator[Queries]:
        """One transaction; writers take the write lock up front (no upgrade deadlocks), readers do not.
        `then` runs after the commit, while the write lock is still held.

        Inside a transaction of the same thread it joins that one (its writes commit or roll back with it).
        """
        conn = self.connection()
        if conn.in_transaction:
            if then is not None:
                raise RuntimeError("`then` needs a transaction of its own")
            yield self._joined(conn)
            return
        with self._write_lock if write else contextlib.nullcontext():
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            queries = self._local.open = Queries(conn)
            try:
                yield queries
                conn.execute("COMMIT")
            except BaseException:
                # A failed COMMIT (a deferred constraint, a full disk) can leave the transaction open:
                # this thread's later transactions would join it and never commit.
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            finally:
                vars(self._local).pop("open", None)
            self._committed(queries)
            if then is not None:
                then()

    @contextmanager
    def statement(self) -> Iterator[Queries]:
        """The write lock for write statements that SQLite commits one by one (autocommit): one call
        into SQLite for a one-statement write instead of three (BEGIN IMMEDIATE, the statement, COMMIT).
        Inside a transaction it joins that one.
        """
        conn = self.connection()
        if conn.in_transaction:
            yield self._joined(conn)
            return
        with self._write_lock:
            queries = Queries(conn)
            try:
                yield queries
            finally:
                self._committed(queries)  # each statement committed as it ran, even if the block then failed

    def _joined(self, conn: sqlite3.Connection) -> Queries:
        # The transaction this thread has open: its Queries, so what it marks (forgot_tokens) counts at
        # its commit. One begun some other way (straight on the connection) gets Queries of its own.
        queries: Queries | None = getattr(self._local, "open", None)
        return queries if queries is not None else Queries(conn)

    def _committed(self, queries: Queries) -> None:
        # After the commit and under the write lock, as `Generation` asks of its bumps.
        if queries.forgot_tokens:
            self.generation.bump()

    def read(self) -> Queries:
        """Queries outside a transaction: each statement sees a consistent snapshot of its own.

        For the hot path's single-statement reads (a token, the clock), where BEGIN and COMMIT would
        triple the statements.
        """
        return Queries(self.connection())

    def close(self) -> None:
        self._closed = True
        for checkpointer in self._checkpointers:
            checkpointer.stop()
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()
        self._write_lock.close()
        self.generation.close()
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)


def _replace_if_unreadable(path: Path) -> None:
    """Removes the database at `path` (and its WAL) when SQLite cannot read it, so an empty one is made."""
    if not path.exists():
        return
    try:
        with contextlib.closing(sqlite3.connect(path)) as conn:
            conn.execute("PRAGMA schema_version").fetchone()
    except sqlite3.DatabaseError:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
