"""Throughput and latency of a sandbox on 1, 2 and 3 hosts sharing PostgreSQL and Redis, beside the
SQLite server and Prism, all in one run, at the same concurrency.

    .venv/bin/python -m benchmarks.hosts_load [--seconds 5] [--rounds 3] [--concurrency 8] [--hosts 1 2 3]
        [--workers 2] [--no-sized] [--windows redis|postgresql]

Every request is a real create: POST site_users with a unique external_id (auth, the rate limit, the
injected-fault check, validation from the spec, an insert). Rate limits stay on, scaled so that none
refuses (each call is still counted: in Redis on the PostgreSQL hosts, in the SQLite database on the
SQLite server; `--windows postgresql` runs the hosts without Redis, their windows in PostgreSQL). The
hosts are `feishu-hire serve --workers W --db postgresql://... --redis redis://...`; the SQLite server
is `feishu-hire serve --workers W --db FILE`; Prism is `prism mock spec/hire.yaml`. For N hosts, N wrk
processes run at once, one per host, sharing the connections (8 = 3 + 3 + 2) and the two threads a
single wrk has (one each at least, `wrk.run`): req/s is their sum, and
p50 and p99 the highest of theirs (an upper bound of the whole's: no more than 1 % of all requests can
be slower than every host's own 99th percentile). The N-host runs use the first N hosts of one fleet.
Hosts that share this machine share its cores, so beside the hosts of `--workers` each, the N-host runs
are made again with the hosts sized to their share of the machine, as one would deploy them there: each
its share of the workers one `feishu-hire serve` starts on PostgreSQL by default (the cores and one
more), at least one, where that differs from `--workers` (on 2 cores, one host of 3 workers, 2 and 3
hosts of 1; `--no-sized` leaves these out). Each configuration gets a warm-up run of the same length
first, not reported (Prism's JIT takes seconds to reach its pace). After a first Prism run, each of
`--rounds` rounds runs every other configuration followed by a Prism run (P A P B P ...). A shared
machine's speed drifts from one minute to the next, so each run of a configuration is compared with the
mean of the two Prism runs beside it, seconds apart; its "vs prism" is the median of those flanked
ratios (each round's beside it). The order of a round follows a Williams design: over as many rounds as
there are configurations (twice as many when that count is odd), each configuration follows each other
one equally often within a round, and takes each place of a round equally often, so none always runs
after the same one (whose writes the machine may still be flushing into the Prism run between them). A
row's req/s, p50 and p99 are those of its run of median req/s; Prism's row is its run of median req/s
over all its runs. The report ends with what the servers logged during the measured runs: nothing while
all goes well, else the first lines of each log that says something (a failed answer's cause goes with
the run's temporary folder otherwise). PostgreSQL and Redis are the environment's
(`FEISHU_TEST_POSTGRES_URL`, `FEISHU_TEST_REDIS_URL`) or throwaway ones from `scripts/services`, on the
same machine.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from benchmarks import engines, servers, wrk
from benchmarks.drills.common import machine, read_db, reproduce
from benchmarks.hosts import hosts
from benchmarks.load import fetch_token
from mockserver.cli import default_workers
from mockserver.seed import WEBSITE_ID

# Limits scaled so that none refuses at these rates, while every call is still counted.
RATE_LIMIT_SCALE = "100000"
# Lines of each server's log shown in the report when it logged something during the measured runs.
SHOWN_LOG_LINES = 5


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
    """One wrk per URL at once, the connections shared among them, and wrk's threads (`wrk.run`)."""
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
                    share_of=len(urls),
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


def flanked_ratio(run: Row, prism_before: Row, prism_after: Row) -> float:
    """`run`'s req/s against the mean of the Prism runs just before and just after it."""
    return run.requests_per_s / ((prism_before.requests_per_s + prism_after.requests_per_s) / 2)


def round_order(count: int, turn: int) -> list[int]:
    """The order of `count` configurations in round `turn`: a Williams design, so that over `count`
    rounds (twice as many when `count` is odd) each configuration follows each other one equally often
    within a round, and takes each place of a round equally often."""
    first = [0] + [(k + 1) // 2 if k % 2 else count - k // 2 for k in range(1, count)]
    order = [(i + turn) % count for i in first]
    if count % 2 and turn // count % 2:
        order.reverse()
    return order


def sized_workers(hosts: int) -> int:
    """Workers for each of `hosts` hosts that share this machine's cores: its share of the workers one
    `feishu-hire serve` starts on PostgreSQL by default, at least one (so all of them together start no
    more than one host would, but for the one each)."""
    return max(1, default_workers(postgres=True) // hosts)


def host_name(engines: str, hosts: int, workers: int) -> str:
    return f"{engines}, {hosts} host{'s' * (hosts > 1)} x{workers}"


def median_row(name: str, runs: list[Row]) -> Row:
    """The run of median req/s (its own latencies with it; of an even number of runs, the faster of the
    two middle ones), the failures of all runs."""
    middle = sorted(runs, key=lambda r: r.requests_per_s)[len(runs) // 2]
    return Row(
        name,
        sum(r.requests for r in runs),
        middle.requests_per_s,
        middle.p50_ms,
        middle.p99_ms,
        sum(r.failures for r in runs),
    )


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5, help="length of each run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each configuration, interleaved")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--hosts", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--workers", type=int, default=2, help="`feishu-hire serve --workers` per server")
    parser.add_argument(
        "--no-sized",
        dest="sized",
        action="store_false",
        help="no runs of hosts sized to their share of `serve`'s default",
    )
    parser.add_argument(
        "--windows",
        choices=["redis", "postgresql"],
        default="redis",
        help="where the hosts count rate limits",
    )
    return parser.parse_args()


def main() -> None:
    args = arguments()
    started = time.strftime("%Y-%m-%d %H:%M")
    extra = ("--rate-limit-scale", RATE_LIMIT_SCALE)
    runs: dict[str, list[Row]] = {}
    ratios: dict[str, list[float]] = {}  # each run of a configuration against the Prism runs beside it

    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-hosts-")))
        prism_port, sqlite_port = servers.free_port(), servers.free_port()
        prism = stack.enter_context(servers.running("prism", servers.prism_argv(prism_port), prism_port))
        argv = servers.mock_argv(sqlite_port, tmp / "mock.db", "--workers", str(args.workers), *extra)
        sqlite = stack.enter_context(servers.running("sqlite", argv, sqlite_port, tmp / "sqlite.log"))
        shared = stack.enter_context(engines.engines())
        database = stack.enter_context(engines.fresh_database(shared.postgres_url))
        redis_url = (
            stack.enter_context(engines.fresh_redis(shared.redis_url)) if args.windows == "redis" else None
        )
        hosts_on = "postgres+redis" if redis_url else "postgres"
        # (hosts, workers each) of every PostgreSQL run; the first N hosts of one fleet per worker count.
        shapes = [(n, args.workers) for n in args.hosts]
        if args.sized:
            shapes += [(n, sized_workers(n)) for n in args.hosts if sized_workers(n) != args.workers]
        fleets = {}
        for workers in dict.fromkeys(w for _, w in shapes):
            count = max(n for n, w in shapes if w == workers)
            logs = tmp / f"x{workers}"
            logs.mkdir()
            fleets[workers] = stack.enter_context(
                hosts(database, redis_url, count=count, workers=workers, extra=extra, logs=logs)
            )
        pg_token = fetch_token(fleets[args.workers][0].base_url)
        # (name, urls, token)
        configurations = [
            ("prism", [prism.base_url], "prism-accepts-any-token"),
            ("sqlite, 1 server", [sqlite.base_url], fetch_token(sqlite.base_url)),
        ] + [(host_name(hosts_on, n, w), [s.base_url for s in fleets[w][:n]], pg_token) for n, w in shapes]
        runs.update((name, []) for name, _, _ in configurations)  # reported in this order
        for name, urls, token in configurations:  # a warm-up each, not reported
            load(
                name,
                urls,
                connections=args.concurrency,
                seconds=args.seconds,
                token=token,
                prefix=f"warm-{time.time_ns()}",
            )
        before = read_db(database, "SELECT count(*) FROM records WHERE kind = 'site_user'")[0][0]
        log_sizes = {path: path.stat().st_size for path in sorted(tmp.rglob("*.log"))}

        def measure(name: str, urls: list[str], token: str) -> Row:
            prefix = f"run-{time.time_ns()}"
            row = load(
                name, urls, connections=args.concurrency, seconds=args.seconds, token=token, prefix=prefix
            )
            runs[name].append(row)
            return row

        prism_config, others = configurations[0], configurations[1:]
        prism_before = measure(*prism_config)
        for turn in range(args.rounds):
            for index in round_order(len(others), turn):
                name, urls, token = others[index]
                row = measure(name, urls, token)
                prism_after = measure(*prism_config)
                ratios.setdefault(name, []).append(flanked_ratio(row, prism_before, prism_after))
                prism_before = prism_after
        stored = read_db(database, "SELECT count(*) FROM records WHERE kind = 'site_user'")[0][0] - before
        said = logged_since(log_sizes, tmp)
    report(runs, ratios, args, stored=stored, started=started, said=said)


def logged_since(sizes: dict[Path, int], root: Path) -> dict[str, list[str]]:
    """What each server wrote to its log (`root`/...) past `sizes` (each log's size before the measured
    runs; a log made after them is not read), by its path under `root`: a server logs nothing while all
    goes well (its banner comes first), so these are the warnings and errors of the runs, say a failed
    answer's cause."""
    said = {}
    for path, size in sizes.items():
        with path.open("rb") as log:
            log.seek(size)
            lines = log.read().decode("utf-8", errors="replace").splitlines()
        if lines:
            said[str(path.relative_to(root))] = lines
    return said


def report(
    runs: dict[str, list[Row]],
    ratios: dict[str, list[float]],
    args: argparse.Namespace,
    *,
    stored: int,
    started: str,
    said: dict[str, list[str]],
) -> None:
    """The table; `started`: when the run began (its end is stamped now); `said`: what the servers
    logged during the measured runs (`logged_since`), its first lines shown."""
    rows = [median_row(name, found) for name, found in runs.items()]
    ended = time.strftime("%H:%M")
    print(
        f"\nPOST site_users, c={args.concurrency}, {args.rounds} rounds of {args.seconds:g} s runs"
        f" (each configuration between two Prism runs), wrk on 127.0.0.1 ({started} to {ended})"
    )
    print(
        f"servers: --workers {args.workers} each (postgres: xW, W workers each);"
        f" PostgreSQL, Redis, wrk and the servers share this machine ({machine()})"
    )
    print(
        f"{'server':<32}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'vs prism':>10}{'p99 vs prism':>14}"
        "   each run vs the Prism runs beside it"
    )
    prism_row = rows[0]
    for r in rows:
        flanked = ratios.get(r.name, [1.0])
        print(
            f"{r.name:<32}{r.requests_per_s:>9.0f}{r.p50_ms:>9.2f}{r.p99_ms:>9.2f}"
            f"{statistics.median(flanked):>9.2f}x{r.p99_ms / prism_row.p99_ms:>13.2f}x"
            f"   {' '.join(f'{ratio:.2f}' for ratio in flanked) if r.name in ratios else ''}"
        )
    for r in rows:
        if r.failures:
            print(f"!! {r.name}: {r.failures} non-2xx answers or socket errors")
    answered = sum(r.requests for r in rows if r.name.startswith("postgres"))
    print(
        f"\npostgres hosts: {answered} creates answered, {stored} site users stored"
        " (a create cut off by the end of a run may be stored)"
    )
    if not said:
        print("the servers logged nothing during the measured runs (no warning, no error)")
    for name, lines in said.items():
        print(f"!! {name} logged {len(lines)} lines during the measured runs; the first:")
        for line in lines[:SHOWN_LOG_LINES]:
            print(f"     {line[:200]}")
    print("(each row: the run of median req/s; p50 and p99 of several hosts: the highest of the hosts' own)")
    print(f"reproduce: {reproduce('benchmarks.hosts_load')}")


if __name__ == "__main__":
    main()
