"""Faults of the hosts and the engines of a sandbox on PostgreSQL and Redis, under a load of creates spread
over the hosts: `kill -9` of one host, PostgreSQL restarted, Redis stopped and started.

    .venv/bin/python -m benchmarks.drills.outage [--hosts 3] [--workers 2] [--threads 12] [--down 3]

- kill -9 of one host's uWSGI master (its workers and router go with it): the other hosts go on answering,
  and every create answered code 0, by any host, is stored with the user it was answered with.
- PostgreSQL stopped (fast shutdown: open transactions rolled back) for `--down` seconds, then started:
  while it is down calls answer 1002001 (status 500), never anything else; nothing is half-written;
  every host answers again by itself, without a restart.
- Redis the same (windows are counted in Redis: the sandbox fails closed, 1002001, while it is down;
  the token endpoint, which has no limit, goes on).

The engines are throwaway ones `scripts/services` starts (they are stopped and started here). Rate limits
stay on, scaled up so the load is not refused by them (every call still asks Redis).
"""

from __future__ import annotations

import argparse
import signal
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from benchmarks import engines, servers
from benchmarks.drills.common import (
    Answer,
    bearer,
    create_site_user,
    duplicate_user_ids,
    integrity_check,
    reproduce,
    stored_site_users,
    token,
)
from benchmarks.engines import Engine, Engines
from benchmarks.hosts import hosts
from mockserver.errors import SYSTEM_ERROR

# Enough for the load: each call is still counted in Redis, none refused by a limit.
RATE_LIMIT_SCALE = "1000"
MOST_PER_THREAD = 100_000  # a bound, in case a stop never comes


@dataclass(frozen=True)
class Sent:
    host: int
    began: float  # time.monotonic() when sent
    ended: float  # when answered (or failed)
    answer: Answer


@dataclass
class Verdict:
    """What a drill found; `problems` empty means it passed."""

    name: str
    sent: list[Sent]
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def line(self) -> str:
        counts = ", ".join(f"{k} {v}" for k, v in self.counts.items())
        return f"{self.name}: {'ok' if self.ok else 'FAILED'} ({counts})" + "".join(
            f"\n  !! {p}" for p in self.problems
        )


@contextmanager
def load(urls: Sequence[str], headers: dict[str, str], prefix: str, threads: int) -> Iterator[list[Sent]]:
    """`threads` threads creating site users round-robin over `urls` until the block ends; a thread whose
    host stops answering (a transport error) stops. Yields the list the answers go into."""
    sent: list[Sent] = []
    stop = threading.Event()

    def worker(t: int) -> None:
        host = t % len(urls)
        with httpx.Client(base_url=urls[host], timeout=30) as client:
            for n in range(MOST_PER_THREAD):
                if stop.is_set():
                    return
                began = time.monotonic()
                answer = create_site_user(client, headers, {"external_id": f"{prefix}-{t}-{n}", "name": "o"})
                sent.append(Sent(host, began, time.monotonic(), answer))
                if answer.code is None:
                    return

    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(worker, t) for t in range(threads)]
        try:
            yield sent
        finally:
            stop.set()
            for f in futures:
                f.result()


def check_stored(verdict: Verdict, database: str) -> None:
    """Every create answered code 0 is stored with its user; none twice; the indexes check out."""
    stored = stored_site_users(database)
    acked = {s.answer.external_id: s.answer.user_id for s in verdict.sent if s.answer.code == 0}
    lost = [e for e, user in acked.items() if stored.get(e) != [user]]
    duplicates = sum(len(ids) > 1 for ids in stored.values()) + duplicate_user_ids(database)
    integrity = integrity_check(database)
    verdict.counts["acknowledged"] = len(acked)
    if lost:
        verdict.problems.append(f"{len(lost)} acknowledged creates lost or changed: {lost[:5]}")
    if duplicates:
        verdict.problems.append(f"{duplicates} external_ids or user_ids stored twice")
    if integrity != "ok":
        verdict.problems.append(f"integrity: {integrity}")


def kill_one_host(
    fleet: list[servers.Server], database: str, *, threads: int, before: float, after: float
) -> Verdict:
    """kill -9 of host 0's master `before` s into the load, which goes on `after` s on the others."""
    urls = [s.base_url for s in fleet]
    headers = bearer(token(urls[-1]))
    with load(urls, headers, f"kill-{time.time_ns()}", threads) as sent:
        time.sleep(before)
        killed_at = time.monotonic()
        fleet[0].process.send_signal(signal.SIGKILL)  # the master only: its workers must follow it
        fleet[0].process.wait()
        time.sleep(after)
    verdict = Verdict("kill -9 of one host", list(sent))
    survivors = [s for s in verdict.sent if s.host != 0 and s.began > killed_at + 0.5]
    verdict.counts = {
        "sent": len(verdict.sent),
        "answered by the others after the kill": sum(s.answer.code == 0 for s in survivors),
        "cut off": sum(s.answer.code is None for s in verdict.sent),
    }
    if not any(s.answer.code == 0 for s in survivors):
        verdict.problems.append("the other hosts answered nothing after the kill")
    odd = [s.answer for s in verdict.sent if s.answer.code not in (0, None)]
    if odd:
        verdict.problems.append(f"{len(odd)} creates refused: {odd[:3]}")
    if any(s.answer.code is None for s in verdict.sent if s.host != 0):
        verdict.problems.append("a host that was not killed stopped answering")
    check_stored(verdict, database)
    return verdict


def _token_answers(url: str) -> bool:
    """Whether the host at `url` issues a tenant token now."""
    try:
        token(url)
    except (KeyError, ValueError, httpx.HTTPError):
        return False
    return True


def _answers_everywhere(urls: Sequence[str], headers: dict[str, str]) -> bool:
    for url in urls:
        with httpx.Client(base_url=url, timeout=10) as client:
            probe = create_site_user(client, headers, {"external_id": f"probe-{time.time_ns()}"})
            if probe.code != 0:
                return False
    return True


def engine_down(
    urls: Sequence[str],
    *,
    database: str,
    own: Engines,
    engine: Engine,
    threads: int,
    before: float,
    down: float,
    resume_within: float = 30,
) -> Verdict:
    """`engine` stopped `before` s into the load, started again `down` s later; the load goes on until
    every host has answered a create again (at most `resume_within` s). The token it starts with waits
    for the fleet to serve again after an earlier drill's outage (`token`'s `within`)."""
    headers = bearer(token(urls[0], within=resume_within))
    with load(urls, headers, f"{engine}-{time.time_ns()}", threads) as sent:
        time.sleep(before)
        own.stop(engine)
        stopped = time.monotonic()
        time.sleep(down / 2)
        tokens_while_down = sum(_token_answers(url) for url in urls)
        time.sleep(down / 2)
        restarting = time.monotonic()
        own.start(engine)
        started = time.monotonic()
        deadline = started + resume_within
        while not _answers_everywhere(urls, headers):
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
        resumed = time.monotonic()
    verdict = Verdict(f"{engine} down {down:g} s", list(sent))
    while_down = [s for s in verdict.sent if s.began > stopped + 0.2 and s.ended < restarting]
    codes = Counter(s.answer.code for s in verdict.sent)
    after = [s.ended for s in verdict.sent if s.answer.code == 0 and s.began >= started]
    first_answer = min(after, default=resumed)
    verdict.counts = {
        "sent": len(verdict.sent),
        "answered 0": codes[0],
        f"answered {SYSTEM_ERROR}": codes[SYSTEM_ERROR],
        "sent while down": len(while_down),
        "first create answered after the restart (ms)": round((first_answer - started) * 1000),
        "every host answering after (ms)": round((resumed - started) * 1000),
        "hosts issuing tokens while down": tokens_while_down,
    }
    if not while_down:
        verdict.problems.append("no call was made while the engine was down")
    wrong_while_down = [
        s.answer for s in while_down if (s.answer.status, s.answer.code) != (500, SYSTEM_ERROR)
    ]
    if wrong_while_down:
        verdict.problems.append(f"answered other than 500/{SYSTEM_ERROR} while down: {wrong_while_down[:3]}")
    other = {code: n for code, n in codes.items() if code not in (0, SYSTEM_ERROR)}
    if other:
        verdict.problems.append(f"answers other than 0 and {SYSTEM_ERROR} (None: no answer): {other}")
    # The token endpoint needs PostgreSQL, not Redis: it has no rate limit.
    if tokens_while_down != (len(urls) if engine == "redis" else 0):
        verdict.problems.append(f"{tokens_while_down} of {len(urls)} hosts issued a token while it was down")
    if resumed > deadline:
        verdict.problems.append(f"not every host answered within {resume_within:g} s of the restart")
    check_stored(verdict, database)
    return verdict


@contextmanager
def outage_fleet(
    count: int, workers: int, logs: Path | None = None, own: Engines | None = None
) -> Iterator[tuple[list[servers.Server], str, Engines]]:
    """`count` hosts on throwaway engines (this drill stops them): `own`, or ones of their own."""
    with ExitStack() as stack:
        own = own or stack.enter_context(engines.throwaway())
        database = stack.enter_context(engines.fresh_database(own.postgres_url))
        extra = ("--rate-limit-scale", RATE_LIMIT_SCALE)
        fleet = stack.enter_context(
            hosts(database, own.redis_url, count=count, workers=workers, extra=extra, logs=logs)
        )
        yield fleet, database, own


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--hosts", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=12)
    parser.add_argument("--down", type=float, default=3.0, help="seconds each engine stays down")
    parser.add_argument("--logs", type=Path, default=None, help="keep the hosts' logs in this folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="drill-outage-") as tmp:
        logs = args.logs or Path(tmp)
        logs.mkdir(parents=True, exist_ok=True)
        with outage_fleet(args.hosts, args.workers, logs) as (fleet, database, own):
            urls = [s.base_url for s in fleet]
            verdicts = [
                engine_down(
                    urls,
                    database=database,
                    own=own,
                    engine=engine,
                    threads=args.threads,
                    before=1.0,
                    down=args.down,
                )
                for engine in ("postgres", "redis")
            ] + [
                kill_one_host(fleet, database, threads=args.threads, before=1.0, after=2.0),
            ]
        logged = sum(
            (logs / f"host-{i}.log").read_text(errors="replace").count("Traceback") for i in range(args.hosts)
        )
    print(
        f"{args.hosts} hosts x {args.workers} workers on PostgreSQL + Redis,"
        f" {args.threads} threads of creates"
    )
    for v in verdicts:
        print(v.line())
    print(f"tracebacks in the hosts' logs: {logged}")
    print(f"reproduce: {reproduce('benchmarks.drills.outage')}")
    raise SystemExit(0 if all(v.ok for v in verdicts) else 1)


if __name__ == "__main__":
    main()
