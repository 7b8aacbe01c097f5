"""Serving the mock: on uvicorn (HTTP parsed by httptools, or h11 where it is missing; uvloop), with one
worker process per core (`feishu-hire serve`); or on waitress, pure Python, in one process, in the foreground
(`feishu-hire serve --server waitress`, and wherever uvicorn cannot be imported) or on a background
thread (the pytest plugin's running server).

Slow and broken clients, on either server: a connection that has not sent its whole request line and
headers `client_timeout` seconds after it opened (or after its previous answer) is closed; so is one
whose body is not complete that long after its headers (uvicorn answers it 400/1002002 first, waitress
closes). Until then such a client holds only its connection: both servers take a request in whole before
the app sees it (see `mockserver.asgi`). Both send header names as the app cased them (`X-Tt-Logid`,
which lark-oapi looks up exactly)."""

from __future__ import annotations

import asyncio
import ctypes
import dataclasses
import json
import multiprocessing
import os
import selectors
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from waitress.server import create_server

from mockserver.asgi import limit_headers
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


# Seconds a client may take to send its request line and headers, and again its body (see above).
CLIENT_TIMEOUT = 10.0
# Above this much of request line and headers a server answers on its own (waitress 431, uvicorn 400;
# not the envelope);
# below it, and over `asgi.MAX_HEADER_BYTES`, the app answers 400/1002002.
SERVER_HEADER_BYTES = 1 << 20
WAITRESS_THREADS = 8
# On a stop, the seconds in-flight requests get to be answered before the server closes regardless.
STOP_GRACE = 0.5


class WaitressServer:
    """A waitress server bound now (port 0 picks a free one); `serve_forever()` or `start()` a thread."""

    def __init__(
        self,
        app: WSGIApp,
        host: str = "127.0.0.1",
        port: int = 0,
        threads: int = WAITRESS_THREADS,
        client_timeout: float = CLIENT_TIMEOUT,
    ) -> None:
        self._server: Any = create_server(
            limit_headers(app),
            host=host,
            port=port,
            threads=threads,
            ident="feishu-mock",
            channel_timeout=client_timeout,
            # How often waitress looks for connections past their timeout (its default is 30 s).
            cleanup_interval=max(0.5, client_timeout / 4),
            max_request_header_size=SERVER_HEADER_BYTES,
            # Its default (1 GiB) would have waitress buffer and refuse the body; the app reads the
            # first bytes over its own limit and answers 1002002, waitress then drops the rest.
            max_request_body_size=1 << 40,
        )
        self.host = host
        self.port: int = self._server.effective_port
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def base_url(self) -> str:
        return base_url(self.host, self.port)

    def serve_forever(self) -> None:
        """Serves in this (the main) thread until SIGTERM or SIGINT (Ctrl-C), then stops as `stop()`."""

        def request_stop(signum: int, frame: object) -> None:
            self._stopping.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        self._loop()

    def start(self) -> WaitressServer:
        self._thread = threading.Thread(target=self._loop, name="feishu-mock-server", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        # waitress's own loop only ends when its socket map empties; one poll at a time, a stop
        # request (with the trigger pulled to wake the poll) ends it at once.
        server = self._server
        while not self._stopping.is_set():
            self._poll(server.adj.asyncore_loop_timeout)
        # Stop taking connections; answer the requests already taken, for at most STOP_GRACE seconds.
        server.del_channel()
        server.socket.close()
        deadline = time.monotonic() + STOP_GRACE
        while self._busy() and time.monotonic() < deadline:
            self._poll(0.02)
        server.task_dispatcher.shutdown(timeout=max(0.0, deadline - time.monotonic()))
        server.asyncore.close_all(server._map)

    def _poll(self, timeout: float) -> None:
        server = self._server
        server.asyncore.loop(timeout=timeout, map=server._map, use_poll=server.adj.asyncore_use_poll, count=1)

    def _busy(self) -> bool:
        """A request taken in whole is being answered, or its answer is not all sent."""
        return any(
            getattr(channel, "requests", None) or getattr(channel, "total_outbufs_len", 0)
            for channel in list(self._server._map.values())
        )

    def stop(self, timeout: float = 5.0) -> None:
        """Stops a server started with `start()`: it takes no more connections, answers the requests it
        has taken (up to `STOP_GRACE` seconds), then closes its worker threads and sockets."""
        self._stopping.set()
        self._server.pull_trigger()
        if self._thread is not None:
            self._thread.join(timeout)


# `serve` hands its MockConfig to uvicorn's workers in this environment variable, as JSON.
CONFIG_ENV = "FEISHU_MOCK_CONFIG"


def config_to_json(config: MockConfig) -> str:
    """The config as JSON for the workers; the seed is loaded here, so a bad seed fails before they start.
    A worker's clock is always real time (a frozen clock is a test's tool, for apps in one process)."""
    if config.clock.start is not None:
        raise ValueError("worker processes run on real time: a frozen clock cannot be handed to them")
    fields = {f.name: getattr(config, f.name) for f in dataclasses.fields(config) if f.name != "clock"}
    fields["db_path"] = str(config.db_path)
    fields["seed"] = load_seed(config.seed)
    return json.dumps(fields)


def config_from_json(text: str) -> MockConfig:
    return MockConfig(**json.loads(text))


def free_port(host: str) -> int:
    """A port free on `host` now (port 0 is resolved here, before the server starts, so the banner and
    `on_ready` know it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


# The seconds a client may take (`CLIENT_TIMEOUT`), handed to uvicorn's workers.
CLIENT_TIMEOUT_ENV = "FEISHU_MOCK_CLIENT_TIMEOUT"
UVICORN_APP = "mockserver.uvicorn_app:app"
# uvicorn's HTTP parsers (`http_protocols.protocol`).
HTTPTOOLS, H11 = "httptools", "h11"


def uvicorn_available() -> bool:
    try:
        import uvicorn  # noqa: F401
    except ImportError:
        return False
    return True


def serve_uvicorn(
    host: str,
    port: int,
    workers: int,
    *,
    client_timeout: float = CLIENT_TIMEOUT,
    env: Mapping[str, str] | None = None,
    app: str = UVICORN_APP,
    on_ready: Callable[[], None] | None = None,
    http: type[asyncio.Protocol] | None = None,
) -> None:
    """Serves `app` ("package.module:app", an ASGI app each worker imports) on uvicorn with `http` (by
    default `http_protocols.protocol()`'s; header names go out as the app cased them) with `workers`
    processes, `env` added to the environment, until
    SIGTERM or SIGINT (Ctrl-C): then each worker answers what it has in flight, for at most `STOP_GRACE`
    seconds, and stops. `on_ready` is called (on a thread) once the port takes connections."""
    import uvicorn

    from mockserver.http_protocols import protocol

    os.environ.update(env or {})
    os.environ[CLIENT_TIMEOUT_ENV] = str(client_timeout)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        http=http or protocol()[0],
        loop="auto",  # uvloop where installed
        lifespan="off",
        log_level="warning",
        access_log=False,
        server_header=False,
        # Whose X-Forwarded-For is believed is `MockConfig.trusted_proxies`' rule alone (mockserver.proxies):
        # uvicorn's own would believe any loopback caller's.
        proxy_headers=False,
        # The deadline for a request's headers, from the connection's opening or its previous answer.
        timeout_keep_alive=client_timeout,  # type: ignore[arg-type]  # a float works: a call_later delay
        timeout_graceful_shutdown=STOP_GRACE,  # type: ignore[arg-type]  # likewise, a wait_for timeout
        h11_max_incomplete_event_size=SERVER_HEADER_BYTES,
    )
    sock = config.bind_socket()

    def announce() -> None:
        if on_ready is not None:
            threading.Thread(target=_when_listening, args=(host, port, on_ready), daemon=True).start()

    try:
        if workers == 1:
            announce()
            uvicorn.Server(config).run(sockets=[sock])
        else:
            _supervise(config, sock, workers, then=announce)
    finally:
        sock.close()


# How often the supervisor of worker processes looks for a stop and for workers that died.
SUPERVISOR_POLL = 0.05


def _supervise(config: Any, sock: socket.socket, workers: int, then: Callable[[], None]) -> None:
    """Runs `workers` uvicorn worker processes until SIGTERM or SIGINT, replacing any that dies; accepts
    the connections on `sock` itself and hands them to the workers in turn (so each carries as many:
    `mockserver.connection_handoff`); then stops them (SIGTERM: each answers what it has in flight, for
    `STOP_GRACE` seconds) and kills any still running a second later. A worker that cannot load the app
    stops them all. `then` is called once the first workers are forked (so no thread of it is running at
    a fork). (uvicorn's own supervisor looks at signals twice a second and waits for its workers without
    end.)"""
    from uvicorn.config import STARTUP_FAILURE  # a worker's exit code when it could not load the app

    from mockserver.connection_handoff import Dealer, channel_pair, serve_handed

    # Forked: each worker imports the app itself (`mockserver.uvicorn_app`), so no connection crosses.
    context = multiprocessing.get_context("fork")
    # The handlers only append: a handler runs on the main thread between two of its bytecodes, so one
    # that took a lock (`threading.Event.set`) could wait for ever on a lock that same thread holds in
    # `Event.wait`. The loop below looks at the list every `SUPERVISOR_POLL` seconds.
    stops: list[int] = []

    def request_stop(signum: int, frame: object) -> None:
        stops.append(signum)

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    channels: list[socket.socket] = []

    def start(i: int) -> Any:
        supervisor_end, worker_end = channel_pair()
        if i < len(channels):
            channels[i].close()
            channels[i] = supervisor_end
        else:
            channels.append(supervisor_end)
        inherited = [sock, *(channel for channel in channels if channel is not supervisor_end)]
        process = context.Process(target=serve_handed, args=(config, worker_end, inherited))
        process.start()
        worker_end.close()  # the worker's own copy is the one that counts
        return process

    failed = False
    processes = [start(i) for i in range(workers)]
    dealer = Dealer(sock, channels, config.backlog)
    then()
    with selectors.DefaultSelector() as selector:
        selector.register(sock, selectors.EVENT_READ)
        while not stops and not failed:
            if dealer.resting:
                time.sleep(SUPERVISOR_POLL)
            elif selector.select(SUPERVISOR_POLL):
                dealer.deal()
            for i, process in enumerate(processes):
                if not process.is_alive():
                    if process.exitcode == STARTUP_FAILURE:  # the app cannot load: every worker would fail
                        failed = True
                    else:
                        processes[i] = start(i)
    for process in processes:
        if process.is_alive():
            os.kill(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE + 1.0
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join()
    for channel in channels:
        channel.close()
    if failed:
        raise SystemExit("feishu-hire serve: a worker could not load the app (see above)")


def _when_listening(host: str, port: int, then: Callable[[], None], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    reach = "localhost" if host in ("0.0.0.0", "::", "") else host
    while time.monotonic() < deadline:
        try:
            socket.create_connection((reach, port), 1).close()
        except OSError:
            time.sleep(0.02)
            continue
        then()
        return


PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """A worker process ends when the process that started it dies, even by `kill -9` (Linux: the
    kernel's parent-death signal), so no worker keeps the port or the database open. Nothing in a
    process that is no worker (uvicorn with one worker serves in the main process)."""
    parent = multiprocessing.parent_process()
    if not sys.platform.startswith("linux") or parent is None:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    # The parent as it was at the fork, not as it is now: one that died before the signal was set (a
    # worker still loading the app) has left this process to another parent already.
    if os.getppid() != parent.pid:
        os._exit(1)
