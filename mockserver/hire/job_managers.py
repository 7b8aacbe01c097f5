"""更新职位相关人员: set a job's recruiter, assistants and hiring managers.

Which field each `update_option_list` value updates and which fields hold user ids come from the spec's
extensions. Ids are read and answered in `user_id_type`, converted through the tenant's users and
stored by tenant user_id.

Two overlapping updates of one job: the first takes the job's in-flight marker (a conditional UPDATE,
so the database decides), the other answers 1002619 having changed nothing. The marker has a lease so a
killed process cannot leave a job locked forever.
"""

from __future__ import annotations

import secrets
from typing import Any

from mockserver.errors import CONCURRENT_CONFLICT, FeishuAPIError, FieldViolation
from mockserver.hire.call import Call
from mockserver.storage import Queries, Store

IN_FLIGHT_LEASE_SECONDS = 30.0


def _rules(call: Call) -> tuple[str, dict[int, str], dict[str, Any]]:
    by_option = call.operation.required_by_option
    user_fields = call.operation.user_id_fields
    if by_option is None or user_fields is None:
        raise LookupError("batch_update needs x-feishu-required-by-option and x-feishu-user-id-fields")
    option_field, fields = by_option
    return option_field, fields, user_fields


def _to_user_ids(
    queries: Queries, call: Call, id_type: str, names: list[str], unknown_code: int
) -> dict[str, Any]:
    """{field: value in tenant user_ids} for the request fields `names`; unknown ids fail naming the field."""
    given = {name: call.body[name] for name in names if call.body.get(name) is not None}
    ids = [i for value in given.values() for i in (value if isinstance(value, list) else [value])]
    known = queries.user_ids_by(call.tenant_key, id_type, ids) if ids else {}
    violations = [
        FieldViolation(name, f"no user of this tenant has {id_type} {i!r}", i)
        for name, value in given.items()
        for i in (value if isinstance(value, list) else [value])
        if i not in known
    ]
    if violations:
        error = FeishuAPIError(unknown_code, field_violations=violations)
        error.msg = f"{error.msg}: {violations[0].field}={violations[0].value}"
        raise error
    return {
        name: [known[i] for i in value] if isinstance(value, list) else known[value]
        for name, value in given.items()
    }


def _answer(queries: Queries, call: Call, id_type: str, response_fields: list[str]) -> dict[str, Any]:
    job = queries.job(call.tenant_key, call.resource_id)
    if job is None:
        raise call.not_found()
    stored = {name: job[name] for name in response_fields}
    people = queries.users(
        call.tenant_key,
        [i for v in stored.values() if v is not None for i in (v if isinstance(v, list) else [v])],
    )
    answer: dict[str, Any] = {"id": call.resource_id}
    for name, value in stored.items():
        if isinstance(value, list):
            answer[name] = [people[i][id_type] for i in value]
        elif value is not None:
            answer[name] = people[value][id_type]
    return {"job_manager": answer}


def batch_update(store: Store, call: Call) -> dict[str, Any]:
    option_field, fields, user_fields = _rules(call)
    id_type: str = call.params[user_fields["user_id_type_parameter"]]
    chosen = [fields[option] for option in dict.fromkeys(call.body[option_field])]
    marker = secrets.token_hex(8)
    with store.transaction() as queries:
        if not queries.claim_job(
            call.tenant_key, call.resource_id, marker, call.now, IN_FLIGHT_LEASE_SECONDS
        ):
            if queries.exists("job", call.tenant_key, call.resource_id):
                raise FeishuAPIError(CONCURRENT_CONFLICT)
            raise call.not_found()
    try:
        # User-id fields no option names (creator_id) are read on every update.
        always = [name for name in user_fields["request"] if name not in fields.values()]
        with store.transaction(write=False) as queries:
            resolved = _to_user_ids(
                queries, call, id_type, [*chosen, *always], int(user_fields["unknown_user_code"])
            )
        # The work of the update, while the marker is held: an overlapping update answers 1002619.
        call.work()
        with store.transaction() as queries:
            people = {name: resolved[name] for name in chosen}
            updated_by = resolved.get("creator_id")
            if not queries.write_job_people(
                tenant_key=call.tenant_key,
                job_id=call.resource_id,
                marker=marker,
                people=people,
                updated_by=updated_by,
                now=call.now,
            ):
                # The lease ran out and someone else took the job: this update lost.
                raise FeishuAPIError(CONCURRENT_CONFLICT)
            return _answer(queries, call, id_type, list(user_fields["response"]))
    finally:
        with store.transaction() as queries:
            queries.release_job(call.tenant_key, call.resource_id, marker)
