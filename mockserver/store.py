"""The mock's data in SQLite (WAL): the schema, in this one place, and every query.

Rules a race could break live in the database: one site user per (tenant, website, external_id) is the
primary key, written with INSERT ... ON CONFLICT DO NOTHING; a job's in-flight marker is taken with a
conditional UPDATE. Every write runs in a transaction, so a failure leaves nothing half-written.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mockserver.generation import Generation

try:
    import fcntl
except ImportError:  # not on Windows: writers queue in SQLite's busy handler there
    fcntl = None  # type: ignore[assignment]

SCHEMA = """
CREATE TABLE IF NOT EXISTS apps (
    app_id      TEXT PRIMARY KEY,
    app_secret  TEXT NOT NULL,
    tenant_key  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    token       TEXT PRIMARY KEY,
    app_id      TEXT NOT NULL,
    tenant_key  TEXT NOT NULL,
    issued_at   REAL NOT NULL,
    expires_at  REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS tokens_by_app ON tokens (app_id, expires_at);
CREATE TABLE IF NOT EXISTS users (
    tenant_key  TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    open_id     TEXT NOT NULL,
    union_id    TEXT NOT NULL,
    name        TEXT,
    PRIMARY KEY (tenant_key, user_id),
    UNIQUE (tenant_key, open_id),
    UNIQUE (tenant_key, union_id)
);
CREATE TABLE IF NOT EXISTS websites (
    tenant_key  TEXT NOT NULL,
    website_id  TEXT NOT NULL,
    name        TEXT,
    PRIMARY KEY (tenant_key, website_id)
);
CREATE TABLE IF NOT EXISTS site_users (
    tenant_key          TEXT NOT NULL,
    website_id          TEXT NOT NULL,
    external_id         TEXT NOT NULL,
    user_id             TEXT NOT NULL UNIQUE,
    name                TEXT,
    email               TEXT,
    mobile              TEXT,
    mobile_country_code TEXT,
    created_at          REAL NOT NULL,
    -- the idempotency key: exactly one site user per (website, external_id), whoever races
    PRIMARY KEY (tenant_key, website_id, external_id)
);
CREATE TABLE IF NOT EXISTS talents (
    tenant_key            TEXT NOT NULL,
    talent_id             TEXT NOT NULL,
    name                  TEXT,
    external_create_time  TEXT,
    PRIMARY KEY (tenant_key, talent_id)
);
CREATE TABLE IF NOT EXISTS jobs (
    tenant_key              TEXT NOT NULL,
    job_id                  TEXT NOT NULL,
    title                   TEXT,
    -- people are stored by their tenant user_id, lists as JSON arrays
    recruiter_id            TEXT,
    assistant_id_list       TEXT NOT NULL DEFAULT '[]',
    hiring_manager_id_list  TEXT NOT NULL DEFAULT '[]',
    updated_by              TEXT,
    updated_at              REAL,
    -- an update in flight holds the marker until it commits or its lease ends (crash safety)
    in_flight               TEXT,
    in_flight_until         REAL,
    PRIMARY KEY (tenant_key, job_id)
);
-- The server's own state, shared by every process on the database (MockConfig.shared_state):
-- the clock's offset, injected faults and the rate-limit counters (the journal is a file of its own,
-- mockserver.journal.FileJournal).
CREATE TABLE IF NOT EXISTS clock (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    seconds     REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS faults (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    operation   TEXT,
    resource    TEXT,
    code        INTEGER,
    remaining   INTEGER NOT NULL,
    latency_ms  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS rate_counters (
    key         TEXT PRIMARY KEY,
    count       INTEGER NOT NULL,
    expires_at  REAL NOT NULL
)
"""

TABLES = ("apps", "tokens", "users", "websites", "site_users", "talents", "jobs")
# The server's state beside the data: not part of a seed, cleared by `Tx.forget_server_state`.
SERVER_STATE_TABLES = ("clock", "faults", "rate_counters")
# Token rows a process keeps (Store.token); past this many it starts over.
TOKEN_CACHE_SIZE = 10_000
FAULT_COLUMNS = ("id", "operation", "resource", "code", "remaining", "latency_ms")
# Resource kinds of the spec's `x-feishu-resource` -> (table, id column).
RESOURCES = {
    "website": ("websites", "website_id"),
    "talent": ("talents", "talent_id"),
    "job": ("jobs", "job_id"),
}
USER_ID_COLUMNS = ("open_id", "union_id", "user_id")
JOB_LIST_COLUMNS = ("assistant_id_list", "hiring_manager_id_list")
JOB_PEOPLE_COLUMNS = ("recruiter_id", *JOB_LIST_COLUMNS)


def _row(row: sqlite3.Row | None) -> dict[str, Any] | None:
    return None if row is None else dict(row)


def _job(row: sqlite3.Row) -> dict[str, Any]:
    job = dict(row)
    for column in JOB_LIST_COLUMNS:
        job[column] = json.loads(job[column])
    return job


class Tx:
    """The queries, run inside one transaction (see `Store.transaction`)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        # Set when the transaction deletes tokens: the store then bumps its generation after the commit,
        # so no process's token cache (`Store.token`) answers a deleted token.
        self.forgot_tokens = False

    # -- apps and tokens
    def app(self, app_id: str) -> dict[str, Any] | None:
        return _row(self.conn.execute("SELECT * FROM apps WHERE app_id = ?", (app_id,)).fetchone())

    def freshest_token(self, app_id: str) -> dict[str, Any] | None:
        return _row(
            self.conn.execute(
                "SELECT * FROM tokens WHERE app_id = ? ORDER BY expires_at DESC LIMIT 1", (app_id,)
            ).fetchone()
        )

    def insert_token(self, token: str, app: Mapping[str, Any], issued_at: float, expires_at: float) -> None:
        self.conn.execute(
            "INSERT INTO tokens (token, app_id, tenant_key, issued_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            (token, app["app_id"], app["tenant_key"], issued_at, expires_at),
        )

    def prune_tokens(self, expired_before: float) -> None:
        if self.conn.execute("DELETE FROM tokens WHERE expires_at < ?", (expired_before,)).rowcount:
            self.forgot_tokens = True

    def token(self, token: str) -> dict[str, Any] | None:
        return _row(self.conn.execute("SELECT * FROM tokens WHERE token = ?", (token,)).fetchone())

    # -- resources
    def exists(self, kind: str, tenant_key: str, resource_id: str) -> bool:
        table, column = RESOURCES[kind]
        found = self.conn.execute(
            f"SELECT 1 FROM {table} WHERE tenant_key = ? AND {column} = ?", (tenant_key, resource_id)
        ).fetchone()
        return found is not None

    def insert_site_user_if_absent(self, tenant_key: str, website_id: str, user: Mapping[str, Any]) -> bool:
        """Inserts the user if its website exists and its key is free; True if this call inserted it.

        One statement does both checks, so the usual create costs a single write.
        """
        cursor = self.conn.execute(
            "INSERT INTO site_users (tenant_key, website_id, external_id, user_id, name, email, mobile,"
            " mobile_country_code, created_at) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?"
            " WHERE EXISTS (SELECT 1 FROM websites WHERE tenant_key = ?1 AND website_id = ?2)"
            " ON CONFLICT (tenant_key, website_id, external_id) DO NOTHING",
            (
                tenant_key,
                website_id,
                user["external_id"],
                user["user_id"],
                user.get("name"),
                user.get("email"),
                user.get("mobile"),
                user.get("mobile_country_code"),
                user["created_at"],
            ),
        )
        return cursor.rowcount == 1

    def site_user(self, tenant_key: str, website_id: str, external_id: str) -> dict[str, Any] | None:
        return _row(
            self.conn.execute(
                "SELECT * FROM site_users WHERE tenant_key = ? AND website_id = ? AND external_id = ?",
                (tenant_key, website_id, external_id),
            ).fetchone()
        )

    def set_external_create_time(self, tenant_key: str, talent_id: str, value: str) -> None:
        self.conn.execute(
            "UPDATE talents SET external_create_time = ? WHERE tenant_key = ? AND talent_id = ?",
            (value, tenant_key, talent_id),
        )

    def user_ids_by(self, tenant_key: str, id_type: str, values: Iterable[str]) -> dict[str, str]:
        """{id of `id_type`: tenant user_id} for the values that name a user of the tenant."""
        if id_type not in USER_ID_COLUMNS:
            raise ValueError(f"unknown user id type {id_type!r}")
        wanted = list(dict.fromkeys(values))
        marks = ", ".join("?" * len(wanted))
        rows = self.conn.execute(
            f"SELECT {id_type} AS given, user_id FROM users WHERE tenant_key = ? AND {id_type} IN ({marks})",
            (tenant_key, *wanted),
        ).fetchall()
        return {row["given"]: row["user_id"] for row in rows}

    def users(self, tenant_key: str, user_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        wanted = list(dict.fromkeys(user_ids))
        marks = ", ".join("?" * len(wanted))
        rows = self.conn.execute(
            f"SELECT * FROM users WHERE tenant_key = ? AND user_id IN ({marks})", (tenant_key, *wanted)
        ).fetchall()
        return {row["user_id"]: dict(row) for row in rows}

    def job(self, tenant_key: str, job_id: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT * FROM jobs WHERE tenant_key = ? AND job_id = ?", (tenant_key, job_id)
        ).fetchone()
        return None if row is None else _job(row)

    def claim_job(self, tenant_key: str, job_id: str, marker: str, now: float, lease_seconds: float) -> bool:
        """Takes the job's in-flight marker unless another live update holds it; False if it could not."""
        cursor = self.conn.execute(
            "UPDATE jobs SET in_flight = ?, in_flight_until = ?"
            " WHERE tenant_key = ? AND job_id = ? AND (in_flight IS NULL OR in_flight_until < ?)",
            (marker, now + lease_seconds, tenant_key, job_id, now),
        )
        return cursor.rowcount == 1

    def release_job(self, tenant_key: str, job_id: str, marker: str) -> None:
        self.conn.execute(
            "UPDATE jobs SET in_flight = NULL, in_flight_until = NULL"
            " WHERE tenant_key = ? AND job_id = ? AND in_flight = ?",
            (tenant_key, job_id, marker),
        )

    def write_job_people(
        self,
        *,
        tenant_key: str,
        job_id: str,
        marker: str,
        people: Mapping[str, str | list[str]],
        updated_by: str | None,
        now: float,
    ) -> bool:
        """Writes the given roles and drops the marker, only while `marker` is still held."""
        unknown = set(people) - set(JOB_PEOPLE_COLUMNS)
        if unknown:
            raise ValueError(f"not a job people column: {sorted(unknown)}")
        assignments = "".join(f"{column} = ?, " for column in people)
        values = [json.dumps(v) if isinstance(v, list) else v for v in people.values()]
        cursor = self.conn.execute(
            f"UPDATE jobs SET {assignments}updated_by = ?, updated_at = ?, in_flight = NULL,"
            " in_flight_until = NULL WHERE tenant_key = ? AND job_id = ? AND in_flight = ?",
            (*values, updated_by, now, tenant_key, job_id, marker),
        )
        return cursor.rowcount == 1

    # -- the server's shared state (MockConfig.shared_state)
    def clock_offset(self) -> float:
        row = self.conn.execute("SELECT seconds FROM clock WHERE id = 1").fetchone()
        return 0.0 if row is None else float(row[0])

    def advance_clock(self, seconds: float) -> float:
        row = self.conn.execute(
            "INSERT INTO clock (id, seconds) VALUES (1, ?)"
            " ON CONFLICT (id) DO UPDATE SET seconds = seconds + excluded.seconds RETURNING seconds",
            (seconds,),
        ).fetchone()
        return float(row[0])

    def insert_fault(self, fault: Mapping[str, Any]) -> int:
        cursor = self.conn.execute(
            "INSERT INTO faults (operation, resource, code, remaining, latency_ms) VALUES (?, ?, ?, ?, ?)",
            (fault["operation"], fault["resource"], fault["code"], fault["remaining"], fault["latency_ms"]),
        )
        return int(cursor.lastrowid or 0)

    def faults(self) -> list[dict[str, Any]]:
        rows = self.conn.execute(f"SELECT {', '.join(FAULT_COLUMNS)} FROM faults ORDER BY id").fetchall()
        return [dict(row) for row in rows]

    def use_fault(self, fault_id: int) -> bool:
        """Uses one of the fault's remaining answers (dropping it at zero); False if none was left."""
        cursor = self.conn.execute(
            "UPDATE faults SET remaining = remaining - 1 WHERE id = ? AND remaining > 0", (fault_id,)
        )
        self.conn.execute("DELETE FROM faults WHERE id = ? AND remaining <= 0", (fault_id,))
        return cursor.rowcount == 1

    def clear_faults(self) -> None:
        self.conn.execute("DELETE FROM faults")

    def rate_incr(self, key: str, now: float, expiry: float, amount: int) -> int:
        """Adds `amount` to the counter of a fixed window, starting a new window when it has expired."""
        row = self.conn.execute(
            "INSERT INTO rate_counters (key, count, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE"
            " SET count = CASE WHEN expires_at <= ?4 THEN excluded.count ELSE count + excluded.count END,"
            " expires_at = CASE WHEN expires_at <= ?4 THEN excluded.expires_at ELSE expires_at END"
            " RETURNING count",
            (key, amount, now + expiry, now),
        ).fetchone()
        return int(row[0])

    def rate_window(self, key: str, now: float) -> tuple[int, float] | None:
        """(count, expires_at) of the key's live window, or None."""
        row = self.conn.execute(
            "SELECT count, expires_at FROM rate_counters WHERE key = ? AND expires_at > ?", (key, now)
        ).fetchone()
        return None if row is None else (int(row[0]), float(row[1]))

    def rate_clear(self, key: str | None = None) -> int:
        if key is None:
            return self.conn.execute("DELETE FROM rate_counters").rowcount
        return self.conn.execute("DELETE FROM rate_counters WHERE key = ?", (key,)).rowcount

    def forget_server_state(self) -> None:
        """A fresh server: clock offset, faults and rate counters gone (the data stays)."""
        for table in SERVER_STATE_TABLES:
            self.conn.execute(f"DELETE FROM {table}")

    # -- seeding and the control plane
    def wipe(self) -> None:
        for table in TABLES:
            self.conn.execute(f"DELETE FROM {table}")
        self.forgot_tokens = True

    def apply_seed(self, seed: Mapping[str, Any], replace: bool) -> None:
        """Inserts a (validated) seed; `replace` overwrites rows that exist, otherwise they are kept."""
        verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
        for tenant in seed["tenants"]:
            key = tenant["tenant_key"]
            for app in tenant["apps"]:
                # Credentials always follow the seed, so `serve --app-secret` works on an existing db.
                self.conn.execute(
                    "INSERT OR REPLACE INTO apps (app_id, app_secret, tenant_key) VALUES (?, ?, ?)",
                    (app["app_id"], app["app_secret"], key),
                )
            for u in tenant.get("users", []):
                self.conn.execute(
                    f"{verb} INTO users (tenant_key, user_id, open_id, union_id, name)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (key, u["user_id"], u["open_id"], u["union_id"], u.get("name")),
                )
            for w in tenant.get("websites", []):
                self.conn.execute(
                    f"{verb} INTO websites (tenant_key, website_id, name) VALUES (?, ?, ?)",
                    (key, w["website_id"], w.get("name")),
                )
            for t in tenant.get("talents", []):
                self.conn.execute(
                    f"{verb} INTO talents (tenant_key, talent_id, name) VALUES (?, ?, ?)",
                    (key, t["talent_id"], t.get("name")),
                )
            for j in tenant.get("jobs", []):
                self.conn.execute(
                    f"{verb} INTO jobs (tenant_key, job_id, title, recruiter_id, assistant_id_list,"
                    " hiring_manager_id_list) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        key,
                        j["job_id"],
                        j.get("title"),
                        j.get("recruiter_id"),
                        json.dumps(j.get("assistant_id_list", [])),
                        json.dumps(j.get("hiring_manager_id_list", [])),
                    ),
                )

    def dump(self) -> dict[str, Any]:
        """Everything stored, per tenant (people of jobs by tenant user_id)."""
        tenants: dict[str, dict[str, Any]] = {}

        def tenant(key: str) -> dict[str, Any]:
            return tenants.setdefault(
                key,
                {"apps": [], "users": [], "websites": [], "site_users": [], "talents": [], "jobs": []},
            )

        for row in self.conn.execute("SELECT app_id, tenant_key FROM apps ORDER BY app_id"):
            tenant(row["tenant_key"])["apps"].append(row["app_id"])
        for table, order in (
            ("users", "user_id"),
            ("websites", "website_id"),
            ("site_users", "created_at, user_id"),
            ("talents", "talent_id"),
            ("jobs", "job_id"),
        ):
            for row in self.conn.execute(f"SELECT * FROM {table} ORDER BY {order}"):
                item = _job(row) if table == "jobs" else dict(row)
                tenant(item.pop("tenant_key"))[table].append(item)
        tokens = self.conn.execute("SELECT COUNT(*) FROM tokens").fetchone()[0]
        return {"tenants": tenants, "tokens": tokens}


class WriteLock:
    """Queues the writers of one database: a thread lock inside the process, `flock` on a file beside the
    database across processes.

    Without it, writers that find the database busy sleep in SQLite's busy handler (1, 2, 5 ... 100 ms
    naps) instead of waking when the lock frees: that was the p99 under load. Both locks hand over at once.
    busy_timeout stays for writers that do not take this lock (another tool on the file).
    """

    def __init__(self, path: Path) -> None:
        self._thread_lock = threading.Lock()
        self._fd: int | None = None
        if fcntl is not None:
            self._fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o644)

    def __enter__(self) -> None:
        self._thread_lock.acquire()
        if self._fd is not None:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            except BaseException:
                self._thread_lock.release()
                raise

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._thread_lock.release()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class Checkpointer:
    """Copies the WAL back into the database file on a thread of its own, every `every` seconds.

    SQLite's automatic checkpoint runs inside the commit that crosses 1000 WAL pages, under our write
    lock: its copying and its fsyncs (synchronous=NORMAL syncs at checkpoints only) stalled every
    writer of every process for milliseconds, the c=8 p99. Here the bulk is copied by a PASSIVE
    checkpoint that takes no writer lock, so writers go on meanwhile; then, under the write lock, a
    second one copies the few pages written since. The WAL is then wholly copied with no writer in
    between, which is when SQLite lets the next writer start the WAL over (otherwise it grows for
    ever). What is durable when stays the same. Each process may run one; a checkpoint that finds
    another running returns at once.
    """

    def __init__(self, path: Path, write_lock: WriteLock, every: float = 0.1) -> None:
        self._path = path
        self._write_lock = write_lock
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="feishu-mock-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        conn = sqlite3.connect(self._path, timeout=0, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA synchronous = NORMAL")
            while not self._stop.wait(self._every):
                with contextlib.suppress(sqlite3.Error):  # busy, or the file is going away: next time
                    busy, frames, _ = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    if not busy and frames > 0:
                        with self._write_lock:
                            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        finally:
            conn.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


class Store:
    """One SQLite database; a connection per thread. Writers queue on a `WriteLock`, then BEGIN IMMEDIATE."""

    def __init__(self, path: str | Path) -> None:
        self._tempdir: str | None = None
        if str(path) == ":memory:":
            # Threads need one shared database: a private temporary file behaves like memory here.
            self._tempdir = tempfile.mkdtemp(prefix="feishu-mock-")
            path = Path(self._tempdir) / "mock.db"
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._write_lock = WriteLock(self.path)
        # Every process on this database maps it: moved after commits that delete tokens, and by the
        # shared state (`SharedState`) after changes to what it caches.
        self.generation = Generation(Path(f"{self.path}.generation"))
        self._tokens: dict[str, tuple[int, Mapping[str, Any]]] = {}
        conn = self._connection()
        conn.execute("PRAGMA journal_mode = WAL")
        with self.transaction() as tx:
            for statement in SCHEMA.split(";"):  # no ";" inside the schema's comments
                if statement.strip():
                    tx.conn.execute(statement)
        self._checkpointer = Checkpointer(self.path, self._write_lock)

    @property
    def private(self) -> bool:
        """A ":memory:" store: a temporary file no other process can share."""
        return self._tempdir is not None

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            # check_same_thread=False only so close() can close every thread's connection.
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            # NORMAL in WAL mode: a committed transaction survives a killed process (not a power cut).
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("PRAGMA wal_autocheckpoint = 0")  # the Checkpointer's job, off the write path
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def transaction(self, write: bool = True, then: Callable[[], None] | None = None) -> Iterator[Tx]:
        """One transaction; writers take the write lock up front (no upgrade deadlocks), readers do not.
        `then` runs after the commit, while the write lock is still held.

        Inside a transaction of the same thread it joins that one (its writes commit or roll back with it).
        """
        conn = self._connection()
        if conn.in_transaction:
            if then is not None:
                raise RuntimeError("`then` needs a transaction of its own")
            yield self._joined(conn)
            return
        with self._write_lock if write else contextlib.nullcontext():
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            tx = self._local.tx = Tx(conn)
            try:
                yield tx
                conn.execute("COMMIT")
            except BaseException:
                # A failed COMMIT (a deferred constraint, a full disk) can leave the transaction open:
                # this thread's later transactions would join it and never commit.
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            finally:
                vars(self._local).pop("tx", None)
            self._committed(tx)
            if then is not None:
                then()

    @contextmanager
    def statement(self) -> Iterator[Tx]:
        """The write lock for write statements that SQLite commits one by one (autocommit): one call into
        SQLite for a one-statement write instead of three (BEGIN IMMEDIATE, the statement, COMMIT), each
        a GIL release that another thread may keep for a whole switch interval. Inside a transaction it
        joins that one.
        """
        conn = self._connection()
        if conn.in_transaction:
            yield self._joined(conn)
            return
        with self._write_lock:
            tx = Tx(conn)
            try:
                yield tx
            finally:
                self._committed(tx)  # each statement committed as it ran, even if the block then failed

    def _joined(self, conn: sqlite3.Connection) -> Tx:
        # The transaction this thread has open: the same Tx, so what it marks (forgot_tokens) counts at
        # its commit. One begun some other way (straight on the connection) gets a Tx of its own.
        tx: Tx | None = getattr(self._local, "tx", None)
        return tx if tx is not None else Tx(conn)

    def _committed(self, tx: Tx) -> None:
        # After the commit and under the write lock, as `Generation` asks of its bumps.
        if tx.forgot_tokens:
            self.generation.bump()

    def token(self, token: str) -> Mapping[str, Any] | None:
        """The token's row, read on every business call: kept per process once read (a row never
        changes), until the generation moves (tokens were deleted, by this process or another)."""
        generation = self.generation.value()  # before the read it stamps
        cached = self._tokens.get(token)
        if cached is not None and cached[0] == generation:
            return cached[1]
        row = self.read().token(token)
        if row is not None:  # an unknown token may be issued by another process any moment: not kept
            if len(self._tokens) >= TOKEN_CACHE_SIZE:
                self._tokens.clear()
            self._tokens[token] = (generation, row)
        return row

    def read(self) -> Tx:
        """Queries outside a transaction: each statement sees a consistent snapshot of its own.

        For the hot path's single-statement reads (a token, the clock), where BEGIN and COMMIT would
        triple the statements.
        """
        return Tx(self._connection())

    def reset(self, seed: Mapping[str, Any]) -> None:
        with self.transaction() as tx:
            tx.wipe()
            tx.apply_seed(seed, replace=True)

    def close(self) -> None:
        self._checkpointer.stop()
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()
        self._write_lock.close()
        self.generation.close()
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)


@dataclass(frozen=True)
class _Snapshot:
    generation: int
    clock_offset: float
    faults: list[dict[str, Any]]


class SharedState:
    """The server's own state in the database, for several processes serving one database as one server.

    It is each of `clock.Offsets`, `faults.FaultTable` and `ratelimit.CounterTable`. The clock offset
    and the faults, read on every request and rarely changed, are cached per process behind a
    `Generation`: the usual request reads neither from SQLite.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._generation = store.generation
        self._snapshot: _Snapshot | None = None

    def _state(self) -> _Snapshot:
        generation = self._generation.value()  # before the reads it stamps
        snapshot = self._snapshot
        if snapshot is None or snapshot.generation != generation:
            with self.store.transaction(write=False) as tx:
                snapshot = _Snapshot(generation, tx.clock_offset(), tx.faults())
            self._snapshot = snapshot
        return snapshot

    @contextlib.contextmanager
    def _changing(self) -> Iterator[Tx]:
        """A write of the cached state: every process's cache is read again after it."""
        with self.store.transaction(then=self._generation.bump) as tx:
            yield tx

    def clock_offset(self) -> float:
        return self._state().clock_offset

    def advance_clock(self, seconds: float) -> float:
        with self._changing() as tx:
            return tx.advance_clock(seconds)

    def insert_fault(self, fault: Mapping[str, Any]) -> int:
        with self._changing() as tx:
            return tx.insert_fault(fault)

    def faults(self) -> list[dict[str, Any]]:
        return [dict(f) for f in self._state().faults]

    def use_fault(self, fault_id: int) -> bool:
        with self._changing() as tx:
            return tx.use_fault(fault_id)

    def clear_faults(self) -> None:
        with self._changing() as tx:
            tx.clear_faults()

    def rate_incr(self, key: str, now: float, expiry: float, amount: int) -> int:
        with self.store.transaction() as tx:
            return tx.rate_incr(key, now, expiry, amount)

    def rate_window(self, key: str, now: float) -> tuple[int, float] | None:
        return self.store.read().rate_window(key, now)

    def rate_clear(self, key: str | None = None) -> int:
        with self.store.transaction() as tx:
            return tx.rate_clear(key)

    def rate_atomic(self) -> contextlib.AbstractContextManager[object]:
        # One write transaction: the counter calls inside it join it, so no other process counts between
        # this call's test and its hit.
        return self.store.transaction()

    def forget(self) -> None:
        with self._changing() as tx:
            tx.forget_server_state()
