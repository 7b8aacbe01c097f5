"""pytest fixtures for test suites that talk to the mock (registered as the `feishu_hire_mock` plugin).

- `feishu_mock`: the app in-process, for httpx's WSGITransport; no sockets, no threads.
- `feishu_mock_server`: the same behind a real waitress server on 127.0.0.1 (for clients that need a
  URL, such as lark-oapi). One server per session; each test gets a fresh app and database behind it.

Both give fresh seeded state per test. Override `feishu_mock_config` to change the configuration
(keep a fresh `db_path` per test, e.g. under `tmp_path`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import flask
import httpx
import pytest

from mockserver.app import create_app
from mockserver.config import MockConfig
from mockserver.control import MockControl
from mockserver.runtime import EXTENSION, Runtime
from mockserver.seed import DEFAULT_APP_ID, DEFAULT_APP_SECRET, credentials
from mockserver.server import SwappableApp, WaitressServer

IN_PROCESS_BASE_URL = "http://feishu.mock"


@dataclass
class InProcessMock:
    app: flask.Flask
    transport: httpx.WSGITransport
    base_url: str
    control: MockControl
    app_id: str = DEFAULT_APP_ID
    app_secret: str = DEFAULT_APP_SECRET

    def client(self, **kwargs: object) -> httpx.Client:
        """An httpx client wired to the mock (the caller closes it)."""
        return httpx.Client(transport=self.transport, base_url=self.base_url, **kwargs)  # type: ignore[arg-type]


@dataclass
class RunningMock:
    base_url: str
    control: MockControl
    app: flask.Flask = field(repr=False)
    app_id: str = DEFAULT_APP_ID
    app_secret: str = DEFAULT_APP_SECRET


def _close(app: flask.Flask) -> None:
    runtime: Runtime = app.extensions[EXTENSION]
    runtime.close()


@pytest.fixture
def feishu_mock_config(tmp_path: Path) -> MockConfig:
    """The configuration of the mock fixtures: defaults, on a database file of its own."""
    return MockConfig(db_path=tmp_path / "feishu-mock.db")


def _first_app(app: flask.Flask) -> tuple[str, str]:
    """The credentials of the first app of the seed the mock was built with (default: `cli_sandbox`)."""
    runtime: Runtime = app.extensions[EXTENSION]
    _, app_id, app_secret = credentials(runtime.seed)[0]
    return app_id, app_secret


@pytest.fixture
def feishu_mock(feishu_mock_config: MockConfig) -> Iterator[InProcessMock]:
    """The mock in this process, fresh and seeded for each test; no socket, no thread.

    `.transport` (an `httpx.WSGITransport`) and `.base_url` point a client at it; `.client()` gives an
    `httpx.Client` already pointed; `.app_id` / `.app_secret` are the first app of the seed
    (`cli_sandbox` / `sandbox-secret` by default); `.control` is the control plane (reset, faults,
    clock, journal). Configure it by overriding the `feishu_mock_config` fixture."""
    app = create_app(feishu_mock_config)
    transport = httpx.WSGITransport(app=app)
    with httpx.Client(transport=transport, base_url=IN_PROCESS_BASE_URL) as client:
        yield InProcessMock(
            app,
            transport,
            IN_PROCESS_BASE_URL,
            MockControl(client, feishu_mock_config.admin_token),
            *_first_app(app),
        )
    _close(app)


@pytest.fixture(scope="session")
def _feishu_mock_waitress() -> Iterator[tuple[WaitressServer, SwappableApp]]:
    placeholder = flask.Flask("feishu-mock-placeholder")
    swappable = SwappableApp(placeholder)
    server = WaitressServer(swappable, host="127.0.0.1", port=0, threads=8).start()
    yield server, swappable
    server.stop()


@pytest.fixture
def feishu_mock_server(
    feishu_mock_config: MockConfig, _feishu_mock_waitress: tuple[WaitressServer, SwappableApp]
) -> Iterator[RunningMock]:
    """The mock behind a real HTTP server on a free 127.0.0.1 port (for clients that need a URL, such as
    lark-oapi, and for async clients), fresh and seeded for each test; the server is started once per
    session.

    `.base_url` is its address; `.app_id` / `.app_secret` are the first app of the seed; `.control` is
    the control plane. Configure it by overriding the `feishu_mock_config` fixture."""
    server, swappable = _feishu_mock_waitress
    app = create_app(feishu_mock_config)
    swappable.app = app
    with MockControl.connect(server.base_url, feishu_mock_config.admin_token) as control:
        yield RunningMock(server.base_url, control, app, *_first_app(app))
    swappable.app = flask.Flask("feishu-mock-placeholder")
    _close(app)
