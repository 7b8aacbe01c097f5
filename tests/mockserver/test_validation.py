"""The validators' fast path (jsonschema-rs) never accepts what jsonschema refuses, on every schema the
mock checks, so the mock's answers are jsonschema's."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockserver.validation import Checker, request_rules


def _checkers() -> dict[str, Checker]:
    found = {}
    for operation_id, spec in request_rules().items():
        if spec.body is not None:
            found[f"{operation_id}.body"] = spec.body
        for p in spec.parameters:
            found[f"{operation_id}.{p.name}"] = p.validator
    return found


CHECKERS = _checkers()
# Where Python and Rust have been known to differ: `$` before a final newline, 1.0 as an integer, bools
# as numbers, integers past 64 bits, -0.0, empty and non-ASCII strings.
TRICKY: list[Any] = [
    "123\n", "1618209327096\n", "", "٣", "１２", 1.0, -0.0, 0, True, False, None, 2**64, -(2**64), 1e300,
    "t-abc\n", [], {}, [1, 1], [1.0], [True], {"a": None},
]  # fmt: skip
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def _values(schema: Any) -> st.SearchStrategy[Any]:
    """Values near the schema: of its type, its enum, its pattern and bounds, its properties (the spec's
    subset of JSON Schema), each sometimes replaced by arbitrary JSON."""
    if not isinstance(schema, dict):
        return JSON
    if "enum" in schema:
        typed: st.SearchStrategy[Any] = st.sampled_from(schema["enum"])
    elif schema.get("type") == "object" or "properties" in schema:
        props, required = schema.get("properties", {}), set(schema.get("required", []))
        typed = st.fixed_dictionaries(
            {name: _values(sub) for name, sub in props.items() if name in required},
            optional={name: _values(sub) for name, sub in props.items() if name not in required},
        )
    elif schema.get("type") == "array":
        typed = st.lists(_values(schema.get("items", {})), max_size=4)
    elif schema.get("type") == "integer":
        low, high = schema.get("minimum"), schema.get("maximum")
        typed = st.integers(low - 2 if low is not None else None, high + 2 if high is not None else None)
        typed = typed | typed.map(float)
    elif schema.get("type") == "string":
        pattern = schema.get("pattern")
        typed = st.from_regex(pattern) if pattern else st.text(max_size=20)
    else:
        typed = JSON
    return st.one_of(typed, typed, JSON)


def _agree(checker: Checker, instance: Any) -> None:
    if checker.fast.is_valid(instance):
        assert checker.full.is_valid(instance), instance


@pytest.mark.parametrize("name", sorted(CHECKERS))
def test_fast_path_is_never_laxer_on_tricky_values(name: str) -> None:
    checker = CHECKERS[name]
    for value in TRICKY:
        _agree(checker, value)
        if isinstance(checker.schema.get("properties"), dict):
            for prop in checker.schema["properties"]:
                _agree(checker, {prop: value})


@pytest.mark.parametrize("name", sorted(CHECKERS))
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_fast_path_is_never_laxer_on_generated_values(name: str, data: st.DataObject) -> None:
    checker = CHECKERS[name]
    _agree(checker, data.draw(_values(checker.schema)))
