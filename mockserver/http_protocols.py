"""The HTTP/1.1 protocols the mock serves on uvicorn's server: its own on httptools (llhttp's parser in
C, the fast one: `mockserver.httptools_protocol`) where installed, else uvicorn's h11 protocol (pure
Python). Both keep three promises uvicorn's own protocols do not.

- **Header names as the app cased them.** Feishu's `X-Tt-Logid` must arrive in that casing (lark-oapi
  looks it up in a plain dict). h11 writes names as given; so does the httptools protocol here (uvicorn's
  lower-cases them).
- **A deadline for a request's line and headers** (`HeaderDeadline`): uvicorn's keep-alive timer starts
  only after a first answer and stops at a request's first byte, so a client that connects and sends
  nothing, or half its headers, would keep its connection forever. The body has its own deadline
  (`mockserver.asgi`). On httptools the head's size is bounded too (`mockserver.server.SERVER_HEADER_BYTES`).
- **One system call per answer** (`CoalescingTransport`): the writes of one turn of the event loop go out
  together, after the callbacks scheduled before them (the journal's write, `mockserver.journal.Journal`).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from mockserver.server import H11, HTTPTOOLS


class CoalescingTransport:
    """`transport`, with the writes made in one turn of the event loop sent together, in one system call
    and one packet, from a callback scheduled at the turn's first write. Everything else goes to
    `transport` as it is; `close` sends what is pending first."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not data:
            return
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(data)

    def flush(self) -> None:
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class HeaderDeadline:
    """What both protocols add to a connection: its writes coalesced (`CoalescingTransport`), and a close
    when its request line and headers are not all in `timeout_keep_alive` seconds after it opened or
    after its previous answer. A protocol calls `_expect_headers` when it starts waiting for a head again
    and `_cancel` when one is complete; `_await` sets a deadline of its own (a body's). Listed first among
    a protocol's bases.

    A connection has one deadline at a time and one timer for it. Setting or cancelling a deadline only
    notes it (every request sets two and cancels two); the timer, when it rings, acts on the deadline
    noted then: late, or not yet (it rings again at that one), or none. It is moved only for a deadline
    earlier than the one it rings at."""

    loop: asyncio.AbstractEventLoop
    transport: Any
    timeout_keep_alive: int
    _due_at: float | None = None  # loop time at which what is awaited is late; None: nothing is
    _on_late: Callable[[], None]
    _timer: asyncio.TimerHandle | None = None
    _timer_at = math.inf

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self.transport = CoalescingTransport(transport, self.loop)
        self._expect_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel()
        if self._timer is not None:
            self._timer.cancel()
            self._timer, self._timer_at = None, math.inf
        super().connection_lost(exc)  # type: ignore[misc]

    def _expect_headers(self) -> None:
        self._await(self.timeout_keep_alive, self._headers_late)

    def _await(self, seconds: float, on_late: Callable[[], None]) -> None:
        """`on_late` runs in `seconds` unless another deadline or `_cancel` comes first."""
        at = self.loop.time() + seconds
        self._due_at, self._on_late = at, on_late
        if at < self._timer_at:
            if self._timer is not None:
                self._timer.cancel()
            self._timer, self._timer_at = self.loop.call_at(at, self._ring), at

    def _cancel(self) -> None:
        self._due_at = None

    def _ring(self) -> None:
        self._timer, self._timer_at = None, math.inf
        at = self._due_at
        if at is None:
            return
        if self.loop.time() < at:  # a later deadline since the timer was set
            self._timer, self._timer_at = self.loop.call_at(at, self._ring), at
            return
        self._due_at = None
        self._on_late()

    def _headers_late(self) -> None:
        if not self.transport.is_closing():
            self.transport.close()


class H11WithHeaderDeadline(HeaderDeadline, H11Protocol):
    """uvicorn's h11 protocol (names go out as given) with the header deadline and coalesced writes."""

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:  # the headers are in
            self._cancel()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._expect_headers()


def protocol(parser: str | None = None) -> tuple[type[asyncio.Protocol], str]:
    """The protocol for `parser` (None: the fastest installed) and the parser it got: httptools falls
    back to h11 where httptools is not installed (no wheel for the platform)."""
    if parser != H11:
        try:
            from mockserver.httptools_protocol import WSGIOverHttpTools
        except ImportError:
            pass
        else:
            return WSGIOverHttpTools, HTTPTOOLS
    return H11WithHeaderDeadline, H11
