"""Clients derived from connect()'s keep its tokens, retries and typed errors; setting an httpx client
from outside, which would drop them, raises."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import httpx
import pytest
from feishu_hire_client.api.hire import batch_update_job_manager, create_website_site_user

from feishu_hire_kit.client import FeishuClient, InvalidParameterError
from tests.client.stubs import (
    JOB_ID,
    WEBSITE_ID,
    Feishu,
    answer,
    example,
    job_manager_body,
    response_example,
    run,
    site_user_body,
)

JOB_MANAGER_OK = response_example("batch_update_job_manager")

DERIVE: dict[str, Callable[[FeishuClient], FeishuClient]] = {
    "with_headers": lambda client: client.with_headers({"X-Request-Id": "abc"}),
    "with_cookies": lambda client: client.with_cookies({"lang": "zh"}),
    "with_timeout": lambda client: client.with_timeout(httpx.Timeout(3.0)),
    "attrs.evolve": lambda client: attrs.evolve(client, follow_redirects=True),
}


@pytest.mark.parametrize("derive", DERIVE.values(), ids=DERIVE.keys())
def test_a_derived_client_keeps_the_token_retries_and_typed_errors(
    feishu: Feishu, mode: str, derive: Callable[[FeishuClient], FeishuClient]
) -> None:
    route = feishu.route("batch_update_job_manager", answer(JOB_MANAGER_OK))
    feishu.route("create_website_site_user", answer(example("invalid_parameter")))
    original = feishu.connect()
    run(mode, batch_update_job_manager, JOB_ID, client=original, body=job_manager_body())  # fetches the token
    route.side_effect = [answer(example("concurrent_conflict")), answer(JOB_MANAGER_OK)]
    before = route.call_count
    derived = derive(original)

    result = run(mode, batch_update_job_manager, JOB_ID, client=derived, body=job_manager_body())
    with pytest.raises(InvalidParameterError):
        run(mode, create_website_site_user, WEBSITE_ID, client=derived, body=site_user_body())

    assert isinstance(derived, FeishuClient)
    assert result.code == 0
    assert route.call_count - before == 2  # the conflict was retried
    assert feishu.token_route.call_count == 1  # the token cache is shared
    assert {c.request.headers["Authorization"] for c in route.calls} == {feishu.token(1)}


def test_derived_clients_send_what_they_add_and_leave_the_original_as_it_was(feishu: Feishu) -> None:
    route = feishu.route("batch_update_job_manager", *[answer(JOB_MANAGER_OK)] * 3)
    original = feishu.connect()
    timeout = httpx.Timeout(1.0, read=7.0)

    derived = (
        original.with_headers({"X-Request-Id": "abc"}).with_cookies({"lang": "zh"}).with_timeout(timeout)
    )
    for client in (derived, original):
        batch_update_job_manager.sync(JOB_ID, client=client, body=job_manager_body())

    sent_derived, sent_original = (c.request for c in route.calls)
    assert (sent_derived.headers["X-Request-Id"], sent_derived.headers["Cookie"]) == ("abc", "lang=zh")
    assert sent_derived.extensions["timeout"] == timeout.as_dict()
    assert "X-Request-Id" not in sent_original.headers
    assert "Cookie" not in sent_original.headers
    assert sent_original.extensions["timeout"] == httpx.Timeout(10.0).as_dict()


def test_setting_an_httpx_client_from_outside_raises_and_names_what_to_do(feishu: Feishu) -> None:
    client = feishu.connect()
    with pytest.raises(TypeError, match="transport="):
        client.set_httpx_client(httpx.Client())
    with pytest.raises(TypeError, match="async_transport="):
        client.set_async_httpx_client(httpx.AsyncClient())


@pytest.mark.parametrize("changes", [{"raise_on_unexpected_status": False}, {"httpx_args": {"auth": None}}])
def test_a_derived_client_that_would_drop_a_guarantee_is_refused(
    feishu: Feishu, changes: dict[str, Any]
) -> None:
    with pytest.raises(ValueError, match=r"raise_on_unexpected_status|connect\(\)"):
        attrs.evolve(feishu.connect(), **changes)
