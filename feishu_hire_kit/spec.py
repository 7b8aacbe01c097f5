"""Reads spec/hire.yaml, the kit's single source of truth, and its `x-feishu-*` extensions.

Everything else (the mock's validation and rules, the error and rate-limit tables, the client's
error classes, the contract tests' strategies) asks this module rather than repeating a fact.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from feishu_hire_kit.extensions import check_extensions

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")

ErrorFamily = Literal[
    "server", "invalid_parameter", "conflict", "not_found", "rate_limited", "auth", "credentials"
]


def spec_path() -> Path:
    """Where hire.yaml is: packaged beside this module in a wheel, at the repo root in a checkout."""
    packaged = Path(__file__).with_name("spec") / "hire.yaml"
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parent.parent / "spec" / "hire.yaml"


def read_spec(path: Path) -> dict[str, Any]:
    """The spec at `path`, refused (`extensions.SpecError`) if an extension names something it does not
    have."""
    # libyaml's safe loader where PyYAML has it: the same document, parsed several times faster (every
    # `feishu-hire serve` and test process starts by reading the spec).
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as f:
        document: dict[str, Any] = yaml.load(f, Loader=loader)  # a safe loader, either way
    check_extensions(document)
    return document


@functools.cache
def load_spec() -> dict[str, Any]:
    return read_spec(spec_path())


@dataclass(frozen=True)
class ErrorCode:
    code: int
    status: int
    msg: str
    family: ErrorFamily
    description: str


@functools.cache
def error_codes() -> dict[int, ErrorCode]:
    """The one table of Feishu codes (root `x-feishu-error-codes`)."""
    return {
        int(code): ErrorCode(
            code=int(code),
            status=int(entry["status"]),
            msg=entry["msg"],
            family=entry["family"],
            description=entry["description"],
        )
        for code, entry in load_spec()["x-feishu-error-codes"].items()
    }


@dataclass(frozen=True)
class Operation:
    """One operation of the spec with the extensions the mock and the tests act on."""

    operation_id: str
    method: str
    path: str
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def rate_limits(self) -> list[str]:
        """`limits` notation, e.g. ["50/second", "1000/minute"]; any one of them trips."""
        return list(self.raw.get("x-feishu-rate-limits", []))

    @property
    def error_codes(self) -> list[int]:
        return [int(c) for c in self.raw.get("x-feishu-errors", [])]

    @property
    def requires_token(self) -> bool:
        security: list[Any] = self.raw.get("security", load_spec().get("security", []))
        return security != []

    @property
    def idempotency_key(self) -> str | None:
        key: str | None = self.raw.get("x-feishu-idempotency-key")
        return key

    @property
    def required_together(self) -> list[list[str]]:
        return [list(group) for group in self.raw.get("x-feishu-required-together", [])]

    @property
    def required_by_option(self) -> tuple[str, dict[int, str]] | None:
        """(option field, {option value: field it makes required and non-empty})."""
        rule = self.raw.get("x-feishu-required-by-option")
        if rule is None:
            return None
        return rule["option_field"], {int(k): v for k, v in rule["fields"].items()}

    @property
    def user_id_fields(self) -> dict[str, Any] | None:
        fields: dict[str, Any] | None = self.raw.get("x-feishu-user-id-fields")
        return fields

    @property
    def resend_safe(self) -> bool:
        """`x-feishu-resend-safe`: a repeat of a call that may have reached Feishu ends in the same
        state, so a client may resend it after a timeout or a 5xx. Undeclared means not safe."""
        return self.raw.get("x-feishu-resend-safe") is True

    @property
    def resource(self) -> dict[str, Any] | None:
        resource: dict[str, Any] | None = self.raw.get("x-feishu-resource")
        return resource

    @property
    def invalid_request_code(self) -> int | None:
        """The code a request this operation cannot use is refused with, where it is not 1002002."""
        code = self.raw.get("x-feishu-invalid-request-code")
        return None if code is None else int(code)

    @property
    def trailing_slash(self) -> bool:
        """Whether the path is also served with a trailing slash."""
        return bool(self.raw.get("x-feishu-trailing-slash", False))


@functools.cache
def operations() -> dict[str, Operation]:
    found: dict[str, Operation] = {}
    for path, item in load_spec()["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                raw = item[method]
                found[raw["operationId"]] = Operation(raw["operationId"], method.upper(), path, raw)
    return found


SPEC_URI = "urn:feishu-hire:spec"


@functools.cache
def registry() -> Registry[Any]:
    """The spec as one JSON Schema 2020-12 resource, so `#/components/...` refs resolve inside it."""
    resource: Resource[Any] = DRAFT202012.create_resource(load_spec())
    spec_registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
    return spec_registry


@functools.cache
def validator(pointer: str) -> Draft202012Validator:
    """A validator for the schema at a JSON pointer of the spec, e.g. "/components/schemas/WebsiteUser".

    The schema is resolved up front: following `$ref`s through the registry on every call cost about
    three quarters of a validation. The registry stays for any `$ref` a schema keeps (none today).
    """
    return Draft202012Validator(
        resolve(lookup(f"#{pointer}")),
        registry=registry(),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def resolve(node: Any) -> Any:
    """`node` with every local `$ref` replaced by what it points to (the spec has no cycles)."""
    if isinstance(node, dict):
        if "$ref" in node:
            return resolve(lookup(node["$ref"]))
        return {key: resolve(value) for key, value in node.items()}
    if isinstance(node, list):
        return [resolve(item) for item in node]
    return node


def lookup(ref: str) -> Any:
    """The node a local `$ref` ("#/components/...") points to, itself unresolved."""
    target: Any = load_spec()
    for part in ref.removeprefix("#/").split("/"):
        key = part.replace("~1", "/").replace("~0", "~")
        target = target[int(key)] if isinstance(target, list) else target[key]
    return target
