"""pytest fixtures for test suites that talk to the mock (registered as the `feishu_hire_mock` plugin).

- `feishu_mock`: the app in-process, for httpx's WSGITransport; no sockets, no threads.
- `feishu_mock_server`: the same behind a real waitress server on 127.0.0.1 (for clients that need a
  URL, such as lark-oapi). One server per session.

Both give fresh seeded state per test: data, tokens, rate windows, faults, journal and clock as a new
server on that configuration starts with. Override `feishu_mock_config` to change the configuration.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterator, Mapping
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
# What the running server answers between tests: Flask's 404 to everything.
_PLACEHOLDER = flask.Flask("feishu-mock-placeholder")


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


def _runtime(app: flask.Flask) -> Runtime:
    runtime: Runtime = app.extensions[EXTENSION]
    return runtime


def _key(config: MockConfig) -> Hashable:
    """What two configurations must share for one app to serve both (all but the file and the clock)."""
    seed = config.seed
    if isinstance(seed, Mapping):
        seed_key: Hashable = json.dumps(seed, sort_keys=True, default=str)
    elif seed is not None:
        path = Path(seed).resolve()
        seed_key = (str(path), path.stat().st_mtime_ns)
    else:
        seed_key = None
    return (
        seed_key,
        config.rate_limits,
        config.rate_limit_scale,
        config.admin_token,
        config.shared_state,
        config.json_404,
        config.max_body_bytes,
        str(config.db_path) == ":memory:",
    )


class Apps:
    """The session's apps, one per configuration bar its database file and clock. Each test gets its
    configuration's app renewed (`Runtime.renew`: the tables emptied and seeded again in one transaction,
    the rest of the state dropped, the test's clock adopted) instead of a new app and database."""

    def __init__(self) -> None:
        self._apps: dict[Hashable, flask.Flask] = {}

    def fresh(self, config: MockConfig) -> flask.Flask:
        key = _key(config)
        app = self._apps.get(key)
        if app is None:
            app = self._apps[key] = create_app(config)
        else:
            _runtime(app).renew(config.clock)
        return app

    def close(self) -> None:
        for app in self._apps.values():
            _runtime(app).close()
        self._apps.clear()


@pytest.fixture(scope="session")
def _feishu_mock_apps() -> Iterator[Apps]:
    apps = Apps()
    yield apps
    apps.close()


@pytest.fixture
def feishu_mock_config(tmp_path_factory: pytest.TempPathFactory) -> MockConfig:
    """The configuration of the mock fixtures: defaults, on a database file of the session (one app
    serves every test of a configuration, renewed for each)."""
    return MockConfig(db_path=tmp_path_factory.getbasetemp() / "feishu-mock.db")


def _first_app(app: flask.Flask) -> tuple[str, str]:
    """The credentials of the first app of the seed the mock was built with (default: `cli_sandbox`)."""
    runtime: Runtime = app.extensions[EXTENSION]
    _, app_id, app_secret = credentials(runtime.seed)[0]
    return app_id, app_secret


@pytest.fixture
def feishu_mock(feishu_mock_config: MockConfig, _feishu_mock_apps: Apps) -> Iterator[InProcessMock]:
    """The mock in this process, fresh and seeded for each test; no socket, no thread.

    `.transport` (an `httpx.WSGITransport`) and `.base_url` point a client at it; `.client()` gives an
    `httpx.Client` already pointed; `.app_id` / `.app_secret` are the first app of the seed
    (`cli_sandbox` / `sandbox-secret` by default); `.control` is the control plane (reset, faults,
    clock, journal). Configure it by overriding the `feishu_mock_config` fixture."""
    app = _feishu_mock_apps.fresh(feishu_mock_config)
    transport = httpx.WSGITransport(app=app)
    with httpx.Client(transport=transport, base_url=IN_PROCESS_BASE_URL) as client:
        yield InProcessMock(
            app,
            transport,
            IN_PROCESS_BASE_URL,
            MockControl(client, feishu_mock_config.admin_token),
            *_first_app(app),
        )


@dataclass
class _Waitress:
    server: WaitressServer
    swappable: SwappableApp
    # The control plane's client, made once: an httpx client over HTTP builds an SSL context, which
    # costs more than the rest of a test's fresh state.
    client: httpx.Client


@pytest.fixture(scope="session")
def _feishu_mock_waitress() -> Iterator[_Waitress]:
    swappable = SwappableApp(_PLACEHOLDER)
    server = WaitressServer(swappable, host="127.0.0.1", port=0, threads=8).start()
    with httpx.Client(base_url=server.base_url, timeout=10.0) as client:
        yield _Waitress(server, swappable, client)
    server.stop()


@pytest.fixture
def feishu_mock_server(
    feishu_mock_config: MockConfig, _feishu_mock_waitress: _Waitress, _feishu_mock_apps: Apps
) -> Iterator[RunningMock]:
    """The mock behind a real HTTP server on a free 127.0.0.1 port (for clients that need a URL, such as
    lark-oapi, and for async clients), fresh and seeded for each test; the server is started once per
    session.

    `.base_url` is its address; `.app_id` / `.app_secret` are the first app of the seed; `.control` is
    the control plane. Configure it by overriding the `feishu_mock_config` fixture."""
    waitress = _feishu_mock_waitress
    app = _feishu_mock_apps.fresh(feishu_mock_config)
    waitress.swappable.app = app
    control = MockControl(waitress.client, feishu_mock_config.admin_token)
    yield RunningMock(waitress.server.base_url, control, app, *_first_app(app))
    waitress.swappable.app = _PLACEHOLDER
