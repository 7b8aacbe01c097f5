"""Rate-limit windows in Redis (`mockserver.ratelimit.redis`) on a real redis-server: exact counts from
many clients at once, windows on the mock's clock, a refused call uses no window, Redis down is 1002001."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from benchmarks import servers
from benchmarks.engines import Engines
from mockserver.errors import SYSTEM_ERROR
from mockserver.ratelimit import Refusal, Window
from mockserver.ratelimit.redis import RedisUnavailable, RedisWindows

NOW = 1_700_000_000.25
PER_SECOND = Window(50, 1)
PER_MINUTE = Window(1000, 60)


@pytest.fixture
def windows(redis_url: str) -> RedisWindows:
    return RedisWindows(redis_url)


def admitted(windows: RedisWindows, name: str, limits: list[Window], now: float, calls: int) -> int:
    return sum(windows.hit(name, limits, now) is None for _ in range(calls))


def test_a_window_admits_its_amount_and_refuses_the_rest_until_the_clock_rolls_it(
    windows: RedisWindows,
) -> None:
    assert admitted(windows, "app/op", [Window(10, 1)], NOW, 15) == 10
    assert windows.hit("app/op", [Window(10, 1)], NOW + 0.99) == Refusal(10, 1)
    # Exactly: the window began at its first call; refused calls are not counted.
    assert windows.window("app/op", Window(10, 1), NOW) == (10, NOW + 1)
    # The mock's clock, not Redis's, rolls the window.
    assert admitted(windows, "app/op", [Window(10, 1)], NOW + 1, 15) == 10


def test_any_one_limit_trips_and_a_refused_call_counts_in_no_window(windows: RedisWindows) -> None:
    limits = [PER_SECOND, PER_MINUTE]
    for second in range(20):
        assert admitted(windows, "app/op", limits, NOW + second, 60) == 50
    assert windows.hit("app/op", limits, NOW + 20) == Refusal(1000, 40)  # the minute began 20 s ago
    # The per-second window of second 20 was never opened by the refused call.
    assert windows.window("app/op", PER_SECOND, NOW + 20) is None
    assert admitted(windows, "app/op", limits, NOW + 60, 60) == 50


def test_callers_count_apart_and_clear_drops_only_this_prefix(redis_url: str) -> None:
    one, other = RedisWindows(redis_url), RedisWindows(redis_url, prefix="other-sandbox:")
    assert admitted(one, "app-a/op", [Window(3, 1)], NOW, 5) == 3
    assert admitted(one, "app-b/op", [Window(3, 1)], NOW, 5) == 3
    assert admitted(other, "app-a/op", [Window(3, 1)], NOW, 5) == 3
    one.clear()
    assert one.window("app-b/op", Window(3, 1), NOW) is None
    assert admitted(one, "app-a/op", [Window(3, 1)], NOW, 5) == 3
    assert admitted(other, "app-a/op", [Window(3, 1)], NOW, 5) == 0


def test_counts_are_exact_with_many_clients_at_once(redis_url: str) -> None:
    # 16 clients (each its own connection pool, as hosts are) race 40 calls each at one window of 100.
    clients = [RedisWindows(redis_url) for _ in range(16)]
    barrier = threading.Barrier(len(clients))

    def race(client: RedisWindows) -> int:
        barrier.wait(timeout=30)
        return admitted(client, "app/op", [Window(100, 1), Window(150, 60)], NOW, 40)

    with ThreadPoolExecutor(len(clients)) as pool:
        assert sum(pool.map(race, clients)) == 100
    assert clients[0].window("app/op", Window(150, 60), NOW) == (100, NOW + 60)


def test_redis_down_is_1002001_at_once_and_service_resumes_by_itself(
    own_engines: Engines, caplog: pytest.LogCaptureFixture
) -> None:
    windows = RedisWindows(own_engines.redis_url)
    assert windows.hit("app/op", [Window(1, 1)], NOW) is None
    own_engines.stop("redis")
    for _ in range(3):
        began = time.monotonic()
        with pytest.raises(RedisUnavailable) as caught:
            windows.hit("app/op", [Window(1, 1)], NOW)
        assert caught.value.code == SYSTEM_ERROR
        assert time.monotonic() - began < 3  # fails fast, not after a long TCP timeout
    own_engines.start("redis")  # nothing was saved: the restarted Redis starts with no windows
    assert windows.hit("app/op", [Window(1, 1)], NOW) is None
    assert windows.hit("app/op", [Window(1, 1)], NOW) is not None
    # The outage in the log: when it began (and why) and when it ended, not a line per call.
    told = [r.getMessage() for r in caplog.records if r.name == "mockserver.ratelimit.redis"]
    assert len(told) == 2, told
    assert told[0].startswith("Redis cannot be asked (ConnectionError: ")
    assert told[0].endswith("): calls answer 1002001 until it can")
    assert told[1].startswith("Redis answers again, ")


def test_a_thread_that_never_had_a_connection_finds_redis_down_as_1002001() -> None:
    """Taking a thread's first connection connects: Redis down then is the same 1002001 as later (a new
    worker, a new thread, a host started while Redis is down), for a call and for the health check."""
    windows = RedisWindows(f"redis://127.0.0.1:{servers.free_port()}/0")  # nothing listens there
    try:
        with pytest.raises(RedisUnavailable) as caught:
            windows.hit("app/op", [Window(1, 1)], NOW)
        assert caught.value.code == SYSTEM_ERROR
        with pytest.raises(RedisUnavailable):
            windows.ping()
    finally:
        windows.close()


def test_a_redis_restarted_between_two_calls_answers_the_second(own_engines: Engines) -> None:
    # The thread's connection was closed by the restart, and the new Redis has no scripts: the call
    # opens a connection, loads the script and is counted, without a 1002001.
    windows = RedisWindows(own_engines.redis_url)
    try:
        assert windows.hit("app/restart", [Window(1, 1)], NOW) is None
        own_engines.stop("redis")
        own_engines.start("redis")
        assert windows.hit("app/restart", [Window(1, 1)], NOW) is None
        assert windows.hit("app/restart", [Window(1, 1)], NOW) is not None
    finally:
        windows.close()


def _client_id(windows: RedisWindows) -> int:
    """The Redis client id of the connection the calling thread's hits go out on."""
    client_id: int = windows._line().ask(("CLIENT", "ID"))
    return client_id


def test_a_forked_process_hits_on_a_connection_of_its_own(windows: RedisWindows) -> None:
    assert windows.hit("app/fork", [Window(3, 60)], NOW) is None
    parents = _client_id(windows)
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:  # the child: a hit, then its connection's id to the parent
        try:
            admitted = windows.hit("app/fork", [Window(3, 60)], NOW) is None
            os.write(writing, f"{int(admitted)} {_client_id(windows)}".encode())
        finally:
            os._exit(0)
    os.close(writing)
    with os.fdopen(reading) as answer:
        counted, childs = answer.read().split()
    os.waitpid(child, 0)
    assert counted == "1"
    assert int(childs) != parents
    assert windows.hit("app/fork", [Window(3, 60)], NOW) is None  # the parent's connection still works
    assert windows.hit("app/fork", [Window(3, 60)], NOW) is not None  # 3 counted, across both processes


def test_a_redis_that_does_not_answer_is_1002001_once_the_urls_command_timeout_is_over(
    own_engines: Engines,
) -> None:
    # CLIENT PAUSE holds every other client's commands unanswered: a hung Redis, on a connection that
    # was already made and had answered. The URL's socket_timeout is the command timeout.
    windows = RedisWindows(f"{own_engines.redis_url}?socket_timeout=0.5")
    pauser = redis.Redis.from_url(own_engines.redis_url)
    try:
        assert windows.hit("app/paused", [Window(2, 60)], NOW) is None
        pauser.client_pause(3000, all=True)
        try:
            began = time.monotonic()
            with pytest.raises(RedisUnavailable) as caught:
                windows.hit("app/paused", [Window(2, 60)], NOW)
            waited = time.monotonic() - began
        finally:
            pauser.client_unpause()
        assert caught.value.code == SYSTEM_ERROR
        assert 0.45 < waited < 1.5, waited  # the timeout, once: a timed-out command is not sent again
        # The next call goes out on a new connection, whole: nothing of the unanswered one is read as its.
        assert windows.hit("app/paused", [Window(2, 60)], NOW) is None
        assert windows.hit("app/paused", [Window(2, 60)], NOW) is not None
    finally:
        pauser.close()
        windows.close()


def test_the_windows_speak_resp2_whatever_the_url_asks(redis_url: str) -> None:
    # The line reads answers with a plain reader: RESP3's push messages and booleans are not for it.
    windows = RedisWindows(f"{redis_url}?protocol=3")
    try:
        assert b"resp=2" in windows._line().ask(("CLIENT", "INFO")).split()
        assert windows.hit("app/resp", [Window(1, 60)], NOW) is None
        assert windows.hit("app/resp", [Window(1, 60)], NOW) is not None
        assert windows.window("app/resp", Window(1, 60), NOW) == (1, NOW + 60)
    finally:
        windows.close()
