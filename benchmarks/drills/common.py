"""What the drills share: mock servers on the same database, tokens, site-user creates and the database
read straight from SQLite (the store's schema), so a drill checks the file, not the server's word."""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shlex
import sqlite3
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg

from benchmarks import engines, servers
from benchmarks.hosts import launched
from mockserver.errors import SYSTEM_ERROR
from mockserver.seed import DEFAULT_APP_ID, DEFAULT_APP_SECRET, WEBSITE_ID
from mockserver.storage import is_postgres

TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal"
SITE_USERS = f"/open-apis/hire/v1/websites/{WEBSITE_ID}/site_users"
# How often `token(within=...)` asks again.
TOKEN_RETRY_PAUSE = 0.05


def reproduce(module: str, argv: list[str] | None = None) -> str:
    """The command line that reruns this drill with the same arguments."""
    args = sys.argv[1:] if argv is None else argv
    return shlex.join([".venv/bin/python", "-m", module, *args])


def machine() -> str:
    """The machine a run is made on: its CPU's model name and its cores (a ratio to a peer measured in
    the same run still differs from one CPU to another, so a report names the one it was made on)."""
    try:
        lines = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
    except OSError:
        lines = []
    model = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "")
    return f"{model or platform.processor() or platform.machine()}, {os.cpu_count()} cores"


@contextlib.contextmanager
def mock_servers(
    db: Path | str, count: int, *extra: str, logs: Path | None = None
) -> Iterator[list[servers.Server]]:
    """`count` `feishu-hire serve` processes on the one database `db` (a SQLite file or a PostgreSQL URL),
    each on a free port, started at once."""
    with launched("mock", count, lambda port: servers.mock_argv(port, db, *extra), logs) as started:
        yield started


ENGINES = ("sqlite", "postgres", "postgres-only")


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    """`--engine` (where the servers keep their state) for a drill's command line."""
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="sqlite",
        help="sqlite: servers on one SQLite file; postgres: hosts on one PostgreSQL database and one Redis"
        " (FEISHU_TEST_POSTGRES_URL / FEISHU_TEST_REDIS_URL, or throwaway ones from scripts/services);"
        " postgres-only: the hosts without Redis, their rate-limit windows in PostgreSQL",
    )


@contextlib.contextmanager
def sandbox(
    engine: str, tmp: Path, count: int, *extra: str, logs: Path | None = None
) -> Iterator[tuple[list[servers.Server], Path | str]]:
    """`count` servers of one sandbox (`feishu-hire serve EXTRA`) and their database: on a SQLite file in
    `tmp`, or hosts on a fresh PostgreSQL database with windows in Redis (or, `postgres-only`, in it)."""
    if engine == "sqlite":
        db = tmp / "mock.db"
        with mock_servers(db, count, *extra, logs=logs) as started:
            yield started, db
        return
    with (
        engines.engines() as shared,
        engines.fresh_database(shared.postgres_url) as database,
        engines.fresh_redis(shared.redis_url) as redis_url,
    ):
        windows = () if engine == "postgres-only" else ("--redis", redis_url)
        with mock_servers(database, count, *extra, *windows, logs=logs) as started:
            yield started, database


def token(
    base_url: str, app_id: str = DEFAULT_APP_ID, app_secret: str = DEFAULT_APP_SECRET, *, within: float = 0
) -> str:
    """A tenant token from `base_url` (KeyError when it answers none). `within`: for that many seconds an
    answer of 1002001 is asked again, every `TOKEN_RETRY_PAUSE` s: a host asked while an engine is still
    coming back answers so (the pause after a failed call, `mockserver.storage.postgres`)."""
    deadline = time.monotonic() + within
    while True:
        answer = httpx.post(
            base_url + TOKEN_PATH, json={"app_id": app_id, "app_secret": app_secret}, timeout=10
        )
        found = answer.json()
        if found.get("code") != SYSTEM_ERROR or time.monotonic() >= deadline:
            value: str = found["tenant_access_token"]
            return value
        time.sleep(TOKEN_RETRY_PAUSE)


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


@dataclass(frozen=True)
class Answer:
    """One create's outcome: the envelope's code and user, or None for each when no answer came."""

    external_id: str
    status: int | None
    code: int | None
    user_id: str | None
    name: str | None = None


def create_site_user(client: httpx.Client, headers: Mapping[str, str], body: Mapping[str, Any]) -> Answer:
    """POST site_users; a transport failure (the server died) is an answer of None."""
    external_id = str(body["external_id"])
    try:
        response = client.post(SITE_USERS, json=dict(body), headers=dict(headers))
    except httpx.TransportError:
        return Answer(external_id, None, None, None)
    envelope = response.json()
    user = (envelope.get("data") or {}).get("site_user") or {}
    return Answer(
        external_id, response.status_code, envelope.get("code"), user.get("user_id"), user.get("name")
    )


def read_db(db: Path | str, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """A query (`?` parameters) on the database itself, on a connection of its own: the SQLite file
    (read-only), or the PostgreSQL database of a URL."""
    if is_postgres(db):
        with psycopg.connect(str(db)) as pg:
            return [
                tuple(row)
                for row in pg.execute(query.replace("%", "%%").replace("?", "%s"), params).fetchall()
            ]
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)) as conn:
        return conn.execute(query, params).fetchall()


def integrity_check(db: Path | str) -> str:
    """ "ok" or the problems found: SQLite's `PRAGMA integrity_check`; on PostgreSQL, amcheck's
    `bt_index_check` of every B-tree index of the mock's tables, heap included (each index matches
    the rows of its table)."""
    if not is_postgres(db):
        return "; ".join(str(row[0]) for row in read_db(db, "PRAGMA integrity_check"))
    with psycopg.connect(str(db), autocommit=True) as pg:
        pg.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
        indexes = pg.execute(
            "SELECT c.oid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
            " JOIN pg_am a ON a.oid = c.relam WHERE a.amname = 'btree'"
            " AND c.relnamespace = 'public'::regnamespace"
        ).fetchall()
        problems = []
        for (index,) in indexes:
            try:
                pg.execute("SELECT bt_index_check(%s::regclass, true)", (index,))
            except psycopg.Error as exc:
                problems.append(f"{index}: {exc}")
        return "; ".join(problems) or "ok"


def stored_site_users(db: Path | str) -> dict[str, list[str]]:
    """external_id -> the user_ids stored for it on the default website (one each, if all is well)."""
    found: dict[str, list[str]] = {}
    rows = read_db(
        db,
        "SELECT record_key, record_id FROM records WHERE kind = 'site_user' AND parent_id = ?",
        (WEBSITE_ID,),
    )
    for external_id, user_id in rows:
        found.setdefault(external_id, []).append(user_id)
    return found


def duplicate_user_ids(db: Path | str) -> int:
    rows = read_db(
        db,
        "SELECT count(*) FROM (SELECT record_id FROM records WHERE kind = 'site_user'"
        " GROUP BY record_id HAVING count(*) > 1) AS twice",
    )
    count: int = rows[0][0]
    return count
