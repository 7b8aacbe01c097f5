"""Checks any answer of a server against what spec/hire.yaml says for that operation and status: the status
is documented, the body validates against the response schema (jsonschema over the spec), the documented
headers are there with their exact casing (`X-Tt-Logid`; `x-ogw-ratelimit-*` on 429) and valid values,
and the envelope agrees with the root code table (`code` 0 only on success; a non-zero code is one the
operation documents, answered with the table's HTTP status; `error.log_id` is the header's log id;
1002002 names the offending fields).

`ConformanceHook` runs this on every answer an httpx client receives (the token fetch of the auth flow
included), so every test that talks to a server checks conformance without asking.

Not openapi-core: it checks status, headers and body as this does, but not the exact header casing or
the code table, finds paths only under the spec's server URLs, and is several times slower per answer
(benchmarks/conformance_check.py), where every answer of every test comes through here."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from jsonschema import Draft202012Validator

from feishu_hire_kit.spec import error_codes, operations, resolve, validator


class ConformanceError(AssertionError):
    """An answer the spec does not allow."""


def _pointer_part(text: str) -> str:
    return text.replace("~", "~0").replace("/", "~1")


def _path_regex(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "/?$")


def operation_for(method: str, path: str) -> str | None:
    """The operationId answering `method path`, None for paths the spec does not have."""
    for op_id, op in operations().items():
        if op.method == method.upper() and _path_regex(op.path).match(path):
            return op_id
    return None


def _response_pointer(operation_id: str, status: int) -> str | None:
    """JSON pointer of the response object the spec documents, following a `$ref` to components."""
    op = operations()[operation_id]
    entry = op.raw["responses"].get(str(status))
    if entry is None:
        return None
    if "$ref" in entry:
        ref: str = entry["$ref"]
        return ref.removeprefix("#")
    return f"/paths/{_pointer_part(op.path)}/{op.method.lower()}/responses/{status}"


@functools.cache
def _body_validator(pointer: str) -> Draft202012Validator:
    return validator(f"{pointer}/content/application~1json/schema")


@functools.cache
def documented_response(operation_id: str, status: int) -> dict[str, Any] | None:
    """The response object the spec documents for an operation and status, refs resolved."""
    entry = operations()[operation_id].raw["responses"].get(str(status))
    resolved: dict[str, Any] | None = None if entry is None else resolve(entry)
    return resolved


def _fail(operation_id: str, response: httpx.Response, problem: str) -> ConformanceError:
    return ConformanceError(
        f"{operation_id}: HTTP {response.status_code} does not conform to the spec: {problem}\n"
        f"  headers: {dict(response.headers)}\n  body: {response.text[:500]}"
    )


def _check_headers(operation_id: str, response: httpx.Response, documented: dict[str, Any]) -> None:
    # Header names are case-insensitive, except to clients keeping them in a plain dict: lark-oapi looks
    # `X-Tt-Logid` up exactly. So a name the spec writes in mixed case must come in exactly that casing;
    # an all-lowercase one (x-ogw-ratelimit-*) in any casing (waitress, for one, title-cases names).
    raw_names = {name.decode("latin-1") for name, _ in response.headers.raw}
    for name, header in documented.items():
        present = name in raw_names if name != name.lower() else name in response.headers
        if not present:
            if header.get("required"):
                raise _fail(operation_id, response, f"required header {name!r} missing (casing as specified)")
            continue
        value: Any = response.headers[name]
        schema = header.get("schema", {})
        if schema.get("type") == "integer":
            try:
                value = int(value)
            except ValueError:
                raise _fail(operation_id, response, f"header {name}={value!r} is not an integer") from None
        errors = list(Draft202012Validator(schema).iter_errors(value))
        if errors:
            raise _fail(operation_id, response, f"header {name}: {errors[0].message}")


def _check_envelope(operation_id: str, response: httpx.Response, body: dict[str, Any]) -> None:
    op = operations()[operation_id]
    code = body["code"]
    status = response.status_code
    if code == 0:
        if status != 200:
            raise _fail(operation_id, response, "code 0 on a non-200 answer")
        return
    if code not in op.error_codes:
        raise _fail(operation_id, response, f"code {code} is not among the operation's {op.error_codes}")
    expected = error_codes()[code]
    if status != expected.status:
        raise _fail(operation_id, response, f"code {code} must come with HTTP {expected.status}")
    error = body.get("error")
    if isinstance(error, dict):
        if "log_id" in error and error["log_id"] != response.headers.get("X-Tt-Logid"):
            raise _fail(operation_id, response, "error.log_id differs from the X-Tt-Logid header")
        if expected.family == "invalid_parameter" and not error.get("field_violations"):
            raise _fail(operation_id, response, f"{code} without error.field_violations naming the field")


def check(operation_id: str, response: httpx.Response) -> dict[str, Any]:
    """The answer's JSON body, after checking it against the spec; raises ConformanceError."""
    pointer = _response_pointer(operation_id, response.status_code)
    if pointer is None:
        raise _fail(operation_id, response, f"HTTP {response.status_code} is not documented")
    documented = documented_response(operation_id, response.status_code) or {}
    _check_headers(operation_id, response, documented.get("headers", {}))
    content_type = response.headers.get("Content-Type", "")
    if content_type.split(";")[0].strip() != "application/json":
        raise _fail(operation_id, response, f"Content-Type {content_type!r}, not application/json")
    try:
        body = json.loads(response.content)
    except ValueError:
        raise _fail(operation_id, response, "the body is not JSON") from None
    schema_errors = list(_body_validator(pointer).iter_errors(body))
    if schema_errors:
        worst = schema_errors[0]
        where = "/".join(str(p) for p in worst.absolute_path) or "<body>"
        raise _fail(operation_id, response, f"body at {where}: {worst.message}")
    _check_envelope(operation_id, response, body)
    checked: dict[str, Any] = body
    return checked


@dataclass
class ConformanceHook:
    """An httpx response hook checking every answer of a known operation; keeps what it checked."""

    checked: list[tuple[str, int, int]] = field(default_factory=list)  # (operation, status, code)

    def __call__(self, response: httpx.Response) -> None:
        response.read()
        op_id = operation_for(response.request.method, response.request.url.path)
        if op_id is None:
            return
        body = check(op_id, response)
        self.checked.append((op_id, response.status_code, body["code"]))

    def install(self, http: httpx.Client) -> None:
        # First, so that a nonconforming answer fails as such before the client's typed-error hook runs.
        http.event_hooks = {**http.event_hooks, "response": [self, *http.event_hooks["response"]]}

    def codes(self, operation_id: str) -> Iterator[int]:
        return (code for op, _, code in self.checked if op == operation_id)
