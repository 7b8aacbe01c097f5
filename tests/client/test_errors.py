"""The typed errors: every code of the spec's table gets its family's class and the answer's details."""

from __future__ import annotations

import httpx
import pytest

from feishu_hire_kit.client.errors import (
    FAMILY_CLASSES,
    AuthError,
    ConcurrencyConflictError,
    CredentialsError,
    FeishuError,
    InvalidParameterError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    error_from_response,
    raise_for_feishu,
    token_path,
)
from feishu_hire_kit.spec import ErrorCode, error_codes
from tests.client.stubs import BASE_URL, LOG_ID, answer, example


def _with_request(
    response: httpx.Response, path: str = "/open-apis/hire/v1/jobs/1/managers/batch_update"
) -> httpx.Response:
    response.request = httpx.Request("POST", BASE_URL + path)
    return response


@pytest.mark.parametrize("entry", list(error_codes().values()), ids=lambda e: str(e.code))
def test_every_code_of_the_spec_gets_its_family_class(entry: ErrorCode) -> None:
    response = _with_request(answer({"code": entry.code, "msg": entry.msg}))

    error = error_from_response(response)

    assert type(error) is FAMILY_CLASSES[entry.family]
    assert (error.code, error.msg, error.http_status) == (entry.code, entry.msg, entry.status)
    assert error.log_id == LOG_ID
    assert error.response is response


def test_the_named_codes_get_the_named_classes() -> None:
    expected = {
        1002002: InvalidParameterError,
        1002619: ConcurrencyConflictError,
        99991400: RateLimitedError,
        99991661: AuthError,
        99991663: AuthError,
        99991671: AuthError,
        99991677: AuthError,
        1002001: ServerError,
        1002207: NotFoundError,
        10003: CredentialsError,
    }
    for code, cls in expected.items():
        assert type(error_from_response(_with_request(answer({"code": code, "msg": "m"})))) is cls, code


def test_field_violations_and_log_id_come_from_the_error_object() -> None:
    body = example("invalid_parameter")
    response = _with_request(httpx.Response(400, json=body))  # no X-Tt-Logid header

    error = error_from_response(response)

    assert isinstance(error, InvalidParameterError)
    assert error.log_id == body["error"]["log_id"]
    assert error.field_violations == body["error"]["field_violations"]
    assert "external_id" in str(error)


def test_rate_limited_carries_the_reset_and_the_limit() -> None:
    response = _with_request(
        answer(example("rate_limited"), x_ogw_ratelimit_reset="7", x_ogw_ratelimit_limit="50")
    )

    error = error_from_response(response)

    assert isinstance(error, RateLimitedError)
    assert (error.reset_seconds, error.limit, error.http_status) == (7.0, 50, 429)


def test_a_code_the_spec_lacks_gets_the_base_class_and_on_the_token_endpoint_credentials() -> None:
    business = error_from_response(_with_request(answer({"code": 20002, "msg": "no match"}, status=200)))
    token = error_from_response(
        _with_request(answer({"code": 20002, "msg": "no match"}, status=200), token_path())
    )

    assert type(business) is FeishuError
    assert type(token) is CredentialsError


@pytest.mark.parametrize(
    "response",
    [
        answer(),
        httpx.Response(404, text="404 page not found", headers={"Content-Type": "text/plain"}),
        httpx.Response(200, json=[1, 2]),
        httpx.Response(200, json={"code": True, "msg": "not an int"}),
    ],
    ids=["success", "plain-text-404", "json-list", "bool-code"],
)
def test_no_error_for_success_or_a_non_envelope(response: httpx.Response) -> None:
    assert error_from_response(_with_request(response)) is None
    raise_for_feishu(response)


def test_raise_for_feishu_raises_the_typed_error_even_with_http_200() -> None:
    response = _with_request(answer(example("invalid_parameter"), status=200))

    with pytest.raises(InvalidParameterError) as raised:
        raise_for_feishu(response)

    assert raised.value.http_status == 200


@pytest.mark.parametrize(
    ("reset", "limit", "expected"),
    [
        ("1.5", "10", (1.5, 10)),
        ("nan", "x", (None, None)),
        ("inf", "9007199254740993", (None, 9007199254740993)),
    ],
)
def test_rate_limit_headers_are_read_exactly_or_not_at_all(
    reset: str, limit: str, expected: tuple[float | None, int | None]
) -> None:
    response = httpx.Response(
        429,
        json={"code": 99991400, "msg": "request trigger frequency limit"},
        headers={"x-ogw-ratelimit-reset": reset, "x-ogw-ratelimit-limit": limit},
    )
    error = error_from_response(response)
    assert isinstance(error, RateLimitedError)
    assert (error.reset_seconds, error.limit) == expected
