"""Serving the mock: on waitress in one process, in the foreground (`feishu-hire serve`) or on a
background thread (the pytest plugin's running server); or on gunicorn with several worker processes
(`feishu-hire serve --workers N`)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any

from gunicorn.app.base import BaseApplication  # type: ignore[import-untyped]
from waitress.server import create_server

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


class GunicornServer(BaseApplication):  # type: ignore[misc]
    """`workers` processes of gunicorn's gthread workers on one socket, each loading `load_app()` after
    the fork (nothing opened in the master crosses into a worker: SQLite connections must not)."""

    def __init__(
        self, load_app: Callable[[], WSGIApp], sock: socket.socket, workers: int, threads: int
    ) -> None:
        self._load_app = load_app
        self._sock = sock
        self._options = {
            "bind": [f"fd://{sock.fileno()}"],
            "workers": workers,
            "worker_class": "gthread",
            "threads": threads,
            "accesslog": None,
            "loglevel": "warning",
            "graceful_timeout": 5,
            "keepalive": 5,
        }
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> WSGIApp:
        return self._load_app()
