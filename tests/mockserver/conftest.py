from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mockserver.clock import Clock
from mockserver.config import MockConfig
from mockserver.pytest_plugin import InProcessMock


@pytest.fixture(params=[False, True], ids=["local-state", "shared-state"])
def shared_state(request: pytest.FixtureRequest) -> bool:
    """Every in-process behaviour test runs twice: with the server's state in memory (one process) and
    in the database (what `serve --workers N` uses), so both keep behaving the same."""
    shared: bool = request.param
    return shared


@pytest.fixture
def feishu_mock_config(tmp_path: Path, shared_state: bool) -> MockConfig:
    return MockConfig(db_path=tmp_path / "feishu-mock.db", shared_state=shared_state)


@pytest.fixture
def client(feishu_mock: InProcessMock) -> Iterator[httpx.Client]:
    with feishu_mock.client() as c:
        yield c


@pytest.fixture
def frozen_config(tmp_path: Path, shared_state: bool) -> MockConfig:
    """A mock whose clock moves only when a test advances it (rate windows never roll by themselves)."""
    return MockConfig(
        db_path=tmp_path / "mock.db", clock=Clock(start=1_700_000_000.0), shared_state=shared_state
    )
