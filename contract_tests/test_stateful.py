"""A model of what the server should hold, driven by hypothesis through the generated client with
interleaved creates, repeats (a small pool of external ids), updates, and injected conflicts and rate
limits. The model starts from the state it finds (the suite never resets a target); after every step
the server's state (control plane) must equal the model:
- one site user per (website, external_id); a repeated create answers that user unchanged;
- a job's roles listed in `update_option_list` take the given ids, the others stay as they were;
- a failed call (1002619, 99991400) changes nothing."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from contract_tests.calls import Call, client_call
from contract_tests.conformance import ConformanceHook
from contract_tests.profiles import current_profile
from contract_tests.strategies import valid_calls
from contract_tests.targets import Target
from feishu_hire_kit.client import ConcurrencyConflictError, FeishuError, RateLimitedError
from feishu_hire_kit.spec import operations, resolve

SITE_USERS = "create_website_site_user"
JOB_MANAGERS = "batch_update_job_manager"
JOB_RULES = operations()[JOB_MANAGERS].required_by_option
ID_FIELDS = operations()[JOB_MANAGERS].user_id_fields
assert JOB_RULES is not None
assert ID_FIELDS is not None
OPTION_FIELD, ROLE_BY_OPTION = JOB_RULES
ROLES = sorted(ROLE_BY_OPTION.values())
TYPE_PARAM: str = ID_FIELDS["user_id_type_parameter"]
WEBSITE_USER_FIELDS = set(resolve({"$ref": "#/components/schemas/WebsiteUser"})["properties"])
KEYS = ["ext-a", "ext-b", "ext-c", "ext-d"]  # few, so creates repeat
# Faults the model injects, with the operations documenting them and the error they must raise.
FAULTS: dict[int, tuple[list[str], type[FeishuError]]] = {
    1002619: (
        [op for op in (SITE_USERS, JOB_MANAGERS) if 1002619 in operations()[op].error_codes],
        ConcurrencyConflictError,
    ),
    99991400: ([SITE_USERS, JOB_MANAGERS], RateLimitedError),
}


def _site_user(record: dict[str, Any]) -> dict[str, Any]:
    """A site user as the API answers it: documented fields, absent rather than null."""
    return {k: v for k, v in record.items() if k in WEBSITE_USER_FIELDS and v is not None}


class HireModel(RuleBasedStateMachine):
    target: Target

    def __init__(self) -> None:
        super().__init__()
        self.control = self.target.control
        self.client = self.target.client(ConformanceHook())
        tenant = self._tenant()
        self.user_id_of = {
            (id_type, user[id_type]): user["user_id"] for user in tenant["users"] for id_type in user
        }
        self.by_user_id = {user["user_id"]: user for user in tenant["users"]}
        self.site_users = self._site_users(tenant)
        self.jobs = self._jobs(tenant)

    # -- reading the server
    def _tenant(self) -> dict[str, Any]:
        tenants: dict[str, dict[str, Any]] = self.control.state()["tenants"]
        return next(t for t in tenants.values() if self.target.app_id in t["apps"])

    @staticmethod
    def _site_users(tenant: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for record in tenant["site_users"]:
            key = (record["website_id"], record["external_id"])
            assert key not in found, f"two site users for {key}"
            found[key] = _site_user(record)
        return found

    @staticmethod
    def _jobs(tenant: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {job["job_id"]: {role: job[role] for role in ROLES} for job in tenant["jobs"]}

    def _in(self, id_type: str, value: Any) -> Any:
        """A stored (tenant user_id) value expressed in `id_type`."""
        if isinstance(value, list):
            return [self.by_user_id[v][id_type] for v in value]
        return None if value is None else self.by_user_id[value][id_type]

    # -- drawing calls
    def _site_user_call(self, data: st.DataObject) -> Call:
        call = data.draw(valid_calls(SITE_USERS, self.target.ids, unique_key=False))
        return replace(call, body={**call.body, "external_id": data.draw(st.sampled_from(KEYS))})

    def _call(self, data: st.DataObject, operation_id: str) -> Call:
        if operation_id == SITE_USERS:
            return self._site_user_call(data)
        return data.draw(valid_calls(operation_id, self.target.ids))

    def _data(self, call: Call) -> dict[str, Any]:
        parsed = client_call(self.client, call).parsed
        assert parsed is not None
        data: dict[str, Any] = parsed.to_dict()["data"]
        return data

    # -- rules
    @rule(data=st.data())
    def create_site_user(self, data: st.DataObject) -> None:
        call = self._site_user_call(data)
        self.target.tick()
        answer = _site_user(self._data(call)["site_user"])
        key = (call.path_params["website_id"], call.body["external_id"])
        if key in self.site_users:
            assert answer == self.site_users[key], "a repeated create must answer the user unchanged"
        else:
            assert {k: answer.get(k) for k in call.body} == call.body
            self.site_users[key] = answer

    @rule(data=st.data())
    def update_job(self, data: st.DataObject) -> None:
        call = data.draw(valid_calls(JOB_MANAGERS, self.target.ids))
        id_type = call.query.get(TYPE_PARAM, "open_id")
        job_id = call.path_params["job_id"]
        self.target.tick()
        answer = self._data(call)["job_manager"]
        people = dict(self.jobs[job_id])
        for option in set(call.body[OPTION_FIELD]):
            role = ROLE_BY_OPTION[option]
            given = call.body[role]
            people[role] = (
                [self.user_id_of[(id_type, v)] for v in given]
                if isinstance(given, list)
                else self.user_id_of[(id_type, given)]
            )
        self.jobs[job_id] = people
        expected = {role: self._in(id_type, value) for role, value in people.items() if value is not None}
        assert answer == {"id": job_id, **expected}

    @rule(data=st.data(), code=st.sampled_from(sorted(FAULTS)))
    def injected_failure_changes_nothing(self, data: st.DataObject, code: int) -> None:
        operation_ids, expected = FAULTS[code]
        operation_id = data.draw(st.sampled_from(operation_ids))
        call = self._call(data, operation_id)
        self.control.inject_fault(operation_id, code=code, count=1)
        self.target.tick()
        with pytest.raises(expected):
            client_call(self.client, call)

    # -- the server agrees with the model after every step
    @invariant()
    def server_agrees_with_model(self) -> None:
        tenant = self._tenant()
        assert self._site_users(tenant) == self.site_users
        assert self._jobs(tenant) == self.jobs


@pytest.mark.control_plane
def test_server_agrees_with_the_model(target: Target) -> None:
    machine = type("HireModelOn" + target.name.title(), (HireModel,), {"target": target})
    profile = current_profile()
    bounded = settings(
        max_examples=min(settings().max_examples, profile.stateful_examples),
        stateful_step_count=profile.stateful_steps,
    )
    run_state_machine_as_test(machine, settings=bounded)
