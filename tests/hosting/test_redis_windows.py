"""Rate-limit windows in Redis (`mockserver.redis_windows`) on a real redis-server: exact counts from
many clients at once, windows on the mock's clock, a refused call uses no window, Redis down is 1002001."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from benchmarks.engines import Engines
from mockserver.errors import SYSTEM_ERROR
from mockserver.redis_windows import Limit, RedisUnavailable, RedisWindows

NOW = 1_700_000_000.25
PER_SECOND = Limit(50, 1)
PER_MINUTE = Limit(1000, 60)


@pytest.fixture
def windows(redis_url: str) -> RedisWindows:
    return RedisWindows(redis_url)


def admitted(windows: RedisWindows, name: str, limits: list[Limit], now: float, calls: int) -> int:
    return sum(windows.hit(name, limits, now) is None for _ in range(calls))


def test_a_window_admits_its_amount_and_refuses_the_rest_until_the_clock_rolls_it(
    windows: RedisWindows,
) -> None:
    assert admitted(windows, "app/op", [Limit(10, 1)], NOW, 15) == 10
    refusal = windows.hit("app/op", [Limit(10, 1)], NOW + 0.99)
    assert refusal is not None
    assert refusal.limit == Limit(10, 1)
    assert refusal.resets_at == NOW + 1  # exactly: the window began at its first call
    assert windows.window("app/op", Limit(10, 1), NOW) == (10, NOW + 1)  # refused calls not counted
    # The mock's clock, not Redis's, rolls the window.
    assert admitted(windows, "app/op", [Limit(10, 1)], NOW + 1, 15) == 10


def test_any_one_limit_trips_and_a_refused_call_counts_in_no_window(windows: RedisWindows) -> None:
    limits = [PER_SECOND, PER_MINUTE]
    for second in range(20):
        assert admitted(windows, "app/op", limits, NOW + second, 60) == 50
    refusal = windows.hit("app/op", limits, NOW + 20)
    assert refusal is not None
    assert (refusal.limit, refusal.resets_at) == (PER_MINUTE, NOW + 60)
    # The per-second window of second 20 was never opened by the refused call.
    assert windows.window("app/op", PER_SECOND, NOW + 20) is None
    assert admitted(windows, "app/op", limits, NOW + 60, 60) == 50


def test_names_count_apart_and_clear_drops_only_this_prefix(redis_url: str) -> None:
    one, other = RedisWindows(redis_url), RedisWindows(redis_url, prefix="other-sandbox:")
    assert admitted(one, "app-a/op", [Limit(3, 1)], NOW, 5) == 3
    assert admitted(one, "app-b/op", [Limit(3, 1)], NOW, 5) == 3
    assert admitted(other, "app-a/op", [Limit(3, 1)], NOW, 5) == 3
    assert one.clear() == 2
    assert admitted(one, "app-a/op", [Limit(3, 1)], NOW, 5) == 3
    assert admitted(other, "app-a/op", [Limit(3, 1)], NOW, 5) == 0


def test_counts_are_exact_with_many_clients_at_once(redis_url: str) -> None:
    # 16 clients (each its own connection pool, as hosts are) race 40 calls each at one window of 100.
    clients = [RedisWindows(redis_url) for _ in range(16)]
    barrier = threading.Barrier(len(clients))

    def race(client: RedisWindows) -> int:
        barrier.wait(timeout=30)
        return admitted(client, "app/op", [Limit(100, 1), Limit(150, 60)], NOW, 40)

    with ThreadPoolExecutor(len(clients)) as pool:
        assert sum(pool.map(race, clients)) == 100
    assert clients[0].window("app/op", Limit(150, 60), NOW) == (100, NOW + 60)


def test_redis_down_is_1002001_at_once_and_service_resumes_by_itself(own_engines: Engines) -> None:
    windows = RedisWindows(own_engines.redis_url)
    assert windows.hit("app/op", [Limit(1, 1)], NOW) is None
    own_engines.stop("redis")
    began = time.monotonic()
    with pytest.raises(RedisUnavailable) as caught:
        windows.hit("app/op", [Limit(1, 1)], NOW)
    assert caught.value.code == SYSTEM_ERROR
    assert time.monotonic() - began < 3  # fails fast, not after a long TCP timeout
    own_engines.start("redis")  # nothing was saved: the restarted Redis starts with no windows
    assert windows.hit("app/op", [Limit(1, 1)], NOW) is None
    assert windows.hit("app/op", [Limit(1, 1)], NOW) is not None
