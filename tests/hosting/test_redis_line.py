"""The thread's line to Redis (`mockserver.ratelimit.redis._Line`) against a peer that answers as the
test says, on a socket pair: answers read whole however they arrive, Redis's errors raised as redis-py
raises them, the kernel's timeout, and a line left disconnected by any failure."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import redis

from mockserver.ratelimit.redis import _Line


class _Peer:
    """redis-py's connection as `_Line` uses it, its socket one end of a pair; the test holds the other."""

    def __init__(self) -> None:
        self.given, self.far = socket.socketpair()
        self._sock: socket.socket | None = None
        self.connects = 0

    def connect(self) -> None:
        if self._sock is None:
            self._sock = self.given
            self.connects += 1

    def disconnect(self) -> None:
        self._sock = None

    def answer(self, *parts: bytes, pause: float = 0.0) -> threading.Thread:
        """Reads one command, then sends `parts` one after another, `pause` seconds apart."""

        def run() -> None:
            self.far.recv(4096)
            for part in parts:
                time.sleep(pause)
                self.far.sendall(part)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread


@pytest.fixture
def peer() -> Iterator[_Peer]:
    made = _Peer()
    yield made
    made.given.close()
    made.far.close()


def test_an_answer_that_arrives_in_pieces_is_read_whole(peer: _Peer) -> None:
    line = _Line(peer, timeout=2.0)
    peer.answer(b"*3\r\n:7\r\n:0", b"\r\n$4\r\n1.25\r\n", pause=0.05)
    assert line.ask(("EVALSHA", "x", 1, "k", 0.5)) == [7, 0, b"1.25"]
    peer.answer(b"+PONG\r\n")
    assert line.ask(("PING",)) == b"PONG"
    assert peer.connects == 1  # one connection for both


def test_redis_errors_are_raised_as_redis_py_raises_them(peer: _Peer) -> None:
    line = _Line(peer, timeout=2.0)
    peer.answer(b"-NOSCRIPT No matching script. Please use EVAL.\r\n")
    with pytest.raises(redis.exceptions.NoScriptError):
        line.ask(("EVALSHA", "x", 0))
    peer.answer(b"-ERR user_script:1: Script attempted to access nonexistent global variable\r\n")
    with pytest.raises(redis.ResponseError, match="nonexistent global"):
        line.ask(("EVALSHA", "x", 0))
    assert peer.connects == 1  # a refused command leaves the connection as it was


def test_what_is_not_redis_protocol_is_a_redis_error_and_the_line_disconnects(peer: _Peer) -> None:
    line = _Line(peer, timeout=2.0)
    peer.answer(b"HTTP/1.1 400 Bad Request\r\n\r\n")
    with pytest.raises(redis.exceptions.InvalidResponse):
        line.ask(("PING",))
    assert peer._sock is None


def test_a_peer_that_does_not_answer_times_out_and_the_line_disconnects(peer: _Peer) -> None:
    line = _Line(peer, timeout=0.3)
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
    line = _Line(peer, timeout=2.0)
    peer.far.sendall(b"*2\r\n:1\r\n")
    peer.far.shutdown(socket.SHUT_WR)
    with pytest.raises(redis.ConnectionError, match="closed"):
        line.ask(("PING",))
    assert peer._sock is None
