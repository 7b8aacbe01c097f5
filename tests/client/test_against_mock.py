"""The client against the mock server's fault injection: in-process (sync) and over 127.0.0.1 (async)."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from feishu_hire_client import Client
from feishu_hire_client.api.hire import batch_update_job_manager, create_website_site_user
from feishu_hire_client.models.create_website_site_user_response import CreateWebsiteSiteUserResponse

from feishu_hire_kit.client import (
    ConcurrencyConflictError,
    InvalidParameterError,
    ServerError,
    connect,
)
from mockserver.pytest_plugin import InProcessMock, RunningMock
from tests.client.stubs import JOB_ID, WEBSITE_ID, Waits, job_manager_body, site_user_body

OPERATION = "batch_update_job_manager"
TOKEN_OPERATION = "tenant_access_token_internal"


def in_process(mock: InProcessMock, waits: Waits, **overrides: Any) -> Client:
    return connect(
        mock.app_id,
        mock.app_secret,
        mock.base_url,
        transport=mock.transport,
        retries=waits.policy(**overrides),
    )


def calls(mock: InProcessMock | RunningMock) -> Counter[str]:
    """How often each operation was called, from the mock's journal."""
    return Counter(str(entry["operation"]) for entry in mock.control.requests())


def update(client: Client) -> Any:
    return batch_update_job_manager.sync(JOB_ID, client=client, body=job_manager_body())


def test_doc_example_succeeds_with_one_token_fetch(feishu_mock: InProcessMock) -> None:
    client = in_process(feishu_mock, Waits())

    answers = [create_website_site_user.sync(WEBSITE_ID, client=client, body=site_user_body()) for _ in "12"]

    users = [
        a.to_dict()["data"]["site_user"] for a in answers if isinstance(a, CreateWebsiteSiteUserResponse)
    ]
    assert len(users) == 2
    assert users[0]["user_id"]
    assert users[0] == users[1]  # idempotent on external_id
    assert calls(feishu_mock) == {TOKEN_OPERATION: 1, "create_website_site_user": 2}


def test_injected_conflicts_are_retried_until_the_third_attempt_succeeds(feishu_mock: InProcessMock) -> None:
    waits = Waits()
    feishu_mock.control.inject_fault(OPERATION, code=1002619, count=2)

    result = update(in_process(feishu_mock, waits))

    assert result.code == 0
    assert calls(feishu_mock)[OPERATION] == 3
    assert len(waits) == 2


def test_injected_conflicts_beyond_the_attempts_raise(feishu_mock: InProcessMock) -> None:
    feishu_mock.control.inject_fault(OPERATION, code=1002619, count=5)

    with pytest.raises(ConcurrencyConflictError) as raised:
        update(in_process(feishu_mock, Waits(), attempts=3))

    assert calls(feishu_mock)[OPERATION] == 3
    assert raised.value.log_id == raised.value.response.headers["X-Tt-Logid"]


def test_injected_rate_limit_waits_the_mocks_reset_header(feishu_mock: InProcessMock) -> None:
    waits = Waits()
    feishu_mock.control.inject_fault(OPERATION, code=99991400, count=1)

    # A backoff would wait 0.001 s: what is waited here can only come from the reset header.
    update(in_process(feishu_mock, waits, wait_initial=0.001, wait_jitter=0.0))

    statuses = [
        entry["status"] for entry in feishu_mock.control.requests() if entry["operation"] == OPERATION
    ]
    assert statuses == [429, 200]
    assert len(waits) == 1
    assert waits[0] >= 1
    assert waits[0] == int(waits[0])  # whole seconds, as the header says


def test_injected_invalid_parameter_and_server_errors(feishu_mock: InProcessMock) -> None:
    client = in_process(feishu_mock, Waits(), attempts=2)
    feishu_mock.control.inject_fault(OPERATION, code=1002002, count=1)
    with pytest.raises(InvalidParameterError):
        update(client)
    assert calls(feishu_mock)[OPERATION] == 1

    feishu_mock.control.inject_fault(OPERATION, code=1002001, count=2)
    with pytest.raises(ServerError):
        update(client)
    assert calls(feishu_mock)[OPERATION] == 3


def test_expired_token_on_the_mocks_clock_is_refreshed(feishu_mock: InProcessMock) -> None:
    client = in_process(feishu_mock, Waits())
    update(client)

    feishu_mock.control.advance_clock(7200 + 1)  # the client's own clock still trusts its token
    update(client)

    journal = feishu_mock.control.requests()
    assert [(e["operation"], e["code"]) for e in journal] == [
        (TOKEN_OPERATION, 0),
        (OPERATION, 0),
        (OPERATION, 99991677),
        (TOKEN_OPERATION, 0),
        (OPERATION, 0),
    ]


def test_async_client_over_http_retries_and_shares_one_token(feishu_mock_server: RunningMock) -> None:
    waits = Waits()
    feishu_mock_server.control.inject_fault(OPERATION, code=1002619, count=2)
    client = connect(
        feishu_mock_server.app_id,
        feishu_mock_server.app_secret,
        feishu_mock_server.base_url,
        # The four updates of one job really collide on the live server: each retry waits a tenth of
        # the policy's wait (about 0.1 s, doubling), so a retry does not meet the same update again.
        retries=waits.policy(sleep_scale=0.1),
    )

    async def concurrently() -> list[Any]:
        async with client:
            return await asyncio.gather(
                *[
                    batch_update_job_manager.asyncio(JOB_ID, client=client, body=job_manager_body())
                    for _ in range(4)
                ]
            )

    results = asyncio.run(concurrently())

    assert [r.code for r in results] == [0] * 4
    # Besides the 2 injected conflicts, the 4 overlapping updates of one job may really collide:
    # every 1002619 the mock answered is one wait and one more call, no more, no less.
    journal = feishu_mock_server.control.requests()
    conflicts = sum(1 for e in journal if e["operation"] == OPERATION and e["code"] == 1002619)
    assert conflicts >= 2
    assert calls(feishu_mock_server) == {TOKEN_OPERATION: 1, OPERATION: 4 + conflicts}
    assert len(waits) == conflicts
