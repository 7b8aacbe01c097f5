"""uvicorn's HTTP/1.1 protocol on h11 (which writes header names in the app's casing, as Feishu's
`X-Tt-Logid`), with a deadline for the request line and headers: uvicorn's own keep-alive timer starts
only after a first answer and stops at a request's first byte, so a client that connects and sends
nothing, or half its headers, would keep its connection forever."""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


class H11WithHeaderDeadline(H11Protocol):
    """Closes a connection whose request line and headers are not all in `timeout_keep_alive` seconds
    after it opened or after its previous answer (a request's body has its own deadline, in
    `mockserver.asgi`)."""

    _headers_due: asyncio.TimerHandle | None = None

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._expect_headers()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:  # the headers are in
            self._cancel()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._expect_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel()
        super().connection_lost(exc)

    def _expect_headers(self) -> None:
        self._cancel()
        self._headers_due = self.loop.call_later(self.timeout_keep_alive, self._headers_late)

    def _cancel(self) -> None:
        if self._headers_due is not None:
            self._headers_due.cancel()
            self._headers_due = None

    def _headers_late(self) -> None:
        self._headers_due = None
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self.transport.close()
