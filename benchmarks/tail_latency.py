"""The mock's latency tail at c=8, and how the connections spread over its worker processes.

    .venv/bin/python -m benchmarks.tail_latency [--rounds 4] [--seconds 8] [--mock-args "--workers 2"]
        [--engine sqlite|postgres] [--against DIR | --against-python PYTHON]

wrk POSTs site_users with a unique external_id at c=8 to a fresh `feishu-hire serve` for `--seconds`,
after a 1 s warm-up (on connections of its own, closed before the run). Each run prints
req/s, the latency's 50th, 90th, 99th and 99.9th percentiles, and how many of the run's connections each
worker process held halfway through (read from /proc: Linux). The mock alone: `benchmarks.load` sets
it beside Prism; this is for finding what the tail is made of. `--engine`, `--against DIR` (a second source
tree) and `--against-python PYTHON` (this checkout on another interpreter) are as in
`benchmarks.cpu_per_create`: the two sides run in turn, round by round, so a machine whose speed drifts
weighs on both alike.
"""

from __future__ import annotations

import argparse
import statistics
import threading

from benchmarks import engines, servers, sides, wrk
from benchmarks.drills.common import reproduce
from benchmarks.load import WEBSITE_ID

CONNECTIONS = 8


def measure(
    side: sides.Side, mock_args: list[str], shared: engines.Engines | None, seconds: float
) -> tuple[wrk.LoadResult, list[int]]:
    """One fresh server of `side` on a new store (`sides.fresh_mock`): wrk's result, and the connections each
    worker held halfway through the run, fewest first."""
    with sides.fresh_mock(side, mock_args, shared) as (server, token):
        supervisor = server.process.pid
        held: dict[int, int] = {}

        def look() -> None:
            workers = [pid for pid in servers.live_process_group(supervisor) if pid != supervisor]
            held.update(servers.established_connections(server.port, workers or [supervisor]))

        halfway = threading.Timer(seconds / 2, look)
        halfway.start()
        result = wrk.run(
            server.base_url, connections=CONNECTIONS, seconds=seconds, token=token, website_id=WEBSITE_ID,
            prefix=f"run-{server.port}",
        )  # fmt: skip
        halfway.join()
    return result, sorted(held.values())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sides.add_arguments(parser, rounds=4, seconds=8)
    args = parser.parse_args()
    chosen = sides.chosen(args)
    runs: dict[str, list[wrk.LoadResult]] = {name: [] for name in chosen}
    print(
        f"POST site_users, c={CONNECTIONS}, {args.seconds:g} s runs, on {args.engine},"
        f" serve {args.mock_args or '(no flags)'}"
    )
    sides.describe(chosen)
    print(
        f"{'':8} {'':8} {'req/s':>8} {'p50':>7} {'p90':>7} {'p99':>7} {'p99.9':>7} ms  connections per worker"
    )
    with sides.engines_for(args.engine) as shared:
        for round_no, name, side in sides.interleaved(chosen, args.rounds):
            result, held = measure(side, args.mock_args.split(), shared, args.seconds)
            runs[name].append(result)
            print(
                f"round {round_no:<2} {name:8} {result.requests_per_s:8.0f} {result.p50_ms:7.2f}"
                f" {result.p90_ms:7.2f} {result.p99_ms:7.2f} {result.p999_ms:7.2f}"
                f"     {'/'.join(map(str, held))}"
            )
    for name, results in runs.items():
        med = {
            field: statistics.median(getattr(r, field) for r in results)
            for field in ("requests_per_s", "p50_ms", "p90_ms", "p99_ms", "p999_ms")
        }
        p99s = [r.p99_ms for r in results]
        print(
            f"{name:8} medians: {med['requests_per_s']:.0f} req/s, p50 {med['p50_ms']:.2f}, p90"
            f" {med['p90_ms']:.2f}, p99 {med['p99_ms']:.2f} ({min(p99s):.2f}-{max(p99s):.2f}), p99.9"
            f" {med['p999_ms']:.2f} ms"
        )
    print("reproduce:", reproduce("benchmarks.tail_latency"))


if __name__ == "__main__":
    main()
