from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mockserver.clock import Clock
from mockserver.config import MockConfig
from mockserver.pytest_plugin import InProcessMock


@pytest.fixture
def client(feishu_mock: InProcessMock) -> Iterator[httpx.Client]:
    with feishu_mock.client() as c:
        yield c


@pytest.fixture
def frozen_config(tmp_path: Path) -> MockConfig:
    """A mock whose clock moves only when a test advances it (rate windows never roll by themselves)."""
    return MockConfig(db_path=tmp_path / "mock.db", clock=Clock(start=1_700_000_000.0))
