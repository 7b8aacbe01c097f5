"""Several hosts of one sandbox on loopback: `feishu-hire serve --db postgresql://... --redis redis://...`
processes on their own ports, each a uWSGI server of its own workers, started at once and stopped by
process group. What the multi-host tests, drills and benchmarks run against."""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from benchmarks import servers

HOSTS = 3
WORKERS = 2
START_SECONDS = 60


def host_argv(port: int, database: str, redis_url: str | None, workers: int, *extra: str) -> list[str]:
    """One host: `serve` on `port` with `workers` processes on `database`, windows in `redis_url`."""
    args = ["--workers", str(workers), *(("--redis", redis_url) if redis_url else ()), *extra]
    return servers.mock_argv(port, database, *args)


@contextlib.contextmanager
def hosts(
    database: str,
    redis_url: str | None,
    *,
    count: int = HOSTS,
    workers: int = WORKERS,
    extra: Sequence[str] = (),
    logs: Path | None = None,
) -> Iterator[list[servers.Server]]:
    """`count` hosts of one sandbox, each on a free 127.0.0.1 port; all started before any is waited
    for (they seed the one database at once, as hosts of a fleet do), all stopped afterwards."""
    started: list[servers.Server] = []
    try:
        for i in range(count):
            port = servers.free_port()
            log = subprocess.DEVNULL if logs is None else (logs / f"host-{i}.log").open("wb")
            process = subprocess.Popen(
                host_argv(port, database, redis_url, workers, *extra),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=servers.ROOT,
            )
            started.append(servers.Server(f"host-{i}", f"http://{servers.HOST}:{port}", process))
        for server in started:
            servers._wait_until_up(server.base_url, server.process, START_SECONDS)
        yield started
    finally:
        for server in started:
            server.kill()


def wait_for(condition: str, check: Callable[[], bool], seconds: float = 30) -> None:
    """Polls `check()` until it is true; fails naming `condition` after `seconds`."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{condition}: not within {seconds} s")
        time.sleep(0.05)
