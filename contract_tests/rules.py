"""An independent oracle for the strategies: which fields of a call break which rule of the spec
(JSON Schema of the body and query parameters, and the `x-feishu-*` rules). The strategies build calls;
this only judges them, so a strategy that breaks two rules, or none, is caught."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

from contract_tests.calls import Call
from contract_tests.strategies import body_schema, parameters


def violations(call: Call) -> set[str]:
    """Names of the body fields / query parameters of `call` that break a rule ("<body>" for the body)."""
    op = call.operation
    found: set[str] = set()
    for param in parameters(op, "query"):
        name = param["name"]
        if name in call.query and not Draft202012Validator(param["schema"]).is_valid(call.query[name]):
            found.add(name)
    schema = body_schema(op)
    if schema is None:
        return found
    body: Any = call.body
    for error in Draft202012Validator(schema).iter_errors(body):
        if error.validator == "required":
            found |= {name for name in error.validator_value if name not in error.instance}
        else:
            found.add(str(error.absolute_path[0]) if error.absolute_path else "<body>")
    if not isinstance(body, dict):
        return found
    for group in op.required_together:
        present = [name for name in group if name in body]
        if present and len(present) < len(group):
            found |= set(group) - set(present)
    if op.required_by_option is not None:
        option_field, fields = op.required_by_option
        listed = body.get(option_field)
        if isinstance(listed, list):
            for option in listed:
                name = fields.get(option) if type(option) is int else None
                if name is not None and body.get(name) in (None, "", []):
                    found.add(name)
    return found
