"""What the drills share: mock servers on the same database, tokens, site-user creates and the database
read straight from SQLite (the store's schema), so a drill checks the file, not the server's word."""

from __future__ import annotations

import contextlib
import shlex
import sqlite3
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from benchmarks import servers
from mockserver.seed import DEFAULT_APP_ID, DEFAULT_APP_SECRET, WEBSITE_ID

TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal"
SITE_USERS = f"/open-apis/hire/v1/websites/{WEBSITE_ID}/site_users"


def reproduce(module: str, argv: list[str] | None = None) -> str:
    """The command line that reruns this drill with the same arguments."""
    args = sys.argv[1:] if argv is None else argv
    return shlex.join([".venv/bin/python", "-m", module, *args])


@contextlib.contextmanager
def mock_servers(
    db: Path, count: int, *extra: str, logs: Path | None = None
) -> Iterator[list[servers.Server]]:
    """`count` `feishu-hire serve` processes on the one database `db`, each on a free port."""
    with contextlib.ExitStack() as stack:
        started = []
        for i in range(count):
            port = servers.free_port()
            log = None if logs is None else logs / f"mock-{i}.log"
            argv = servers.mock_argv(port, db, *extra)
            started.append(stack.enter_context(servers.running(f"mock-{i}", argv, port, log)))
        yield started


def token(base_url: str, app_id: str = DEFAULT_APP_ID, app_secret: str = DEFAULT_APP_SECRET) -> str:
    answer = httpx.post(base_url + TOKEN_PATH, json={"app_id": app_id, "app_secret": app_secret}, timeout=10)
    value: str = answer.json()["tenant_access_token"]
    return value


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


def read_db(db: Path, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """A query on the database file itself, on a connection of its own (read-only)."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)) as conn:
        return conn.execute(query, params).fetchall()


def integrity_check(db: Path) -> str:
    """`PRAGMA integrity_check`'s verdict: "ok" or the problems it lists."""
    return "; ".join(str(row[0]) for row in read_db(db, "PRAGMA integrity_check"))


def stored_site_users(db: Path) -> dict[str, list[str]]:
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


def duplicate_user_ids(db: Path) -> int:
    rows = read_db(
        db,
        "SELECT count(*) FROM (SELECT record_id FROM records WHERE kind = 'site_user'"
        " GROUP BY record_id HAVING count(*) > 1)",
    )
    count: int = rows[0][0]
    return count
