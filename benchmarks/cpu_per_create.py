"""Server CPU time per create: what one POST site_users costs the mock's own processes.

    .venv/bin/python -m benchmarks.cpu_per_create [--rounds 2] [--seconds 4] [--mock-args "--workers 1"]
        [--engine sqlite|postgres] [--against DIR | --against-python PYTHON]

wrk POSTs site_users with a unique external_id at c=8 to a fresh `feishu-hire serve` for `--seconds`,
after a 1 s warm-up: on a new SQLite file with rate limits off, or (`--engine postgres`) on a new
PostgreSQL database with Redis counting the windows, limits scaled so that none refuses. The CPU time of
the server's processes (its workers included, read from /proc) over the run is divided by the creates
answered; on PostgreSQL that leaves out the engines' own. A machine whose speed drifts makes one such
figure say little: `--against DIR` runs a second source tree (another commit checked out there, put
first on PYTHONPATH), or `--against-python PYTHON` this checkout on another interpreter (in a venv of
uv.lock made for it under .venvs/), in turn with this one, round by round, on the same flags, so the
two compare.
"""

from __future__ import annotations

import argparse
import os
import statistics

from benchmarks import engines, servers, sides, wrk
from benchmarks.drills.common import reproduce
from benchmarks.load import WEBSITE_ID

CONNECTIONS = 8


def process_group_cpu_seconds(pgid: int) -> float:
    """User and system CPU time of the processes of process group `pgid`, in seconds."""
    ticks = sum(int(f[11]) + int(f[12]) for f in servers.process_group(pgid).values())  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def measure(
    side: sides.Side, mock_args: list[str], shared: engines.Engines | None, seconds: float
) -> tuple[float, float]:
    """(req/s, server CPU µs per create) of one fresh server of `side` on a new store (`sides.fresh_mock`)."""
    with sides.fresh_mock(side, mock_args, shared) as (server, token):
        before = process_group_cpu_seconds(server.process.pid)
        result = wrk.run(
            server.base_url, connections=CONNECTIONS, seconds=seconds, token=token, website_id=WEBSITE_ID,
            prefix=f"run-{server.port}",
        )  # fmt: skip
        used = process_group_cpu_seconds(server.process.pid) - before
    return result.requests_per_s, used / result.requests * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sides.add_arguments(parser, rounds=2, seconds=4)
    args = parser.parse_args()
    chosen = sides.chosen(args)
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in chosen}
    print(
        f"POST site_users, c={CONNECTIONS}, {args.seconds:g} s runs, on {args.engine},"
        f" serve {args.mock_args or '(no flags)'}"
    )
    sides.describe(chosen)
    with sides.engines_for(args.engine) as shared:
        for round_no, name, side in sides.interleaved(chosen, args.rounds):
            rate, cpu = measure(side, args.mock_args.split(), shared, args.seconds)
            runs[name].append((rate, cpu))
            print(f"round {round_no}  {name:8} {rate:8.0f} req/s  {cpu:7.1f} µs of server CPU a create")
    for name, results in runs.items():
        rates, cpus = zip(*results, strict=True)
        print(
            f"{name:8} median {statistics.median(rates):.0f} req/s, {statistics.median(cpus):.1f} µs a create"
            f" (CPU {min(cpus):.0f}-{max(cpus):.0f} µs)"
        )
    print("reproduce:", reproduce("benchmarks.cpu_per_create"))


if __name__ == "__main__":
    main()
