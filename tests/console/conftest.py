"""Fixtures of the sandbox's partner features: a server with an admin token, clients at any address."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from flask import Flask

from mockserver import MockConfig, create_app
from mockserver.runtime import EXTENSION, Runtime

ADMIN_TOKEN = "admin-s3cret"
BASE_URL = "http://sandbox.example"


@pytest.fixture
def config(tmp_path: Path) -> MockConfig:
    return MockConfig(db_path=tmp_path / "mock.db", admin_token=ADMIN_TOKEN)


@pytest.fixture
def app(config: MockConfig) -> Iterator[Flask]:
    app = create_app(config)
    yield app
    runtime: Runtime = app.extensions[EXTENSION]
    runtime.close()


def client_at(app: Flask, remote: str = "127.0.0.1", **kwargs: object) -> httpx.Client:
    """A client of `app` whose requests come from `remote` (the caller closes it)."""
    transport = httpx.WSGITransport(app=app, remote_addr=remote)
    return httpx.Client(transport=transport, base_url=BASE_URL, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def remote(app: Flask) -> Iterator[httpx.Client]:
    """A client off loopback (a partner on the internet)."""
    with client_at(app, "203.0.113.7") as c:
        yield c


@pytest.fixture
def local(app: Flask) -> Iterator[httpx.Client]:
    """A client on loopback."""
    with client_at(app) as c:
        yield c
