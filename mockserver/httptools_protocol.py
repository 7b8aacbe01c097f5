"""The mock's fast HTTP/1.1 protocol: httptools (llhttp, in C) parses, and each request, once taken in
whole, is answered by the WSGI app right there, on the worker's event loop, its answer written as the
app gave it. Imported only where httptools is installed (`mockserver.http_protocols.protocol`).

uvicorn's own httptools protocol hands a request to an ASGI app: a task per request, the body passed
as messages, the answer sent as messages, then adapted to WSGI (`mockserver.asgi`). This one keeps
uvicorn's server (sockets, worker processes, signals, graceful shutdown) and skips that layer: the app
is synchronous and a request is whole before it runs, so there is nothing to await.

What it promises, as `mockserver.asgi` does on the h11 protocol:
- Only a request taken in whole reaches the app; a slow client holds nothing but its connection.
- Its request line and headers must be in `client_timeout` seconds after the connection opened or its
  previous answer (`HeaderDeadline`), and over `SERVER_HEADER_BYTES` they get a plain 400 and a close.
- Its body must be in `client_timeout` seconds after its headers, or it is answered 400/1002002 and the
  connection closed; over `max_body_bytes` it is read to its end and dropped, and the app refuses it.
- Header names go out as the app cased them (`X-Tt-Logid`); a request's answer is written after the
  journal's write of its loop turn (`CoalescingTransport`).
- Pipelined requests are answered in order; a client that does not read its answers stops being read.
"""

from __future__ import annotations

import asyncio
import logging
import urllib.parse
from typing import Any

import httptools
from uvicorn.config import Config
from uvicorn.server import ServerState

from mockserver.asgi import ASGIApp, WSGIApp, answer_refusal, refusal, run_wsgi, wsgi_environ
from mockserver.http_protocols import HeaderDeadline
from mockserver.server import SERVER_HEADER_BYTES

logger = logging.getLogger(__name__)

_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_SERVER_ERROR = (
    b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: 21\r\nConnection: close\r\n\r\nInternal Server Error"
)


def _plain_400(message: str) -> bytes:
    body = message.encode("ascii")
    return (
        b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
    )


class WSGIOverHttpTools(HeaderDeadline, asyncio.Protocol):
    """One connection, served as the module says. uvicorn makes one per connection
    (`uvicorn.Config(http=WSGIOverHttpTools)`); its app must be an `ASGIApp`, whose WSGI app, body limit
    and client timeout this protocol uses."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        if not config.loaded:
            config.load()
        app = config.loaded_app
        if not isinstance(app, ASGIApp):
            raise TypeError(f"{type(self).__name__} serves an ASGIApp, not {app!r}")
        self.app: WSGIApp = app.wsgi_app
        self.max_body_bytes = app.max_body_bytes
        self.client_timeout = app.client_timeout
        self.timeout_keep_alive = config.timeout_keep_alive
        self.loop = _loop or asyncio.get_event_loop()
        self.server_state = server_state
        self.parser = httptools.HttpRequestParser(self)
        self._server: tuple[Any, Any] = ("127.0.0.1", 0)
        self._client: tuple[Any, Any] = ("", 0)
        # The request being taken in.
        self._in_head = True
        self._head_bytes = 0
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._body: list[bytes] = []
        self._body_bytes = 0
        self._closing = False  # answer what is being taken in, then close (a shutdown)

    # -- the connection
    def connection_made(self, transport: Any) -> None:
        self.server_state.connections.add(self)  # type: ignore[arg-type]  # uvicorn asks only shutdown()
        super().connection_made(transport)
        self._server = transport.get_extra_info("sockname") or self._server
        self._client = transport.get_extra_info("peername") or self._client

    def connection_lost(self, exc: Exception | None) -> None:
        self.server_state.connections.discard(self)
        super().connection_lost(exc)

    def shutdown(self) -> None:
        """uvicorn's graceful stop: a connection waiting for a request's head closes now; one taking a
        body in closes after answering it."""
        if self._in_head:
            self.transport.close()
        else:
            self._closing = True

    def pause_writing(self) -> None:
        """The client is not reading its answers: stop reading its requests until it does."""
        self.transport.pause_reading()

    def resume_writing(self) -> None:
        self.transport.resume_reading()

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            self._head_bytes += len(data)
            if self._head_bytes > SERVER_HEADER_BYTES:
                self._refuse_plainly("Request headers too large")
                return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade as upgrade:  # no upgrades here: answered as a plain request
            rest = data[upgrade.args[0] :]
            if rest:  # the parser stops at an upgrade; what the client sent after it is read on
                self.data_received(rest)
        except httptools.HttpParserError:
            self._refuse_plainly("Invalid HTTP request received.")

    def _refuse_plainly(self, message: str) -> None:
        self._cancel()
        if not self.transport.is_closing():
            self.transport.write(_plain_400(message))
            self.transport.close()

    # -- httptools' callbacks, in the order it makes them
    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = []
        self._body = []
        self._body_bytes = 0

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        self._in_head, self._head_bytes = False, 0
        self._await(self.client_timeout, self._body_late)
        for name, value in self._headers:
            if name.lower() == b"expect" and value.lower() == b"100-continue":
                self.transport.write(_CONTINUE)

    def on_body(self, body: bytes) -> None:
        if self._body_bytes <= self.max_body_bytes:  # the first bytes over it: enough to refuse
            self._body.append(body)
        self._body_bytes += len(body)

    def on_message_complete(self) -> None:
        self._cancel()
        self._in_head = True  # what follows is the next request's head
        if self.transport.is_closing():
            return
        body = b"".join(self._body)[: self.max_body_bytes + 1]
        self._body = []
        keep_alive = self.parser.should_keep_alive() and not self._closing
        self._answer(self._environ(body), self.app, keep_alive)
        if not keep_alive:
            self.transport.close()
        elif not self.transport.is_closing():
            self._expect_headers()

    # -- the answer
    def _environ(self, body: bytes) -> dict[str, Any]:
        url = httptools.parse_url(self._url)
        path = url.path
        if b"%" in path:  # as uvicorn and werkzeug read a path: its percent-escapes decoded
            path = urllib.parse.unquote_to_bytes(path)
        return wsgi_environ(
            self.parser.get_method().decode("ascii"),
            path.decode("latin-1"),  # PEP 3333: the path's bytes as latin-1 text
            (url.query or b"").decode("latin-1"),
            http_version=self.parser.get_http_version(),
            headers=self._headers,
            body=body,
            server=self._server,
            client=self._client,
        )

    def _answer(self, environ: dict[str, Any], app: WSGIApp, keep_alive: bool) -> None:
        """Runs `app` on `environ` and writes its answer: the head as the app gave it (uvicorn's `date`
        first, its length added when it gave none, `Connection: close` when the connection then closes),
        then the body (none to a HEAD)."""
        try:
            status, headers, body = run_wsgi(app, environ)
        except Exception:  # the app answers its own errors: this is a defect, and the client learns no more
            logger.exception("no answer to %s %s", environ["REQUEST_METHOD"], environ["PATH_INFO"])
            self.transport.write(_SERVER_ERROR)
            self.transport.close()
            return
        head = [f"HTTP/1.1 {status}\r\n", *self._server_headers()]
        length = False
        for name, value in headers:
            head.append(f"{name}: {value}\r\n")
            length = length or name.lower() == "content-length"
        if not length:
            head.append(f"Content-Length: {len(body)}\r\n")
        if not keep_alive:
            head.append("Connection: close\r\n")
        head.append("\r\n")
        if environ["REQUEST_METHOD"] == "HEAD":
            body = b""
        self.transport.write("".join(head).encode("latin-1") + body)

    def _server_headers(self) -> list[str]:
        # uvicorn's (`date`), kept current by its server once a second.
        return [f"{name.decode()}: {value.decode()}\r\n" for name, value in self.server_state.default_headers]

    # -- the body's deadline
    def _body_late(self) -> None:
        if self.transport.is_closing():
            return
        self._in_head = True
        error = refusal("body", f"the body did not arrive within {self.client_timeout:g} s of the headers")
        # The rest of the body may still come: the connection is closed after the answer.
        self._answer(self._environ(b""), lambda e, s: answer_refusal(error, e, s), keep_alive=False)
        self.transport.close()
