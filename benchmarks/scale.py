"""Scale: create latency with 1k, 100k and 1M site users stored; regenerate time; whole contract suite time.

    .venv/bin/python -m benchmarks.scale [--sizes 1000 100000 1000000] [--calls 1000] [--skip-contract]

The database is filled straight through the store's schema (one SQLite transaction of plain INSERTs into
the `records` table that `mockserver/storage/schema.py` defines), grown from one size to the next. At
each size a fresh app (`create_app`, rate limits off) on that file takes `calls` new creates and `calls`
repeats of stored external_ids, in-process through httpx's WSGITransport so the network does not blur
the figure.
Flat latency means the idempotency lookup uses the primary key's index; the query plan is printed too.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import sqlite3
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.drills.common import SITE_USERS, TOKEN_PATH, reproduce
from benchmarks.servers import BIN, ROOT
from mockserver import MockConfig, create_app
from mockserver.runtime import EXTENSION, Runtime
from mockserver.seed import DEFAULT_APP_ID, DEFAULT_APP_SECRET, WEBSITE_ID
from mockserver.storage.sqlite import SQLiteStore

TENANT = "sandbox"
LOOKUP = (
    "SELECT fields FROM records WHERE tenant_key = ? AND kind = 'site_user' AND parent_id = ?"
    " AND record_key = ?"
)


def fill(db: Path, start: int, stop: int) -> float:
    """Stores site users `fill-{start}` .. `fill-{stop - 1}` in one transaction; answers the seconds taken."""
    SQLiteStore(db).close()  # the schema, from the store's one definition
    began = time.perf_counter()
    rows = (
        (
            TENANT,
            WEBSITE_ID,
            f"fill-{i}",
            str(10**18 + i),
            json.dumps({"external_id": f"fill-{i}", "user_id": str(10**18 + i), "name": "filled"}),
            float(i),
        )
        for i in range(start, stop)
    )
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA synchronous = OFF")  # a bulk load; the server's own writes stay NORMAL
        with conn:
            conn.executemany(
                "INSERT INTO records (tenant_key, kind, parent_kind, parent_id, record_key, record_id,"
                " fields, created_at) VALUES (?, 'site_user', 'website', ?, ?, ?, ?, ?)",
                rows,
            )
    return time.perf_counter() - began


def query_plan(db: Path) -> str:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        rows = conn.execute("EXPLAIN QUERY PLAN " + LOOKUP, (TENANT, WEBSITE_ID, "x")).fetchall()
    return "; ".join(str(row[-1]) for row in rows)


@dataclass(frozen=True)
class Latency:
    p50_ms: float
    p99_ms: float
    per_s: float

    @classmethod
    def of(cls, seconds: list[float]) -> Latency:
        ordered = sorted(seconds)
        p99 = ordered[min(len(ordered) - 1, round(0.99 * len(ordered)))]
        return cls(statistics.median(ordered) * 1000, p99 * 1000, len(ordered) / sum(ordered))


@contextlib.contextmanager
def in_process(db: Path) -> Iterator[httpx.Client]:
    app = create_app(MockConfig(db_path=db, rate_limits=False))
    try:
        with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://feishu.mock") as client:
            yield client
    finally:
        runtime: Runtime = app.extensions[EXTENSION]
        runtime.close()


def time_creates(db: Path, stored: int, calls: int, rng: random.Random) -> tuple[Latency, Latency]:
    """(new creates, repeats of stored external_ids): each call timed alone, every answer checked."""
    with in_process(db) as client:
        answer = client.post(TOKEN_PATH, json={"app_id": DEFAULT_APP_ID, "app_secret": DEFAULT_APP_SECRET})
        headers = {"Authorization": f"Bearer {answer.json()['tenant_access_token']}"}
        runs: dict[str, list[float]] = {"new": [], "repeat": []}
        for kind, times in runs.items():
            for n in range(calls):
                if kind == "new":
                    external_id = f"new-{stored}-{n}-{rng.getrandbits(32)}"
                else:
                    external_id = f"fill-{rng.randrange(stored)}"
                began = time.perf_counter()
                r = client.post(SITE_USERS, json={"external_id": external_id, "name": "n"}, headers=headers)
                times.append(time.perf_counter() - began)
                if r.json()["code"] != 0:
                    raise RuntimeError(f"create failed at {stored} stored: {r.text}")
    return Latency.of(runs["new"]), Latency.of(runs["repeat"])


def timed(argv: list[str], env: dict[str, str] | None = None, timeout: float = 1800) -> tuple[float, str]:
    began = time.perf_counter()
    done = subprocess.run(
        argv, cwd=ROOT, capture_output=True, text=True, env=env, timeout=timeout, check=False
    )
    lines = (done.stdout + done.stderr).strip().splitlines()
    return time.perf_counter() - began, f"exit {done.returncode}: {lines[-1] if lines else ''}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000, 1_000_000])
    parser.add_argument("--calls", type=int, default=1000, help="timed creates per size and kind")
    parser.add_argument("--skip-contract", action="store_true", help="leave out the contract suite's time")
    args = parser.parse_args()
    rng = random.Random(0)
    rows: list[tuple[int, float, Latency, Latency]] = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        db = Path(tmp) / "mock.db"
        stored = 0
        for size in sorted(args.sizes):
            fill_s = fill(db, stored, size)
            stored = size
            with contextlib.closing(sqlite3.connect(db)) as conn:
                stored_now: int = conn.execute("SELECT count(*) FROM records").fetchone()[0]
            new, repeat = time_creates(db, stored, args.calls, rng)
            rows.append((stored_now, fill_s, new, repeat))
        plan = query_plan(db)
        generate_s, generate_out = timed(
            [str(BIN / "feishu-hire"), "generate", "--target", str(Path(tmp) / "gen")]
        )
    check_s, check_out = timed([str(BIN / "feishu-hire"), "generate", "--check"])

    print(f"POST site_users in-process (WSGITransport), {args.calls} calls per kind, rate limits off")
    columns = ("new p50", "new p99", "new/s", "rep p50", "rep p99", "rep/s")
    print(f"{'stored':>10}{'fill s':>8}" + "".join(f"{c:>9}" for c in columns))
    for stored_now, fill_s, new, rep in rows:
        print(
            f"{stored_now:>10}{fill_s:>8.1f}{new.p50_ms:>9.2f}{new.p99_ms:>9.2f}{new.per_s:>9.0f}"
            f"{rep.p50_ms:>9.2f}{rep.p99_ms:>9.2f}{rep.per_s:>9.0f}"
        )
    first, last = rows[0], rows[-1]
    print(
        f"p50 at {last[0]} vs {first[0]} stored: new {last[2].p50_ms / first[2].p50_ms:.2f}x, "
        f"repeat {last[3].p50_ms / first[3].p50_ms:.2f}x"
    )
    print(f"lookup plan: {plan}")
    print(f"\nfeishu-hire generate --target TMP: {generate_s:.1f} s ({generate_out})")
    print(f"feishu-hire generate --check: {check_s:.1f} s ({check_out})")
    if not args.skip_contract:
        contract_s, contract_out = timed(
            [str(BIN / "pytest"), "contract_tests", "-q", "-p", "no:cacheprovider"],
            env={**os.environ, "CI": "true"},
        )
        print(f"CI=true .venv/bin/pytest contract_tests -q: {contract_s:.1f} s ({contract_out})")
    print(f"reproduce: {reproduce('benchmarks.scale')}")


if __name__ == "__main__":
    main()
