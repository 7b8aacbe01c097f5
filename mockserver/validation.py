"""Request validation compiled from spec/hire.yaml: a spec change changes what the mock accepts.

JSON Schema (2020-12, as OpenAPI 3.1 uses it) checks parameters and bodies; the `x-feishu-*` extensions
add the rules JSON Schema cannot say (fields required together, fields required by an option value).
Every violation becomes a `FieldViolation` of one 1002002 answer, or the operation's own refusal where
the spec declares one (`x-feishu-invalid-request-code`). A body is read only where the spec declares one.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator, ValidationError
from werkzeug.wrappers import Request

from feishu_hire_kit.spec import Operation, lookup, operations, resolve, validator
from mockserver.body import read_json
from mockserver.errors import FeishuAPIError, FieldViolation, invalid_parameter

_VALUE_CHARS = 200
# The query of a request that has no query string.
NO_QUERY: Mapping[str, str] = {}


def _pointer(*parts: str) -> str:
    return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


class Checker:
    """One schema's two validators: jsonschema-rs answers "valid?" (it is the fast one), jsonschema has
    the last word and names the violations, so the answers stay jsonschema's.

    jsonschema-rs is never laxer on the spec's schemas (tests/mockserver/test_validation.py): when it
    says valid, so does jsonschema; when it says invalid, jsonschema decides.
    """

    def __init__(self, full: Draft202012Validator) -> None:
        self.full = full
        schema: Any = full.schema  # resolved up front (feishu_hire_kit.spec.validator)
        self.schema = schema
        self.fast = jsonschema_rs.Draft202012Validator(schema, validate_formats=True)

    def errors(self, instance: Any) -> list[ValidationError]:
        if self.fast.is_valid(instance):
            return []
        return list(self.full.iter_errors(instance))


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str  # "path" | "query"
    required: bool
    default: Any
    validator: Checker = field(repr=False)


@dataclass(frozen=True)
class RequestRules:
    """What the mock checks of one operation's requests."""

    operation: Operation
    parameters: tuple[Parameter, ...]
    body: Checker | None = field(repr=False)

    def accept(
        self, request: Request, path: Mapping[str, str], max_body_bytes: int
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """(parameters, body) of a request this operation can use; its body read only if the spec
        declares one. Otherwise 1002002 naming every bad field, or the operation's declared refusal."""
        try:
            raw = read_json(request, max_body_bytes) if self.body is not None else None
            # No query string is the usual call: no need to build werkzeug's parsed view of none.
            query = request.args if request.environ.get("QUERY_STRING") else NO_QUERY
            return self.validate(path, query, raw)
        except FeishuAPIError as error:
            refusal = self.operation.invalid_request_code
            if refusal is None:
                raise
            raise FeishuAPIError(refusal) from error

    def validate(
        self, path: Mapping[str, str], query: Mapping[str, str], body: Any
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """(parameters with defaults applied, body) or a 1002002 `FeishuAPIError` naming every bad field."""
        violations: list[FieldViolation] = []
        params: dict[str, Any] = {}
        for p in self.parameters:
            given = (path if p.location == "path" else query).get(p.name)
            if given is None:
                if p.required:
                    violations.append(FieldViolation(p.name, f"{p.name} is required"))
                elif p.default is not None:
                    params[p.name] = p.default
                continue
            violations.extend(_violations(p.validator.errors(given), prefix=p.name))
            params[p.name] = given
        if self.body is not None:
            body_errors = self.body.errors(body)
            violations.extend(_violations(body_errors))
            if not body_errors:
                violations.extend(_extension_violations(self.operation, body))
        if violations:
            raise invalid_parameter(violations)
        return params, body if isinstance(body, dict) else {}


def _text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text[:_VALUE_CHARS]


def _violations(errors: Iterable[ValidationError], prefix: str = "") -> list[FieldViolation]:
    out: list[FieldViolation] = []
    for error in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path]):
        where = ".".join(
            [prefix, *(str(p) for p in error.absolute_path)] if prefix else map(str, error.absolute_path)
        )
        if error.validator == "required" and isinstance(error.instance, dict):
            for name in list(error.validator_value):  # type: ignore[arg-type]
                if name not in error.instance:
                    out.append(FieldViolation(f"{where}.{name}" if where else name, f"{name} is required"))
        else:
            out.append(FieldViolation(where or "body", error.message, _text(error.instance)))
    return out


def _present(value: Any) -> bool:
    return value is not None and value not in ("", [])


def _extension_violations(operation: Operation, body: Mapping[str, Any]) -> list[FieldViolation]:
    """The spec's `x-feishu-required-together` and `x-feishu-required-by-option` rules."""
    out: list[FieldViolation] = []
    for group in operation.required_together:
        given = [name for name in group if body.get(name) is not None]
        if given and len(given) != len(group):
            for name in group:
                if name not in given:
                    out.append(FieldViolation(name, f"{name} is required together with {', '.join(given)}"))
    rule = operation.required_by_option
    if rule is not None:
        option_field, required_fields = rule
        for option in dict.fromkeys(body.get(option_field, [])):
            name = required_fields[option]
            if not _present(body.get(name)):
                out.append(
                    FieldViolation(
                        name,
                        f"{name} is required and non-empty when {option_field} contains {option}",
                        None if name not in body else _text(body[name]),
                    )
                )
    return out


def _parameters(operation: Operation) -> tuple[Parameter, ...]:
    out = []
    base = _pointer("paths", operation.path, operation.method.lower(), "parameters")
    for index, raw in enumerate(operation.raw.get("parameters", [])):
        # A parameter is inline or one `$ref` to components/parameters; its schema may $ref further.
        pointer = raw["$ref"].removeprefix("#") if "$ref" in raw else f"{base}/{index}"
        node = lookup(raw["$ref"]) if "$ref" in raw else raw
        schema = resolve(node.get("schema", {}))
        out.append(
            Parameter(
                name=node["name"],
                location=node["in"],
                required=bool(node.get("required", False)),
                default=schema.get("default"),
                validator=Checker(validator(f"{pointer}/schema")),
            )
        )
    return tuple(out)


@functools.cache
def request_rules() -> dict[str, RequestRules]:
    """Every operation of the spec, by operationId, with its compiled validators."""
    specs = {}
    for operation_id, operation in operations().items():
        body = None
        content = operation.raw.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            body = Checker(
                validator(
                    _pointer(
                        "paths",
                        operation.path,
                        operation.method.lower(),
                        "requestBody",
                        "content",
                        "application/json",
                        "schema",
                    )
                )
            )
        specs[operation_id] = RequestRules(operation, _parameters(operation), body)
    return specs
