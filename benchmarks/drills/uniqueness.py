"""Exactly one user under 64 concurrent creates of one external_id, with several server processes on one
database.

    .venv/bin/python -m benchmarks.drills.uniqueness [--processes 3] [--concurrency 64] [--rounds 10]
        [--workers 1] [--engine sqlite|postgres]

Each round, `concurrency` threads wait on a barrier and then create the same external_id at once, spread
over the processes (`processes` servers of `workers` worker processes each), each with a different name.
Every answer must be code 0 with one and the same user, that user's stored fields are the first writer's
(repeats answer it unchanged), and the database holds one row for the external_id. `--engine postgres`
runs the servers as hosts of one PostgreSQL database and one Redis.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.drills.common import (
    Answer,
    add_engine_arguments,
    bearer,
    create_site_user,
    integrity_check,
    read_db,
    reproduce,
    sandbox,
    token,
)


@dataclass(frozen=True)
class Round:
    external_id: str
    answers: list[Answer]
    # (user_id, name) of every row stored for the external_id
    rows: list[tuple[str, str]]

    @property
    def user_ids(self) -> set[str | None]:
        return {a.user_id for a in self.answers}

    @property
    def codes(self) -> set[int | None]:
        return {a.code for a in self.answers}

    @property
    def one_user(self) -> bool:
        """One row, and every answer is that row unchanged (the first writer's name, not its own)."""
        if self.codes != {0} or len(self.rows) != 1:
            return False
        return {(a.user_id, a.name) for a in self.answers} == {self.rows[0]}


def race(
    base_urls: list[str], db: Path | str, external_id: str, concurrency: int, tokens: Sequence[str] = ()
) -> Round:
    """`concurrency` creates of `external_id` at once, round-robin over `base_urls`, with the default
    app's token or round-robin over `tokens` (apps of one tenant, so limits per app can stay on)."""
    # Tokens live in the shared database: valid on every process.
    headers = [bearer(t) for t in tokens] or [bearer(token(base_urls[0]))]
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    clients = [httpx.Client(base_url=url, timeout=60, limits=limits) for url in base_urls]
    barrier = threading.Barrier(concurrency)

    def one(i: int) -> Answer:
        body = {"external_id": external_id, "name": f"writer-{i}"}
        barrier.wait(timeout=60)
        return create_site_user(clients[i % len(clients)], headers[i % len(headers)], body)

    try:
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            answers = list(pool.map(one, range(concurrency)))
    finally:
        for c in clients:
            c.close()
    rows = read_db(
        db,
        "SELECT record_id, fields FROM records WHERE kind = 'site_user' AND record_key = ?",
        (external_id,),
    )
    return Round(external_id, answers, [(r[0], json.loads(r[1]).get("name")) for r in rows])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1, help="`feishu-hire serve --workers` per server")
    add_engine_arguments(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="drill-unique-") as tmp:
        serve = ("--no-rate-limits", "--workers", str(args.workers))
        with sandbox(args.engine, Path(tmp), args.processes, *serve) as (started, db):
            urls = [s.base_url for s in started]
            began = time.perf_counter()
            rounds = [race(urls, db, f"race-{r}", args.concurrency) for r in range(args.rounds)]
            elapsed = time.perf_counter() - began
            verdict = integrity_check(db)
    servers = f"{args.processes} servers x {args.workers} workers"
    print(f"{args.concurrency} concurrent creates of one external_id over {servers}, one {args.engine} db")
    print(f"{'external_id':<12}{'answers':>8}{'code 0':>8}{'user_ids':>9}{'rows':>6}  stored name")
    for r in rounds:
        ok = sum(a.code == 0 for a in r.answers)
        name = r.rows[0][1] if r.rows else "-"
        print(f"{r.external_id:<12}{len(r.answers):>8}{ok:>8}{len(r.user_ids):>9}{len(r.rows):>6}  {name}")
    good = sum(r.one_user for r in rounds)
    print(f"\nrounds with exactly one user, answered to all: {good}/{len(rounds)} ({elapsed:.1f} s)")
    print(f"integrity_check: {verdict}")
    print(f"reproduce: {reproduce('benchmarks.drills.uniqueness')}")
    raise SystemExit(0 if good == len(rounds) and verdict == "ok" else 1)


if __name__ == "__main__":
    main()
