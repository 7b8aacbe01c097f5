"""Serving the mock on waitress: in the foreground (`feishu-hire serve`) or on a background thread
(the pytest plugin's running server), the same way."""

from __future__ import annotations

import threading
from typing import Any

from waitress.server import create_server

from mockserver.types import WSGIApp


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

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def serve_forever(self) -> None:
        self._server.run()

    def start(self) -> WaitressServer:
        self._thread = threading.Thread(target=self._server.run, name="feishu-mock-server", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stops the loop and the worker threads (a background server only)."""
        self._server.task_dispatcher.shutdown(timeout=timeout)
        # Closing every channel empties waitress's socket map, which ends its loop.
        self._server.asyncore.close_all(self._server._map)
        if self._thread is not None:
            self._thread.join(timeout)
