"""Console responsiveness: each console and journal request with 1,000 and with 100,000 journal entries,
side by side, and each filter with its index and without (the same statement, `NOT INDEXED`).

    .venv/bin/python -m benchmarks.console [--sizes 1000 100000] [--rounds 15] [--hot-path-calls 300]
        [--index-entries 20000]

The journal is filled straight through the store's own query (`Queries.insert_journal_entries`, one
transaction), entries shaped like real ones (two tenants, the four operations, a rare code, bodies of a few
hundred bytes). Each request goes in-process through httpx's WSGITransport (no network), the admin's view
from loopback and a partner's through its login; the figure is the median of `rounds`. Flat times from
1,000 to 100,000 entries mean a page reads the newest entries only and the filters use their indexes;
the `NOT INDEXED` column shows what a filter costs when it has to read the whole journal.

Then what the journal's indexes cost an insert (the store's statement alone, side by side, with these
indexes, with the earlier single-column ones, with none). Last, what the journal costs a call:
site_users creates in-process on two apps side by side, one journaling as served, one whose journal
records nothing, rounds interleaved, median per call.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from benchmarks.drills.common import SITE_USERS, TOKEN_PATH, reproduce
from mockserver import MockConfig, create_app
from mockserver.journal import COUNT_CAP, JournalFilter
from mockserver.runtime import EXTENSION, Runtime
from mockserver.seed import DEFAULT_APP_ID, DEFAULT_APP_SECRET, OTHER_APP_ID
from mockserver.storage.queries import JournalInsert, Queries
from mockserver.storage.sqlite import JOURNAL_SCHEMA

OPERATIONS = (
    "create_website_site_user",
    "create_talent_external_info",
    "batch_update_job_manager",
    "tenant_access_token_internal",
)
RARE_CODE = 1002619  # one entry in 1,000
FIRST = 1_790_000_000.0  # the time of entry 0; one entry each 10 ms
UNTIL = FIRST + 200 * 0.01  # the oldest 200 entries
# UNTIL as the console's form sends it (a datetime-local value, the host's local time).
UNTIL_LOCAL = datetime.fromtimestamp(UNTIL).isoformat(timespec="seconds")
BODY = json.dumps({"external_id": "6960663240925956621", "name": "张敏", "email": "zhangmin@163.com"})
ANSWER = json.dumps({"code": 0, "msg": "ok", "data": {"site_user": {"user_id": "7" * 19, "name": "张敏"}}})


def entry(n: int) -> dict[str, Any]:
    tenant, app_id = ("sandbox", DEFAULT_APP_ID) if n % 3 else ("sandbox-other", OTHER_APP_ID)
    code = RARE_CODE if n % 1000 == 999 else (1002002 if n % 10 == 9 else 0)
    return {
        "tenant_key": tenant,
        "app_id": app_id,
        "operation": OPERATIONS[n % len(OPERATIONS)],
        "method": "POST",
        "path": "/open-apis/hire/v1/websites/1618209327096/site_users",
        "query": "",
        "status": 200 if code == 0 else 400,
        "code": code,
        "log_id": f"20261129000000{n:020X}",
        "time": FIRST + n * 0.01,
        "duration_ms": 1.5,
        "request_headers": {"Content-Type": "application/json", "Authorization": "Bearer t-abcd***"},
        "request_body": BODY,
        "response_headers": {"Content-Type": "application/json; charset=utf-8"},
        "response_body": ANSWER,
    }


def fill(runtime: Runtime, start: int, stop: int) -> None:
    with runtime.store.transaction() as queries:
        queries.insert_journal_entries(JournalInsert.of([entry(n) for n in range(start, stop)]))


def median_ms(call: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def partner(app: Any) -> httpx.Client:
    """A client logged in to the console with the seed's first app, from off loopback."""
    client = httpx.Client(
        transport=httpx.WSGITransport(app=app, remote_addr="203.0.113.9"), base_url="http://bench"
    )
    page = client.get("/mock-ui/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    form = {
        "csrf_token": token.group(1),
        "as": "app",
        "app_id": DEFAULT_APP_ID,
        "app_secret": DEFAULT_APP_SECRET,
    }
    assert client.post("/mock-ui/login", data=form).status_code == 303
    return client


def requests_at(size: int, admin: httpx.Client, other: httpx.Client) -> dict[str, Callable[[], object]]:
    since = FIRST + (size - 200) * 0.01  # the newest 200 entries
    until = UNTIL
    newest = size  # ids start at 1

    def get(client: httpx.Client, path: str, **params: object) -> Callable[[], object]:
        def call() -> object:
            r = client.get(path, params=params)  # type: ignore[arg-type]
            assert r.status_code == 200, (path, r.status_code)
            return r

        return call

    return {
        "console page (admin)": get(admin, "/mock-ui/"),
        "live journal, 50 newest (admin)": get(admin, "/mock-ui/journal"),
        "live journal, 50 newest (partner)": get(other, "/mock-ui/journal"),
        "journal by operation": get(admin, "/mock-ui/journal", operation="batch_update_job_manager"),
        "journal by rare code": get(admin, "/mock-ui/journal", code=str(RARE_CODE)),
        "journal by app (partner)": get(other, "/mock-ui/journal", app_id=DEFAULT_APP_ID),
        "journal since (newest 200)": get(admin, "/mock-api/requests", since=since, limit=50),
        "journal until (oldest 200)": get(admin, "/mock-api/requests", until=until, limit=50),
        "journal until, partner (oldest 200)": get(other, "/mock-ui/journal", until=UNTIL_LOCAL),
        "a page from the middle (before)": get(admin, "/mock-api/requests", before=size // 2, limit=50),
        "one entry, side by side": get(admin, f"/mock-ui/journal/{newest}"),
        "GET /mock-api/requests (100)": get(admin, "/mock-api/requests"),
        "count by operation and code": get(
            admin, "/mock-api/requests/count", operation="create_website_site_user", code=0
        ),
        "count by rare code": get(admin, "/mock-api/requests/count", code=RARE_CODE),
        "count of every entry (stops at the cap)": get(admin, "/mock-api/requests/count"),
    }


# Filters timed with their index and with `NOT INDEXED` (the same statement reading the whole journal):
# a page of 50, and the count of operation and code (which stops at COUNT_CAP).
FILTERS: dict[str, JournalFilter] = {
    "operation": JournalFilter(operation="batch_update_job_manager"),
    "rare code": JournalFilter(code=RARE_CODE),
    "tenant + app": JournalFilter(tenant_key="sandbox", app_id=DEFAULT_APP_ID),
    "until (oldest 200)": JournalFilter(until=UNTIL),
}
COUNTED = JournalFilter(operation="create_website_site_user", code=0)


def _fetch(conn: Any, sql: str, params: dict[str, Any]) -> list[Any]:
    rows: list[Any] = conn.execute(sql, params).fetchall()
    return rows


def filter_times(runtime: Runtime, rounds: int) -> dict[str, tuple[float, float]]:
    conn: Any = runtime.store.read().conn
    found = {}
    statements = {
        **{name: Queries.journal_select(w.to_params(), 50, bodies=False) for name, w in FILTERS.items()},
        "count, operation and code": Queries.journal_count_select(COUNTED.to_params(), COUNT_CAP + 1),
    }
    for name, (sql, params) in statements.items():
        unindexed = sql.replace("FROM journal", "FROM journal NOT INDEXED")
        found[name] = (
            median_ms(functools.partial(_fetch, conn, sql, params), rounds),
            median_ms(functools.partial(_fetch, conn, unindexed, params), rounds),
        )
    return found


# The indexes the journal had before its reads went by (time, id): one column each, then the id.
EARLIER_INDEXES = (
    f"CREATE INDEX {JOURNAL_SCHEMA}.e_tenant ON journal (tenant_key, id)",
    f"CREATE INDEX {JOURNAL_SCHEMA}.e_operation ON journal (operation, id)",
    f"CREATE INDEX {JOURNAL_SCHEMA}.e_app ON journal (app_id, id)",
    f"CREATE INDEX {JOURNAL_SCHEMA}.e_status ON journal (status, id)",
    f"CREATE INDEX {JOURNAL_SCHEMA}.e_code ON journal (code, id)",
    f"CREATE INDEX {JOURNAL_SCHEMA}.e_time ON journal (time)",
)


def index_cost(folder: Path, entries: int, rounds: int) -> dict[str, float]:
    """Median microseconds per journal insert (the store's own statement, one transaction of `entries`)
    into a journal that already holds `entries`, with its indexes, with the earlier ones, with none."""
    stores: dict[str, Any] = {}
    for name in ("these indexes", "the earlier indexes", "no index"):
        store = create_app(MockConfig(db_path=folder / f"{name}.db")).extensions[EXTENSION].store
        if name != "these indexes":
            conn = store.connection()
            for (index,) in conn.execute(
                f"SELECT name FROM {JOURNAL_SCHEMA}.sqlite_master WHERE type = 'index'"
                " AND tbl_name = 'journal' AND sql IS NOT NULL"
            ).fetchall():
                conn.execute(f"DROP INDEX {JOURNAL_SCHEMA}.{index}")
            for statement in EARLIER_INDEXES if name == "the earlier indexes" else ():
                conn.execute(statement)
        stores[name] = store
    per_entry: dict[str, list[float]] = {name: [] for name in stores}
    for r in range(rounds + 1):
        for name, store in stores.items():
            began = time.perf_counter()
            with store.transaction() as queries:
                for n in range(r * entries, (r + 1) * entries):
                    queries.insert_journal_entries(JournalInsert.of([entry(n)]))
            if r:  # the first round fills the journal
                per_entry[name].append((time.perf_counter() - began) / entries * 1e6)
    for store in stores.values():
        store.close()
    return {name: statistics.median(times) for name, times in per_entry.items()}


def journal_cost(folder: Path, calls: int, rounds: int) -> tuple[float, float]:
    """Median microseconds per create: (with the journal, with a journal that records nothing)."""
    clients = []
    for name in ("journaled", "bare"):
        app = create_app(MockConfig(db_path=folder / f"{name}.db", rate_limits=False))
        if name == "bare":
            runtime: Runtime = app.extensions[EXTENSION]
            runtime.journal.record = lambda entry: None  # type: ignore[method-assign]
        client = httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://bench")
        answer = client.post(TOKEN_PATH, json={"app_id": DEFAULT_APP_ID, "app_secret": DEFAULT_APP_SECRET})
        client.headers["Authorization"] = f"Bearer {answer.json()['tenant_access_token']}"
        clients.append((app, client))
    per_call: dict[int, list[float]] = {0: [], 1: []}
    for r in range(rounds):
        for i, (_, client) in enumerate(clients):
            began = time.perf_counter()
            for n in range(calls):
                body = {"external_id": f"{r}-{n}", "name": "张敏"}
                assert client.post(SITE_USERS, json=body).status_code == 200
            per_call[i].append((time.perf_counter() - began) / calls * 1e6)
    for app, client in clients:
        client.close()
        runtime = app.extensions[EXTENSION]
        runtime.close()
    return statistics.median(per_call[0]), statistics.median(per_call[1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.console", description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--hot-path-calls", type=int, default=300)
    parser.add_argument("--index-entries", type=int, default=20_000)
    args = parser.parse_args(argv)
    sizes = sorted(args.sizes)
    results: dict[int, dict[str, float]] = {}
    filters: dict[int, dict[str, tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="feishu-console-bench-") as folder:
        app = create_app(MockConfig(db_path=Path(folder) / "mock.db", rate_limits=False))
        runtime: Runtime = app.extensions[EXTENSION]
        runtime.journal.retention = max(sizes)  # keep every entry this benchmark writes
        admin = httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://bench")
        other = partner(app)
        filled = 0
        for size in sizes:
            began = time.perf_counter()
            fill(runtime, filled + 1, size + 1)
            print(
                f"filled the journal to {size:,} entries in {time.perf_counter() - began:.1f} s", flush=True
            )
            filled = size
            calls = requests_at(size, admin, other)
            for call in calls.values():
                call()  # warm up: connections, templates, the page cache
            results[size] = {name: median_ms(call, args.rounds) for name, call in calls.items()}
            filters[size] = filter_times(runtime, args.rounds)
        admin.close()
        other.close()
        runtime.close()
        journaled, bare = journal_cost(Path(folder), args.hot_path_calls, 7)
        inserts = index_cost(Path(folder), args.index_entries, 7)
    small, big = sizes[0], sizes[-1]
    print(f"\nmedian of {args.rounds} rounds, ms (in-process, no network; a shared, loaded machine)")
    print(f"| request | {small:,} entries | {big:,} entries | ratio |")
    print("| --- | --- | --- | --- |")
    for name in results[small]:
        a, b = results[small][name], results[big][name]
        print(f"| {name} | {a:.2f} | {b:.2f} | {b / a:.2f}x |")
    print(f"\nfilter statements alone at {big:,} entries, ms: with the index vs NOT INDEXED")
    print("| filter | index | NOT INDEXED | ratio |")
    print("| --- | --- | --- | --- |")
    for name, (indexed, unindexed) in filters[big].items():
        print(f"| {name} | {indexed:.3f} | {unindexed:.3f} | {unindexed / indexed:.0f}x |")
    print(f"\na site_users create in-process, median of 7 rounds of {args.hot_path_calls}, us per call:")
    print(f"with the journal {journaled:.0f}, without {bare:.0f}: {journaled / bare:.2f}x")
    print(f"\na journal insert into {args.index_entries:,} entries, median of 7 rounds, us per insert:")
    for name, micros in inserts.items():
        print(f"{name} {micros:.1f} ({micros / inserts['no index']:.2f}x no index)")
    print(f"\nreproduce: {reproduce('benchmarks.console', argv)}")


if __name__ == "__main__":
    main()
