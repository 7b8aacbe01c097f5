"""The thread's line to Redis (`mockserver.ratelimit.redis._Line`) against a peer that answers as the
test says, on a socket pair: answers read whole however they arrive, Redis's errors raised as redis-py
raises them, the kernel's timeout, and a line left disconnected by any failure."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import threading
import time
from collections.abc import Iterator

import pytest
import redis

from mockserver.ratelimit.redis import _Line


class _Peer:
    """redis-py's connection as `_Line` uses it: each connection one end of a new socket pair, the test
    holding the other (`far`); `tls` wraps the line's end as redis-py's SSL connection does."""

    def __init__(self) -> None:
        self.pairs = [socket.socketpair()]
        self.current = -1  # the pair of the connection made last
        self._sock: socket.socket | None = None
        self.socket_timeout: float | None = 2.0
        self.tls: ssl.SSLContext | None = None
        self.connects = 0

    def connect(self) -> None:
        if self._sock is not None:
            return
        self.current += 1
        if self.current == len(self.pairs):
            self.pairs.append(socket.socketpair())
        sock = self.pairs[self.current][0]
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, do_handshake_on_connect=False)
        sock.settimeout(self.socket_timeout)
        self._sock = sock
        self.connects += 1

    def disconnect(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    @property
    def far(self) -> socket.socket:
        """The test's end of the connection the line's next command goes out on."""
        following = self.current if self._sock is not None else self.current + 1
        if following == len(self.pairs):
            self.pairs.append(socket.socketpair())
        return self.pairs[following][1]

    def answer(self, *parts: bytes, pause: float = 0.0) -> threading.Thread:
        """On the connection of the line's next command: reads the command, then sends `parts` one
        after another, `pause` seconds apart (what the line has closed meanwhile takes nothing)."""
        far = self.far

        def run() -> None:
            try:
                far.recv(4096)
                for part in parts:
                    time.sleep(pause)
                    far.sendall(part)
            except OSError:
                pass

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        for pair in self.pairs:
            for end in pair:
                end.close()


@pytest.fixture
def peer() -> Iterator[_Peer]:
    made = _Peer()
    yield made
    made.close()


def test_an_answer_that_arrives_in_pieces_is_read_whole(peer: _Peer) -> None:
    line = _Line(peer)
    peer.answer(b"*3\r\n:7\r\n:0", b"\r\n$4\r\n1.25\r\n", pause=0.1)
    assert line.ask(("EVALSHA", "x", 1, "k", 0.5)) == [7, 0, b"1.25"]
    peer.answer(b"+PONG\r\n")
    assert line.ask(("PING",)) == b"PONG"
    assert peer.connects == 1  # one connection for both


def test_redis_errors_are_raised_as_redis_py_raises_them(peer: _Peer) -> None:
    line = _Line(peer)
    peer.answer(b"-NOSCRIPT No matching script. Please use EVAL.\r\n")
    with pytest.raises(redis.exceptions.NoScriptError):
        line.ask(("EVALSHA", "x", 0))
    peer.answer(b"-ERR user_script:1: Script attempted to access nonexistent global variable\r\n")
    with pytest.raises(redis.ResponseError, match="nonexistent global"):
        line.ask(("EVALSHA", "x", 0))
    assert peer.connects == 1  # a refused command leaves the connection as it was


def test_what_is_not_redis_protocol_is_a_redis_error_and_the_line_disconnects(peer: _Peer) -> None:
    line = _Line(peer)
    peer.answer(b"HTTP/1.1 400 Bad Request\r\n\r\n")
    with pytest.raises(redis.exceptions.InvalidResponse):
        line.ask(("PING",))
    assert peer._sock is None


def test_a_peer_that_does_not_answer_times_out_and_the_line_disconnects(peer: _Peer) -> None:
    peer.socket_timeout = 0.3
    line = _Line(peer)
    peer.answer(b"*2\r\n:1\r\n")  # half an answer, and no more
    began = time.monotonic()
    with pytest.raises(redis.TimeoutError):
        line.ask(("PING",))
    assert 0.25 < time.monotonic() - began < 1.5
    assert peer._sock is None
    # The next command connects again, and the half answer is never read as part of its own.
    peer.answer(b"+PONG\r\n")
    assert line.ask(("PING",)) == b"PONG"
    assert peer.connects == 2


def test_a_peer_that_closes_the_connection_is_a_connection_error(peer: _Peer) -> None:
    line = _Line(peer)
    peer.far.sendall(b"*2\r\n:1\r\n")
    peer.far.shutdown(socket.SHUT_WR)
    with pytest.raises(redis.ConnectionError, match="closed"):
        line.ask(("PING",))
    assert peer._sock is None


class _Interrupted(BaseException):
    """What a signal handler may raise in the middle of a command (as Ctrl-C does)."""


def test_a_command_cut_short_by_any_exception_leaves_the_line_disconnected(peer: _Peer) -> None:
    line = _Line(peer)

    def interrupt(signum: int, frame: object) -> None:
        raise _Interrupted

    # SIGUSR1 from a timer: pytest-timeout keeps SIGALRM and its timer for itself.
    previous = signal.signal(signal.SIGUSR1, interrupt)
    signalling = threading.Timer(0.1, os.kill, (os.getpid(), signal.SIGUSR1))
    try:
        peer.answer(b":1\r\n", pause=0.5)  # its answer comes after the command was cut short
        signalling.start()
        with pytest.raises(_Interrupted):
            line.ask(("INCR", "k"))
    finally:
        signalling.cancel()
        signal.signal(signal.SIGUSR1, previous)
    assert peer._sock is None
    peer.answer(b":2\r\n")
    assert line.ask(("INCR", "k")) == 2  # its own answer, not the one cut off
    assert peer.connects == 2


def test_a_tls_peer_that_does_not_answer_times_out_too(peer: _Peer) -> None:
    # OpenSSL would take a timeout the kernel keeps for "read again": a TLS line keeps Python's.
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.check_hostname = False
    client.verify_mode = ssl.CERT_NONE
    peer.tls, peer.socket_timeout = client, 0.3
    line = _Line(peer)
    outcome: list[type[BaseException]] = []

    def ask() -> None:
        try:
            line.ask(("PING",))
        except BaseException as exc:
            outcome.append(type(exc))

    asking = threading.Thread(target=ask, daemon=True)  # a line that hangs must not hang the suite
    asking.start()
    asking.join(5)
    assert outcome == [redis.TimeoutError]
