"""Serving the mock: on waitress in one process, in the foreground (`feishu-hire serve`) or on a
background thread (the pytest plugin's running server); or on uWSGI with several worker processes
(`feishu-hire serve --workers N`)."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import os
import secrets
import socket
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, NoReturn

from waitress.server import create_server

from mockserver.config import MockConfig
from mockserver.seed import load_seed

WSGIApp = Callable[[dict[str, Any], Any], Iterable[bytes]]


def base_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class SwappableApp:
    """A WSGI app whose target can be replaced between tests, so one server serves fresh state each time."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.app(environ, start_response)


class WaitressServer:
    """A waitress server bound now (port 0 picks a free one); `serve_forever()` or `start()` a thread."""

    def __init__(self, app: WSGIApp, host: str = "127.0.0.1", port: int = 0, threads: int = 8) -> None:
        self._server: Any = create_server(app, host=host, port=port, threads=threads, ident="feishu-mock")
        self.host = host
        self.port: int = self._server.effective_port
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def base_url(self) -> str:
        return base_url(self.host, self.port)

    def serve_forever(self) -> None:
        self._server.run()

    def start(self) -> WaitressServer:
        self._thread = threading.Thread(target=self._loop, name="feishu-mock-server", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        # waitress's own loop only ends when its socket map empties; one poll at a time, a stop
        # request (with the trigger pulled to wake the poll) ends it at once.
        server = self._server
        while not self._stopping.is_set():
            server.asyncore.loop(
                timeout=server.adj.asyncore_loop_timeout,
                map=server._map,
                use_poll=server.adj.asyncore_use_poll,
                count=1,
            )
        server.task_dispatcher.shutdown()
        server.asyncore.close_all(server._map)

    def stop(self, timeout: float = 5.0) -> None:
        """Stops a server started with `start()`: its loop, its worker threads and its sockets."""
        self._stopping.set()
        self._server.pull_trigger()
        if self._thread is not None:
            self._thread.join(timeout)


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket bound now, so port 0 resolves before the workers start."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


# `serve --workers N` hands its MockConfig to the uWSGI workers in this environment variable, as JSON.
CONFIG_ENV = "FEISHU_MOCK_CONFIG"


def config_to_json(config: MockConfig) -> str:
    """The config as JSON for the workers; the seed is loaded here, so a bad seed fails before they start.
    A worker's clock is always real time (a frozen clock is a test's tool, for apps in one process)."""
    if config.clock.start is not None:
        raise ValueError("uWSGI workers run on real time: a frozen clock cannot be handed to them")
    fields = {f.name: getattr(config, f.name) for f in dataclasses.fields(config) if f.name != "clock"}
    fields["db_path"] = str(config.db_path)
    fields["seed"] = load_seed(config.seed)
    return json.dumps(fields)


def config_from_json(text: str) -> MockConfig:
    return MockConfig(**json.loads(text))


# A body the app refuses unread is still read off the worker's socket, up to this much (cheap on loopback),
# so the router delivers the answer. A worker that closes with unread bytes gets a reset, and the router
# drops the answer with it; waitress reads every body before the app sees it.
DRAIN_BYTES = 64 << 20


def uwsgi_body_reader(app: WSGIApp, max_bytes: int) -> WSGIApp:
    """The body as the app sees it on waitress. uWSGI hands a chunked body over undecoded (wsgi.input
    reads nothing): it is decoded here with uWSGI's own reader, at most `max_bytes` + 1 bytes (enough
    for the app to refuse it as too big); a malformed chunk gets a plain 400, as waitress answers it.
    Whatever the app left unread is drained before the answer goes out (`DRAIN_BYTES`)."""
    import uwsgi  # type: ignore[import-untyped]  # exists only inside a uWSGI worker

    def read_chunks(limit: int) -> bytes:
        parts: list[bytes] = []
        size = 0
        while size <= limit and (chunk := uwsgi.chunked_read(5)):
            parts.append(chunk)
            size += len(chunk)
        return b"".join(parts)

    def drain(environ: dict[str, Any], chunked: bool) -> None:
        with contextlib.suppress(OSError):
            if chunked:
                read_chunks(DRAIN_BYTES)
                return
            stream = environ["wsgi.input"]
            for _ in range(DRAIN_BYTES >> 16):
                if not stream.read(1 << 16):
                    break

    def reading(environ: dict[str, Any], start_response: Any) -> Any:
        chunked = environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked"
        if chunked:
            try:
                data = read_chunks(max_bytes)
            except OSError:
                start_response("400 Bad Request", [("Content-Type", "text/plain"), ("Connection", "close")])
                return [b"Bad Request\n\nmalformed chunked body"]
            environ = {**environ, "wsgi.input": io.BytesIO(data), "CONTENT_LENGTH": str(len(data))}
            del environ["HTTP_TRANSFER_ENCODING"]
        answer = app(environ, start_response)
        drain(environ, chunked)
        return answer

    return reading


def uwsgi_argv(module: str, sock: socket.socket, workers: int, threads: int) -> list[str]:
    """uWSGI's command line for `workers` processes of `threads` threads, each importing `module`
    ("package.module:app") after the fork, behind uWSGI's HTTP router on the listening socket `sock`
    (inherited, so port 0 was resolved by whoever bound it)."""
    return [
        str(Path(sys.executable).with_name("uwsgi")),
        # The router, an event loop in C, holds every client connection (keep-alive included) and hands each
        # request to whichever worker is free; workers that read HTTP themselves (--http11-socket) each
        # sit on one keep-alive connection until it idles out (4 s), so the third idle client of two
        # one-thread workers waited. Router and workers talk over an abstract unix socket (no file).
        "--http", f"fd://{sock.fileno()}",
        "--http-keepalive",
        "--http-chunked-input",  # chunked bodies reach the worker as chunks (uwsgi_body_reader)
        # One chunk may be up to 8 MiB (uWSGI's default, 1 MiB, cut a 2 MiB chunk off with a reset instead
        # of the app's 1002002); a bigger one still gets the connection closed, never a traceback.
        "--chunked-input-limit", str(8 << 20),
        "--socket", f"@feishu-mock-{os.getpid()}-{secrets.token_hex(4)}",
        "--master",
        "--processes", str(workers),
        "--threads", str(threads),
        "--enable-threads",  # the app's own threads (the WAL checkpointer) must run even with one thread
        "--lazy-apps",  # each worker imports `module` after the fork: no SQLite connection crosses it
        "--module", module,
        "--need-app",  # a worker whose app fails to load stops uWSGI instead of answering errors
        "--die-on-term",  # SIGTERM stops it (uWSGI's default is a reload)
        "--no-orphans",  # workers whose master died (kill -9) stop too: prctl PDEATHSIG on Linux
        "--worker-reload-mercy", "5",  # a worker that ignores the stop is killed after 5 s
        "--disable-logging",  # no line per request; errors are still logged
        "--ignore-sigpipe", "--ignore-write-errors", "--disable-write-exception",  # a client that hangs up
        "--buffer-size", "65535",  # request headers up to 64 KiB (uWSGI's default is 4 KiB)
    ]  # fmt: skip


def exec_uwsgi(
    module: str, sock: socket.socket, workers: int, threads: int, env: Mapping[str, str] | None = None
) -> NoReturn:
    """Replaces this process with uWSGI (its master keeps this pid, so a caller's signals reach it) with
    `env` added to the environment. Exec, not pyuwsgi.run() in this interpreter: the master and every
    worker start from a clean process, with nothing from here (threads, open files, the database
    this process seeded) but the listening socket and the environment."""
    sock.set_inheritable(True)
    argv = uwsgi_argv(module, sock, workers, threads)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(argv[0], argv, {**os.environ, **(env or {})})
