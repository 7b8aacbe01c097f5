"""Mock server throughput and latency on POST site_users, side by side with Prism and a bare Flask handler.

    .venv/bin/python -m benchmarks.load [--seconds 10] [--concurrency 1 8 32] [--mock-args ""]

With no arguments it compares `feishu-hire serve` as a newcomer starts it (no flags) with Prism at
concurrency 1, 8 and 32. Every request is a real create (auth, validation from the spec, a unique
external_id stored in SQLite) with rate limits switched off. Prism (`prism mock spec/hire.yaml`)
validates and answers the spec's example; the bare Flask handler behind the same server is the ceiling
(uvicorn with the same workers, or waitress for `--mock-args "--server waitress"`). The three run in
turn at each concurrency, in one run, so the ratios compare like with like on a noisy machine.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

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
    parser.add_argument("--seconds", type=float, default=10)
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
        rows: dict[tuple[str, int], wrk.LoadResult] = {}
        for connections in args.concurrency:
            for server in targets:
                for seconds, kind in ((1.0, "warm"), (args.seconds, "run")):  # a warm-up first, not reported
                    result = wrk.run(
                        server.base_url,
                        connections=connections,
                        seconds=seconds,
                        token=token,
                        website_id=WEBSITE_ID,
                        prefix=f"{kind}-{connections}-{time.time_ns()}",
                    )
                    if server.name == "mock":
                        mock_requests += result.requests
                rows[(server.name, connections)] = result
                if result.non_2xx or result.socket_errors:
                    failures = f"{result.non_2xx} non-2xx, {result.socket_errors} socket errors"
                    print(f"!! {server.name} c={connections}: {failures}")
        stored = stored_site_users(db) - before

    when = time.strftime("%Y-%m-%d %H:%M")
    print(f"\nPOST site_users, {args.seconds:g} s per run, wrk on 127.0.0.1 ({when})")
    print(f"{'server':<12}{'conc':>6}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}")
    for (name, connections), r in rows.items():
        print(f"{name:<12}{connections:>6}{r.requests_per_s:>10.0f}{r.p50_ms:>9.2f}{r.p99_ms:>9.2f}")
    print("\nratios (mock / peer, same run):")
    for connections in args.concurrency:
        mock, prism, bare = (rows[(n, connections)] for n in ("mock", "prism", "bare flask"))
        print(
            f"  c={connections:<3} req/s vs prism {mock.requests_per_s / prism.requests_per_s:5.2f}x, "
            f"vs bare flask {mock.requests_per_s / bare.requests_per_s:5.2f}x; "
            f"p99 vs prism {mock.p99_ms / prism.p99_ms:5.2f}x"
        )
    # wrk counts completed requests only; one cut off by the end of a run may still have been stored.
    print(f"\nmock: {mock_requests} requests answered, {stored} new site users stored (warm-ups included)")
    print(f"reproduce: {reproduce('benchmarks.load')}")


if __name__ == "__main__":
    main()
