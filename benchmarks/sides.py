"""The two sides a benchmark runs in turn: this checkout, and with `--against DIR` another source tree (a
commit checked out there) or with `--against-python PYTHON` this checkout on another interpreter, so a
machine whose speed drifts weighs on both alike; and a fresh, warmed-up server of each side, for one
measured run, on a new SQLite file or (`--engine postgres`) a new PostgreSQL database with Redis."""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import engines, servers, wrk
from benchmarks.hosts_load import RATE_LIMIT_SCALE
from benchmarks.load import WEBSITE_ID, fetch_token

# The concurrency of the warm-up, as of the runs the benchmarks measure.
WARM_UP_CONNECTIONS = 8
# Where `--against-python` keeps the venv it makes for each interpreter (ignored by git).
VENVS = servers.ROOT / ".venvs"


@dataclass(frozen=True)
class Side:
    """What one side of a comparison runs: `source` first on PYTHONPATH (None: this checkout), with the
    `feishu-hire` of the venv whose scripts are in `bin`."""

    source: str | None = None
    bin: Path = field(default_factory=lambda: servers.BIN)

    def describe(self) -> str:
        """Its source and its Python, as the report names them."""
        python = self.bin / "python"
        version = subprocess.run(
            [str(python), "-c", "import platform; print(platform.python_version())"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        return f"{self.source or 'this checkout'} on Python {version} ({python.resolve()})"


def add_arguments(parser: argparse.ArgumentParser, *, rounds: int, seconds: float) -> None:
    """`--rounds` and `--seconds` (with these defaults), `--mock-args` (flags for every `feishu-hire
    serve`), `--engine`, and `--against DIR` or `--against-python PYTHON`."""
    parser.add_argument("--rounds", type=int, default=rounds, help="runs of each side, interleaved")
    parser.add_argument("--seconds", type=float, default=seconds, help="length of each measured run")
    parser.add_argument("--mock-args", default="", help="`feishu-hire serve` flags, e.g. '--workers 1'")
    parser.add_argument(
        "--engine",
        choices=["sqlite", "postgres"],
        default="sqlite",
        help="each server's store: a new SQLite file (rate limits off), or a new PostgreSQL database with"
        " Redis for the windows (limits scaled so that none refuses, as benchmarks.hosts_load runs hosts)",
    )
    against = parser.add_mutually_exclusive_group()
    against.add_argument("--against", default=None, help="another source tree to run in turn with this one")
    against.add_argument(
        "--against-python",
        default=None,
        metavar="PYTHON",
        help="another interpreter to run this checkout on, in turn with .venv's (a venv of uv.lock is made"
        " for it under .venvs/)",
    )


def venv_for(python: str) -> Path:
    """The scripts folder of a venv of uv.lock (the test extras, this checkout installed editable) made for
    `python` under `VENVS`, made or brought in line with the lock here."""
    interpreter = Path(shutil.which(python) or python).resolve()
    venv = VENVS / hashlib.sha256(str(interpreter).encode()).hexdigest()[:12]
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv), "UV_PYTHON": str(interpreter)}
    uv = servers.ROOT / "scripts" / "uv"
    subprocess.run(
        [str(uv), "sync", "--frozen", "--extra", "test", "--quiet"], env=env, check=True, cwd=servers.ROOT
    )
    return venv / "bin"


def chosen(args: argparse.Namespace) -> dict[str, Side]:
    """{"this": this checkout on .venv's Python, "against": the other side}, or only "this" without
    `--against` or `--against-python`."""
    sides = {"this": Side()}
    if args.against:
        sides["against"] = Side(source=str(Path(args.against).resolve()))
    elif args.against_python:
        sides["against"] = Side(bin=venv_for(args.against_python))
    return sides


def describe(sides: dict[str, Side]) -> None:
    """Prints what each of `sides` runs."""
    for name, side in sides.items():
        print(f"{name:8} {side.describe()}")


def interleaved(sides: dict[str, Side], rounds: int) -> Iterator[tuple[int, str, Side]]:
    """(round, side's name, side) for each of `sides` in turn, `rounds` rounds from 1."""
    for round_no in range(1, rounds + 1):
        for name, side in sides.items():
            yield round_no, name, side


@contextlib.contextmanager
def engines_for(engine: str) -> Iterator[engines.Engines | None]:
    """The PostgreSQL and Redis every run of `--engine postgres` uses (each run a database of its own),
    started once for the benchmark; None for SQLite."""
    if engine != "postgres":
        yield None
        return
    with engines.engines() as shared:
        yield shared


@contextlib.contextmanager
def fresh_mock(
    side: Side, mock_args: list[str], shared: engines.Engines | None = None
) -> Iterator[tuple[servers.Server, str]]:
    """`feishu-hire serve` of `side` on a new store (see `add_arguments`: a database of `shared`'s
    PostgreSQL with its Redis, or without `shared` a SQLite file), warmed up by 1 s of creates: the server
    and a tenant token for the measured run."""
    env = None if side.source is None else {**os.environ, "PYTHONPATH": side.source}
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-")))
        if shared is not None:
            store: Path | str = stack.enter_context(engines.fresh_database(shared.postgres_url))
            redis_url = stack.enter_context(engines.fresh_redis(shared.redis_url))
            limits = ["--redis", redis_url, "--rate-limit-scale", RATE_LIMIT_SCALE]
        else:
            store, limits = tmp / "mock.db", ["--no-rate-limits"]
        port = servers.free_port()
        argv = servers.mock_argv(port, store, *limits, *mock_args, venv_bin=side.bin)
        server = stack.enter_context(servers.running("mock", argv, port, env=env))
        token = fetch_token(server.base_url)
        wrk.run(
            server.base_url, connections=WARM_UP_CONNECTIONS, seconds=1, token=token,
            website_id=WEBSITE_ID, prefix=f"warm-{port}",
        )  # fmt: skip
        yield server, token
