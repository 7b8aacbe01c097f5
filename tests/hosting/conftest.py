"""The engines of a hosted sandbox for these tests: PostgreSQL and Redis named by the environment
(`FEISHU_TEST_POSTGRES_URL`, `FEISHU_TEST_REDIS_URL`), or throwaway ones `scripts/services` starts for
the session. Where neither is possible the tests skip, naming why; under CI=true they fail instead:
CI always runs them."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import pytest

from benchmarks import engines as engines_module
from benchmarks.engines import Engines, EnginesUnavailable


def _started(starting: Callable[[], AbstractContextManager[Engines]]) -> Iterator[Engines]:
    """The engines `starting` gives; where they cannot start, the test skips naming why (fails under
    CI=true)."""
    try:
        with starting() as started:
            yield started
    except EnginesUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI runs the PostgreSQL and Redis tests, but the engines did not start: {exc}")
        pytest.skip(f"waits for PostgreSQL 15 and redis-server on this machine: {exc}")


@pytest.fixture(scope="session")
def engines() -> Iterator[Engines]:
    yield from _started(engines_module.engines)


@pytest.fixture
def redis_url(engines: Engines) -> Iterator[str]:
    """The session's Redis, emptied for this test."""
    with engines_module.fresh_redis(engines.redis_url) as url:
        yield url


@pytest.fixture
def postgres_url(engines: Engines) -> Iterator[str]:
    """A database of this test's own on the session's PostgreSQL."""
    with engines_module.fresh_database(engines.postgres_url) as url:
        yield url


@pytest.fixture(scope="session")
def outage_engines() -> Iterator[Engines]:
    """A PostgreSQL and a Redis of this session's own (never the environment's), for the tests that
    stop and start them."""
    yield from _started(engines_module.throwaway)


@pytest.fixture
def own_engines(outage_engines: Engines) -> Iterator[Engines]:
    """The outage engines, which this test may stop: both are up again after it, whatever happened."""
    yield outage_engines
    outage_engines.start("postgres")
    outage_engines.start("redis")
