"""The resource kinds of the spec, each declared once, by the `x-feishu-resource` of its operations.

A resource kind (website, talent, job, ...) is what a path parameter names and a seed provides: its id
field is that parameter (`website_id`), a seed lists it under `<kind>s`, and an unknown id is answered
with its not-found code. A record kind is what an idempotent create makes under a resource: named by
the one property of its answer's `data` (`site_user`), listed as `<name>s` in the mock's state.

Storage, seeds, the contract suite's targets and options all follow from these tables.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from feishu_hire_kit.spec import lookup, operations, resolve


@dataclass(frozen=True)
class ResourceKind:
    kind: str
    id_field: str  # the path parameter naming one, and its id field in seeds and state
    not_found_code: int
    example_id: str | None  # the docs' example id (the parameter's `example`)
    # Fields holding people, stored by tenant user_id (x-feishu-user-id-fields' response of the
    # operations on it): field -> whether it holds a list of them.
    people: dict[str, bool]

    @property
    def plural(self) -> str:
        """Its list in a seed and in the mock's state: `websites`."""
        return f"{self.kind}s"


@dataclass(frozen=True)
class RecordKind:
    kind: str
    parent: str  # the resource kind it is created under
    operation_id: str  # the idempotent create that makes it

    @property
    def plural(self) -> str:
        return f"{self.kind}s"


def _example(operation_id: str, parameter: str) -> str | None:
    for raw in operations()[operation_id].raw.get("parameters", []):
        param = lookup(raw["$ref"]) if "$ref" in raw else raw
        if param["name"] == parameter:
            example = param.get("example", resolve(param.get("schema", {})).get("example"))
            return None if example is None else str(example)
    return None


def _answered(operation_id: str) -> dict[str, Any]:
    """{name: schema} of the records a success of the operation answers under `data`."""
    ok = resolve(operations()[operation_id].raw["responses"]["200"])
    schema = ok["content"]["application/json"]["schema"]
    parts = [schema, *schema.get("allOf", [])]
    data: dict[str, Any] = next(
        (p["properties"]["data"] for p in parts if "data" in p.get("properties", {})), {}
    )
    records: dict[str, Any] = data.get("properties", {})
    return records


def _people(operation_ids: list[str]) -> dict[str, bool]:
    people: dict[str, bool] = {}
    for operation_id in operation_ids:
        fields = operations()[operation_id].user_id_fields
        if fields is None:
            continue
        declared = {
            k: v for record in _answered(operation_id).values() for k, v in record["properties"].items()
        }
        for name in fields["response"]:
            people[name] = declared[name].get("type") == "array"
    return people


@functools.cache
def resource_kinds() -> dict[str, ResourceKind]:
    """Every resource kind the spec's operations name, by kind, in the order they first appear."""
    on_kind: dict[str, list[str]] = {}
    for operation_id, operation in operations().items():
        if operation.resource is not None:
            on_kind.setdefault(operation.resource["kind"], []).append(operation_id)
    kinds: dict[str, ResourceKind] = {}
    for kind, operation_ids in on_kind.items():
        resource = operations()[operation_ids[0]].resource or {}
        kinds[kind] = ResourceKind(
            kind=kind,
            id_field=resource["parameter"],
            not_found_code=int(resource["not_found_code"]),
            example_id=_example(operation_ids[0], resource["parameter"]),
            people=_people(operation_ids),
        )
    return kinds


def _answered_record(operation_id: str) -> str:
    (name,) = _answered(operation_id)
    return str(name)


@functools.cache
def record_kinds() -> dict[str, RecordKind]:
    """Every record kind an idempotent create of the spec makes, by kind."""
    kinds: dict[str, RecordKind] = {}
    for operation_id, operation in operations().items():
        if operation.idempotency_key is not None and operation.resource is not None:
            name = _answered_record(operation_id)
            kinds[name] = RecordKind(name, operation.resource["kind"], operation_id)
    return kinds
