"""Load-time checks of the spec's `x-feishu-*` extensions: each name they give must exist.

An extension that names a field the request body does not have, a parameter the operation does not
take, or a code the code table does not hold would otherwise surface as a 500 at request time (or as a
rule silently not applied). `check_extensions` refuses such a spec, naming the operation, the extension
and the missing name.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


class SpecError(ValueError):
    """A spec the kit refuses to load: an extension names something that does not exist."""


def _resolve(document: Mapping[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _properties(document: Mapping[str, Any], schema: Any) -> dict[str, Any]:
    """The properties a schema declares, through `$ref` and `allOf`."""
    schema = _resolve(document, schema)
    if not isinstance(schema, dict):
        return {}
    found = dict(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        found.update(_properties(document, part))
    return found


def _json_schema(document: Mapping[str, Any], holder: Any) -> Any:
    return _resolve(document, holder).get("content", {}).get("application/json", {}).get("schema")


def body_fields(document: Mapping[str, Any], raw: Mapping[str, Any]) -> set[str]:
    """The top-level fields of an operation's JSON request body."""
    return set(_properties(document, _json_schema(document, raw.get("requestBody", {}))))


def record_fields(document: Mapping[str, Any], raw: Mapping[str, Any]) -> set[str]:
    """The fields of the records a success answers: the properties of each property of `data`."""
    ok = raw.get("responses", {}).get("200")
    if ok is None:
        return set()
    data = _properties(document, _json_schema(document, ok)).get("data")
    return {name for record in _properties(document, data).values() for name in _properties(document, record)}


def parameters(document: Mapping[str, Any], raw: Mapping[str, Any]) -> dict[str, str]:
    """{name: location} of an operation's parameters."""
    found = {}
    for given in raw.get("parameters", []):
        param = _resolve(document, given)
        found[param["name"]] = param["in"]
    return found


def _operations(document: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for item in document.get("paths", {}).values():
        for method in HTTP_METHODS:
            if method in item:
                yield item[method].get("operationId", method), item[method]


def _problems(document: Mapping[str, Any], op_id: str, raw: Mapping[str, Any]) -> Iterator[str]:
    codes = {int(code) for code in document.get("x-feishu-error-codes", {})}
    body = body_fields(document, raw)
    params = parameters(document, raw)

    def field(extension: str, name: str) -> Iterator[str]:
        if name not in body:
            yield f"{op_id}: {extension} names field {name!r}, which its request body does not have"

    def code(extension: str, value: Any) -> Iterator[str]:
        if int(value) not in codes:
            yield f"{op_id}: {extension} names code {value}, which x-feishu-error-codes does not have"

    if (key := raw.get("x-feishu-idempotency-key")) is not None:
        yield from field("x-feishu-idempotency-key", key)
    for group in raw.get("x-feishu-required-together", []):
        for name in group:
            yield from field("x-feishu-required-together", name)
    if (rule := raw.get("x-feishu-required-by-option")) is not None:
        yield from field("x-feishu-required-by-option option_field", rule["option_field"])
        for name in rule["fields"].values():
            yield from field("x-feishu-required-by-option", name)
    if (users := raw.get("x-feishu-user-id-fields")) is not None:
        for name in users.get("request", []):
            yield from field("x-feishu-user-id-fields request", name)
        answered = record_fields(document, raw)
        for name in users.get("response", []):
            if name not in answered:
                yield (
                    f"{op_id}: x-feishu-user-id-fields response names field {name!r},"
                    " which its answer does not have"
                )
        if users["user_id_type_parameter"] not in params:
            yield (
                f"{op_id}: x-feishu-user-id-fields user_id_type_parameter names parameter"
                f" {users['user_id_type_parameter']!r}, which the operation does not take"
            )
        yield from code("x-feishu-user-id-fields unknown_user_code", users["unknown_user_code"])
    if (resource := raw.get("x-feishu-resource")) is not None:
        if params.get(resource["parameter"]) != "path":
            yield (
                f"{op_id}: x-feishu-resource names parameter {resource['parameter']!r},"
                " which is not a path parameter of the operation"
            )
        yield from code("x-feishu-resource not_found_code", resource["not_found_code"])
    for value in raw.get("x-feishu-errors", []):
        yield from code("x-feishu-errors", value)
    if (invalid := raw.get("x-feishu-invalid-request-code")) is not None:
        yield from code("x-feishu-invalid-request-code", invalid)


def _kind_problems(document: Mapping[str, Any]) -> Iterator[str]:
    """A resource kind is one thing: every operation on it names the same parameter and not-found code."""
    seen: dict[str, tuple[str, dict[str, Any]]] = {}
    for op_id, raw in _operations(document):
        resource = raw.get("x-feishu-resource")
        if resource is None:
            continue
        first = seen.setdefault(resource["kind"], (op_id, resource))
        for name in ("parameter", "not_found_code"):
            if resource[name] != first[1][name]:
                yield (
                    f"{op_id}: x-feishu-resource gives kind {resource['kind']!r} {name} {resource[name]!r},"
                    f" but {first[0]} gives it {first[1][name]!r}"
                )


def check_extensions(document: Mapping[str, Any]) -> None:
    """Raises `SpecError` listing every extension that names something the spec does not have."""
    problems = [p for op_id, raw in _operations(document) for p in _problems(document, op_id, raw)]
    problems += _kind_problems(document)
    if problems:
        raise SpecError("the spec's extensions name what does not exist:\n  " + "\n  ".join(problems))
