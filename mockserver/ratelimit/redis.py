"""Rate-limit windows in Redis, shared by every process of every host pointed at it (`serve --redis URL`).

One Lua script (`redis.lua`) tests and hits every window of a call in one atomic step, with the mock's
clock as an argument: the counts are exact however many hosts call at once, and the windows follow the
mock's clock, so advancing it on any host rolls them on every host. A refused call is counted in no
window. (The stock `limits` strategies read Redis's own time and count refused calls.)

When Redis cannot be asked the call fails with 1002001 (fail closed): the sandbox never admits a call its
limits would refuse, and answers again by itself once Redis is back.

On a PostgreSQL store Redis also keeps a copy of the store's generation, which every bump announces, and
the script checks the generation a call went on against it in the same step as its count: the call's
state is then checked without a round trip to PostgreSQL (`mockserver.storage.postgres.PostgresGeneration`).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

import redis

from mockserver.errors import SYSTEM_ERROR, FeishuAPIError
from mockserver.outages import Outage
from mockserver.ratelimit import Refusal, Window, app_prefix

if TYPE_CHECKING:
    from mockserver.storage.postgres import PostgresGeneration

SCRIPT = Path(__file__).with_name("redis.lua").read_text(encoding="utf-8")
logger = logging.getLogger(__name__)
# Every key of one sandbox starts with this, so several sandboxes can share one Redis database.
DEFAULT_PREFIX = "feishu-mock:"
# Redis drops a window idle this long (real seconds): a bound on memory, far beyond any window.
KEEP_IDLE_SECONDS = 86_400
# A host waits this long for Redis before answering 1002001, instead of hanging its callers.
CONNECT_TIMEOUT_SECONDS = 1.0
COMMAND_TIMEOUT_SECONDS = 2.0


class _Process:
    """This process's id, kept current across forks (asking the system for it costs a call into the
    kernel, which every create's script would make)."""

    pid = os.getpid()

    @classmethod
    def forked(cls) -> None:
        cls.pid = os.getpid()


if hasattr(os, "register_at_fork"):  # POSIX; a system without fork has nothing to keep current
    os.register_at_fork(after_in_child=_Process.forked)


class RedisUnavailable(FeishuAPIError):
    """1002001: Redis could not be asked (down, unreachable, or too slow to answer)."""

    def __init__(self, cause: redis.RedisError) -> None:
        super().__init__(SYSTEM_ERROR, f"system error: rate-limit store unavailable ({type(cause).__name__})")


class RedisWindows:
    """Fixed windows in Redis (a `ratelimit.Windows`). Safe to share between threads; a process that
    forks gets connections of its own (redis-py checks the pid), though workers build theirs after it."""

    def __init__(
        self, url: str, prefix: str = DEFAULT_PREFIX, generation: PostgresGeneration | None = None
    ) -> None:
        """`generation`: the store's, when it is PostgreSQL's: its copy is kept here and checked by
        every hit."""
        self.prefix = prefix
        self._client = redis.Redis.from_url(
            url, socket_connect_timeout=CONNECT_TIMEOUT_SECONDS, socket_timeout=COMMAND_TIMEOUT_SECONDS
        )
        self._script = self._client.register_script(SCRIPT)
        self._local = threading.local()
        self._generation_key = f"{prefix}generation"
        self._outage = Outage("Redis", logger)
        self._generation = generation
        if generation is not None:
            generation.announce_to(self.announce)

    def key(self, caller: str, window: Window) -> str:
        # Every window key starts with `{`, which `clear` matches on (the generation's copy does not).
        return f"{self.prefix}{{{caller}}}/{window.limit}/{window.seconds}"

    def _connection(self) -> Connection:
        """The connection this thread keeps for the script (taken from the client's pool once, and again
        in a process forked since: a socket is never shared across a fork)."""
        kept: tuple[int, Connection] | None = getattr(self._local, "kept", None)
        pid = _Process.pid
        if kept is None or kept[0] != pid:
            kept = self._local.kept = (pid, cast("Connection", self._client.connection_pool.get_connection()))
        return kept[1]

    def _run(self, went_on: int | None, keys: list[str], args: list[float | int]) -> list[bytes | int]:
        """The script's answer, sent on the thread's own connection: the call on every create, so it
        skips the client's per-command layers (pool checkout, retries, timing). A connection Redis closed
        (a restart) is opened again once at once; a script Redis lost (a restart) is loaded again."""
        answer: list[bytes | int] = self._ask(
            (
                "EVALSHA",
                self._script.sha,
                len(keys) + 1,
                self._generation_key,
                *keys,
                -1 if went_on is None else went_on,
                *args,
            )
        )
        return answer

    def _ask(self, command: tuple[str | int | float, ...]) -> Any:
        """Redis's answer to `command`, on the thread's own connection (see `_run`); RedisUnavailable
        when Redis cannot be asked (a thread's first connection included: taking one connects), the
        outage told to the log."""
        conn: Connection | None = None
        try:
            conn = self._connection()
            try:
                answer = _send(conn, command)
            except redis.ConnectionError:
                conn.disconnect()  # closed by Redis (a restart): once more, on a new connection
                answer = _send(conn, command)
        except redis.RedisError as exc:
            if conn is not None:
                conn.disconnect()
            self._outage.began(exc)
            raise RedisUnavailable(exc) from exc
        self._outage.ended()
        return answer

    def hit(self, caller: str, windows: Sequence[Window], now: float) -> Refusal | None:
        """Also settles the generation the call went on (`PostgresGeneration.settled_by`), which raises
        `StaleGeneration` when it had moved: nothing was counted then."""
        went_on = None if self._generation is None else self._generation.unsettled()
        args: list[float | int] = [now, KEEP_IDLE_SECONDS]  # floats go as repr(): exact
        for window in windows:
            args += [window.limit, window.seconds]
        generation, index, *expires_at = self._run(went_on, [self.key(caller, w) for w in windows], args)
        if went_on is not None and self._generation is not None:
            self._generation.settled_by(int(generation))
        if int(index) == 0:
            return None
        return Refusal.of(windows[int(index) - 1], float(expires_at[0]), now)

    def ping(self) -> None:
        """Redis answers a PING on the connection the calls use."""
        self._ask(("PING",))

    def announce(self, generation: int) -> None:
        """The store's generation is at least `generation` now: the copy takes it if it is behind."""
        self._run(generation, [], [0, KEEP_IDLE_SECONDS])

    def window(self, caller: str, window: Window, now: float) -> tuple[int, float] | None:
        """(count, expires_at) of the live window of `caller`, or None."""
        try:
            count, expires_at = self._client.hmget(self.key(caller, window), ["count", "expires_at"])
        except redis.RedisError as exc:
            raise RedisUnavailable(exc) from exc
        if count is None or expires_at is None or float(expires_at) <= now:
            return None
        return int(count), float(expires_at)

    def clear(self, apps: Sequence[str] | None = None) -> None:
        """Drops every window of this sandbox (its prefix), or only those of `apps`. The generation's copy
        stays: it only ever moves up."""
        windows = f"{self.prefix}{{"
        starts = [windows] if apps is None else [f"{windows}{app_prefix(app)}" for app in apps]
        try:
            for start in starts:
                keys = list(self._client.scan_iter(match=f"{escape_glob(start)}*", count=1000))
                for first in range(0, len(keys), 1000):
                    self._client.unlink(*keys[first : first + 1000])
        except redis.RedisError as exc:
            raise RedisUnavailable(exc) from exc

    def close(self) -> None:
        self._client.close()


class Connection(Protocol):
    """What is used here of redis-py's connection (which leaves these untyped)."""

    def send_command(self, *args: str | int | float) -> None: ...

    def read_response(self) -> Any: ...

    def disconnect(self) -> None: ...


def _send(conn: Connection, command: tuple[str | int | float, ...]) -> Any:
    """Redis's answer to `command` on `conn`, loading the script first where Redis lacks it (an
    EVALSHA of it)."""
    try:
        conn.send_command(*command)
        answer = conn.read_response()
    except redis.exceptions.NoScriptError:  # Redis restarted, or its scripts were flushed
        conn.send_command("SCRIPT", "LOAD", SCRIPT)
        conn.read_response()
        conn.send_command(*command)
        answer = conn.read_response()
    return answer


def escape_glob(text: str) -> str:
    """`text` matched literally by Redis's glob patterns (SCAN MATCH)."""
    return "".join(f"\\{c}" if c in "*?[]\\" else c for c in text)
