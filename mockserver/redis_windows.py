"""Rate-limit windows in Redis, shared by every process of every host pointed at it (`serve --redis URL`).

One Lua script (`redis_windows.lua`) tests and hits every limit of a call in one atomic step, with the
mock's clock as an argument: the counts are exact however many hosts call at once, and the windows
follow the mock's clock, so advancing it on any host rolls them on every host. A refused call uses no
window (as Feishu counts admitted calls).

When Redis cannot be reached the call fails with 1002001 (fail closed): the sandbox never admits a call
its limits would refuse, and answers again by itself once Redis is back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import redis

from mockserver.errors import SYSTEM_ERROR, FeishuAPIError

SCRIPT = (Path(__file__).with_name("redis_windows.lua")).read_text(encoding="utf-8")
# Every key of one sandbox starts with this, so several sandboxes can share one Redis database.
DEFAULT_PREFIX = "feishu-mock:"
# Redis drops a window idle this long (real seconds): a bound on memory, far beyond any window.
KEEP_IDLE_SECONDS = 86_400
# A host waits this long for Redis before answering 1002001, instead of hanging its callers.
CONNECT_TIMEOUT_SECONDS = 1.0
COMMAND_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class Limit:
    """`amount` calls per `seconds`."""

    amount: int
    seconds: int


@dataclass(frozen=True)
class Refusal:
    """The limit a call exceeded and when its window ends, on the mock's clock."""

    limit: Limit
    resets_at: float


class RedisUnavailable(FeishuAPIError):
    """1002001: Redis could not be asked (down, unreachable, or too slow to answer)."""

    def __init__(self, cause: redis.RedisError) -> None:
        super().__init__(SYSTEM_ERROR, f"system error: rate-limit store unavailable ({type(cause).__name__})")


class RedisWindows:
    """Fixed windows per key in Redis. Safe to share between threads; after a fork, the client's pool
    opens connections of its own (redis-py checks the pid), though workers build theirs after it."""

    def __init__(self, url: str, prefix: str = DEFAULT_PREFIX) -> None:
        self.prefix = prefix
        self._client = redis.Redis.from_url(
            url,
            socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
            socket_timeout=COMMAND_TIMEOUT_SECONDS,
            retry_on_timeout=False,
        )
        self._script = self._client.register_script(SCRIPT)

    def key(self, name: str, limit: Limit) -> str:
        # The braces make every window of `name` one hash tag: one slot, so the script also runs on a
        # Redis Cluster.
        return f"{self.prefix}{{{name}}}/{limit.amount}/{limit.seconds}"

    def hit(self, name: str, limits: Sequence[Limit], now: float) -> Refusal | None:
        """Counts one call in every window of `name` and answers None, or answers the first limit that
        refuses it (and counts nothing). Raises `RedisUnavailable` when Redis cannot be asked."""
        if not limits:
            return None
        args: list[float | int] = [now, KEEP_IDLE_SECONDS]  # floats go as repr(): exact
        for limit in limits:
            args += [limit.amount, limit.seconds]
        try:
            answer = self._script(keys=[self.key(name, limit) for limit in limits], args=args)
        except redis.RedisError as exc:
            raise RedisUnavailable(exc) from exc
        if answer == 0:
            return None
        index, resets_at = answer
        return Refusal(limits[int(index) - 1], float(resets_at))

    def window(self, name: str, limit: Limit, now: float) -> tuple[int, float] | None:
        """(count, expires_at) of the live window of `name` for `limit`, or None."""
        try:
            count, expires_at = self._client.hmget(self.key(name, limit), ["count", "expires_at"])
        except redis.RedisError as exc:
            raise RedisUnavailable(exc) from exc
        if count is None or expires_at is None or float(expires_at) <= now:
            return None
        return int(count), float(expires_at)

    def clear(self) -> int:
        """Drops every window of this sandbox (its prefix); answers how many."""
        try:
            keys = list(self._client.scan_iter(match=f"{escape_glob(self.prefix)}*", count=1000))
            for start in range(0, len(keys), 1000):
                self._client.unlink(*keys[start : start + 1000])
        except redis.RedisError as exc:
            raise RedisUnavailable(exc) from exc
        return len(keys)

    def close(self) -> None:
        self._client.close()


def escape_glob(text: str) -> str:
    """`text` matched literally by Redis's glob patterns (SCAN MATCH)."""
    return "".join(f"\\{c}" if c in "*?[]\\" else c for c in text)
