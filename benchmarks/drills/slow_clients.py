"""Slow and broken clients never stall the others: while some connections hang mid-headers, some
mid-body and some send nothing at all, a steady stream of normal creates keeps its latency, and the
hanging connections are closed once their `--client-timeout` has passed.

    .venv/bin/python -m benchmarks.drills.slow_clients [--hanging 32] [--silent 32] [--seconds 8]
        [--client-timeout 3] [--mock-args ""]

Each normal create is timed while the hanging connections are open; the same number of creates is timed
first with no hanging clients (the baseline, in the same run).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from benchmarks import servers
from benchmarks.drills.common import SITE_USERS, bearer, mock_servers, reproduce, token


@dataclass
class Hanging:
    """Connections that stopped part way, and when the server closed each (seconds after it opened)."""

    kind: str
    sockets: list[socket.socket] = field(default_factory=list)
    opened: list[float] = field(default_factory=list)
    closed_after: list[float | None] = field(default_factory=list)
    answers: list[bytes] = field(default_factory=list)


def _partial_requests(host: str, auth: str) -> dict[str, bytes]:
    body = json.dumps({"external_id": "never-finished", "name": "slow"}).encode()
    head = f"POST {SITE_USERS} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {auth}\r\n"
    return {
        "mid-headers": head.encode(),  # no blank line: the headers never end
        "mid-body": (head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body[: len(body) // 2],
        "silent": b"",
    }


@contextlib.contextmanager
def hanging_clients(base_url: str, auth: str, counts: dict[str, int]) -> Iterator[list[Hanging]]:
    """Opens the connections and leaves them hanging; a thread per kind waits for the server to close
    them. On exit they are all closed from this side."""
    host = base_url.removeprefix("http://")
    address, port = host.rsplit(":", 1)
    partial = _partial_requests(host, auth)
    groups = [Hanging(kind) for kind in counts]
    for group in groups:
        for _ in range(counts[group.kind]):
            s = socket.create_connection((address, int(port)), timeout=30)
            if partial[group.kind]:
                s.sendall(partial[group.kind])
            group.sockets.append(s)
            group.opened.append(time.monotonic())
            group.closed_after.append(None)
            group.answers.append(b"")
    stop = threading.Event()

    def watch(group: Hanging) -> None:
        for s in group.sockets:
            s.settimeout(0.05)
        while not stop.is_set() and None in group.closed_after:
            for i, s in enumerate(group.sockets):
                if group.closed_after[i] is not None:
                    continue
                try:
                    data = s.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    data = b""
                if data:
                    group.answers[i] += data
                    continue
                group.closed_after[i] = time.monotonic() - group.opened[i]

    watchers = [threading.Thread(target=watch, args=(g,), daemon=True) for g in groups]
    for w in watchers:
        w.start()
    try:
        yield groups
    finally:
        stop.set()
        for w in watchers:
            w.join(5)
        for group in groups:
            for s in group.sockets:
                s.close()


def timed_creates(base_url: str, headers: dict[str, str], seconds: float, prefix: str) -> list[float]:
    """Creates one after another on one keep-alive connection for `seconds`; each one's latency in ms."""
    latencies = []
    deadline = time.monotonic() + seconds
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        i = 0
        while time.monotonic() < deadline:
            started = time.perf_counter()
            answer = client.post(SITE_USERS, json={"external_id": f"{prefix}-{i}"})
            latencies.append((time.perf_counter() - started) * 1000)
            if answer.json()["code"] != 0:
                raise AssertionError(f"a normal create failed: {answer.text}")
            i += 1
    return latencies


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) > 1 else values[0]


@dataclass
class Outcome:
    baseline_ms: list[float]
    under_attack_ms: list[float]
    groups: list[Hanging]


def run(base_url: str, counts: dict[str, int], seconds: float) -> Outcome:
    """Times creates without, then with, the hanging clients (`counts` per kind); then waits (up to
    `seconds` more) for the server to close the hanging connections."""
    headers = bearer(token(base_url))
    baseline = timed_creates(base_url, headers, seconds, f"base-{time.time_ns()}")
    with hanging_clients(base_url, headers["Authorization"], counts) as groups:
        under_attack = timed_creates(base_url, headers, seconds, f"attack-{time.time_ns()}")
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and any(None in g.closed_after for g in groups):
            time.sleep(0.1)
    return Outcome(baseline, under_attack, groups)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--hanging", type=int, default=32, help="connections hanging mid-headers + mid-body")
    parser.add_argument("--silent", type=int, default=32, help="connections that send nothing")
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--client-timeout", type=float, default=3)
    parser.add_argument("--mock-args", default="", help="extra `feishu-hire serve` flags")
    args = parser.parse_args()
    counts = {"mid-headers": args.hanging // 2, "mid-body": args.hanging - args.hanging // 2}
    counts["silent"] = args.silent
    with tempfile.TemporaryDirectory(prefix="drill-slow-") as tmp:
        extra = ("--no-rate-limits", "--client-timeout", str(args.client_timeout), *args.mock_args.split())
        with mock_servers(Path(tmp) / "mock.db", 1, *extra) as (server,):
            outcome = run(server.base_url, counts, args.seconds)
    base, attack = outcome.baseline_ms, outcome.under_attack_ms
    print(f"normal creates, one at a time, {args.seconds:g} s each, on 127.0.0.1 ({servers.HOST})")
    median = statistics.median
    print(f"  alone:             {len(base):5d} creates, p50 {median(base):6.2f} ms, p99 {p99(base):6.2f} ms")
    print(
        f"  beside the others: {len(attack):5d} creates, p50 {statistics.median(attack):6.2f} ms,"
        f" p99 {p99(attack):6.2f} ms, max {max(attack):6.2f} ms"
    )
    for g in outcome.groups:
        closed = [c for c in g.closed_after if c is not None]
        answered = sum(1 for a in g.answers if a.startswith(b"HTTP/1.1 4"))
        when = f"after {min(closed):.1f}-{max(closed):.1f} s" if closed else ""
        print(
            f"  {g.kind:<12} {len(g.sockets)} connections: {len(closed)} closed by the server {when};"
            f" {answered} answered 4xx first"
        )
    print(f"reproduce: {reproduce('benchmarks.drills.slow_clients')}")


if __name__ == "__main__":
    main()
