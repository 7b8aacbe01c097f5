"""Reads a spec to compare: a file, or `REV:PATH` from git; checks it is OpenAPI; resolves its `$ref`s.

A `generated/spec.lock.yaml` (the spec `generated/` was made from, under `spec`, beside the package
`version`) is read as the spec it holds, so `feishu-hire diff generated/spec.lock.yaml spec/hire.yaml`
shows what a regeneration would report.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from jsonpointer import JsonPointer
from referencing import Registry
from referencing._core import Resolver
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

DOCUMENT_URI = "urn:feishu-hire:specdiff"


class SpecLoadError(Exception):
    """An input cannot be read or is not a valid OpenAPI document; the message names the problem."""


@dataclass(frozen=True)
class Document:
    """A parsed OpenAPI document and a resolver of its local `$ref`s."""

    source: str
    raw: dict[str, Any]
    resolver: Resolver[Any] = field(repr=False, compare=False)

    def deref(self, node: Any, pointer: str) -> tuple[Any, str]:
        """`node` (found at `pointer`) with its `$ref` chain followed: the target and where it is."""
        seen: set[str] = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref: str = node["$ref"]
            if not ref.startswith("#"):
                raise SpecLoadError(f"{self.source}: {pointer}: only local $refs are supported, not {ref!r}")
            if ref in seen:
                raise SpecLoadError(f"{self.source}: {pointer}: $ref cycle through {ref!r}")
            seen.add(ref)
            try:
                node = self.resolver.lookup(ref).contents
            except Unresolvable:
                raise SpecLoadError(f"{self.source}: {pointer}: $ref {ref!r} points to nothing") from None
            pointer = ref[1:]
        return node, pointer


def pointer(base: str, *parts: str | int) -> str:
    """`base` extended by `parts`, each escaped as RFC 6901 says ("/" as "~1", "~" as "~0")."""
    return base + JsonPointer.from_parts([str(p) for p in parts]).path


def document(raw: Any, source: str = "<document>", *, validate: bool = True) -> Document:
    """A Document of an already parsed spec; `validate` checks it against the OpenAPI schema first."""
    if isinstance(raw, dict) and "openapi" not in raw and isinstance(raw.get("spec"), dict):
        raw = raw["spec"]  # a spec.lock.yaml
    if not isinstance(raw, dict) or not isinstance(raw.get("openapi"), str):
        raise SpecLoadError(f"{source}: not an OpenAPI document (no `openapi` version at the top)")
    if validate:
        from openapi_spec_validator import validate as validate_openapi
        from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

        try:
            validate_openapi(raw)
        except OpenAPIValidationError as exc:
            where = "/".join(str(p) for p in getattr(exc, "path", ()) or ())
            message = str(exc.message).splitlines()[0]
            raise SpecLoadError(f"{source}: not a valid OpenAPI document: {message} (at /{where})") from None
    registry: Registry[Any] = Registry().with_resource(DOCUMENT_URI, DRAFT202012.create_resource(raw))
    return Document(source, raw, registry.resolver(base_uri=DOCUMENT_URI))


def read_text(source: str, cwd: Path | None = None) -> str:
    """The text of `source`: a file path, or `REV:PATH` read with `git show` (PATH from the repo root)."""
    cwd = cwd or Path.cwd()
    path = cwd / source
    if path.is_file():
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SpecLoadError(f"{source}: cannot be read: {exc}") from None
    if ":" in source:
        proc = subprocess.run(
            ["git", "show", source], cwd=cwd, capture_output=True, text=True, encoding="utf-8", check=False
        )
        if proc.returncode != 0:
            raise SpecLoadError(f"{source}: cannot be read from git: {proc.stderr.strip()}")
        return proc.stdout
    raise SpecLoadError(
        f"{source}: no such file (for a git revision write REV:PATH, e.g. HEAD:spec/hire.yaml)"
    )


def load(source: str, cwd: Path | None = None, *, validate: bool = True) -> Document:
    """The document at `source` (see `read_text`), parsed as YAML (JSON is YAML too) and checked."""
    text = read_text(source, cwd)
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SpecLoadError(f"{source}: not YAML or JSON: {exc}") from None
    return document(raw, source, validate=validate)
