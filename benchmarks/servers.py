"""Start and stop the servers the benchmarks compare, each on a free 127.0.0.1 port."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from mockserver.cli import default_workers
from mockserver.server import WAITRESS_THREADS, uvicorn_available
from mockserver.storage import is_postgres

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PRISM = ROOT / "benchmarks/.tools/node_modules/.bin/prism"
SPEC = ROOT / "spec/hire.yaml"
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def process_group(pgid: int) -> dict[int, list[str]]:
    """The processes of process group `pgid` (Linux), each as the fields of its /proc/PID/stat from the
    state on: [state, ppid, pgrp, ...], so utime and stime are fields 11 and 12."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):  # gone meanwhile
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) == pgid:
                    found[int(entry.name)] = fields
    return found


def live_process_group(pgid: int) -> list[int]:
    """The live (not zombie) processes of process group `pgid` (Linux)."""
    return [pid for pid, fields in process_group(pgid).items() if fields[0] not in ("Z", "X")]


def established_connections(port: int, pids: Iterable[int]) -> Counter[int]:
    """How many established TCP connections to local `port` each of `pids` holds (Linux: from /proc)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":  # ESTABLISHED
                    inodes.add(f"socket:[{fields[9]}]")
    held: Counter[int] = Counter()
    for pid in pids:
        with contextlib.suppress(OSError):  # gone meanwhile
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) in inodes:
                        held[pid] += 1
    return held


@dataclass
class Server:
    name: str
    base_url: str
    process: subprocess.Popen[bytes]

    @property
    def port(self) -> int:
        port = urlsplit(self.base_url).port
        assert port is not None  # every server here is started on a port of its own
        return port

    def kill(self, sig: int = signal.SIGTERM) -> None:
        """Signals the whole process group (uvicorn and Prism fork workers)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)


def _wait_until_up(
    base_url: str, process: subprocess.Popen[bytes], seconds: float = 30, poll: float = 0.1
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{base_url}: the server exited with {process.returncode}")
        with contextlib.suppress(httpx.TransportError):
            httpx.get(base_url + "/", timeout=1)  # any answer (404 included) means it listens
            return
        time.sleep(poll)
    raise RuntimeError(f"{base_url} did not come up in {seconds} s")


@contextlib.contextmanager
def running(
    name: str,
    argv: Sequence[str],
    port: int,
    log: Path | None = None,
    *,
    poll: float = 0.1,
    env: Mapping[str, str] | None = None,
) -> Iterator[Server]:
    """`argv` started (with `env`, by default this process's environment), yielded once it answers on
    `port` (checked every `poll` seconds), stopped after."""
    out = log.open("wb") if log else subprocess.DEVNULL
    process = subprocess.Popen(
        argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT, env=env
    )
    server = Server(name, f"http://{HOST}:{port}", process)
    try:
        _wait_until_up(server.base_url, process, poll=poll)
        yield server
    finally:
        server.kill()


def mock_argv(port: int, db: Path | str, *extra: str, venv_bin: Path = BIN) -> list[str]:
    """`feishu-hire serve` (the one in `venv_bin`) on `port` with `db`: a SQLite file, or a PostgreSQL
    URL."""
    return [
        str(venv_bin / "feishu-hire"),
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--db",
        str(db),
        *extra,
    ]


def prism_argv(port: int) -> list[str]:
    if not PRISM.exists():
        raise SystemExit("Prism is missing: run benchmarks/install-tools.sh first")
    return [str(PRISM), "mock", str(SPEC), "--host", HOST, "--port", str(port)]


def bare_flask_argv(port: int, threads: int, workers: int = 0) -> list[str]:
    """The bare handler on the server the mock runs on: uvicorn with `workers` processes, as
    `feishu-hire serve` runs it (mockserver.server.serve_uvicorn), or waitress with `threads` (0 workers)."""
    argv = [str(BIN / "python"), "-m", "benchmarks.bare_flask", "--port", str(port)]
    return [*argv, "--threads", str(threads), "--workers", str(workers)]


def bare_flask_argv_like(mock_args: str, port: int) -> list[str]:
    """The ceiling on the server the mock runs on with `mock_args` (`feishu-hire serve` flags): uvicorn
    with the mock's workers (by default as many as `serve` starts on its `--db`), or waitress with its
    threads for `--server waitress` and where uvicorn is not installed."""
    serve = argparse.ArgumentParser(add_help=False)
    serve.add_argument("--server", default=None)
    serve.add_argument("--db", default="")
    serve.add_argument("--workers", type=int, default=None)
    serve.add_argument("--threads", type=int, default=None)
    known, _ = serve.parse_known_args(mock_args.split())
    if known.server == "waitress" or not uvicorn_available():
        return bare_flask_argv(port, known.threads or WAITRESS_THREADS)
    return bare_flask_argv(port, 0, known.workers or default_workers(postgres=is_postgres(known.db)))
