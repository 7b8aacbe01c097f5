"""uvicorn's httptools protocol (its parser in C, the fast one) as the mock serves it: each answer's head
in the app's header-name casing, the header deadline, a bound on the head's size and coalesced writes
(`mockserver.http_protocols` says why). Imported only where httptools is installed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from mockserver.http_protocols import HeaderDeadline
from mockserver.server import SERVER_HEADER_BYTES


def recased(head: bytes, names: dict[bytes, bytes]) -> bytes:
    """`head` (a status line and header lines) with each header name found in `names` (lower-cased:
    as given) written as given."""
    lines = head.split(b"\r\n")
    for i in range(1, len(lines)):
        name, colon, rest = lines[i].partition(b":")
        if colon:
            lines[i] = names.get(name, name) + colon + rest
    return b"\r\n".join(lines)


class CasedHead:
    """A request's transport: the first write once its answer has started (the head, which uvicorn
    writes whole) goes out with the header names `names` gives; the rest as it is."""

    def __init__(self, transport: Any, cycle: RequestResponseCycle) -> None:
        self._transport = transport
        self._cycle = cycle
        self.names: dict[bytes, bytes] | None = None

    def write(self, data: bytes) -> None:
        if self.names is not None and self._cycle.response_started:  # not a "100 Continue" before it
            data, self.names = recased(data, self.names), None
        self._transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class HttpToolsWithHeaderDeadline(HeaderDeadline, HttpToolsProtocol):
    """uvicorn's httptools protocol with header names as the app gave them, the header deadline, heads
    bounded to `SERVER_HEADER_BYTES` (more: uvicorn's plain 400, the connection closed) and coalesced
    writes."""

    _in_head = True  # the bytes coming in belong to a request line and headers
    _head_bytes = 0

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            self._head_bytes += len(data)
            if self._head_bytes > SERVER_HEADER_BYTES:
                self._cancel()
                self.send_400_response("Request headers too large")
                return
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._in_head, self._head_bytes = False, 0
        self._cancel()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head = True  # what follows is the next request's head

    def on_response_complete(self) -> None:
        pipelined = bool(self.pipeline)
        super().on_response_complete()
        if not pipelined and not self.transport.is_closing():
            self._expect_headers()

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: Any) -> None:
        head = CasedHead(cycle.transport, cycle)
        cycle.transport = head  # type: ignore[assignment]
        send: Callable[[Any], Awaitable[None]] = cycle.send

        async def send_cased(message: Any) -> None:
            if message["type"] == "http.response.start":
                head.names = {name.lower(): name for name, _ in message.get("headers", ())}
            await send(message)

        cycle.send = send_cased  # type: ignore[method-assign]
        super()._start_asgi_task(cycle, app)
