"""Seconds from the README's first command to an answered request, warm (the environment exists), beside
Prism's start on the same spec, in one run.

    .venv/bin/python -m benchmarks.startup [--runs 5]

Each run starts `scripts/serve` (which first checks the environment against uv.lock, then serves with
the defaults: uvicorn, one worker per core) on a free port and a new database, and Prism on the same
spec, and times until each answers an HTTP request (`benchmarks.servers.running`, polled every 20 ms);
then stops it. The first run of each is reported but not in the median (cold file caches).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from benchmarks import servers
from benchmarks.drills.common import reproduce

POLL_SECONDS = 0.02


def time_to_answer(name: str, argv: list[str], port: int) -> float:
    """Seconds from starting `argv` until it answers on `port`; it is stopped after."""
    started = time.monotonic()
    with servers.running(name, argv, port, poll=POLL_SECONDS):
        return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rows: dict[str, list[float]] = {"scripts/serve": [], "prism": []}
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        for run in range(args.runs):
            port = servers.free_port()
            mock = ["scripts/serve", "--port", str(port), "--db", f"{tmp}/run{run}.db"]
            rows["scripts/serve"].append(time_to_answer("scripts/serve", mock, port))
            port = servers.free_port()
            rows["prism"].append(time_to_answer("prism", servers.prism_argv(port), port))
    print(f"\nseconds to a first answer, warm, {time.strftime('%Y-%m-%d %H:%M')}")
    for name, times in rows.items():
        shown = " ".join(f"{t:.2f}" for t in times)
        print(f"{name:14} median {statistics.median(times[1:] or times):.2f} s  (runs: {shown})")
    print(f"reproduce: {reproduce('benchmarks.startup')}")


if __name__ == "__main__":
    main()
