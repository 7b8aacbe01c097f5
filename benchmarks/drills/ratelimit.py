"""Rate limiter accuracy over a burst against a real server on real time: admitted requests per window never
exceed the limit and fall short of it by at most one. site_users (10/s) and external_info (50/s and
1000/min; 50 × 10 s stays under the minute's cap) are hammered at the same time, each at several times its
limit, by paced threads.

    .venv/bin/python -m benchmarks.drills.ratelimit [--seconds 10] [--servers 1] [--workers 1]
        [--engine sqlite|postgres]

The windows are the mock's: fixed, 1 s long, each starting at the first call it admits (the `limits`
library's fixed window on the mock's clock). They are rebuilt from the journal (`GET /mock-api/requests`),
whose time is taken when the answer is finished, a few ms after admission; the figure `lag` is the most any
admitted call's journal time trails its send time, which bounds that error, and `fill` the longest a
window took to admit its calls: far below 1 s, so no admission sits near a window's edge. A window counts
only if it ended before the burst did.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from benchmarks.drills.common import SITE_USERS, add_engine_arguments, bearer, reproduce, sandbox, token
from mockserver.control import MockControl
from mockserver.seed import TALENT_ID

WINDOW_S = 1.0
# A window begins with the first admission at least this close to a second after the previous one began:
# room for the journal's lag, far below the fill time of a window at the offered rates.
TOLERANCE_S = 0.05


@dataclass(frozen=True)
class Target:
    operation: str
    path: str
    limit: int
    threads: int
    pause_s: float  # each thread's pause between calls: threads / pause_s is the most it offers per second

    def body(self, n: int) -> dict[str, Any]:
        if self.operation == "create_website_site_user":
            return {"external_id": f"rate-{time.time_ns()}-{n}"}
        return {"external_create_time": str(n)}


TARGETS = (
    Target("create_website_site_user", SITE_USERS, 10, threads=4, pause_s=0.05),  # <= 80/s offered
    Target(
        "create_talent_external_info", f"/open-apis/hire/v1/talents/{TALENT_ID}/external_info", 50, 8, 0.02
    ),
)


@dataclass
class Windows:
    target: Target
    counts: list[int] = field(default_factory=list)  # admitted per complete window
    fill_s: float = 0.0  # the longest time from a window's first admission to its last
    refused: int = 0  # 429s
    other: list[tuple[int, int | None]] = field(default_factory=list)  # anything else: (status, code)
    lag_s: float = 0.0

    @property
    def accurate(self) -> bool:
        limit = self.target.limit
        return bool(self.counts) and not self.other and all(limit - 1 <= c <= limit for c in self.counts)


def windows(admitted: list[float], burst_end: float) -> list[list[float]]:
    """Admission times per fixed window, rebuilt: a window starts at the first admission >= 1 s (less the
    tolerance) after the previous start; a window still open at `burst_end` is left out."""
    found: list[list[float]] = []
    for t in sorted(admitted):
        if not found or t >= found[-1][0] + WINDOW_S - TOLERANCE_S:
            found.append([])
        found[-1].append(t)
    return found[:-1] if found and found[-1][0] + WINDOW_S > burst_end else found


def burst(
    base_urls: str | Sequence[str], seconds: float, targets: tuple[Target, ...] = TARGETS
) -> list[Windows]:
    """Every target's threads call it for `seconds`, round-robin over the servers of one sandbox; the
    journal (any server's lists every server's calls) tells what was admitted when."""
    urls = [base_urls] if isinstance(base_urls, str) else list(base_urls)
    headers = bearer(token(urls[0]))
    sent: dict[str, float] = {}  # log id -> send time
    lock = threading.Lock()
    deadline = time.time() + seconds

    def worker(job: tuple[int, Target]) -> None:
        index, target = job
        with httpx.Client(base_url=urls[index % len(urls)], timeout=30) as client:
            n = 0
            while time.time() < deadline:
                began = time.time()
                r = client.post(target.path, json=target.body(n), headers=headers)
                with lock:
                    sent[r.headers["X-Tt-Logid"]] = began
                n += 1
                time.sleep(target.pause_s)

    jobs = list(enumerate(t for t in targets for _ in range(t.threads)))
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        list(pool.map(worker, jobs))
    with MockControl.connect(urls[-1]) as control:
        journal = control.requests()
    return [_windows(target, journal, sent) for target in targets]


def _windows(target: Target, journal: Sequence[Mapping[str, Any]], sent: Mapping[str, float]) -> Windows:
    result = Windows(target)
    entries = [e for e in journal if e["operation"] == target.operation]
    admitted = []
    for e in entries:
        if (e["status"], e["code"]) == (200, 0):
            admitted.append(e["time"])
            result.lag_s = max(result.lag_s, e["time"] - sent.get(e["log_id"], e["time"]))
        elif (e["status"], e["code"]) == (429, 99991400):
            result.refused += 1
        else:
            result.other.append((e["status"], e["code"]))
    found = windows(admitted, max(e["time"] for e in entries)) if entries else []
    result.counts = [len(w) for w in found]
    result.fill_s = max((w[-1] - w[0] for w in found), default=0.0)
    return result


def report(results: list[Windows], seconds: float) -> str:
    lines = [f"burst of {seconds:g} s on real time, rate limits on (the spec's), both operations at once"]
    for r in results:
        t = r.target
        lines.append(
            f"{t.operation} ({t.limit}/s, up to {t.threads / t.pause_s:.0f}/s offered): "
            f"{sum(r.counts)} admitted in {len(r.counts)} complete windows, {r.refused} refused (429), "
            f"{len(r.other)} other answers; lag <= {r.lag_s * 1000:.0f} ms, fill <= {r.fill_s * 1000:.0f} ms"
        )
        lines.append(f"  admitted per window: {r.counts}")
        low, high = (min(r.counts), max(r.counts)) if r.counts else (0, 0)
        lines.append(
            f"  min {low}, max {high}: {'within' if r.accurate else 'OUTSIDE'} [{t.limit - 1}, {t.limit}]"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--servers", type=int, default=1, help="servers of one sandbox, calls shared")
    parser.add_argument("--workers", type=int, default=1, help="`feishu-hire serve --workers` per server")
    add_engine_arguments(parser)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="drill-rate-") as tmp,
        sandbox(args.engine, Path(tmp), args.servers, "--workers", str(args.workers)) as (started, _),
    ):
        results = burst([s.base_url for s in started], args.seconds)
    print(f"{args.servers} x `feishu-hire serve --workers {args.workers}` on {args.engine}")
    print(report(results, args.seconds))
    print(f"reproduce: {reproduce('benchmarks.drills.ratelimit')}")
    raise SystemExit(0 if all(r.accurate for r in results) else 1)


if __name__ == "__main__":
    main()
