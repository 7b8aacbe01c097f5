"""The mock's WSGI app served over RSGI (granian's interface for Python apps on its Rust HTTP server).

Why not granian's own WSGI interface: there a worker thread runs the app as soon as the headers are in
and then blocks reading the body, so a client that sends half a body and goes quiet holds a worker.
Here the whole request is taken in first, on the worker's event loop, where a slow client holds
nothing but its own coroutine; only a complete request reaches the app, which then runs on the loop's
thread, one request at a time per worker process (processes, not threads, carry the load: threads in
one process queue on the GIL).

Limits, each answered with Feishu's envelope (400/1002002) rather than a closed connection:
- a body not complete `client_timeout` seconds after its headers (the connection is then closed);
- a body over `max_body_bytes` (read to its end and dropped, within the same time, so the client,
  still sending, reads the answer instead of a reset);
- request headers over `MAX_HEADER_BYTES` (`limit_headers`, on every server).
"""

from __future__ import annotations

import asyncio
import io
import sys
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

from mockserver.errors import FeishuAPIError, FieldViolation, error_response, invalid_parameter
from mockserver.journal import new_log_id

WSGIApp = Callable[[dict[str, Any], Any], Iterable[bytes]]

# Request line and headers together; more gets 400/1002002 (the servers' own limits sit far above it,
# so the app sees the request and answers).
MAX_HEADER_BYTES = 64 << 10


def refusal(field: str, description: str) -> FeishuAPIError:
    return invalid_parameter([FieldViolation(field, description)])


def answer_refusal(error: FeishuAPIError, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    response = error_response(error, new_log_id(time.time()))
    answer: Iterable[bytes] = response(environ, start_response)
    return answer


def header_bytes(environ: dict[str, Any]) -> int:
    """The size of the request line and headers as the client sent them (near enough: names, values,
    separators)."""
    size = len(environ.get("PATH_INFO", "")) + len(environ.get("QUERY_STRING", "")) + 16
    for key, value in environ.items():
        if key.startswith("HTTP_") or key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            size += len(key) + len(str(value)) + 4
    return size


def limit_headers(app: WSGIApp, max_bytes: int = MAX_HEADER_BYTES) -> WSGIApp:
    """`app`, answering requests whose headers are over `max_bytes` with 400/1002002."""

    def limited(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        size = header_bytes(environ)
        if size > max_bytes:
            error = refusal("headers", f"the request headers are {size} bytes, over the {max_bytes} allowed")
            return answer_refusal(error, environ, start_response)
        return app(environ, start_response)

    return limited


class HTTPProtocol(Protocol):
    """The part of RSGI's HTTP protocol object used here."""

    def __call__(self) -> Awaitable[bytes]: ...
    def __aiter__(self) -> Any: ...
    def response_bytes(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None: ...


class BodyTooSlow(Exception):
    pass


async def _read_body(proto: HTTPProtocol, max_bytes: int) -> bytes:
    """The body, at most `max_bytes` + 1 of it (enough for the app to refuse it as too big); the rest is
    read and dropped, so a client still sending it reads the answer rather than a reset."""
    parts: list[bytes] = []
    size = 0
    async for chunk in proto:
        if size <= max_bytes:
            parts.append(chunk)
        size += len(chunk)
    return b"".join(parts)[: max_bytes + 1]


def _environ(scope: Any, body: bytes) -> dict[str, Any]:
    host, _, port = scope.server.rpartition(":")
    client_host, _, client_port = scope.client.rpartition(":")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": scope.path.encode("utf-8", "surrogateescape").decode("latin-1"),
        "QUERY_STRING": scope.query_string,
        "SERVER_NAME": host.strip("[]"),
        "SERVER_PORT": port,
        "SERVER_PROTOCOL": f"HTTP/{'1.1' if scope.http_version == '1.1' else scope.http_version}",
        "REMOTE_ADDR": client_host.strip("[]"),
        "REMOTE_PORT": client_port,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name, value in scope.headers.items():
        key = name.upper().replace("-", "_")
        if key == "TRANSFER_ENCODING":
            continue  # the body is whole here; the app gets its length
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    # A declared length stays as the client sent it: the app refuses a body over the limit unread, and
    # one that ended short of its length (the client went away) as cut short. A chunked body gets its own.
    environ.setdefault("CONTENT_LENGTH", str(len(body)))
    return environ


class RSGIApp:
    """`wsgi_app` as an RSGI application (see the module's docstring)."""

    def __init__(self, wsgi_app: WSGIApp, max_body_bytes: int, client_timeout: float) -> None:
        self.wsgi_app = limit_headers(wsgi_app)
        self.max_body_bytes = max_body_bytes
        self.client_timeout = client_timeout

    async def __call__(self, scope: Any, proto: HTTPProtocol) -> None:
        if scope.proto != "http":
            return
        try:
            body = await asyncio.wait_for(_read_body(proto, self.max_body_bytes), self.client_timeout)
        except TimeoutError:
            environ = _environ(scope, b"")
            error = refusal(
                "body", f"the body did not arrive within {self.client_timeout:g} s of the headers"
            )
            self._run(proto, environ, lambda e, s: answer_refusal(error, e, s))
            return
        self._run(proto, _environ(scope, body), self.wsgi_app)

    @staticmethod
    def _run(proto: HTTPProtocol, environ: dict[str, Any], app: WSGIApp) -> None:
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            started[:] = [status, headers]

        chunks = app(environ, start_response)
        try:
            body = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        status, headers = started
        proto.response_bytes(int(status[:3]), list(headers), body)
