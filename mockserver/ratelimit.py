"""Rate limits per app per operation, read from the spec's `x-feishu-rate-limits` (`limits` notation).

The `limits` library counts, in fixed windows, on a storage that reads the mock's clock, so a test can
roll a window by advancing the clock. Any one limit of an operation trips it ("1000/min & 50/s").
"""

from __future__ import annotations

import math
import threading
from contextlib import AbstractContextManager
from typing import Protocol

from limits import RateLimitItem, parse
from limits.storage import Storage
from limits.strategies import FixedWindowRateLimiter

from feishu_hire_kit.spec import Operation
from mockserver.clock import Clock
from mockserver.errors import RATE_LIMITED, FeishuAPIError


class CounterTable(Protocol):
    """Where fixed-window counters live: in the process (`LocalCounters`) or in the database (shared
    state), each with the atomic section that makes test-then-hit across an operation's limits exact."""

    def rate_incr(self, key: str, now: float, expiry: float, amount: int) -> int: ...

    def rate_window(self, key: str, now: float) -> tuple[int, float] | None: ...

    def rate_clear(self, key: str | None = None) -> int: ...

    def rate_atomic(self) -> AbstractContextManager[object]: ...


class LocalCounters:
    def __init__(self) -> None:
        self._windows: dict[str, tuple[int, float]] = {}
        # Reentrant: the counter calls run inside the limiter's atomic section.
        self._lock = threading.RLock()

    def rate_incr(self, key: str, now: float, expiry: float, amount: int) -> int:
        with self._lock:
            count, expires_at = self._windows.get(key, (0, 0.0))
            if expires_at <= now:
                count, expires_at = 0, now + expiry
            self._windows[key] = (count + amount, expires_at)
            return count + amount

    def rate_window(self, key: str, now: float) -> tuple[int, float] | None:
        with self._lock:
            window = self._windows.get(key)
            return window if window is not None and window[1] > now else None

    def rate_clear(self, key: str | None = None) -> int:
        with self._lock:
            if key is None:
                count = len(self._windows)
                self._windows.clear()
                return count
            return 0 if self._windows.pop(key, None) is None else 1

    def rate_atomic(self) -> AbstractContextManager[object]:
        return self._lock


class CounterStorage(Storage):
    """A `limits` storage for fixed windows on the mock's clock, over a `CounterTable`.

    Across processes the table is the database: each worker's limiter reads and counts the same rows
    inside one write transaction, so per-app per-operation limits stay exact with any number of workers
    (a per-process counter would let N workers admit N times the limit).
    """

    def __init__(self, table: CounterTable, clock: Clock) -> None:
        super().__init__()
        self.table = table
        self.clock = clock

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return ValueError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return self.table.rate_incr(key, self.clock.now(), expiry, amount)

    def get(self, key: str) -> int:
        window = self.table.rate_window(key, self.clock.now())
        return 0 if window is None else window[0]

    def get_expiry(self, key: str) -> float:
        now = self.clock.now()
        window = self.table.rate_window(key, now)
        return now if window is None else window[1]

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        return self.table.rate_clear()

    def clear(self, key: str) -> None:
        self.table.rate_clear(key)


def _scaled(item: RateLimitItem, scale: float) -> RateLimitItem:
    return type(item)(max(1, round(item.amount * scale)), item.multiples, item.namespace)


def rate_limited(limit: int, reset_seconds: int) -> FeishuAPIError:
    """99991400 with the headers a client waits on."""
    return FeishuAPIError(
        RATE_LIMITED,
        headers={"x-ogw-ratelimit-limit": str(limit), "x-ogw-ratelimit-reset": str(reset_seconds)},
    )


class RateLimiter:
    def __init__(
        self, clock: Clock, enabled: bool = True, scale: float = 1.0, counters: CounterTable | None = None
    ) -> None:
        self.clock = clock
        self.enabled = enabled
        self.scale = scale
        self.counters: CounterTable = counters or LocalCounters()
        self.storage = CounterStorage(self.counters, clock)
        self._limiter = FixedWindowRateLimiter(self.storage)

    def items(self, operation: Operation) -> list[RateLimitItem]:
        return [_scaled(parse(text), self.scale) for text in operation.rate_limits]

    def hit(self, app_id: str, operation: Operation) -> None:
        """Counts one call of `app_id` to `operation`, or raises 99991400 (a refused call is not counted)."""
        if not self.enabled:
            return
        items = self.items(operation)
        # test-then-hit across an operation's limits is atomic, or two windows could disagree.
        with self.counters.rate_atomic():
            for item in items:
                if not self._limiter.test(item, app_id, operation.operation_id):
                    reset_at = self._limiter.get_window_stats(item, app_id, operation.operation_id).reset_time
                    raise rate_limited(item.amount, max(1, math.ceil(reset_at - self.clock.now())))
            for item in items:
                self._limiter.hit(item, app_id, operation.operation_id)

    def reset(self) -> None:
        self.storage.reset()
