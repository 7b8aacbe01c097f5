"""Fixtures of the client tests: a respx-stubbed Feishu, and both ways of calling (sync, async)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import respx

from tests.client.stubs import BASE_URL, Feishu


@pytest.fixture
def feishu() -> Iterator[Feishu]:
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        yield Feishu(router)


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    param: str = request.param
    return param
