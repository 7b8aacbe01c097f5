"""kill -9 of the server in the middle of a load of concurrent creates, then a restart on the same database:
every create answered code 0 is stored with the user_id it was answered with, none twice, and
`PRAGMA integrity_check` says ok.

    .venv/bin/python -m benchmarks.drills.kill9 [--rounds 5] [--threads 32] [--kill-after 2.0] [--workers 1]

Each round starts `feishu-hire serve [--workers N]` on the database the previous round killed, runs
`threads` threads creating site users with unique external_ids, sends SIGKILL to the server's main
process (uvicorn's main process, which must take its workers down with it) `kill-after` seconds in,
and checks the file and the restarted server. Creates that got no answer are in doubt: stored or not,
either is correct.
"""

from __future__ import annotations

import argparse
import signal
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from benchmarks.drills.common import (
    Answer,
    bearer,
    create_site_user,
    duplicate_user_ids,
    integrity_check,
    mock_servers,
    reproduce,
    stored_site_users,
    token,
)


@dataclass
class Round:
    acknowledged: dict[str, str] = field(default_factory=dict)  # external_id -> user_id answered
    in_doubt: list[str] = field(default_factory=list)  # sent, no answer: the kill cut it off
    refused: list[Answer] = field(default_factory=list)  # answered with a code other than 0
    missing: list[str] = field(default_factory=list)  # acknowledged, not stored after the restart
    changed: list[str] = field(default_factory=list)  # stored with another user_id than answered
    in_doubt_stored: int = 0
    repeats_differing: int = 0  # acknowledged creates repeated on the restarted server, answered differently
    duplicates: int = 0  # external_ids or user_ids stored more than once
    integrity: str = ""
    killed_at_s: float = 0.0

    @property
    def ok(self) -> bool:
        lost = self.missing or self.changed or self.refused
        return not lost and not self.repeats_differing and not self.duplicates and self.integrity == "ok"


MOST_PER_THREAD = 100_000  # a bound, in case the kill never lands
# How long a round waits, past its kill_after, for its min_acknowledged creates (a bound on a slow machine).
MOST_WAIT_FOR_ACKNOWLEDGED = 30.0


def load_until_killed(
    base_url: str,
    headers: dict[str, str],
    prefix: str,
    threads: int,
    acknowledged: threading.Semaphore | None = None,
) -> list[Answer]:
    """Each thread creates `{prefix}-{thread}-{n}` until the server stops answering; each answer of
    code 0 releases `acknowledged` once."""

    def worker(t: int) -> list[Answer]:
        answers = []
        with httpx.Client(base_url=base_url, timeout=30) as client:
            for n in range(MOST_PER_THREAD):
                answer = create_site_user(client, headers, {"external_id": f"{prefix}-{t}-{n}", "name": "k"})
                answers.append(answer)
                if answer.code == 0 and acknowledged is not None:
                    acknowledged.release()
                if answer.code is None:
                    break
        return answers

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return [a for answers in pool.map(worker, range(threads)) for a in answers]


def kill_round(
    db: Path,
    index: int,
    threads: int,
    kill_after: float,
    *,
    logs: Path | None = None,
    workers: int = 1,
    min_acknowledged: int = 0,
) -> Round:
    """One round: load, kill -9 after `kill_after` seconds and once `min_acknowledged` creates have been
    answered (waiting at most MOST_WAIT_FOR_ACKNOWLEDGED more seconds for those), restart, compare."""
    result = Round()
    serve = ("--no-rate-limits", "--workers", str(workers))
    with mock_servers(db, 1, *serve, logs=logs) as (server,):
        headers = bearer(token(server.base_url))

        answered = threading.Semaphore(0)

        def killer() -> None:
            time.sleep(kill_after)
            deadline = time.monotonic() + MOST_WAIT_FOR_ACKNOWLEDGED
            for _ in range(min_acknowledged):
                if not answered.acquire(timeout=max(0.0, deadline - time.monotonic())):
                    break
            # The main process only, not its group: with workers, the load ends only if they stop
            # serving on their own when their master dies.
            server.process.send_signal(signal.SIGKILL)
            server.process.wait()

        began = time.perf_counter()
        timer = threading.Thread(target=killer)
        timer.start()
        answers = load_until_killed(server.base_url, headers, f"r{index}", threads, answered)
        timer.join()
        result.killed_at_s = time.perf_counter() - began
        assert server.process.returncode == -signal.SIGKILL, server.process.returncode
    for a in answers:
        if a.code == 0 and a.user_id is not None:
            result.acknowledged[a.external_id] = a.user_id
        elif a.code is None:
            result.in_doubt.append(a.external_id)
        else:
            result.refused.append(a)
    # Restart on the same file: the server recovers the WAL; then read the file itself.
    with mock_servers(db, 1, *serve, logs=logs) as (server,):
        stored = stored_site_users(db)
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            # The token issued before the kill is still good, and acknowledged creates stay idempotent.
            for external_id, user_id in list(result.acknowledged.items())[
                :: max(1, len(result.acknowledged) // 50)
            ]:
                again = create_site_user(client, headers, {"external_id": external_id, "name": "again"})
                result.repeats_differing += (again.code, again.user_id, again.name) != (0, user_id, "k")
    for external_id, user_id in result.acknowledged.items():
        if external_id not in stored:
            result.missing.append(external_id)
        elif stored[external_id] != [user_id]:
            result.changed.append(external_id)
    result.in_doubt_stored = sum(e in stored for e in result.in_doubt)
    result.duplicates = sum(len(ids) > 1 for ids in stored.values()) + duplicate_user_ids(db)
    result.integrity = integrity_check(db)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--kill-after", type=float, default=2.0, help="seconds of load before SIGKILL")
    parser.add_argument("--workers", type=int, default=1, help="`feishu-hire serve --workers`")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="drill-kill9-") as tmp:
        db = Path(tmp) / "mock.db"
        rounds = [
            kill_round(db, i, args.threads, args.kill_after, workers=args.workers) for i in range(args.rounds)
        ]
        total = len(stored_site_users(db))
    load = f"{args.threads} threads creating site users on --workers {args.workers}"
    print(f"kill -9 after {args.kill_after:g} s of {load}; restart on the same db")
    header = f"{'round':<6}{'acked':>7}{'in doubt':>9}{'stored':>8}{'missing':>8}{'changed':>8}{'refused':>8}"
    print(header + f"{'dups':>6}{'repeats!=':>10}  integrity")
    for i, r in enumerate(rounds):
        print(
            f"{i:<6}{len(r.acknowledged):>7}{len(r.in_doubt):>9}{r.in_doubt_stored:>8}{len(r.missing):>8}"
            f"{len(r.changed):>8}{len(r.refused):>8}{r.duplicates:>6}{r.repeats_differing:>10}  {r.integrity}"
        )
    acked = sum(len(r.acknowledged) for r in rounds)
    lost = sum(len(r.missing) + len(r.changed) for r in rounds)
    print(
        f"\n{acked} creates acknowledged with code 0, {lost} lost or changed; {total} site users in the file"
    )
    print("('stored' counts in-doubt creates found after the restart: either outcome is correct)")
    print(f"reproduce: {reproduce('benchmarks.drills.kill9')}")
    raise SystemExit(0 if all(r.ok for r in rounds) else 1)


if __name__ == "__main__":
    main()
