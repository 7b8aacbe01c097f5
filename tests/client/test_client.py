"""connect(): the generated client with tokens, typed errors and retries, sync and async alike.

Every test runs twice (the `mode` fixture): through `sync`/`sync_detailed` and `asyncio`/`asyncio_detailed`.
"""

from __future__ import annotations

import json
import logging

import httpx
import pytest
from feishu_hire_client.api.hire import (
    batch_update_job_manager,
    create_talent_external_info,
    create_website_site_user,
)
from feishu_hire_client.models.create_talent_external_info_request_body import (
    CreateTalentExternalInfoRequestBody,
)
from feishu_hire_client.models.job_manager import JobManager
from feishu_hire_client.models.website_user import WebsiteUser

from feishu_hire_kit.client import (
    AuthError,
    ConcurrencyConflictError,
    CredentialsError,
    InvalidParameterError,
    NotFoundError,
    RateLimitedError,
    ServerError,
)
from tests.client.stubs import (
    APP_ID,
    APP_SECRET,
    JOB_ID,
    LOG_ID,
    WEBSITE_ID,
    Feishu,
    answer,
    example,
    job_manager_body,
    request_example,
    response_example,
    run,
    site_user_body,
)

SITE_USER_OK = response_example("create_website_site_user")
JOB_MANAGER_OK = response_example("batch_update_job_manager")


def update_managers(feishu: Feishu, mode: str, **connect_kwargs: object) -> JobManager:
    client = feishu.connect(**connect_kwargs)
    result = run(mode, batch_update_job_manager, JOB_ID, client=client, body=job_manager_body())
    assert isinstance(result.data.job_manager, JobManager)
    return result.data.job_manager


def test_success_returns_the_model_with_a_cached_token(feishu: Feishu, mode: str) -> None:
    route = feishu.route("create_website_site_user", answer(SITE_USER_OK), answer(SITE_USER_OK))
    client = feishu.connect()

    first = run(mode, create_website_site_user, WEBSITE_ID, client=client, body=site_user_body())
    run(mode, create_website_site_user, WEBSITE_ID, client=client, body=site_user_body())

    assert isinstance(first.data.site_user, WebsiteUser)
    assert first.data.site_user.to_dict() == SITE_USER_OK["data"]["site_user"]
    assert feishu.token_route.call_count == 1
    sent = route.calls[0].request
    assert sent.headers["Authorization"] == feishu.token(1)
    assert sent.headers["Content-Type"] == "application/json; charset=utf-8"
    assert sent.url.path == f"/open-apis/hire/v1/websites/{WEBSITE_ID}/site_users"
    assert feishu.waits == []


def test_rate_limited_then_ok_waits_the_reset_header(
    feishu: Feishu, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    limited = answer(example("rate_limited"), x_ogw_ratelimit_reset="3", x_ogw_ratelimit_limit="50")
    route = feishu.route("batch_update_job_manager", limited, answer(JOB_MANAGER_OK))

    with caplog.at_level(logging.INFO, logger="feishu_hire_kit.client"):
        manager = update_managers(feishu, mode)

    assert manager.to_dict() == JOB_MANAGER_OK["data"]["job_manager"]
    assert route.call_count == 2
    assert feishu.waits == [3.0]
    assert "attempt 1/5 failed with code 99991400" in caplog.text
    assert "retrying in 3.00 s" in caplog.text


def test_rate_limit_wait_is_capped(feishu: Feishu, mode: str) -> None:
    limited = answer(example("rate_limited"), x_ogw_ratelimit_reset="3600")
    feishu.route("batch_update_job_manager", limited, answer(JOB_MANAGER_OK))

    update_managers(feishu, mode, retries=feishu.policy(rate_limit_wait_max=20.0))

    assert feishu.waits == [20.0]


@pytest.mark.parametrize("code_example", ["invalid_token", "expired_token"])
def test_token_error_refreshes_once_and_resends(feishu: Feishu, mode: str, code_example: str) -> None:
    route = feishu.route("batch_update_job_manager", answer(example(code_example)), answer(JOB_MANAGER_OK))

    update_managers(feishu, mode)

    assert feishu.token_route.call_count == 2
    assert [call.request.headers["Authorization"] for call in route.calls] == [
        feishu.token(1),
        feishu.token(2),
    ]
    assert feishu.waits == []


def test_token_error_after_the_refresh_raises(feishu: Feishu, mode: str) -> None:
    invalid = example("invalid_token")
    route = feishu.route("batch_update_job_manager", answer(invalid), answer(invalid))

    with pytest.raises(AuthError) as raised:
        update_managers(feishu, mode)

    assert raised.value.code == invalid["code"]
    assert (feishu.token_route.call_count, route.call_count) == (2, 2)


def test_missing_token_is_not_refreshed(feishu: Feishu, mode: str) -> None:
    route = feishu.route("batch_update_job_manager", answer(example("missing_token")))

    with pytest.raises(AuthError):
        update_managers(feishu, mode)

    assert (feishu.token_route.call_count, route.call_count) == (1, 1)


def test_conflict_twice_then_ok_backs_off_with_jitter(feishu: Feishu, mode: str) -> None:
    conflict = example("concurrent_conflict")
    route = feishu.route(
        "batch_update_job_manager", answer(conflict), answer(conflict), answer(JOB_MANAGER_OK)
    )
    policy = feishu.policy(wait_initial=1.0, wait_max=10.0, wait_jitter=0.5)

    update_managers(feishu, mode, retries=policy)

    assert route.call_count == 3
    assert len(feishu.waits) == 2
    assert 1.0 <= feishu.waits[0] <= 1.5
    assert 2.0 <= feishu.waits[1] <= 2.5


@pytest.mark.parametrize(
    ("failure", "error_class"),
    [
        (answer(example("concurrent_conflict")), ConcurrencyConflictError),
        (answer(example("system_error")), ServerError),
        (answer(example("rate_limited"), x_ogw_ratelimit_reset="1"), RateLimitedError),
    ],
    ids=["1002619", "1002001", "99991400"],
)
def test_retries_exhausted_raise_the_typed_error(
    feishu: Feishu,
    mode: str,
    failure: httpx.Response,
    error_class: type[Exception],
    caplog: pytest.LogCaptureFixture,
) -> None:
    route = feishu.route("batch_update_job_manager", *[failure] * 3, answer(JOB_MANAGER_OK))

    with pytest.raises(error_class) as raised:
        update_managers(feishu, mode, retries=feishu.policy(attempts=3))

    assert route.call_count == 3
    assert len(feishu.waits) == 2
    assert raised.value.response.status_code == failure.status_code  # type: ignore[attr-defined]
    assert "giving up after 3 attempt(s)" in caplog.text


def test_waits_are_bounded_by_the_total_wait_budget(feishu: Feishu, mode: str) -> None:
    limited = answer(example("rate_limited"), x_ogw_ratelimit_reset="4")
    route = feishu.route("batch_update_job_manager", *[limited] * 10)

    with pytest.raises(RateLimitedError):
        update_managers(feishu, mode, retries=feishu.policy(attempts=10, max_total_wait=10.0))

    assert feishu.waits == [4.0, 4.0]  # a third wait would reach 12 s
    assert route.call_count == 3


def test_invalid_parameter_is_never_retried(feishu: Feishu, mode: str) -> None:
    body = example("invalid_parameter")
    route = feishu.route("create_website_site_user", answer(body), answer(SITE_USER_OK))

    with pytest.raises(InvalidParameterError) as raised:
        run(mode, create_website_site_user, WEBSITE_ID, client=feishu.connect(), body=site_user_body())

    assert route.call_count == 1
    assert feishu.waits == []
    error = raised.value
    assert (error.code, error.http_status, error.log_id) == (body["code"], 400, LOG_ID)
    assert error.field_violations == body["error"]["field_violations"]


def test_an_error_answered_with_http_200_raises(feishu: Feishu, mode: str) -> None:
    feishu.route(
        "create_talent_external_info", answer({"code": 1002102, "msg": "talent does not exist"}, 200)
    )
    body = CreateTalentExternalInfoRequestBody.from_dict(request_example("create_talent_external_info"))

    with pytest.raises(NotFoundError) as raised:
        run(mode, create_talent_external_info, "7043758982146345223", client=feishu.connect(), body=body)

    assert (raised.value.code, raised.value.http_status) == (1002102, 200)


def test_detailed_calls_answer_the_raw_response_and_raise_the_same(feishu: Feishu, mode: str) -> None:
    feishu.route("create_website_site_user", answer(SITE_USER_OK), answer(example("invalid_parameter")))
    client = feishu.connect()

    ok = run(mode, create_website_site_user, WEBSITE_ID, client=client, body=site_user_body(), detailed=True)
    with pytest.raises(InvalidParameterError) as raised:
        run(mode, create_website_site_user, WEBSITE_ID, client=client, body=site_user_body(), detailed=True)

    assert ok.status_code == 200
    assert ok.headers["X-Tt-Logid"] == LOG_ID
    assert ok.parsed.data.site_user.external_id == SITE_USER_OK["data"]["site_user"]["external_id"]
    assert raised.value.response.json() == example("invalid_parameter")


def test_server_errors_without_an_envelope_and_connection_errors_are_retried(
    feishu: Feishu, mode: str
) -> None:
    gateway = httpx.Response(502, text="bad gateway", headers={"Content-Type": "text/plain"})
    route = feishu.route(
        "batch_update_job_manager", httpx.ConnectError("refused"), gateway, answer(JOB_MANAGER_OK)
    )

    update_managers(feishu, mode)

    assert route.call_count == 3
    assert len(feishu.waits) == 2


def test_connection_errors_exhausted_raise_the_httpx_error(feishu: Feishu, mode: str) -> None:
    route = feishu.route("batch_update_job_manager", *[httpx.ConnectError("refused")] * 2)

    with pytest.raises(httpx.ConnectError):
        update_managers(feishu, mode, retries=feishu.policy(attempts=2))

    assert route.call_count == 2


def test_retries_can_be_turned_off(feishu: Feishu, mode: str) -> None:
    route = feishu.route(
        "batch_update_job_manager", answer(example("concurrent_conflict")), answer(JOB_MANAGER_OK)
    )

    with pytest.raises(ConcurrencyConflictError):
        update_managers(feishu, mode, retries=None)

    assert route.call_count == 1


def test_refused_credentials_raise_before_any_call(feishu: Feishu, mode: str) -> None:
    refused = response_example("tenant_access_token_internal", "invalid_credentials")
    feishu.token_route.mock(side_effect=None, return_value=answer(refused, 200))
    route = feishu.route("batch_update_job_manager", answer(JOB_MANAGER_OK))

    with pytest.raises(CredentialsError) as raised:
        update_managers(feishu, mode)

    assert raised.value.code == refused["code"]
    assert route.call_count == 0


def test_the_token_request_carries_the_app_credentials(feishu: Feishu, mode: str) -> None:
    feishu.route("batch_update_job_manager", answer(JOB_MANAGER_OK))

    update_managers(feishu, mode)

    assert json.loads(feishu.token_route.calls[0].request.content) == {
        "app_id": APP_ID,
        "app_secret": APP_SECRET,
    }
    assert feishu.token_route.calls[0].request.headers["Content-Type"] == "application/json; charset=utf-8"


def test_a_failure_without_an_envelope_raises_the_http_error(feishu: Feishu, mode: str) -> None:
    not_found = httpx.Response(404, text="404 page not found", headers={"Content-Type": "text/plain"})
    gateway = httpx.Response(502, text="bad gateway", headers={"Content-Type": "text/plain"})
    route = feishu.route("batch_update_job_manager", not_found, gateway, gateway)

    with pytest.raises(httpx.HTTPStatusError) as first:
        update_managers(feishu, mode)
    with pytest.raises(httpx.HTTPStatusError) as second:
        update_managers(feishu, mode, retries=feishu.policy(attempts=2))

    assert (first.value.response.status_code, second.value.response.status_code) == (404, 502)
    assert route.call_count == 3  # the 404 once, the 502 twice
