"""Rate limits per app per operation, from the spec's extension; 429/99991400 with the ogw headers."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping

import httpx
import pytest

from mockserver import MockConfig, create_app
from mockserver.control import MockControl
from mockserver.seed import OTHER_APP_ID, OTHER_APP_SECRET
from tests.mockserver.helpers import BATCH_UPDATE, EXTERNAL_INFO, SITE_USERS, bearer, body

ONE_RECRUITER = {"update_option_list": [1], "recruiter_id": "ou_e6139117c300506837def50545420c6a"}


@pytest.fixture
def mock(frozen_config: MockConfig) -> Iterator[tuple[httpx.Client, MockControl]]:
    app = create_app(frozen_config)
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://feishu.mock") as c:
        yield c, MockControl(c)


def _calls_until_limited(
    c: httpx.Client, path: str, payload: Mapping[str, object], headers: dict[str, str], most: int
) -> tuple[int, httpx.Response]:
    for made in range(most):
        r = c.post(path, json=payload, headers=headers)
        if r.status_code == 429:
            return made, r
        assert body(r)["code"] == 0, body(r)
    raise AssertionError(f"no 429 within {most} calls")


def test_site_users_is_10_per_second(mock: tuple[httpx.Client, MockControl]) -> None:
    c, control = mock
    headers = bearer(c)
    made, r = _calls_until_limited(c, SITE_USERS, {"external_id": "e"}, headers, 20)
    assert made == 10
    assert body(r)["code"] == 99991400
    assert body(r)["msg"] == "request trigger frequency limit"
    assert r.headers["x-ogw-ratelimit-limit"] == "10"
    assert r.headers["x-ogw-ratelimit-reset"] == "1"
    assert body(r)["error"]["log_id"] == r.headers["X-Tt-Logid"]
    # The window rolls with the clock.
    control.advance_clock(1.0)
    assert body(c.post(SITE_USERS, json={"external_id": "e"}, headers=headers))["code"] == 0


def test_limits_count_per_app_and_per_operation(mock: tuple[httpx.Client, MockControl]) -> None:
    c, _ = mock
    headers = bearer(c)
    made, _ = _calls_until_limited(c, SITE_USERS, {"external_id": "e"}, headers, 20)
    assert made == 10
    # Another operation of the same app, and the same operation of another app, still pass.
    assert body(c.post(EXTERNAL_INFO, json={"external_create_time": "1"}, headers=headers))["code"] == 0
    other = bearer(c, OTHER_APP_ID, OTHER_APP_SECRET)
    r = c.post(
        "/open-apis/hire/v1/websites/2618209327096/site_users", json={"external_id": "e"}, headers=other
    )
    assert body(r)["code"] == 0


def test_50_per_second_and_1000_per_minute_either_trips(mock: tuple[httpx.Client, MockControl]) -> None:
    c, control = mock
    headers = bearer(c)
    made, r = _calls_until_limited(c, BATCH_UPDATE, ONE_RECRUITER, headers, 60)
    assert (made, r.headers["x-ogw-ratelimit-limit"]) == (50, "50")
    # 50 a second for 20 seconds stays under 50/s and reaches 1000/min.
    for _ in range(19):
        control.advance_clock(1.0)
        made, r = _calls_until_limited(c, BATCH_UPDATE, ONE_RECRUITER, headers, 60)
        assert made == 50
    control.advance_clock(1.0)
    r = c.post(BATCH_UPDATE, json=ONE_RECRUITER, headers=headers)
    assert r.status_code == 429
    assert r.headers["x-ogw-ratelimit-limit"] == "1000"
    assert r.headers["x-ogw-ratelimit-reset"] == "40"  # the minute began 20 s ago


def test_limits_can_be_scaled(frozen_config: MockConfig) -> None:
    app = create_app(dataclasses.replace(frozen_config, rate_limit_scale=0.5))
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://feishu.mock") as c:
        made, r = _calls_until_limited(c, SITE_USERS, {"external_id": "e"}, bearer(c), 20)
    assert (made, r.headers["x-ogw-ratelimit-limit"]) == (5, "5")


def test_limits_can_be_switched_off(frozen_config: MockConfig) -> None:
    app = create_app(dataclasses.replace(frozen_config, rate_limits=False))
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://feishu.mock") as c:
        headers = bearer(c)
        for _ in range(30):
            assert c.post(SITE_USERS, json={"external_id": "e"}, headers=headers).status_code == 200
