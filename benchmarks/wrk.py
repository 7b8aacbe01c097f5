"""Runs wrk (a C load generator, from Debian's packages) and reads its report."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).with_name("site_users.lua")
# The threads that drive a run's connections, every wrk of the run together: as many whether the
# connections go to one server or are shared among several (`run`'s `share_of`).
THREADS = 2
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


@dataclass(frozen=True)
class LoadResult:
    requests: int
    requests_per_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    p999_ms: float
    non_2xx: int
    socket_errors: int


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * UNITS[unit]


def parse(report: str) -> LoadResult:
    def find(pattern: str) -> str:
        match = re.search(pattern, report, flags=re.M)
        if match is None:
            raise ValueError(f"wrk report has no {pattern!r}:\n{report}")
        return match.group(1)

    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", report)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", report)
    return LoadResult(
        requests=int(find(r"^\s*(\d+) requests in")),
        requests_per_s=float(find(r"^Requests/sec:\s+([\d.]+)")),
        p50_ms=_ms(find(r"^\s+50%\s+(\S+)")),
        p90_ms=_ms(find(r"^\s+90%\s+(\S+)")),
        p99_ms=_ms(find(r"^\s+99%\s+(\S+)")),
        p999_ms=_ms(find(r"^p99\.9: (\S+)")),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
    )


def threads(connections: int, share_of: int = 1) -> int:
    """The threads of one wrk of `share_of` running at once: its share of `THREADS`, one at least, and
    no more than its connections."""
    return min(connections, max(1, THREADS // share_of))


def run(
    base_url: str,
    *,
    connections: int,
    seconds: float,
    token: str,
    website_id: str,
    prefix: str,
    share_of: int = 1,
) -> LoadResult:
    """wrk's report of `connections` creating site users at `base_url` for `seconds`. `share_of`: the wrk
    processes running at once, this one among them (one per host of a sandbox): they share `THREADS`
    between them (one each at least), so a load spread over several servers costs the machine it shares
    with them as much to generate as one aimed at a single server."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is missing: run benchmarks/install-tools.sh first")
    cmd = [
        wrk, f"-t{threads(connections, share_of)}", f"-c{connections}", f"-d{seconds:g}s", "--latency",
        "--timeout", "5s", "-s", str(SCRIPT), base_url, "--", token, website_id, prefix,
    ]  # fmt: skip
    report = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=seconds + 30).stdout
    return parse(report)
