"""A load balancer's check of real hosts (`GET /mock-api/health`, `mockserver.health`) while their
engines go down and come back: 503 naming the engine that does not answer, 200 again by itself once it
does, with no restart of the host."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from benchmarks.drills.outage import outage_fleet
from benchmarks.engines import Engine, Engines
from benchmarks.servers import Server
from mockserver.health import PATH

pytestmark = pytest.mark.slow


@pytest.fixture
def host(own_engines: Engines, tmp_path: Path) -> Iterator[Server]:
    with outage_fleet(1, 1, logs=tmp_path, own=own_engines) as (fleet, _, _):
        yield fleet[0]


def _health(host: Server) -> tuple[int, dict[str, object]]:
    answer = httpx.get(f"{host.base_url}{PATH}", timeout=10)
    return answer.status_code, answer.json()


def _until(host: Server, status: int, seconds: float = 15) -> dict[str, object]:
    deadline = time.monotonic() + seconds
    while True:
        found, body = _health(host)
        if found == status:
            return body
        assert time.monotonic() < deadline, f"health stayed {found}: {body}"
        time.sleep(0.1)


@pytest.mark.parametrize(
    ("engine", "role"), [("redis", "rate_limits"), ("postgres", "database")], ids=["redis", "postgresql"]
)
def test_an_engine_down_is_503_naming_it_and_200_again_once_it_answers(
    host: Server, own_engines: Engines, engine: Engine, role: str
) -> None:
    assert _health(host) == (200, {"status": "ok", "engines": {"database": "ok", "rate_limits": "ok"}})
    own_engines.stop(engine)
    down = _until(host, 503)
    assert down["status"] == "unavailable"
    assert down["engines"] == {
        "database": "unavailable" if role == "database" else "ok",
        "rate_limits": "unavailable" if role == "rate_limits" else "ok",
    }
    own_engines.start(engine)
    assert _until(host, 200) == {"status": "ok", "engines": {"database": "ok", "rate_limits": "ok"}}
