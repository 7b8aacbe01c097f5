"""创建人才外部信息: a required millisecond-timestamp string, on a talent that exists."""

from __future__ import annotations

import httpx
import pytest

from mockserver.pytest_plugin import InProcessMock
from tests.mockserver.helpers import EXTERNAL_INFO, bearer, body


def test_docs_example(feishu_mock: InProcessMock, client: httpx.Client) -> None:
    r = client.post(EXTERNAL_INFO, json={"external_create_time": "1639992265035"}, headers=bearer(client))
    assert body(r) == {
        "code": 0,
        "msg": "ok",
        "data": {
            "external_info": {"talent_id": "7043758982146345223", "external_create_time": "1639992265035"}
        },
    }
    talents = feishu_mock.control.state()["tenants"]["sandbox"]["talents"]
    assert {t["talent_id"]: t["external_create_time"] for t in talents}[
        "7043758982146345223"
    ] == "1639992265035"


@pytest.mark.parametrize("value", [None, 1639992265035, "2021-12-20", "", "16399922650350"])
def test_external_create_time_must_be_a_millisecond_timestamp_string(
    client: httpx.Client, value: object
) -> None:
    payload = {} if value is None else {"external_create_time": value}
    r = client.post(EXTERNAL_INFO, json=payload, headers=bearer(client))
    assert (r.status_code, body(r)["code"]) == (400, 1002002)
    assert body(r)["error"]["field_violations"][0]["field"] == "external_create_time"


def test_unknown_talent_is_1002102(client: httpx.Client) -> None:
    r = client.post(
        "/open-apis/hire/v1/talents/1/external_info",
        json={"external_create_time": "1"},
        headers=bearer(client),
    )
    assert (r.status_code, body(r)["code"]) == (400, 1002102)
    assert body(r)["msg"] == "talent does not exist: talent_id=1"
