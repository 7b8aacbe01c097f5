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
import socket
import ssl
import struct
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

import hiredis
import redis
from redis._parsers import BaseParser

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
        # The URL's own options (`?socket_timeout=5`) take precedence over these, as redis-py has it.
        pool = redis.ConnectionPool.from_url(
            url, socket_connect_timeout=CONNECT_TIMEOUT_SECONDS, socket_timeout=COMMAND_TIMEOUT_SECONDS
        )
        # RESP2 whatever the URL asks: a `_Line` reads answers with a plain reader, and a RESP3
        # connection may carry push messages between them.
        pool.connection_kwargs["protocol"] = 2
        self._client = redis.Redis(connection_pool=pool)
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

    def _line(self) -> _Line:
        """The line this thread keeps for the script (its connection taken from the client's pool once,
        and again in a process forked since: a socket is never shared across a fork)."""
        kept: tuple[int, _Line] | None = getattr(self._local, "kept", None)
        pid = _Process.pid
        if kept is None or kept[0] != pid:
            conn = cast("Connection", self._client.connection_pool.get_connection())
            kept = self._local.kept = (pid, _Line(conn))
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
        line: _Line | None = None
        try:
            line = self._line()
            try:
                answer = _send(line, command)
            except redis.ConnectionError:  # closed by Redis (a restart): once more, on a new connection
                answer = _send(line, command)
        except redis.RedisError as exc:
            if line is not None:
                line.disconnect()
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

    _sock: socket.socket | None
    socket_timeout: float | None

    def connect(self) -> None: ...

    def disconnect(self) -> None: ...


# Whether the kernel can keep a blocking socket's timeouts (SO_SNDTIMEO and SO_RCVTIMEO as a struct
# timeval of two 64-bit longs): 64-bit Linux's. Elsewhere a `_Line` keeps Python's socket timeout.
KERNEL_TIMEOUTS = sys.platform.startswith("linux") and struct.calcsize("@l") == 8
# redis-py's error for an error Redis answered ("NOSCRIPT ...": NoScriptError), as its parsers raise it.
_parse_error = cast("Callable[[str], redis.RedisError]", BaseParser.parse_error)
# The most of an answer read at once: the script's answers, a few dozen bytes, in one receive.
READ_BYTES = 4096


class _Line:
    """One thread's connection to Redis for the script: connected (authenticated, its database selected)
    by redis-py, then spoken to directly: a command packed by hiredis and sent whole, its answer read
    into hiredis's reader. On Linux a plain TCP or Unix socket blocks and the kernel keeps its timeout
    (the connection's `socket_timeout`), so a command costs the machine one send and one receive; a
    socket with Python's timeout polls before each, and a TLS one keeps it (OpenSSL would take the
    kernel's timeout for "read again", and wait for ever).

    A command that fails, or is interrupted by any exception, leaves the line disconnected (half an
    answer never reaches the next command), and the next command connects again. Redis's errors are
    raised as redis-py raises them."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._socket: socket.socket | None = None
        self._reader = hiredis.Reader()

    def ask(self, command: tuple[str | int | float, ...]) -> Any:
        """Redis's answer to `command`. redis.TimeoutError when Redis takes longer than the timeout to
        take it or to answer, redis.ConnectionError when the connection fails, and when Redis refuses
        the command the error redis-py raises for its code (a redis.ResponseError such as NoScriptError,
        or a redis.ConnectionError such as BusyLoadingError)."""
        try:
            sock = self._socket or self._connect()
            # hiredis's stub types the command as a tuple of one; it packs any.
            sock.sendall(hiredis.pack_command(command))  # type: ignore[arg-type]
            reader = self._reader
            answer = reader.gets()
            while answer is False:
                received = sock.recv(READ_BYTES)
                if not received:
                    raise redis.ConnectionError("Redis closed the connection")
                reader.feed(received)
                answer = reader.gets()
        except (TimeoutError, BlockingIOError) as exc:  # BlockingIOError: the kernel's timeout
            self.disconnect()
            raise redis.TimeoutError(f"Redis did not answer within {self.conn.socket_timeout} s") from exc
        except OSError as exc:
            self.disconnect()
            raise redis.ConnectionError(f"Redis could not be asked ({exc})") from exc
        except hiredis.ProtocolError as exc:  # not Redis's protocol: whatever answers there, not Redis
            self.disconnect()
            raise redis.exceptions.InvalidResponse(f"Redis's answer could not be read ({exc})") from exc
        except BaseException:  # connecting failed, or anything else cut the command short
            self.disconnect()
            raise
        if isinstance(answer, hiredis.ReplyError):
            raise _parse_error(str(answer))
        return answer

    def _connect(self) -> socket.socket:
        self.conn.connect()
        sock = self.conn._sock
        if sock is None:
            raise redis.ConnectionError("Redis could not be connected to")
        timeout = self.conn.socket_timeout
        if KERNEL_TIMEOUTS and timeout is not None and not isinstance(sock, ssl.SSLSocket):
            seconds, fraction = divmod(timeout, 1)
            timeval = struct.pack("@ll", int(seconds), int(fraction * 1_000_000))
            sock.settimeout(None)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)
        self._socket = sock
        return sock

    def disconnect(self) -> None:
        """Closes the connection (the next command connects again) and drops what was read of an answer."""
        self._socket = None
        self._reader = hiredis.Reader()
        self.conn.disconnect()


def _send(line: _Line, command: tuple[str | int | float, ...]) -> Any:
    """Redis's answer to `command` on `line`, loading the script first where Redis lacks it (an
    EVALSHA of it)."""
    try:
        return line.ask(command)
    except redis.exceptions.NoScriptError:  # Redis restarted, or its scripts were flushed
        line.ask(("SCRIPT", "LOAD", SCRIPT))
        return line.ask(command)


def escape_glob(text: str) -> str:
    """`text` matched literally by Redis's glob patterns (SCAN MATCH)."""
    return "".join(f"\\{c}" if c in "*?[]\\" else c for c in text)
