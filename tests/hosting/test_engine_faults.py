"""Faults of the engines and the hosts under load (a smaller run of benchmarks/drills/outage.py): two hosts
of `--workers 2` on a PostgreSQL and a Redis of this module's own, which it stops and starts.

- PostgreSQL stopped under load: calls answer 500/1002001 while it is down, nothing acknowledged is
  lost or half-written, and every host answers again by itself once it is back.
- Redis stopped under load: the documented choice, fail closed: 500/1002001 while it is down (no call is
  admitted unlimited), and service resumes by itself.
- PostgreSQL restarted while the hosts are idle: the first call each worker answers after it is
  answered, not failed on the connection the restart ended.
- kill -9 of one host mid-load: the other goes on answering, no acknowledged write is lost.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from benchmarks.drills.common import bearer, create_site_user, token
from benchmarks.drills.outage import Verdict, engine_down, kill_one_host, outage_fleet
from benchmarks.engines import Engine, Engines
from benchmarks.servers import Server

pytestmark = pytest.mark.slow

HOSTS = 2
WORKERS = 2
THREADS = 8
DOWN_SECONDS = 3.0

Fleet = tuple[list[Server], str, Engines]


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the hosts write their logs (`host-N.log`)."""
    return tmp_path_factory.mktemp("hosts")


@pytest.fixture(scope="module")
def fleet(outage_engines: Engines, logs: Path) -> Iterator[Fleet]:
    with outage_fleet(HOSTS, WORKERS, logs=logs, own=outage_engines) as started:
        yield started


def _tracebacks(logs: Path) -> int:
    return sum(log.read_text(errors="replace").count("Traceback") for log in logs.glob("host-*.log"))


@pytest.fixture(autouse=True)
def engines_up_again(outage_engines: Engines) -> Iterator[None]:
    """Whatever a test did, both engines are up for the next."""
    yield
    outage_engines.start("postgres")
    outage_engines.start("redis")


def _check(verdict: Verdict) -> None:
    assert verdict.ok, verdict.line()
    assert verdict.counts["acknowledged"] > 0, verdict.line()


@pytest.mark.parametrize(
    "engine",
    [
        pytest.param("postgres", id="postgresql-down-is-1002001-then-resumes-by-itself"),
        pytest.param("redis", id="redis-down-fails-closed-with-1002001-then-resumes-by-itself"),
    ],
)
def test_an_engine_down_under_load(fleet: Fleet, engine: Engine, logs: Path) -> None:
    servers, database, own = fleet
    urls = [s.base_url for s in servers]
    verdict = engine_down(
        urls, database=database, own=own, engine=engine, threads=THREADS, before=1.0, down=DOWN_SECONDS
    )
    _check(verdict)
    assert verdict.counts["sent while down"] > 0
    assert _tracebacks(logs) == 0  # an engine down is 1002001 and a warning line, not a defect


def _first_calls(servers: list[Server], label: str) -> list[int | None]:
    """A token and `2 x WORKERS` creates from each host, each on a connection of its own: a host hands
    new connections to its workers in turn, so every worker answers at least two of them."""
    codes: list[int | None] = []
    for server in servers:
        headers = bearer(token(server.base_url))  # KeyError: answered without a token
        for i in range(2 * WORKERS):
            with httpx.Client(base_url=server.base_url, timeout=10) as client:
                body = {"external_id": f"{label}-{server.port}-{i}"}
                codes.append(create_site_user(client, headers, body).code)
    return codes


def test_a_host_idle_through_a_postgresql_restart_answers_its_first_calls(fleet: Fleet) -> None:
    servers, _, own = fleet
    assert set(_first_calls(servers, "before")) == {0}  # every worker keeps a connection now
    own.stop("postgres")
    own.start("postgres")
    assert set(_first_calls(servers, "after")) == {0}


def test_kill_9_of_one_host_mid_load_loses_no_acknowledged_write(fleet: Fleet) -> None:
    servers, database, _ = fleet
    verdict = kill_one_host(servers, database, threads=THREADS, before=1.0, after=2.0)
    _check(verdict)
    assert verdict.counts["answered by the others after the kill"] > 0
    assert servers[0].process.returncode is not None  # the killed host is gone, workers and all
