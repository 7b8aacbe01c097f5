"""The retry layer reads `x-feishu-resend-safe` from the spec: an operation not declared safe is resent
only after a failure before sending. Run against a temporary copy of the spec in which
batch_update_job_manager is not declared safe (create_website_site_user still is)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml
from feishu_hire_client.api.hire import batch_update_job_manager, create_website_site_user

from feishu_hire_kit import spec
from feishu_hire_kit.client import ConcurrencyConflictError, ServerError, retry
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

UNSAFE = "batch_update_job_manager"
JOB_MANAGER_OK = response_example(UNSAFE)
SITE_USER_OK = response_example("create_website_site_user")


def _clear_spec_caches() -> None:
    for cached in (spec.operations, retry._resend_safe_routes):
        cached.cache_clear()


@pytest.fixture(scope="module")
def unsafe_document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The spec, written to a temporary file without batch_update_job_manager's declaration, read back."""
    document = copy.deepcopy(spec.load_spec())
    operation = next(
        item["post"]
        for item in document["paths"].values()
        if item.get("post", {}).get("operationId") == UNSAFE
    )
    del operation["x-feishu-resend-safe"]
    path = tmp_path_factory.mktemp("spec") / "hire.yaml"
    path.write_text(yaml.dump(document, Dumper=yaml.CSafeDumper, allow_unicode=True), encoding="utf-8")
    loaded: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    return loaded


@pytest.fixture
def unsafe_spec(unsafe_document: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(spec, "load_spec", lambda: unsafe_document)
    _clear_spec_caches()
    assert not spec.operations()[UNSAFE].resend_safe
    yield
    monkeypatch.undo()
    _clear_spec_caches()


def test_the_spec_declares_the_three_hire_operations_and_the_token_endpoint_resend_safe() -> None:
    assert {op.operation_id for op in spec.operations().values() if op.resend_safe} == {
        "tenant_access_token_internal",
        "create_website_site_user",
        "create_talent_external_info",
        UNSAFE,
    }


@pytest.mark.usefixtures("unsafe_spec")
@pytest.mark.parametrize(
    ("failure", "raised"),
    [
        (httpx.ReadTimeout("no answer"), httpx.ReadTimeout),
        (httpx.RemoteProtocolError("closed mid-answer"), httpx.RemoteProtocolError),
        (answer(example("system_error")), ServerError),
        (answer(example("concurrent_conflict")), ConcurrencyConflictError),
        (httpx.Response(502, text="bad gateway"), httpx.HTTPStatusError),
    ],
    ids=["read-timeout", "protocol-error", "1002001", "1002619", "502"],
)
def test_an_operation_not_declared_safe_is_not_resent_once_it_may_have_arrived(
    feishu: Feishu, mode: str, failure: httpx.Response | Exception, raised: type[Exception]
) -> None:
    route = feishu.route(UNSAFE, failure, answer(JOB_MANAGER_OK))

    with pytest.raises(raised):
        run(mode, batch_update_job_manager, JOB_ID, client=feishu.connect(), body=job_manager_body())

    assert route.call_count == 1
    assert feishu.waits == []


@pytest.mark.usefixtures("unsafe_spec")
@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError("refused"), httpx.ConnectTimeout("no connection"), httpx.PoolTimeout("pool full")],
    ids=["connect-error", "connect-timeout", "pool-timeout"],
)
def test_an_operation_not_declared_safe_is_resent_after_a_failure_before_sending(
    feishu: Feishu, mode: str, failure: Exception
) -> None:
    route = feishu.route(UNSAFE, failure, answer(example("system_error")), answer(JOB_MANAGER_OK))

    # Resent once after the failure before sending; its answer (1002001) then is not resent.
    with pytest.raises(ServerError):
        run(mode, batch_update_job_manager, JOB_ID, client=feishu.connect(), body=job_manager_body())

    assert route.call_count == 2
    assert len(feishu.waits) == 1


@pytest.mark.usefixtures("unsafe_spec")
def test_an_operation_declared_safe_in_the_same_spec_is_still_resent(feishu: Feishu, mode: str) -> None:
    route = feishu.route("create_website_site_user", httpx.ReadTimeout("no answer"), answer(SITE_USER_OK))

    result = run(mode, create_website_site_user, WEBSITE_ID, client=feishu.connect(), body=site_user_body())

    assert result.code == 0
    assert route.call_count == 2


def test_a_request_the_spec_does_not_name_is_not_resent(feishu: Feishu) -> None:
    route = feishu.router.post("/open-apis/hire/v1/unknown").mock(
        side_effect=[httpx.Response(502, text="bad gateway"), answer()]
    )
    client = feishu.connect()

    with pytest.raises(httpx.HTTPStatusError):
        client.get_httpx_client().post("/open-apis/hire/v1/unknown", json={})

    assert route.call_count == 1
