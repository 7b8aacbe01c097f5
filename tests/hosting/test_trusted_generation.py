"""A call on a PostgreSQL store goes on the generation its process knows, and the rate-limit hit checks it
with the call's count (`PostgresGeneration.trust_known`): Redis against its copy, or, without Redis,
PostgreSQL's window function against the row. No round trip of its own for it, and still every change
answered on one host is seen by the next call on any other. Two in-process apps on one PostgreSQL
database (and one Redis) stand for two hosts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import httpx
import psycopg
import pytest
import redis

from mockserver.app import create_app
from mockserver.clock import Clock
from mockserver.config import MockConfig
from mockserver.control import MockControl
from mockserver.errors import INVALID_TOKEN, TOKEN_EXPIRED
from mockserver.ratelimit.redis import DEFAULT_PREFIX
from mockserver.runtime import EXTENSION, Runtime
from mockserver.storage import postgres
from mockserver.storage.postgres import PostgresGeneration
from tests.mockserver.helpers import SITE_USERS, bearer, body

START = 1_700_000_000.0  # both hosts' frozen clock: a window rolls only when a test advances it


@dataclass
class Host:
    client: httpx.Client
    control: MockControl
    runtime: Runtime
    reads: list[int]  # the generation row each read of it found

    def create(self, external_id: str, headers: dict[str, str]) -> int:
        answer = self.client.post(SITE_USERS, json={"external_id": external_id}, headers=headers)
        code: int = body(answer)["code"]
        return code


@contextmanager
def _host(postgres_url: str, redis_url: str | None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Host]:
    app = create_app(MockConfig(db_path=postgres_url, redis_url=redis_url, clock=Clock(start=START)))
    rt: Runtime = app.extensions[EXTENSION]
    generation = rt.store.generation
    assert isinstance(generation, PostgresGeneration)
    reads: list[int] = []
    read = generation._read

    def counted() -> int:
        value = read()
        reads.append(value)
        return value

    monkeypatch.setattr(generation, "_read", counted)
    client = httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://127.0.0.1")
    try:
        yield Host(client, MockControl(client), rt, reads)
    finally:
        client.close()
        rt.close()


def _hosts(postgres_url: str, redis_url: str | None, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Host]]:
    with ExitStack() as stack:
        yield [stack.enter_context(_host(postgres_url, redis_url, monkeypatch)) for _ in range(2)]


@pytest.fixture(params=["redis", "postgresql"])
def hosts(
    request: pytest.FixtureRequest, postgres_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[Host]]:
    """Two hosts whose windows are in Redis, or in PostgreSQL (no `--redis`)."""
    yield from _hosts(postgres_url, redis_url if request.param == "redis" else None, monkeypatch)


@pytest.fixture
def redis_hosts(postgres_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Host]]:
    yield from _hosts(postgres_url, redis_url, monkeypatch)


def test_a_steady_call_reads_no_generation_from_postgresql_and_a_process_reads_it_every_second(
    hosts: list[Host],
) -> None:
    a, _ = hosts
    headers = bearer(a.client)
    assert a.create("warm", headers) == 0
    a.reads.clear()
    for n in range(8):  # with the first and the last: 10, what one window of site_users admits
        assert a.create(f"steady-{n}", headers) == 0
    assert a.reads == []
    time.sleep(postgres.REREAD_SECONDS)
    assert a.create("a second later", headers) == 0
    assert len(a.reads) == 1


def test_a_change_answered_on_one_host_is_seen_by_the_next_call_on_the_other(hosts: list[Host]) -> None:
    a, b = hosts
    headers = bearer(a.client)
    assert b.create("warm", headers) == 0  # b has the token and the clock cached
    b.reads.clear()
    a.control.advance_clock(7200)  # the token's life
    assert b.create("expired", headers) == TOKEN_EXPIRED
    assert len(b.reads) == 1  # its rate-limit hit told it the generation had moved: it read again
    headers = bearer(a.client)
    assert b.create("new token", headers) == 0
    a.control.inject_fault("create_website_site_user", code=1002001)
    assert b.create("faulted", headers) == 1002001
    a.control.reset()  # deletes the tokens
    assert b.create("reset", headers) == INVALID_TOKEN


def test_a_call_on_a_moved_generation_is_counted_in_no_window(hosts: list[Host]) -> None:
    a, b = hosts
    headers = bearer(a.client)
    # site_users allows 10 per second per app; the window starts with the first call.
    assert [b.create(f"before-{n}", headers) for n in range(4)] == [0] * 4
    a.control.advance_clock(0.5)  # moves the generation; the window stays open
    codes = [b.create(f"after-{n}", headers) for n in range(10)]
    assert codes == [0] * 6 + [99991400] * 4  # the call that found the move was counted once, not twice


def test_a_refused_token_is_answered_on_the_generation_read_from_postgresql(hosts: list[Host]) -> None:
    a, b = hosts
    headers = bearer(a.client)
    assert b.create("warm", headers) == 0
    b.reads.clear()
    assert b.create("refused", {"Authorization": "Bearer t-unknown"}) == INVALID_TOKEN
    assert len(b.reads) == 1  # no rate-limit hit checked it: the row was read


def test_a_copy_in_redis_that_lags_is_caught_up_by_the_next_read_of_the_row(
    redis_hosts: list[Host], postgres_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = redis_hosts
    headers = bearer(a.client)
    assert b.create("warm", headers) == 0
    # A host that died between a change's commit and its announcement: the row moved, the copy did not
    # (here: a reset's deletion of the tokens, by hand).
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("DELETE FROM tokens")
        moved = conn.execute("UPDATE generation SET value = value + 1 RETURNING value").fetchone()
    assert moved is not None
    monkeypatch.setattr(postgres, "REREAD_SECONDS", 0.2)
    time.sleep(0.2)
    assert b.create("caught up", headers) == INVALID_TOKEN
    copy = redis.Redis.from_url(redis_url).get(f"{DEFAULT_PREFIX}generation")
    assert copy is not None
    assert int(copy) == moved[0]
