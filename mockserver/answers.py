"""What a success answers, shaped by the operation's response schema in the spec.

A behaviour answers what it has (a stored record holds every field its request gave); the answer keeps
the fields the spec's 200 response declares, at any depth, and leaves out absent (None) values. So a
field added to a request body and to its response in the spec is stored and answered with no code
change. An operation whose response declares fields beside `code` and `msg` (the token endpoint)
answers them at the top level; any other answers its record under `data`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from feishu_hire_kit.spec import operations, resolve
from mockserver.errors import FeishuResponse, success

ENVELOPE_FIELDS = ("code", "msg", "data")
Shape = Callable[[Any], Any]


def _properties(schema: Mapping[str, Any]) -> dict[str, Any] | None:
    """The properties a schema declares (through `allOf`), or None if it declares none."""
    found: dict[str, Any] | None = None
    for part in [schema, *schema.get("allOf", [])]:
        if "properties" in part:
            found = {**(found or {}), **part["properties"]}
    return found


def _keep(value: Any) -> Any:
    return value


def compile_shape(schema: Mapping[str, Any]) -> Shape:
    """A function that keeps of a value what `schema` (resolved) declares."""
    properties = _properties(schema)
    if properties is not None:
        fields = {name: compile_shape(sub) for name, sub in properties.items()}

        def shape_object(value: Any) -> Any:
            if not isinstance(value, Mapping):
                return value
            return {k: fields[k](v) for k, v in value.items() if v is not None and k in fields}

        return shape_object
    if "items" in schema:
        item = compile_shape(schema["items"])

        def shape_list(value: Any) -> Any:
            return [item(v) for v in value] if isinstance(value, list) else value

        return shape_list
    return _keep


@dataclass(frozen=True)
class Answer:
    shape: Shape
    top_level: bool

    def render(self, result: Mapping[str, Any]) -> FeishuResponse:
        shaped = self.shape(result)
        return success(**shaped) if self.top_level else success(shaped)


def _answer(operation_id: str) -> Answer:
    raw = operations()[operation_id].raw
    content = resolve(raw.get("responses", {}).get("200", {})).get("content", {})
    schema = content.get("application/json", {}).get("schema", {})
    properties = _properties(schema) or {}
    top = {name: sub for name, sub in properties.items() if name not in ENVELOPE_FIELDS}
    if top:
        return Answer(compile_shape({"properties": top}), top_level=True)
    return Answer(compile_shape(properties.get("data", {})), top_level=False)


@functools.cache
def answers() -> dict[str, Answer]:
    """Every operation's answer shape, by operationId."""
    return {operation_id: _answer(operation_id) for operation_id in operations()}
