"""Hypothesis strategies drawn from spec/hire.yaml: its request schemas (through hypothesis-jsonschema) and
its `x-feishu-*` rules, with no copy of either here.

- `valid_calls(op, ids)`: calls the spec accepts, extensions included: required-together groups given
  whole or not at all, the field each listed option names present and non-empty, user ids naming users of
  the target in the chosen `user_id_type`, path ids naming its seeded resources.
- `invalid_calls(op, ids)`: a valid call with exactly ONE rule broken, labelled with the rule and the
  field it breaks (so a server must answer 1002002 naming that field).
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from contract_tests.calls import Call, TargetIds
from feishu_hire_kit.spec import Operation, error_codes, operations, resolve

Draw = Callable[[st.SearchStrategy[Any]], Any]

INVALID_PARAMETER = next(c.code for c in error_codes().values() if c.family == "invalid_parameter")


# Idempotency keys get a per-run suffix so that created records are new even on a persistent target
# (a sandbox, a server with a file database) and when hypothesis draws the same text twice.
_RUN = uuid.uuid4().hex[:8]
_serial = itertools.count()


def fresh_key(drawn: str) -> str:
    return f"{drawn}~{_RUN}{next(_serial)}"


def _merge_all_of(schema: Mapping[str, Any]) -> dict[str, Any]:
    """One object schema from an `allOf` of object schemas (the spec's envelope + payload shape)."""
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    merged.setdefault("type", "object")
    props: dict[str, Any] = dict(merged.get("properties", {}))
    required: list[str] = list(merged.get("required", []))
    for raw_part in schema["allOf"]:
        part = _merge_all_of(raw_part) if "allOf" in raw_part else raw_part
        for name, sub in part.get("properties", {}).items():
            props[name] = {"allOf": [props[name], sub]} if name in props else sub
        required += [r for r in part.get("required", []) if r not in required]
    return {**merged, "properties": props, "required": required}


def _build(schema: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    # Objects (and arrays, which may hold objects) are composed here; leaves go to hypothesis-jsonschema.
    # Why not from_schema for everything: hypothesis-jsonschema 0.23.1's object strategy calls
    # `many.more()`, which hypothesis >= 6.1xx no longer has (AttributeError on any object schema).
    if "allOf" in schema:
        return _build(_merge_all_of(schema))
    if schema.get("type") == "object":
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        # Closed objects: only documented properties (extra fields are schemathesis' business).
        return st.fixed_dictionaries(
            {n: _build(p) for n, p in props.items() if n in required},
            optional={n: _build(p) for n, p in props.items() if n not in required},
        )
    if schema.get("type") == "array" and schema.get("items", {}).get("type") in ("object", "array"):
        return st.lists(
            _build(schema["items"]), min_size=schema.get("minItems", 0), max_size=schema.get("maxItems", 3)
        )
    return from_schema(dict(schema))


@functools.cache
def _schema_strategy(schema_json: str) -> st.SearchStrategy[Any]:
    return _build(json.loads(schema_json))


def from_spec_schema(schema: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    """Values valid under a resolved schema of the spec (cached: building a strategy is the slow part)."""
    return _schema_strategy(json.dumps(schema, sort_keys=True))


def body_schema(op: Operation) -> dict[str, Any] | None:
    if "requestBody" not in op.raw:
        return None
    schema: dict[str, Any] = resolve(op.raw["requestBody"]["content"]["application/json"]["schema"])
    return schema


def parameters(op: Operation, where: str) -> list[dict[str, Any]]:
    return [p for p in resolve(op.raw.get("parameters", [])) if p["in"] == where]


@dataclass(frozen=True)
class _Context:
    op: Operation
    ids: TargetIds
    id_type: str | None

    @property
    def user_fields(self) -> set[str]:
        fields = self.op.user_id_fields
        return set(fields["request"]) if fields else set()

    def prop(self, name: str) -> dict[str, Any]:
        schema = body_schema(self.op) or {}
        prop: dict[str, Any] = schema.get("properties", {}).get(name, {})
        return prop

    def option_fields(self) -> tuple[str, dict[int, str]] | None:
        return self.op.required_by_option


def _valid_value(draw: Draw, ctx: _Context, name: str, *, nonempty: bool) -> Any:
    """A valid value for one body field; user-id fields name users of the target."""
    prop = ctx.prop(name)
    if name in ctx.user_fields and ctx.id_type is not None:
        users = st.sampled_from(ctx.ids.user_ids(ctx.id_type))
        if prop.get("type") == "array":
            return draw(st.lists(users, min_size=1 if nonempty else 0, max_size=3, unique=True))
        return draw(users)
    if nonempty:
        key = "minItems" if prop.get("type") == "array" else "minLength"
        prop = {**prop, key: max(1, prop.get(key, 0))}
    return draw(from_spec_schema(prop))


def _listed_options(ctx: _Context, body: Mapping[str, Any]) -> dict[int, str]:
    """{option: field it requires} for the options listed in the body."""
    rule = ctx.option_fields()
    if rule is None:
        return {}
    option_field, fields = rule
    listed = body.get(option_field)
    if not isinstance(listed, list):
        return {}
    # bool is an int to Python but not to JSON Schema: `true` does not list option 1.
    return {v: fields[v] for v in listed if type(v) is int and v in fields}


def _is_empty(value: Any) -> bool:
    return value is None or value in ("", [])


def _satisfy_extensions(draw: Draw, ctx: _Context, body: dict[str, Any]) -> None:
    """Turns a schema-valid body into one that also satisfies the operation's `x-feishu-*` rules."""
    for group in ctx.op.required_together:
        if draw(st.booleans()):
            for name in group:
                if name not in body:
                    body[name] = _valid_value(draw, ctx, name, nonempty=False)
        else:
            for name in group:
                body.pop(name, None)
    required = set(_listed_options(ctx, body).values())
    for name in sorted(ctx.user_fields | required):
        if name in body or name in required:
            body[name] = _valid_value(draw, ctx, name, nonempty=name in required)


def _query(draw: Draw, op: Operation, ids: TargetIds) -> tuple[dict[str, Any], str | None]:
    """Query parameters; the user id type is one the target has users of (absent = the default)."""
    query: dict[str, Any] = {}
    id_type: str | None = None
    id_fields = op.user_id_fields
    type_param = id_fields["user_id_type_parameter"] if id_fields else None
    for param in parameters(op, "query"):
        schema = param["schema"]
        if param["name"] == type_param:
            choices = ids.id_types(schema["enum"])
            id_type = draw(st.sampled_from(choices))
            # The default is also reachable by leaving the parameter out.
            if id_type != schema.get("default") or draw(st.booleans()):
                query[param["name"]] = id_type
        elif param.get("required") or draw(st.booleans()):
            query[param["name"]] = draw(from_spec_schema(schema))
    return query, id_type


@st.composite
def valid_calls(
    draw: Draw,
    operation_id: str,
    ids: TargetIds,
    *,
    unique_key: bool = True,
    given: Mapping[str, st.SearchStrategy[Any]] | None = None,
) -> Call:
    """Calls of `operation_id` the spec and its extensions accept, naming things that exist on the
    target. With `unique_key`, the idempotency key is new on every draw (so a create really creates).
    `given` draws chosen body fields from strategies of the caller's (e.g. an option list with chosen
    options), before the extensions are satisfied: built that way, not filtered, so any choice is
    reached at once. Its strategies must draw schema-valid values."""
    op = operations()[operation_id]
    resource = op.resource or {}
    path: dict[str, str] = {}
    for param in parameters(op, "path"):
        if param["name"] == resource.get("parameter"):
            path[param["name"]] = draw(st.sampled_from(list(ids.resources[resource["kind"]])))
        else:
            path[param["name"]] = draw(from_spec_schema(param["schema"]))
    query, id_type = _query(draw, op, ids)
    body: dict[str, Any] | None = None
    schema = body_schema(op)
    if schema is not None:
        body = dict(draw(from_spec_schema(schema)))
        body.update({name: draw(strategy) for name, strategy in (given or {}).items()})
        _satisfy_extensions(draw, _Context(op, ids, id_type), body)
        key = op.idempotency_key
        if unique_key and key is not None and key in body:
            body[key] = fresh_key(body[key])
    return Call(operation_id, path, query, body)


@dataclass(frozen=True)
class Broken:
    """A call breaking exactly one rule: `rule` (e.g. "missing", "type") of `field`."""

    call: Call
    rule: str
    field: str
    expected_code: int = INVALID_PARAMETER


# A breaker edits a valid body/query in place so that exactly its rule on its field is broken.
Breaker = Callable[[Draw, "_Context", dict[str, Any], dict[str, Any], str], None]

_JSON_TYPES: dict[str, st.SearchStrategy[Any]] = {
    "string": st.text(max_size=5),
    "integer": st.integers(),
    "boolean": st.booleans(),
    "array": st.lists(st.integers(), max_size=2),
    "object": st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
}


def _wrong_type(schema: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    """A value of another JSON type. null is left out: whether null means "absent" is not specified."""
    own = schema.get("type")
    return st.one_of([s for t, s in _JSON_TYPES.items() if t != own])


def _not_in_enum(schema: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    """A value of the right type outside the enum."""
    return from_spec_schema({"type": schema["type"]}).filter(lambda v: v not in schema["enum"])


def _fill_partners(draw: Draw, ctx: _Context, body: dict[str, Any], name: str) -> None:
    """Gives the rest of `name`'s required-together group valid values, so only `name` is wrong."""
    for group in ctx.op.required_together:
        if name in group:
            for other in group:
                if other != name and other not in body:
                    body[other] = _valid_value(draw, ctx, other, nonempty=False)


def _list_option_of(ctx: _Context, body: dict[str, Any], name: str) -> None:
    """Lists the option that makes `name` required."""
    rule = ctx.option_fields()
    assert rule is not None
    option_field, fields = rule
    option = next(o for o, f in fields.items() if f == name)
    if option not in body[option_field]:
        body[option_field] = [*body[option_field], option]


def _break_missing(draw: Draw, ctx: _Context, body: dict[str, Any], q: dict[str, Any], name: str) -> None:
    body.pop(name, None)


def _break_pairing(draw: Draw, ctx: _Context, body: dict[str, Any], q: dict[str, Any], name: str) -> None:
    body.pop(name, None)
    _fill_partners(draw, ctx, body, name)


def _break_option_absent(
    draw: Draw, ctx: _Context, body: dict[str, Any], q: dict[str, Any], name: str
) -> None:
    _list_option_of(ctx, body, name)
    body.pop(name, None)


def _break_option_empty(
    draw: Draw, ctx: _Context, body: dict[str, Any], q: dict[str, Any], name: str
) -> None:
    _list_option_of(ctx, body, name)
    body[name] = [] if ctx.prop(name).get("type") == "array" else ""


def _break_type(draw: Draw, ctx: _Context, body: dict[str, Any], q: dict[str, Any], name: str) -> None:
    body[name] = draw(_wrong_type(ctx.prop(name)))
    _fill_partners(draw, ctx, body, name)


def _break_item_type(draw: Draw, ctx: _Context, body: dict[str, Any], q: dict[str, Any], name: str) -> None:
    body[name] = [*body.get(name, []), draw(_wrong_type(ctx.prop(name)["items"]))]


def _break_item_enum(draw: Draw, ctx: _Context, body: dict[str, Any], q: dict[str, Any], name: str) -> None:
    body[name] = [*body.get(name, []), draw(_not_in_enum(ctx.prop(name)["items"]))]


def _break_enum(draw: Draw, ctx: _Context, body: dict[str, Any], q: dict[str, Any], name: str) -> None:
    body[name] = draw(_not_in_enum(ctx.prop(name)))
    _fill_partners(draw, ctx, body, name)


def _break_too_short(draw: Draw, ctx: _Context, body: dict[str, Any], q: dict[str, Any], name: str) -> None:
    body[name] = [] if ctx.prop(name).get("type") == "array" else ""
    _fill_partners(draw, ctx, body, name)


def _break_pattern(draw: Draw, ctx: _Context, body: dict[str, Any], q: dict[str, Any], name: str) -> None:
    pattern = ctx.prop(name)["pattern"]
    body[name] = draw(st.text(max_size=20).filter(lambda s: re.search(pattern, s) is None))
    _fill_partners(draw, ctx, body, name)


def _break_query_enum(draw: Draw, ctx: _Context, body: dict[str, Any], q: dict[str, Any], name: str) -> None:
    enum = next(p["schema"]["enum"] for p in parameters(ctx.op, "query") if p["name"] == name)
    q[name] = draw(st.text(max_size=10).filter(lambda v: v not in enum))


def _breakers(op: Operation) -> list[tuple[str, str, Breaker]]:
    """Every (rule, field, breaker) the spec gives `op`, read from its schemas and extensions."""
    found: list[tuple[str, str, Breaker]] = []
    schema = body_schema(op) or {}
    found += [("missing", name, _break_missing) for name in schema.get("required", [])]
    found += [("required_together", name, _break_pairing) for group in op.required_together for name in group]
    if op.required_by_option is not None:
        for name in op.required_by_option[1].values():
            found += [("required_by_option", name, _break_option_absent)]
            found += [("required_by_option_empty", name, _break_option_empty)]
    for name, prop in schema.get("properties", {}).items():
        found.append(("type", name, _break_type))
        items = prop.get("items", {})
        if prop.get("type") == "array" and "type" in items:
            found.append(("item_type", name, _break_item_type))
        if "enum" in items:
            found.append(("enum", name, _break_item_enum))
        if "enum" in prop:
            found.append(("enum", name, _break_enum))
        if prop.get("minItems", prop.get("minLength", 0)) > 0:
            found.append(("too_short", name, _break_too_short))
        if "pattern" in prop:
            found.append(("pattern", name, _break_pattern))
    found += [
        ("enum", p["name"], _break_query_enum) for p in parameters(op, "query") if "enum" in p["schema"]
    ]
    return found


@st.composite
def invalid_calls(
    draw: Draw, operation_id: str, ids: TargetIds, only: tuple[str, str] | None = None
) -> Broken:
    """A valid call of `operation_id` with exactly one rule broken; `only` = (rule, field) picks one."""
    op = operations()[operation_id]
    choices = [b for b in _breakers(op) if only is None or b[:2] == only]
    name_rule, name, breaker = draw(st.sampled_from(choices))
    call = draw(valid_calls(operation_id, ids))
    body = dict(call.body or {})
    query = dict(call.query)
    id_type = query.get((op.user_id_fields or {}).get("user_id_type_parameter", ""))
    breaker(draw, _Context(op, ids, id_type or _default_id_type(op)), body, query, name)
    return Broken(replace(call, body=body, query=query), name_rule, name)


def _default_id_type(op: Operation) -> str | None:
    fields = op.user_id_fields
    if not fields:
        return None
    for param in parameters(op, "query"):
        if param["name"] == fields["user_id_type_parameter"]:
            default: str = param["schema"]["default"]
            return default
    return None


def rules(operation_id: str) -> list[tuple[str, str]]:
    """(rule, field) pairs `invalid_calls` can break for an operation."""
    return [(r, f) for r, f, _ in _breakers(operations()[operation_id])]


@st.composite
def unknown_resource_calls(draw: Draw, operation_id: str, ids: TargetIds) -> Broken:
    """A valid call naming a resource the target does not have: the resource's not-found code."""
    op = operations()[operation_id]
    resource = op.resource
    assert resource is not None, operation_id
    call = draw(valid_calls(operation_id, ids))
    known = set(ids.resources[resource["kind"]])
    missing = draw(st.from_regex(r"\A9[0-9]{18}\Z").filter(lambda v: v not in known))
    path = {**call.path_params, resource["parameter"]: missing}
    return Broken(
        replace(call, path_params=path), "unknown", resource["parameter"], resource["not_found_code"]
    )


@dataclass(frozen=True)
class Answer:
    """A server answer: status, headers and JSON body."""

    status: int
    headers: dict[str, str]
    body: dict[str, Any]


# HTTP header values are visible ASCII; the spec's header schemas say only "string".
_HEADER_TEXT = r"^[!-~]{1,64}$"


def _header_value(schema: Mapping[str, Any]) -> st.SearchStrategy[str]:
    if schema.get("type") == "string":
        return from_spec_schema({**schema, "pattern": _HEADER_TEXT})
    return from_spec_schema(schema).map(str)


@st.composite
def answers(draw: Draw, operation_id: str, code: int = 0) -> Answer:
    """An answer the spec allows for `operation_id` with Feishu `code` (0 = success): the documented
    status for the code (root code table), a body drawn from that status' response schema, every
    documented header, and `error.log_id` equal to the `X-Tt-Logid` header."""
    from contract_tests.conformance import documented_response

    status = 200 if code == 0 else error_codes()[code].status
    documented = documented_response(operation_id, status)
    assert documented is not None, (operation_id, status)
    schema = documented["content"]["application/json"]["schema"]
    if code == 0:
        # A success carries every top-level field documented (a token answer without its token is no
        # success); nested fields stay optional as the schema says.
        merged = _merge_all_of(schema) if "allOf" in schema else schema
        schema = {**merged, "required": sorted(merged.get("properties", {}))}
    body: dict[str, Any] = dict(draw(from_spec_schema(schema)))
    body["code"] = code
    headers = {name: draw(_header_value(h["schema"])) for name, h in documented.get("headers", {}).items()}
    family = error_codes()[code].family if code != 0 else None
    error = body.get("error")
    if not isinstance(error, dict) and family == "invalid_parameter":
        error = {}  # the spec's 1002002 names the offending fields, so it has an `error` object
    if isinstance(error, dict):
        error = {**error, "log_id": headers["X-Tt-Logid"]}
        if family == "invalid_parameter" and not error.get("field_violations"):
            violation = resolve({"$ref": "#/components/schemas/FieldViolation"})
            error["field_violations"] = draw(st.lists(from_spec_schema(violation), min_size=1, max_size=3))
        body["error"] = error
    return Answer(status, headers, body)


def spec_example_ids() -> TargetIds:
    """Ids named by the spec's own examples: each resource parameter's example, and the user ids of
    the request examples (as open_ids, the default type). Enough for targets that need no real ids."""
    resources: dict[str, list[str]] = {}
    users: list[dict[str, str]] = []
    for op in operations().values():
        resource = op.resource
        for param in parameters(op, "path"):
            if resource and param["name"] == resource["parameter"]:
                resources.setdefault(resource["kind"], []).append(str(param["example"]))
        fields = op.user_id_fields
        examples = (
            op.raw.get("requestBody", {}).get("content", {}).get("application/json", {}).get("examples", {})
        )
        for example in examples.values() if fields else ():
            for name in fields["request"] if fields else ():
                value = example["value"].get(name, [])
                for user in value if isinstance(value, list) else [value]:
                    if {"open_id": user} not in users:
                        users.append({"open_id": user})
    return TargetIds(resources, users)
