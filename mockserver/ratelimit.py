"""Rate limits per app per operation, read from the spec's `x-feishu-rate-limits` (`limits` notation).

The `limits` library counts, in fixed windows, on a storage that reads the mock's clock, so a test can
roll a window by advancing the clock. Any one limit of an operation trips it ("1000/min & 50/s").
"""

from __future__ import annotations

import math
import threading
from collections import Counter

from limits import RateLimitItem, parse
from limits.storage import Storage
from limits.strategies import FixedWindowRateLimiter

from feishu_hire_kit.spec import Operation
from mockserver.clock import Clock
from mockserver.errors import RATE_LIMITED, FeishuAPIError


class ClockStorage(Storage):
    """`limits`' in-memory fixed-window storage, on the mock's clock instead of time.time()."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock
        self._counts: Counter[str] = Counter()
        self._expiries: dict[str, float] = {}
        self._lock = threading.Lock()

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return ValueError

    def _expire(self, key: str) -> None:
        if self._expiries.get(key, 0.0) <= self.clock.now():
            self._counts.pop(key, None)
            self._expiries.pop(key, None)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        with self._lock:
            self._expire(key)
            self._counts[key] += amount
            if self._counts[key] == amount:
                self._expiries[key] = self.clock.now() + expiry
            return self._counts[key]

    def get(self, key: str) -> int:
        with self._lock:
            self._expire(key)
            return self._counts.get(key, 0)

    def get_expiry(self, key: str) -> float:
        with self._lock:
            return self._expiries.get(key, self.clock.now())

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        with self._lock:
            count = len(self._counts)
            self._counts.clear()
            self._expiries.clear()
            return count

    def clear(self, key: str) -> None:
        with self._lock:
            self._counts.pop(key, None)
            self._expiries.pop(key, None)


def _scaled(item: RateLimitItem, scale: float) -> RateLimitItem:
    return type(item)(max(1, round(item.amount * scale)), item.multiples, item.namespace)


def rate_limited(limit: int, reset_seconds: int) -> FeishuAPIError:
    """99991400 with the headers a client waits on."""
    return FeishuAPIError(
        RATE_LIMITED,
        headers={"x-ogw-ratelimit-limit": str(limit), "x-ogw-ratelimit-reset": str(reset_seconds)},
    )


class RateLimiter:
    def __init__(self, clock: Clock, enabled: bool = True, scale: float = 1.0) -> None:
        self.clock = clock
        self.enabled = enabled
        self.scale = scale
        self.storage = ClockStorage(clock)
        self._limiter = FixedWindowRateLimiter(self.storage)
        # test-then-hit across an operation's limits must be atomic, or two windows could disagree.
        self._lock = threading.Lock()

    def items(self, operation: Operation) -> list[RateLimitItem]:
        return [_scaled(parse(text), self.scale) for text in operation.rate_limits]

    def hit(self, app_id: str, operation: Operation) -> None:
        """Counts one call of `app_id` to `operation`, or raises 99991400 (a refused call is not counted)."""
        if not self.enabled:
            return
        items = self.items(operation)
        with self._lock:
            for item in items:
                if not self._limiter.test(item, app_id, operation.operation_id):
                    reset_at = self._limiter.get_window_stats(item, app_id, operation.operation_id).reset_time
                    raise rate_limited(item.amount, max(1, math.ceil(reset_at - self.clock.now())))
            for item in items:
                self._limiter.hit(item, app_id, operation.operation_id)

    def reset(self) -> None:
        self.storage.reset()
