"""Mock server throughput and latency on POST site_users, side by side with Prism and a bare Flask handler.

    .venv/bin/python -m benchmarks.load [--seconds 5] [--rounds 3] [--concurrency 1 8 32] [--mock-args ""]

With no arguments it compares `feishu-hire serve` as a newcomer starts it (no flags) with Prism at
concurrency 1, 8 and 32. Every request is a real create (auth, validation from the spec, a unique
external_id stored in SQLite) with rate limits switched off. Prism (`prism mock spec/hire.yaml`)
validates and answers the spec's example; the bare Flask handler behind the same server is the ceiling
(uvicorn with the same workers, or waitress for `--mock-args "--server waitress"`).

At each concurrency the three run in turn, after a 1 s warm-up each, for `--rounds` rounds: a round
runs each server once, so each ratio compares runs minutes apart at most. A machine whose speed drifts,
or a peer that has a slow run (Prism's req/s moved by half between runs here), weighs on one round: each
server's row is the median of its rounds (of each figure), and each ratio the median of the rounds'
ratios, every round's printed beside it.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from statistics import median

import httpx

from benchmarks import servers, wrk
from benchmarks.drills.common import reproduce
from mockserver.seed import DEFAULT_APP_ID, DEFAULT_APP_SECRET

WEBSITE_ID = "1618209327096"


def fetch_token(base_url: str) -> str:
    answer = httpx.post(
        f"{base_url}/open-apis/auth/v3/tenant_access_token/internal",
        json={"app_id": DEFAULT_APP_ID, "app_secret": DEFAULT_APP_SECRET},
        timeout=5,
    ).json()
    token: str = answer["tenant_access_token"]
    return token


def stored_site_users(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        count: int = conn.execute("SELECT count(*) FROM records WHERE kind = 'site_user'").fetchone()[0]
        return count


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5, help="length of each run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each server, interleaved")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument(
        "--mock-args", default="", help="extra `feishu-hire serve` flags, e.g. '--server waitress'"
    )
    args = parser.parse_args()

    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-load-")))
        db = tmp / "mock.db"
        mock_port, prism_port, bare_port = servers.free_port(), servers.free_port(), servers.free_port()
        mock_argv = servers.mock_argv(mock_port, db, "--no-rate-limits", *args.mock_args.split())
        ceiling_argv = servers.bare_flask_argv_like(args.mock_args, bare_port)
        targets = [
            stack.enter_context(servers.running("mock", mock_argv, mock_port, tmp / "mock.log")),
            stack.enter_context(servers.running("prism", servers.prism_argv(prism_port), prism_port)),
            stack.enter_context(servers.running("bare flask", ceiling_argv, bare_port)),
        ]
        token = fetch_token(targets[0].base_url)
        before = stored_site_users(db)
        mock_requests = 0
        runs: dict[tuple[str, int], list[wrk.LoadResult]] = {}
        for connections in args.concurrency:
            for round_no in range(args.rounds + 1):  # round 0: a warm-up of each server, not reported
                for server in targets:
                    result = wrk.run(
                        server.base_url,
                        connections=connections,
                        seconds=args.seconds if round_no else 1.0,
                        token=token,
                        website_id=WEBSITE_ID,
                        prefix=f"r{round_no}-{connections}-{time.time_ns()}",
                    )
                    if server.name == "mock":
                        mock_requests += result.requests
                    if not round_no:
                        continue
                    runs.setdefault((server.name, connections), []).append(result)
                    if result.non_2xx or result.socket_errors:
                        failures = f"{result.non_2xx} non-2xx, {result.socket_errors} socket errors"
                        print(f"!! {server.name} c={connections}: {failures}")
        stored = stored_site_users(db) - before

    when = time.strftime("%Y-%m-%d %H:%M")
    print(f"\nPOST site_users, {args.rounds} rounds of {args.seconds:g} s runs, wrk on 127.0.0.1 ({when})")
    print(f"{'server':<12}{'conc':>6}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}   (medians of the rounds)")
    for (name, connections), results in runs.items():
        rate, p50, p99 = (
            median(getattr(r, f) for r in results) for f in ("requests_per_s", "p50_ms", "p99_ms")
        )
        print(f"{name:<12}{connections:>6}{rate:>10.0f}{p50:>9.2f}{p99:>9.2f}")
    print("\nratios (mock / peer, each round's, then their median):")
    for connections in args.concurrency:
        mock, prism, bare = (runs[(n, connections)] for n in ("mock", "prism", "bare flask"))
        rounds = list(zip(mock, prism, bare, strict=True))
        for label, ratios in (
            ("req/s vs prism", [m.requests_per_s / p.requests_per_s for m, p, _ in rounds]),
            ("p99 vs prism", [m.p99_ms / p.p99_ms for m, p, _ in rounds]),
            ("req/s vs bare flask", [m.requests_per_s / b.requests_per_s for m, _, b in rounds]),
        ):
            each = " ".join(f"{r:.2f}" for r in ratios)
            print(f"  c={connections:<3} {label:<20} {median(ratios):5.2f}x   ({each})")
    # wrk counts completed requests only; one cut off by the end of a run may still have been stored.
    print(f"\nmock: {mock_requests} requests answered, {stored} new site users stored (warm-ups included)")
    print(f"reproduce: {reproduce('benchmarks.load')}")


if __name__ == "__main__":
    main()
