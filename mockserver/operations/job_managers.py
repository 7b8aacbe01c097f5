"""更新职位相关人员: set a job's recruiter, assistants and hiring managers.

Which field each `update_option_list` value updates and which fields hold user ids come from the spec's
extensions. Ids are read and answered in `user_id_type`, converted through the tenant's users and
stored by tenant user_id. Other fields of the request are stored as given.

Two overlapping updates of one job: the first takes the job's in-flight marker (a conditional UPDATE,
so the database decides), the other answers 1002619 having changed nothing. The marker has a lease so a
killed process cannot leave a job locked forever.
"""

from __future__ import annotations

import secrets
from typing import Any

from mockserver.errors import CONCURRENT_CONFLICT, FeishuAPIError, FieldViolation
from mockserver.operations.invocation import Invocation
from mockserver.storage import Queries, Store

IN_FLIGHT_LEASE_SECONDS = 30.0


def _rules(invocation: Invocation) -> tuple[str, dict[int, str], dict[str, Any]]:
    by_option = invocation.operation.required_by_option
    user_fields = invocation.operation.user_id_fields
    if by_option is None or user_fields is None:
        raise LookupError("batch_update needs x-feishu-required-by-option and x-feishu-user-id-fields")
    option_field, fields = by_option
    return option_field, fields, user_fields


def _ids(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _to_user_ids(
    queries: Queries, invocation: Invocation, id_type: str, names: list[str], unknown_code: int
) -> dict[str, Any]:
    """{field: value in tenant user_ids} for the request fields `names`; unknown ids fail naming the field."""
    given = {name: invocation.body[name] for name in names if invocation.body.get(name) is not None}
    ids = [i for value in given.values() for i in _ids(value)]
    known = queries.user_ids_by(invocation.tenant_key, id_type, ids) if ids else {}
    violations = [
        FieldViolation(name, f"no user of this tenant has {id_type} {i!r}", i)
        for name, value in given.items()
        for i in _ids(value)
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


def _answer(
    queries: Queries, invocation: Invocation, job: dict[str, Any], id_type: str, people_fields: list[str]
) -> dict[str, Any]:
    """The job with its people in `id_type` (the spec's response keeps what it declares)."""
    people = queries.users(
        invocation.tenant_key,
        [i for name in people_fields if job.get(name) is not None for i in _ids(job[name])],
    )
    answer: dict[str, Any] = {**job, "id": invocation.resource_id}
    for name in people_fields:
        value = job.get(name)
        if isinstance(value, list):
            answer[name] = [people[i][id_type] for i in value]
        elif value is not None:
            answer[name] = people[value][id_type]
    return {"job_manager": answer}


def batch_update_job_manager(store: Store, invocation: Invocation) -> dict[str, Any]:
    option_field, fields, user_fields = _rules(invocation)
    id_type: str = invocation.params[user_fields["user_id_type_parameter"]]
    chosen = [fields[option] for option in dict.fromkeys(invocation.body[option_field])]
    kind, job_id, tenant_key = invocation.resource_kind, invocation.resource_id, invocation.tenant_key
    marker = secrets.token_hex(8)
    with store.transaction() as queries:
        if not queries.claim(
            kind, tenant_key, job_id, marker, now=invocation.now, lease_seconds=IN_FLIGHT_LEASE_SECONDS
        ):
            if queries.exists(kind, tenant_key, job_id):
                raise FeishuAPIError(CONCURRENT_CONFLICT)
            raise invocation.not_found()
    try:
        # User-id fields no option names (creator_id) are read on every update.
        always = [name for name in user_fields["request"] if name not in fields.values()]
        with store.transaction(write=False) as queries:
            resolved = _to_user_ids(
                queries, invocation, id_type, [*chosen, *always], int(user_fields["unknown_user_code"])
            )
        # The work of the update, while the marker is held: an overlapping update answers 1002619.
        invocation.work()
        with store.transaction() as queries:
            job = queries.resource(kind, tenant_key, job_id) or {}
            # Fields that are neither the option list nor people are kept as given.
            plain = {
                name: value
                for name, value in invocation.body.items()
                if name != option_field and name not in user_fields["request"]
            }
            job.update(plain)
            job.update({name: resolved[name] for name in chosen})
            job.update(updated_by=resolved.get("creator_id"), updated_at=invocation.now)
            if not queries.write_claimed(kind, tenant_key, job_id, marker, job):
                # The lease ran out and someone else took the job: this update lost.
                raise FeishuAPIError(CONCURRENT_CONFLICT)
            return _answer(queries, invocation, job, id_type, list(user_fields["response"]))
    finally:
        with store.transaction() as queries:
            queries.release(kind, tenant_key, job_id, marker)
