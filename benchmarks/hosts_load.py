"""Throughput and latency of a sandbox on 1, 2 and 3 hosts sharing PostgreSQL and Redis, beside the
SQLite server and Prism, all in one run, at the same concurrency.

    .venv/bin/python -m benchmarks.hosts_load [--seconds 10] [--concurrency 8] [--hosts 1 2 3] [--workers 2]

Every request is a real create: POST site_users with a unique external_id (auth, the rate limit, the
injected-fault check, validation from the spec, an insert). Rate limits stay on, scaled so that none
refuses (each call is still counted: in Redis on the PostgreSQL hosts, in the SQLite database on the
SQLite server). The hosts are `feishu-hire serve --workers W --db postgresql://... --redis redis://...`;
the SQLite server is `feishu-hire serve --workers W --db FILE`; Prism is `prism mock spec/hire.yaml`.
For N hosts, N wrk processes run at once, one per host, sharing the connections (8 = 3 + 3 + 2): req/s
is their sum, and p50 and p99 the highest of theirs (an upper bound of the whole's: no more than 1 % of
all requests can be slower than every host's own 99th percentile). Each configuration gets a 1 s
warm-up first, not reported. PostgreSQL and Redis are the environment's (`FEISHU_TEST_POSTGRES_URL`,
`FEISHU_TEST_REDIS_URL`) or throwaway ones from `scripts/services`, on the same machine.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from benchmarks import engines, servers, wrk
from benchmarks.drills.common import read_db, reproduce
from benchmarks.hosts import hosts
from benchmarks.load import fetch_token
from mockserver.seed import WEBSITE_ID

# Limits scaled so that none refuses at these rates, while every call is still counted.
RATE_LIMIT_SCALE = "100000"


@dataclass(frozen=True)
class Row:
    name: str
    requests: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    failures: int  # non-2xx answers and socket errors


def split(connections: int, parts: int) -> list[int]:
    """`connections` shared by `parts` as evenly as can be (8 over 3: 3, 3, 2)."""
    return [connections // parts + (i < connections % parts) for i in range(parts)]


def load(name: str, urls: list[str], *, connections: int, seconds: float, token: str, prefix: str) -> Row:
    """One wrk per URL at once, the connections shared among them."""
    shares = split(connections, len(urls))
    with ThreadPoolExecutor(max_workers=len(urls)) as pool:
        results = list(
            pool.map(
                lambda i: wrk.run(
                    urls[i],
                    connections=shares[i],
                    seconds=seconds,
                    token=token,
                    website_id=WEBSITE_ID,
                    prefix=f"{prefix}-{i}",
                ),
                range(len(urls)),
            )
        )
    return Row(
        name,
        sum(r.requests for r in results),
        sum(r.requests_per_s for r in results),
        max(r.p50_ms for r in results),
        max(r.p99_ms for r in results),
        sum(r.non_2xx + r.socket_errors for r in results),
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--hosts", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--workers", type=int, default=2, help="`feishu-hire serve --workers` per server")
    args = parser.parse_args()
    extra = ("--rate-limit-scale", RATE_LIMIT_SCALE)
    rows: list[Row] = []
    stored = 0

    def measure(name: str, urls: list[str], token: str) -> Row:
        for seconds, kind in ((1.0, "warm"), (args.seconds, "run")):
            prefix = f"{kind}-{name}-{time.time_ns()}"
            row = load(name, urls, connections=args.concurrency, seconds=seconds, token=token, prefix=prefix)
        if row.failures:
            print(f"!! {name}: {row.failures} non-2xx answers or socket errors")
        return row

    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-hosts-")))
        prism_port = servers.free_port()
        prism = stack.enter_context(servers.running("prism", servers.prism_argv(prism_port), prism_port))
        rows.append(measure("prism", [prism.base_url], "prism-accepts-any-token"))
        sqlite_port = servers.free_port()
        argv = servers.mock_argv(sqlite_port, tmp / "mock.db", "--workers", str(args.workers), *extra)
        with servers.running("sqlite", argv, sqlite_port, tmp / "sqlite.log") as sqlite:
            rows.append(measure("sqlite, 1 server", [sqlite.base_url], fetch_token(sqlite.base_url)))
        shared = stack.enter_context(engines.engines())
        for count in args.hosts:
            with (
                engines.fresh_database(shared.postgres_url) as database,
                engines.fresh_redis(shared.redis_url) as redis_url,
                hosts(database, redis_url, count=count, workers=args.workers, extra=extra, logs=tmp) as fleet,
            ):
                urls = [s.base_url for s in fleet]
                rows.append(
                    measure(f"postgres+redis, {count} host{'s' * (count > 1)}", urls, fetch_token(urls[0]))
                )
                stored += read_db(database, "SELECT count(*) FROM site_users")[0][0]

    when = time.strftime("%Y-%m-%d %H:%M")
    print(f"\nPOST site_users, c={args.concurrency}, {args.seconds:g} s per run, wrk on 127.0.0.1 ({when})")
    print(
        f"servers: --workers {args.workers} each; PostgreSQL, Redis, wrk and the servers share this machine"
    )
    print(f"{'server':<26}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'vs prism':>10}{'p99 vs prism':>14}")
    prism_row = rows[0]
    for r in rows:
        ratio = r.requests_per_s / prism_row.requests_per_s
        print(
            f"{r.name:<26}{r.requests_per_s:>9.0f}{r.p50_ms:>9.2f}{r.p99_ms:>9.2f}"
            f"{ratio:>9.2f}x{r.p99_ms / prism_row.p99_ms:>13.2f}x"
        )
    answered = sum(r.requests for r in rows if r.name.startswith("postgres"))
    print(
        f"\npostgres hosts: {answered} creates answered (runs),"
        f" {stored} site users stored (warm-ups included)"
    )
    print("(p50 and p99 of several hosts: the highest of the hosts' own, an upper bound)")
    print(f"reproduce: {reproduce('benchmarks.hosts_load')}")


if __name__ == "__main__":
    main()
