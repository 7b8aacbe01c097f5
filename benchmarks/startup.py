"""Seconds from the README's first command to an answered request, warm (the environment exists), beside
Prism's start on the same spec, in one run.

    .venv/bin/python -m benchmarks.startup [--runs 5]

Each run starts `scripts/serve` (which first checks the environment against uv.lock, then serves with
the defaults: uvicorn, one worker per core) on a free port and a new database, and polls
`GET /mock-api/state` until it answers 200; then stops it with SIGTERM. Prism's run polls its mocked
`POST site_users` the same way. The first run of each is reported but not in the median (cold file
caches).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx

from benchmarks import servers
from benchmarks.drills.common import SITE_USERS, reproduce

ROOT = Path(__file__).resolve().parent.parent
POLL_SECONDS = 0.02
GIVE_UP_SECONDS = 60


def time_to_answer(argv: Sequence[str], answers: Callable[[], bool]) -> float:
    """Seconds from starting `argv` until `answers()` is True; the process group is stopped after."""
    started = time.monotonic()
    process = subprocess.Popen(
        argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        while not answers():
            if process.poll() is not None:
                raise SystemExit(f"{argv[0]} exited with {process.returncode} before answering")
            if time.monotonic() - started > GIVE_UP_SECONDS:
                raise SystemExit(f"{argv[0]} did not answer within {GIVE_UP_SECONDS} s")
            time.sleep(POLL_SECONDS)
        return time.monotonic() - started
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(10)


def _ok(method: str, url: str) -> Callable[[], bool]:
    def answers() -> bool:
        try:
            return httpx.request(method, url, json={}, timeout=1).status_code < 500
        except httpx.HTTPError:
            return False

    return answers


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
            rows["scripts/serve"].append(
                time_to_answer(mock, _ok("GET", f"http://127.0.0.1:{port}/mock-api/state"))
            )
            port = servers.free_port()
            prism = servers.prism_argv(port)
            rows["prism"].append(time_to_answer(prism, _ok("POST", f"http://127.0.0.1:{port}{SITE_USERS}")))
    print(f"\nseconds to a first answer, warm, {time.strftime('%Y-%m-%d %H:%M')}")
    for name, times in rows.items():
        shown = " ".join(f"{t:.2f}" for t in times)
        print(f"{name:14} median {statistics.median(times[1:] or times):.2f} s  (runs: {shown})")
    print(f"reproduce: {reproduce('benchmarks.startup')}")


if __name__ == "__main__":
    main()
