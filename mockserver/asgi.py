"""The mock's WSGI app on uvicorn (`mockserver.server.serve_uvicorn`), the whole request taken in before the
app runs: as an ASGI app (`ASGIApp`, which uvicorn's h11 protocol runs), and the pieces the mock's own
httptools protocol (`mockserver.httptools_protocol`) runs it with directly (`wsgi_environ`, `run_wsgi`,
the refusals). Both keep the promises below.

Why not run the WSGI app on a thread as soon as the headers are in: it would then block reading the
body, so a client that sends half a body and goes quiet would hold a thread. Here the whole request is
taken in first, on the worker's event loop, where a slow client holds nothing but its connection;
only a complete request reaches the app, which then runs on the loop's thread, one request at a time per
worker process (processes, not threads, carry the load: threads in one process queue on the GIL).

Limits, each answered with Feishu's envelope (400/1002002) rather than a closed connection:
- a body not complete `client_timeout` seconds after its headers (the answer closes the connection);
- a body over `max_body_bytes` (read to its end and dropped, within the same time, so the client,
  still sending, reads the answer instead of a reset);
- request headers over `MAX_HEADER_BYTES` (`limit_headers`, on every server).
"""

from __future__ import annotations

import asyncio
import io
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

from mockserver.errors import FeishuAPIError, FieldViolation, error_response, invalid_parameter
from mockserver.journal import new_log_id
from mockserver.wsgi_headers import environ_key

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


Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


async def _chunks(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] != "http.request":  # http.disconnect: the client went away
            return
        yield message.get("body", b"")
        if not message.get("more_body", False):
            return


async def _read_body(receive: Receive, max_bytes: int) -> bytes:
    """The body, at most `max_bytes` + 1 of it (enough for the app to refuse it as too big); the rest is
    read and dropped, so a client still sending it reads the answer rather than a reset."""
    parts: list[bytes] = []
    size = 0
    async for chunk in _chunks(receive):
        if size <= max_bytes:
            parts.append(chunk)
        size += len(chunk)
    return b"".join(parts)[: max_bytes + 1]


def wsgi_environ(
    method: str,
    path: str,
    query: str,
    *,
    http_version: str,
    headers: Iterable[tuple[bytes, bytes]],
    body: bytes,
    server: tuple[Any, Any],
    client: tuple[Any, Any],
) -> dict[str, Any]:
    """The WSGI environ of a request taken in whole: `path` is PEP 3333's latin-1 text of the path's
    bytes (percent-escapes decoded), `query` as sent; `headers` as received (repeated names joined)."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": f"HTTP/{http_version}",
        "REMOTE_ADDR": str(client[0]),
        "REMOTE_PORT": str(client[1]),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for raw_name, raw_value in headers:
        key = environ_key(raw_name.decode("latin-1"))
        if key == "HTTP_TRANSFER_ENCODING":
            continue  # the body is whole here; the app gets its length
        value = raw_value.decode("latin-1")
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    # A declared length stays as the client sent it: the app refuses a body over the limit unread, and
    # one that ended short of its length (the client went away) as cut short. A chunked body gets its own.
    environ.setdefault("CONTENT_LENGTH", str(len(body)))
    return environ


def _environ(scope: dict[str, Any], body: bytes) -> dict[str, Any]:
    return wsgi_environ(
        scope["method"],
        scope["path"].encode("utf-8", "surrogateescape").decode("latin-1"),
        scope["query_string"].decode("latin-1"),
        http_version=scope["http_version"],
        headers=scope["headers"],
        body=body,
        server=scope.get("server") or ("127.0.0.1", 0),
        client=scope.get("client") or ("", 0),
    )


def run_wsgi(app: WSGIApp, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    """`app`'s answer to `environ`: its status line, its headers as it gave them, its whole body."""
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
    return status, headers, body


class ASGIApp:
    """`wsgi_app` as an ASGI application (see the module's docstring). Header names go out in the app's
    casing (`X-Tt-Logid`): what the server does with them is its part (h11 keeps them)."""

    def __init__(self, wsgi_app: WSGIApp, max_body_bytes: int, client_timeout: float) -> None:
        self.wsgi_app = limit_headers(wsgi_app)
        self.max_body_bytes = max_body_bytes
        self.client_timeout = client_timeout

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        try:
            async with asyncio.timeout(self.client_timeout):  # a deadline, not a task per request
                body = await _read_body(receive, self.max_body_bytes)
        except TimeoutError:
            environ = _environ(scope, b"")
            error = refusal(
                "body", f"the body did not arrive within {self.client_timeout:g} s of the headers"
            )
            # The rest of the body may still come: the connection is closed after the answer.
            await self._run(send, environ, lambda e, s: answer_refusal(error, e, s), close=True)
            return
        await self._run(send, _environ(scope, body), self.wsgi_app)

    @staticmethod
    async def _run(send: Send, environ: dict[str, Any], app: WSGIApp, close: bool = False) -> None:
        status, headers, body = run_wsgi(app, environ)
        raw = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers]
        if close:
            raw.append((b"Connection", b"close"))
        await send({"type": "http.response.start", "status": int(status[:3]), "headers": raw})
        await send({"type": "http.response.body", "body": body})
