"""更新职位相关人员: option rules from the spec, user id conversion, unknown users and jobs, conflicts."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from mockserver.pytest_plugin import InProcessMock, RunningMock
from tests.mockserver.helpers import BATCH_UPDATE, DOC_BATCH_UPDATE, HAN, LI, WANG, ZHANG, bearer, body


def _job(feishu_mock: InProcessMock | RunningMock) -> dict[str, Any]:
    job: dict[str, Any] = feishu_mock.control.state()["tenants"]["sandbox"]["jobs"][0]
    return job


def test_docs_example_updates_only_the_recruiter(feishu_mock: InProcessMock, client: httpx.Client) -> None:
    before = _job(feishu_mock)
    r = client.post(
        BATCH_UPDATE, params={"user_id_type": "open_id"}, json=DOC_BATCH_UPDATE, headers=bearer(client)
    )
    assert body(r)["code"] == 0, body(r)
    assert body(r)["data"]["job_manager"] == {
        "id": "7096318853365369132",
        "recruiter_id": ZHANG["open_id"],
        # Not in update_option_list: unchanged although the body names other people.
        "assistant_id_list": [HAN["open_id"]],
        "hiring_manager_id_list": [LI["open_id"]],
    }
    after = _job(feishu_mock)
    assert after["recruiter_id"] == ZHANG["user_id"]
    assert after["assistant_id_list"] == before["assistant_id_list"]
    assert after["hiring_manager_id_list"] == before["hiring_manager_id_list"]
    assert after["updated_by"] == "1612209227098"  # creator_id, stored by user_id


def test_ids_are_read_and_answered_in_user_id_type(client: httpx.Client) -> None:
    payload = {
        "update_option_list": [2, 3],
        "assistant_id_list": [WANG["union_id"]],
        "hiring_manager_id_list": [WANG["union_id"]],
    }
    r = client.post(BATCH_UPDATE, params={"user_id_type": "union_id"}, json=payload, headers=bearer(client))
    manager = body(r)["data"]["job_manager"]
    assert manager["assistant_id_list"] == [WANG["union_id"]]
    assert manager["recruiter_id"] == "on_3c9a7b1d2e4f5a6b7c8d9e0f1a2b3c4d"
    r = client.post(
        BATCH_UPDATE,
        params={"user_id_type": "user_id"},
        json={"update_option_list": [1], "recruiter_id": ZHANG["user_id"]},
        headers=bearer(client),
    )
    assert body(r)["data"]["job_manager"]["recruiter_id"] == ZHANG["user_id"]
    assert body(r)["data"]["job_manager"]["assistant_id_list"] == ["1612209227097"]


def test_user_id_type_defaults_to_open_id(client: httpx.Client) -> None:
    r = client.post(
        BATCH_UPDATE,
        json={"update_option_list": [1], "recruiter_id": WANG["open_id"]},
        headers=bearer(client),
    )
    assert body(r)["data"]["job_manager"]["recruiter_id"] == WANG["open_id"]


def test_an_open_id_given_as_union_id_is_an_unknown_user(
    feishu_mock: InProcessMock, client: httpx.Client
) -> None:
    before = _job(feishu_mock)
    r = client.post(
        BATCH_UPDATE,
        params={"user_id_type": "union_id"},
        json={"update_option_list": [1], "recruiter_id": ZHANG["open_id"]},
        headers=bearer(client),
    )
    assert (r.status_code, body(r)["code"]) == (400, 1002011)
    assert body(r)["error"]["field_violations"][0]["field"] == "recruiter_id"
    assert _job(feishu_mock) == before


def test_unknown_creator_is_refused(client: httpx.Client) -> None:
    payload = {"update_option_list": [1], "recruiter_id": ZHANG["open_id"], "creator_id": "ou_nobody"}
    r = client.post(BATCH_UPDATE, json=payload, headers=bearer(client))
    assert body(r)["code"] == 1002011
    assert body(r)["error"]["field_violations"] == [
        {
            "field": "creator_id",
            "description": "no user of this tenant has open_id 'ou_nobody'",
            "value": "ou_nobody",
        }
    ]


@pytest.mark.parametrize(
    ("query", "payload", "field"),
    [
        ({}, {}, "update_option_list"),
        ({}, {"update_option_list": []}, "update_option_list"),
        ({}, {"update_option_list": [4]}, "update_option_list.0"),
        ({}, {"update_option_list": ["1"], "recruiter_id": "x"}, "update_option_list.0"),
        ({}, {"update_option_list": [1]}, "recruiter_id"),
        ({}, {"update_option_list": [1], "recruiter_id": ""}, "recruiter_id"),
        ({}, {"update_option_list": [2], "assistant_id_list": []}, "assistant_id_list"),
        ({}, {"update_option_list": [3], "recruiter_id": ZHANG["open_id"]}, "hiring_manager_id_list"),
        ({"user_id_type": "email"}, {"update_option_list": [1], "recruiter_id": "x"}, "user_id_type"),
    ],
)
def test_invalid_updates_are_1002002_and_change_nothing(
    feishu_mock: InProcessMock,
    client: httpx.Client,
    query: dict[str, str],
    payload: dict[str, Any],
    field: str,
) -> None:
    before = _job(feishu_mock)
    r = client.post(BATCH_UPDATE, params=query, json=payload, headers=bearer(client))
    assert (r.status_code, body(r)["code"]) == (400, 1002002)
    assert {v["field"] for v in body(r)["error"]["field_violations"]} == {field}
    assert _job(feishu_mock) == before


def test_unknown_job_is_1002207(client: httpx.Client) -> None:
    r = client.post(
        "/open-apis/hire/v1/jobs/42/managers/batch_update", json=DOC_BATCH_UPDATE, headers=bearer(client)
    )
    assert (r.status_code, body(r)["code"]) == (400, 1002207)
    assert "job_id=42" in body(r)["msg"]


def test_overlapping_updates_of_one_job_one_wins_the_other_is_1002619(
    feishu_mock_server: RunningMock,
) -> None:
    # The first update spends 500 ms holding the job; the second arrives meanwhile.
    feishu_mock_server.control.inject_fault("batch_update_job_manager", latency_ms=500, count=1)
    with httpx.Client(base_url=feishu_mock_server.base_url, timeout=30) as c:
        headers = bearer(c)
        slow_payload = {"update_option_list": [1], "recruiter_id": ZHANG["open_id"]}
        fast_payload = {
            "update_option_list": [1, 2],
            "recruiter_id": WANG["open_id"],
            "assistant_id_list": [WANG["open_id"]],
        }
        with ThreadPoolExecutor(max_workers=1) as pool:
            slow = pool.submit(c.post, BATCH_UPDATE, json=slow_payload, headers=headers)
            # Deterministic overlap: send the second update once the first holds the job.
            deadline = time.monotonic() + 10
            while _job(feishu_mock_server)["in_flight"] is None:
                assert time.monotonic() < deadline, "the first update never took the job"
                time.sleep(0.01)
            loser = c.post(BATCH_UPDATE, json=fast_payload, headers=headers)
            winner = slow.result()
    assert (winner.status_code, body(winner)["code"]) == (200, 0)
    assert (loser.status_code, body(loser)["code"]) == (400, 1002619)
    assert body(loser)["msg"] == "concurrent conflict, retry later"
    job = _job(feishu_mock_server)
    assert job["recruiter_id"] == ZHANG["user_id"]  # the winner's, and nothing of the loser's
    assert job["assistant_id_list"] == [HAN["user_id"]]
    assert job["in_flight"] is None
    # Once the winner is done, the job takes updates again.
    with httpx.Client(base_url=feishu_mock_server.base_url) as c:
        assert body(c.post(BATCH_UPDATE, json=fast_payload, headers=bearer(c)))["code"] == 0


def test_updates_of_different_jobs_do_not_conflict(feishu_mock: InProcessMock, client: httpx.Client) -> None:
    feishu_mock.control.seed(
        {
            "tenants": [
                {
                    "tenant_key": "sandbox",
                    "apps": [{"app_id": feishu_mock.app_id, "app_secret": feishu_mock.app_secret}],
                    "jobs": [{"job_id": "1"}],
                }
            ]
        }
    )
    headers = bearer(client)
    for path in (BATCH_UPDATE, "/open-apis/hire/v1/jobs/1/managers/batch_update"):
        r = client.post(
            path, json={"update_option_list": [1], "recruiter_id": ZHANG["open_id"]}, headers=headers
        )
        assert body(r)["code"] == 0
