"""The mock's data in SQLite (WAL): the schema, in this one place, and every query.

Rules a race could break live in the database: one site user per (tenant, website, external_id) is the
primary key, written with INSERT ... ON CONFLICT DO NOTHING; a job's in-flight marker is taken with a
conditional UPDATE. Every write runs in a transaction, so a failure leaves nothing half-written.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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
)
"""

TABLES = ("apps", "tokens", "users", "websites", "site_users", "talents", "jobs")
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
        self.conn.execute("DELETE FROM tokens WHERE expires_at < ?", (expired_before,))

    def token(self, token: str) -> dict[str, Any] | None:
        return _row(self.conn.execute("SELECT * FROM tokens WHERE token = ?", (token,)).fetchone())

    # -- resources
    def exists(self, kind: str, tenant_key: str, resource_id: str) -> bool:
        table, column = RESOURCES[kind]
        found = self.conn.execute(
            f"SELECT 1 FROM {table} WHERE tenant_key = ? AND {column} = ?", (tenant_key, resource_id)
        ).fetchone()
        return found is not None

    def insert_site_user_if_absent(self, tenant_key: str, website_id: str, user: Mapping[str, Any]) -> None:
        self.conn.execute(
            "INSERT INTO site_users (tenant_key, website_id, external_id, user_id, name, email, mobile,"
            " mobile_country_code, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
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

    # -- seeding and the control plane
    def wipe(self) -> None:
        for table in TABLES:
            self.conn.execute(f"DELETE FROM {table}")

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


class Store:
    """One SQLite database; a connection per thread, each transaction BEGIN IMMEDIATE (writers queue)."""

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
        conn = self._connection()
        conn.execute("PRAGMA journal_mode = WAL")
        with self.transaction() as tx:
            for statement in SCHEMA.split(";"):  # no ";" inside the schema's comments
                if statement.strip():
                    tx.conn.execute(statement)

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            # check_same_thread=False only so close() can close every thread's connection.
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            # NORMAL in WAL mode: a committed transaction survives a killed process (not a power cut).
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA busy_timeout = 30000")
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[Tx]:
        """One transaction; writers take the write lock up front (no upgrade deadlocks), readers do not."""
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            yield Tx(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def reset(self, seed: Mapping[str, Any]) -> None:
        with self.transaction() as tx:
            tx.wipe()
            tx.apply_seed(seed, replace=True)

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)
