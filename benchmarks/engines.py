"""PostgreSQL and Redis for the tests, drills and benchmarks of a sandbox on shared engines: the URLs the
environment names (`FEISHU_TEST_POSTGRES_URL`, `FEISHU_TEST_REDIS_URL`), or throwaway ones that
`scripts/services` starts on loopback ports and stops.

A database per use (`fresh_database`) keeps runs apart on one PostgreSQL; throwaway engines can also be
stopped and started again with their data (`Engines.stop`, `Engines.start`), for outage drills.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ROOT / "scripts/services"
POSTGRES_ENV = "FEISHU_TEST_POSTGRES_URL"
REDIS_ENV = "FEISHU_TEST_REDIS_URL"

Engine = Literal["postgres", "redis"]


class EnginesUnavailable(RuntimeError):
    """The engines could not be started here (scripts/services said why)."""


def _services(*args: str) -> str:
    done = subprocess.run(
        [str(SERVICES), *args], capture_output=True, text=True, timeout=120, check=False, cwd=ROOT
    )
    if done.returncode != 0:
        raise EnginesUnavailable(f"scripts/services {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


@dataclass(frozen=True)
class Engines:
    postgres_url: str
    redis_url: str
    # The folder of engines `scripts/services` started (None: the environment's, not ours to stop).
    folder: Path | None = None

    def stop(self, engine: Engine) -> None:
        """Stops one throwaway engine, keeping its data and port (an outage)."""
        _services(f"stop-{engine}", str(self._own_folder()))

    def start(self, engine: Engine) -> None:
        """Starts a stopped throwaway engine again, on its port, with its data."""
        _services(f"start-{engine}", str(self._own_folder()))

    def _own_folder(self) -> Path:
        if self.folder is None:
            raise ValueError("engines named by the environment are not this run's to stop")
        return self.folder


def from_environment() -> Engines | None:
    postgres, redis_url = os.environ.get(POSTGRES_ENV), os.environ.get(REDIS_ENV)
    return Engines(postgres, redis_url) if postgres and redis_url else None


@contextlib.contextmanager
def throwaway() -> Iterator[Engines]:
    """A PostgreSQL and a Redis of their own, started by `scripts/services` and stopped afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="feishu-services-"))
    try:
        exports = dict(re.findall(r"^export (\w+)=(.*)$", _services("start", str(folder)), re.MULTILINE))
    except EnginesUnavailable:
        _services("stop", str(folder))
        raise
    try:
        yield Engines(exports[POSTGRES_ENV], exports[REDIS_ENV], folder)
    finally:
        _services("stop", str(folder))


@contextlib.contextmanager
def engines() -> Iterator[Engines]:
    """The environment's engines when it names both, else throwaway ones."""
    named = from_environment()
    if named is not None:
        yield named
        return
    with throwaway() as started:
        yield started


def with_database(url: str, name: str) -> str:
    """`url` naming database `name` instead."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@contextlib.contextmanager
def fresh_database(server_url: str, prefix: str = "feishu_test") -> Iterator[str]:
    """An empty database of its own on the PostgreSQL of `server_url`, dropped afterwards (its
    connections closed first)."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield with_database(server_url, name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextlib.contextmanager
def fresh_redis(url: str) -> Iterator[str]:
    """`url`'s Redis database emptied before and after use (tests and drills take turns on it)."""
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
        yield url
        client.flushdb()
    finally:
        client.close()
