"""Several servers of one sandbox on loopback, started at once and stopped by process group: above all
the hosts of a sandbox on shared engines (`feishu-hire serve --workers W --db postgresql://...
--redis redis://...`), each on a port of its own. What the multi-host tests, drills and benchmarks run
against."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from benchmarks import servers

HOSTS = 3
WORKERS = 2
START_SECONDS = 90  # several uWSGI servers importing the app at once on a loaded 2-core machine


@contextlib.contextmanager
def launched(
    name: str, count: int, argv: Callable[[int], list[str]], logs: Path | None = None
) -> Iterator[list[servers.Server]]:
    """`count` servers `argv(port)`, each on a free 127.0.0.1 port, named `{name}-{i}` (their output in
    `logs/{name}-{i}.log`); all started before any is waited for, all stopped afterwards."""
    started: list[servers.Server] = []
    try:
        for i in range(count):
            port = servers.free_port()
            log_path = None if logs is None else logs / f"{name}-{i}.log"
            with open(log_path or os.devnull, "wb") as log:  # the child keeps its own descriptor
                process = subprocess.Popen(
                    argv(port), stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=servers.ROOT
                )
            started.append(servers.Server(f"{name}-{i}", f"http://{servers.HOST}:{port}", process))
        for server in started:
            servers._wait_until_up(server.base_url, server.process, START_SECONDS)
        yield started
    finally:
        for server in started:
            server.kill()


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
    """`count` hosts of one sandbox on `database`, windows in `redis_url`, `workers` processes each (they
    seed the one database at once, as the hosts of a fleet do)."""
    args = ["--workers", str(workers), *(("--redis", redis_url) if redis_url else ()), *extra]
    with launched("host", count, lambda port: servers.mock_argv(port, database, *args), logs) as started:
        yield started
