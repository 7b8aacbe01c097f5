"""Document-wide comparisons: the Python model names of the component schemas, the parts of the spec
outside operations, and a last pass that reports any difference no rule looked at."""

from __future__ import annotations

from typing import Any

from jsonpointer import resolve_pointer

from feishu_hire_kit.specdiff.context import Context, display
from feishu_hire_kit.specdiff.loading import Document, pointer

MAX_UNCLASSIFIED = 50
_MISSING = object()


def model_names(doc: Document) -> dict[str, str]:
    """Component schema key -> the class openapi-python-client makes of it (its title, else its key)."""
    names: dict[str, str] = {}
    for key, node in ((doc.raw.get("components") or {}).get("schemas") or {}).items():
        schema, _ = doc.deref(node, pointer("", "components", "schemas", key))
        if isinstance(schema, dict) and (
            schema.get("type") == "object" or {"properties", "allOf", "enum"} & schema.keys()
        ):
            names[key] = str(schema.get("title") or key)
    return names


def compare_models(ctx: Context) -> None:
    old, new = model_names(ctx.old), model_names(ctx.new)
    for key in [*old, *(k for k in new if k not in old)]:
        at = pointer("", "components", "schemas", key)
        if key not in new:
            ctx.emit("model-removed", f"model {old[key]} removed", at, None)
        elif key not in old:
            ctx.emit("model-added", f"model {new[key]} added", None, at)
        elif old[key] != new[key]:
            ctx.emit("model-renamed", f"model {old[key]} renamed {new[key]}", f"{at}/title", f"{at}/title")


def compare_info(ctx: Context) -> None:
    old, new = ctx.old.raw.get("info") or {}, ctx.new.raw.get("info") or {}
    for key in sorted(old.keys() | new.keys()):
        if old.get(key) != new.get(key):
            rule = "description-changed" if key in ("title", "summary", "description") else "document-changed"
            at_o = pointer("", "info", key) if key in old else None
            at_n = pointer("", "info", key) if key in new else None
            ctx.emit(rule, f"info.{key} changed", at_o, at_n)


def differences(old: Any, new: Any, at: str = "") -> list[str]:
    """The smallest subtrees (as JSON pointers) where two parsed documents differ."""
    if isinstance(old, dict) and isinstance(new, dict):
        found: list[str] = []
        for key in [*old, *(k for k in new if k not in old)]:
            if key not in old or key not in new:
                found.append(pointer(at, key))
            elif old[key] != new[key]:
                found += differences(old[key], new[key], pointer(at, key))
        return found
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [
            p
            for i, (a, b) in enumerate(zip(old, new, strict=True))
            for p in differences(a, b, pointer(at, i))
        ]
    return [at] if old != new else []


def _related(a: str, b: str) -> bool:
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def report_unclassified(ctx: Context) -> None:
    """Every difference that no change found so far covers becomes a `document-changed` note."""
    located = [loc for c in ctx.changes for loc in (c.old_location, c.new_location) if loc is not None]
    left = [d for d in differences(ctx.old.raw, ctx.new.raw) if not any(_related(d, loc) for loc in located)]
    for at in left[:MAX_UNCLASSIFIED]:
        old, new = resolve_pointer(ctx.old.raw, at, _MISSING), resolve_pointer(ctx.new.raw, at, _MISSING)
        text = f"{at or '/'}: {display(old)} -> {display(new)}".replace(repr(_MISSING), "(absent)")
        ctx.emit("document-changed", text, None if old is _MISSING else at, None if new is _MISSING else at)
    if len(left) > MAX_UNCLASSIFIED:
        ctx.emit("document-changed", f"and {len(left) - MAX_UNCLASSIFIED} more differences", "", "")
