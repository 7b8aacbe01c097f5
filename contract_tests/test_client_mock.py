"""The generated client against a server (`--target`; by default the mock in-process and over HTTP):
valid calls succeed and round-trip their fields; each call breaking one rule is refused with
400/1002002 naming that field; unknown resources get their not-found code. Every answer is checked
against the spec by the conformance hook."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from limits import parse

from contract_tests.calls import Call, client_call, example_call, raw_call
from contract_tests.conformance import ConformanceHook, documented_response
from contract_tests.strategies import invalid_calls, unknown_resource_calls, valid_calls
from contract_tests.targets import Target
from feishu_hire_kit.client import FeishuError, InvalidParameterError, NotFoundError, RateLimitedError
from feishu_hire_kit.spec import operations

BUSINESS = sorted(op_id for op_id, op in operations().items() if op.requires_token)
WITH_RESOURCE = [op_id for op_id in BUSINESS if operations()[op_id].resource]


def _entity(operation_id: str, answer: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """The record a success answers (`data.<the one property>`) and the fields its schema documents."""
    schema = (documented_response(operation_id, 200) or {})["content"]["application/json"]["schema"]
    data_schema = next(p["properties"]["data"] for p in schema["allOf"] if "data" in p.get("properties", {}))
    (key, entity_schema), *_ = data_schema["properties"].items()
    return answer["data"][key], set(entity_schema["properties"])


def _round_tripped(call: Call) -> set[str]:
    """Body fields a success must answer unchanged: those its record documents too, less the role
    fields of options not listed (those keep their stored value)."""
    body = call.body or {}
    skipped: set[str] = set()
    if call.operation.required_by_option:
        option_field, fields = call.operation.required_by_option
        skipped = {f for o, f in fields.items() if o not in body.get(option_field, [])}
    return set(body) - skipped


def names_field(violations: list[dict[str, Any]], field: str) -> bool:
    """Whether a violation names `field` itself or a part of it (`update_option_list.0`)."""
    return any(str(v.get("field", "")).split(".")[0].split("[")[0] == field for v in violations)


@pytest.mark.parametrize("operation_id", BUSINESS)
@given(data=st.data())
def test_valid_calls_succeed_and_round_trip(target: Target, operation_id: str, data: st.DataObject) -> None:
    call = data.draw(valid_calls(operation_id, target.ids))
    hook = ConformanceHook()
    target.tick()
    response = client_call(target.client(hook), call)
    assert response.status_code == 200
    assert response.parsed is not None
    entity, documented = _entity(operation_id, response.parsed.to_dict())
    for name in _round_tripped(call) & documented:
        assert entity[name] == call.body[name], name
    resource = call.operation.resource
    if resource:  # a record that names its resource (as itself or as `id`) names the one in the path
        param = resource["parameter"]
        for key in {param, "id"} & documented:
            assert entity[key] == call.path_params[param]
    assert response.headers["X-Tt-Logid"]


@pytest.mark.parametrize("operation_id", BUSINESS)
@given(data=st.data())
def test_each_broken_rule_is_refused_naming_its_field(
    target: Target, operation_id: str, data: st.DataObject
) -> None:
    broken = data.draw(invalid_calls(operation_id, target.ids))
    hook = ConformanceHook()
    target.tick()
    with pytest.raises(FeishuError) as raised:
        raw_call(target.http(hook), broken.call)
    error = raised.value
    assert isinstance(error, InvalidParameterError), (broken.rule, broken.field, error)
    assert (error.http_status, error.code) == (400, broken.expected_code)
    assert names_field(error.field_violations, broken.field), (
        broken.rule,
        broken.field,
        error.field_violations,
    )


@pytest.mark.parametrize("operation_id", WITH_RESOURCE)
@given(data=st.data())
def test_unknown_resources_get_their_not_found_code(
    target: Target, operation_id: str, data: st.DataObject
) -> None:
    broken = data.draw(unknown_resource_calls(operation_id, target.ids))
    target.tick()
    with pytest.raises(NotFoundError) as raised:
        client_call(target.client(ConformanceHook()), broken.call)
    assert raised.value.code == broken.expected_code


@pytest.mark.control_plane
@pytest.mark.parametrize("operation_id", BUSINESS)
def test_the_spec_rate_limits_hold_and_reset(target: Target, operation_id: str) -> None:
    """The tightest limit of `x-feishu-rate-limits` admits exactly its count per window, then 429s
    with the documented headers; the next window admits calls again."""
    limit = min((parse(text) for text in operations()[operation_id].rate_limits), key=lambda i: i.amount)
    call = example_call(operation_id)
    hook = ConformanceHook()
    client = target.client(hook)
    target.tick()
    for _ in range(limit.amount):
        client_call(client, call)
    with pytest.raises(RateLimitedError) as raised:
        client_call(client, call)
    assert raised.value.limit == limit.amount
    assert raised.value.reset_seconds is not None
    assert 0 <= raised.value.reset_seconds <= limit.get_expiry()
    target.control.advance_clock(limit.get_expiry())
    client_call(client, call)
