"""The strategies themselves: valid calls break no rule of the spec, invalid ones break exactly the rule
and field they are labelled with, and every rule the spec states is reachable. Judged by `rules.violations`
(jsonschema over the spec plus the extensions), not by the code that built them."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contract_tests.calls import TargetIds, request_model
from contract_tests.rules import violations
from contract_tests.strategies import invalid_calls, rules, valid_calls
from feishu_hire_kit.spec import operations

IDS = TargetIds(
    resources={
        "website": ["1618209327096"],
        "talent": ["7043758982146345223"],
        "job": ["7096318853365369132"],
    },
    users=[
        {"open_id": "ou_a", "union_id": "on_a", "user_id": "1000000000000000001"},
        {"open_id": "ou_b", "union_id": "on_b"},
        {"open_id": "ou_c"},
    ],
)
WITH_BODY = sorted(op_id for op_id, op in operations().items() if "requestBody" in op.raw)
ALL_RULES = [(op_id, rule, field) for op_id in WITH_BODY for rule, field in rules(op_id)]


@pytest.mark.parametrize("operation_id", WITH_BODY)
@given(data=st.data())
def test_valid_calls_break_no_rule_and_name_known_things(operation_id: str, data: st.DataObject) -> None:
    call = data.draw(valid_calls(operation_id, IDS))
    assert violations(call) == set()
    op = call.operation
    if op.resource:
        assert call.path_params[op.resource["parameter"]] in IDS.resources[op.resource["kind"]]
    if op.user_id_fields:
        id_type = call.query.get(op.user_id_fields["user_id_type_parameter"], "open_id")
        known = set(IDS.user_ids(id_type))
        for name in op.user_id_fields["request"]:
            value: Any = call.body.get(name, [])
            assert set(value if isinstance(value, list) else [value]) <= known
    # A valid body is one the generated client's model can carry unchanged.
    assert request_model(operation_id).from_dict(call.body).to_dict() == call.body


@pytest.mark.parametrize(("operation_id", "rule", "field"), ALL_RULES)
@given(data=st.data())
def test_invalid_calls_break_exactly_their_rule(
    operation_id: str, rule: str, field: str, data: st.DataObject
) -> None:
    broken = data.draw(invalid_calls(operation_id, IDS, only=(rule, field)))
    assert (broken.rule, broken.field) == (rule, field)
    assert violations(broken.call) == {field}


def test_the_spec_rules_are_all_covered() -> None:
    """The extensions' rules appear among the breakable ones (a new extension rule must get a breaker)."""
    for op_id in WITH_BODY:
        op = operations()[op_id]
        covered = set(rules(op_id))
        for group in op.required_together:
            assert {("required_together", name) for name in group} <= covered
        if op.required_by_option:
            for name in op.required_by_option[1].values():
                assert ("required_by_option", name) in covered
                assert ("required_by_option_empty", name) in covered


# Options 1 and 3, in either order, possibly repeated: drawn as such, not filtered out of all lists.
OPTIONS_1_AND_3 = st.permutations([1, 3]).flatmap(
    lambda both: st.lists(st.sampled_from(both), max_size=2).map(lambda extra: [*both, *extra])
)


@given(call=valid_calls("batch_update_job_manager", IDS, given={"update_option_list": OPTIONS_1_AND_3}))
def test_options_1_and_3_come_with_recruiter_and_hiring_managers(call: Any) -> None:
    assert set(call.body["update_option_list"]) == {1, 3}
    assert call.body["recruiter_id"]
    assert call.body["hiring_manager_id_list"]
    assert violations(call) == set()
