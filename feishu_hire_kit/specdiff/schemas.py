"""Compares two schemas in one direction: what a client sends (request) or parses (response).

Both schemas are flattened first: `$ref`s followed and `allOf` parts merged, each keyword and property
remembering where it is written, so a change inside a referenced component is reported at the
component. Then each keyword is judged by the table below or a check of its own; `items`,
`additionalProperties`, `properties`, `oneOf` and `anyOf` are walked into.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from feishu_hire_kit.specdiff.context import Context, display
from feishu_hire_kit.specdiff.loading import Document, pointer

Direction = Literal["request", "response"]

ANY_TYPE = frozenset({"string", "number", "integer", "boolean", "array", "object", "null"})

# Constraint keyword -> when a new value accepts fewer values: "larger", "smaller", "true" (turned on),
# or "changed" (any new or different value; a removed one loosens).
CONSTRAINTS: dict[str, str] = {
    "minLength": "larger",
    "maxLength": "smaller",
    "minimum": "larger",
    "exclusiveMinimum": "larger",
    "maximum": "smaller",
    "exclusiveMaximum": "smaller",
    "minItems": "larger",
    "maxItems": "smaller",
    "minProperties": "larger",
    "maxProperties": "smaller",
    "uniqueItems": "true",
    "pattern": "changed",
    "format": "changed",
    "multipleOf": "changed",
}
WALKED = frozenset(
    {"type", "nullable", "enum", "const", "items", "additionalProperties", "oneOf", "anyOf", "default"}
    | {"x-enum-varnames", "title", "summary", "description", "x-enum-descriptions", "example", "examples"}
)


@dataclass
class Flat:
    """A schema with `$ref`s followed and `allOf` merged; values paired with where they are written."""

    pointer: str
    keywords: dict[str, tuple[Any, str]] = field(default_factory=dict)
    properties: dict[str, tuple[Any, str]] = field(default_factory=dict)
    required: dict[str, str] = field(default_factory=dict)

    def get(self, keyword: str) -> Any:
        return self.keywords[keyword][0] if keyword in self.keywords else None

    def at(self, keyword: str) -> str | None:
        return self.keywords[keyword][1] if keyword in self.keywords else None


def flatten(doc: Document, node: Any, at: str) -> Flat:
    node, at = doc.deref(node, at)
    flat = Flat(at)
    _merge(doc, node, at, flat)
    return flat


def _merge(doc: Document, node: Any, at: str, flat: Flat) -> None:
    """Merges `node` into `flat`: its own keywords first, then its `allOf` parts (the first writer of a
    keyword wins, whatever the order of the keys in the file)."""
    if not isinstance(node, dict):
        return  # a boolean schema: nothing to compare inside
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            for name, sub in value.items():
                flat.properties.setdefault(name, (sub, pointer(at, "properties", name)))
        elif key == "required" and isinstance(value, list):
            for name in value:
                flat.required.setdefault(name, pointer(at, "required"))
        elif key not in ("$ref", "allOf"):
            flat.keywords.setdefault(key, (value, pointer(at, key)))
    for i, part in enumerate(node.get("allOf") or []):
        _merge(doc, *doc.deref(part, pointer(at, "allOf", i)), flat)


def types(flat: Flat) -> frozenset[str]:
    declared = flat.get("type")
    found = ANY_TYPE if declared is None else frozenset([declared] if isinstance(declared, str) else declared)
    return found | {"null"} if flat.get("nullable") is True else found


def covers(wide: frozenset[str], narrow: frozenset[str]) -> bool:
    return all(t in wide or (t == "integer" and "number" in wide) for t in narrow)


def enum_values(flat: Flat) -> list[Any] | None:
    if "const" in flat.keywords:
        return [flat.get("const")]
    values = flat.get("enum")
    return list(values) if isinstance(values, list) else None


def _is_component(at: str) -> bool:
    return at.startswith("/components/schemas/") and at.count("/") == 3


class SchemaWalk:
    """One operation's walk in one direction; each pair of schema locations is compared once."""

    def __init__(self, ctx: Context, direction: Direction) -> None:
        self.ctx = ctx
        self.direction = direction
        self.seen: set[tuple[str, str]] = set()

    def rule(self, name: str) -> str:
        return f"{self.direction}-{name}"

    def compare(self, old_node: Any, old_at: str, new_node: Any, new_at: str, where: str) -> None:
        o = flatten(self.ctx.old, old_node, old_at)
        n = flatten(self.ctx.new, new_node, new_at)
        if (o.pointer, n.pointer) in self.seen:
            return
        self.seen.add((o.pointer, n.pointer))
        self._type(o, n, where)
        self._enum(o, n, where)
        self._constraints(o, n, where)
        self._properties(o, n, where)
        self._items(o, n, where)
        self._additional(o, n, where)
        for keyword in ("oneOf", "anyOf"):
            self._variants(o, n, where, keyword)
        self._names(o, n, where)
        self._rest(o, n, where)

    # -- one check per keyword group ---------------------------------------------------------------------
    def _type(self, o: Flat, n: Flat, where: str) -> None:
        old, new = types(o), types(n)
        if old == new:
            return
        text = f"{where}: type {_types_text(old)} -> {_types_text(new)}"
        at_o, at_n = o.at("type") or o.pointer, n.at("type") or n.pointer
        if self.direction == "request":
            self.ctx.emit(
                self.rule("type-widened" if covers(new, old) else "type-narrowed"), text, at_o, at_n
            )
        else:
            self.ctx.emit(
                self.rule("type-narrowed" if covers(old, new) else "type-changed"), text, at_o, at_n
            )

    def _enum(self, o: Flat, n: Flat, where: str) -> None:
        old, new = enum_values(o), enum_values(n)
        if old == new:
            return
        at_o = o.at("enum") or o.at("const") or o.pointer
        at_n = n.at("enum") or n.at("const") or n.pointer
        if old is None or new is None:
            verb = "introduced" if old is None else "dropped"
            self.ctx.emit(
                self.rule(f"enum-{verb}"), f"{where}: enum {display(old or new)} {verb}", at_o, at_n
            )
            return
        removed = [v for v in old if v not in new]
        added = [v for v in new if v not in old]
        if removed:
            self.ctx.emit(
                self.rule("enum-value-removed"), f"{where}: enum value(s) {removed} removed", at_o, at_n
            )
        if added:
            self.ctx.emit(self.rule("enum-value-added"), f"{where}: enum value(s) {added} added", at_o, at_n)

    def _constraints(self, o: Flat, n: Flat, where: str) -> None:
        for keyword, tighter_when in CONSTRAINTS.items():
            old, new = o.get(keyword), n.get(keyword)
            if old == new:
                continue
            text = f"{where}: {keyword} {display(old)} -> {display(new)}"
            at_o, at_n = o.at(keyword), n.at(keyword)
            if self.direction == "response":
                rule = "response-format-changed" if keyword == "format" else "response-constraint-changed"
                self.ctx.emit(rule, text, at_o, at_n or n.pointer)
                continue
            tighter = _tighter(tighter_when, old, new)
            self.ctx.emit(
                self.rule("constraint-tightened" if tighter else "constraint-loosened"), text, at_o, at_n
            )

    def _properties(self, o: Flat, n: Flat, where: str) -> None:
        request = self.direction == "request"
        for name in [*o.properties, *(k for k in n.properties if k not in o.properties)]:
            field_where = f"{where}.{name}" if where else name
            if name not in n.properties:
                at = o.properties[name][1]
                self.ctx.emit(self.rule("property-removed"), f"{field_where}: removed", at, None)
                continue
            new_at = n.properties[name][1]
            if name not in o.properties:
                if not request:
                    self.ctx.emit("response-property-added", f"{field_where}: added", None, new_at)
                elif name in n.required:
                    self.ctx.emit(
                        "request-property-added-required", f"{field_where}: added, required", None, new_at
                    )
                else:
                    self.ctx.emit(
                        "request-property-added-optional", f"{field_where}: added, optional", None, new_at
                    )
                continue
            old_at = o.properties[name][1]
            was, now = name in o.required, name in n.required
            if was != now:
                rule = self.rule("property-became-required" if now else "property-became-optional")
                state = "required" if now else "optional"
                self.ctx.emit(
                    rule,
                    f"{field_where}: now {state}",
                    o.required.get(name, old_at),
                    n.required.get(name, new_at),
                )
            self.compare(o.properties[name][0], old_at, n.properties[name][0], new_at, field_where)

    def _items(self, o: Flat, n: Flat, where: str) -> None:
        old, new = o.get("items"), n.get("items")
        if isinstance(old, dict) and isinstance(new, dict):
            self.compare(old, o.at("items") or "", new, n.at("items") or "", f"{where}[]")
        elif old != new:
            verb = "added" if old is None else "removed" if new is None else "changed"
            text = f"{where}: items schema {verb}"
            if self.direction == "request":
                rule = "request-constraint-loosened" if new is None else "request-constraint-tightened"
            else:
                rule = "response-type-changed"
            self.ctx.emit(rule, text, o.at("items"), n.at("items") or n.pointer)

    def _additional(self, o: Flat, n: Flat, where: str) -> None:
        old, new = o.get("additionalProperties"), n.get("additionalProperties")
        if isinstance(old, dict) and isinstance(new, dict):
            self.compare(
                old,
                o.at("additionalProperties") or "",
                new,
                n.at("additionalProperties") or "",
                f"{where}{{}}",
            )
            return
        if old == new:
            return
        text = f"{where}: additionalProperties {display(old)} -> {display(new)}"
        at_o, at_n = o.at("additionalProperties"), n.at("additionalProperties") or n.pointer
        if self.direction == "response":
            self.ctx.emit("response-additional-properties-changed", text, at_o, at_n)
            return

        # None (absent) and True allow anything; a schema allows some; False allows none.
        def openness(value: Any) -> int:
            return 2 if value is None or value is True else 0 if value is False else 1

        restricted = openness(new) < openness(old) or (openness(new) == openness(old) == 1)
        rule = (
            "request-additional-properties-restricted"
            if restricted
            else "request-additional-properties-allowed"
        )
        self.ctx.emit(rule, text, at_o, at_n)

    def _variants(self, o: Flat, n: Flat, where: str, keyword: str) -> None:
        old, new = o.get(keyword), n.get(keyword)
        if old == new:
            return
        at_o, at_n = o.at(keyword), n.at(keyword)
        if not isinstance(old, list) or not isinstance(new, list):
            text = f"{where}: {keyword} {'added' if old is None else 'removed'}"
            if self.direction == "request":
                rule = "request-constraint-loosened" if new is None else "request-constraint-tightened"
            else:
                rule = "response-type-changed"
            self.ctx.emit(rule, text, at_o, at_n or n.pointer)
            return
        old_keys = [_variant_key(v, i) for i, v in enumerate(old)]
        new_keys = [_variant_key(v, i) for i, v in enumerate(new)]
        for i, key in enumerate(old_keys):
            if key in new_keys:
                j = new_keys.index(key)
                self.compare(old[i], f"{at_o}/{i}", new[j], f"{at_n}/{j}", f"{where}<{key}>")
            else:
                rule = self.rule("variant-removed")
                self.ctx.emit(rule, f"{where}: {keyword} alternative {key} removed", f"{at_o}/{i}", None)
        for j, key in enumerate(new_keys):
            if key not in old_keys:
                rule = self.rule("variant-added")
                self.ctx.emit(rule, f"{where}: {keyword} alternative {key} added", None, f"{at_n}/{j}")

    def _names(self, o: Flat, n: Flat, where: str) -> None:
        """Python names: enum members (`x-enum-varnames`) and the class of a titled inline schema."""
        old_values, new_values = enum_values(o) or [], enum_values(n) or []
        old_names = dict(zip(map(repr, old_values), o.get("x-enum-varnames") or [], strict=False))
        new_names = dict(zip(map(repr, new_values), n.get("x-enum-varnames") or [], strict=False))
        for value in old_names.keys() & new_names.keys():
            if old_names[value] != new_names[value]:
                text = f"{where}: enum member for {value} renamed {old_names[value]} -> {new_names[value]}"
                self.ctx.emit("enum-name-renamed", text, o.at("x-enum-varnames"), n.at("x-enum-varnames"))
        renamed = any(old_names[v] != new_names[v] for v in old_names.keys() & new_names.keys())
        if o.get("x-enum-varnames") != n.get("x-enum-varnames") and not renamed:
            at_n = n.at("x-enum-varnames")
            self.ctx.emit(
                "description-changed",
                f"{where}: x-enum-varnames follow the enum",
                o.at("x-enum-varnames"),
                at_n,
            )
        if o.get("title") != n.get("title") and not (_is_component(o.pointer) and _is_component(n.pointer)):
            text = f"{where}: model {o.get('title')} renamed {n.get('title')}"
            self.ctx.emit("model-renamed", text, o.at("title"), n.at("title"))

    def _rest(self, o: Flat, n: Flat, where: str) -> None:
        if o.get("default") != n.get("default"):
            rule = "request-default-changed" if self.direction == "request" else "description-changed"
            text = f"{where}: default {display(o.get('default'))} -> {display(n.get('default'))}"
            self.ctx.emit(rule, text, o.at("default"), n.at("default"))
        old_notes = {k: v for k, (v, _) in o.keywords.items()}
        new_notes = {k: v for k, (v, _) in n.keywords.items()}
        self.ctx.notes(old_notes, o.pointer, new_notes, n.pointer, where or "schema")
        for keyword in sorted(o.keywords.keys() | n.keywords.keys()):
            if keyword in WALKED or keyword in CONSTRAINTS or o.get(keyword) == n.get(keyword):
                continue
            text = f"{where}: {keyword} {display(o.get(keyword))} -> {display(n.get(keyword))}"
            self.ctx.emit("document-changed", text, o.at(keyword), n.at(keyword))


def _tighter(when: str, old: Any, new: Any) -> bool:
    if new is None:
        return False
    if old is None:
        return when != "true" or new is True
    if when == "true":
        return new is True
    if isinstance(old, bool) or isinstance(new, bool) or when == "changed":
        return True  # OpenAPI 3.0's boolean exclusiveMinimum, a new pattern or format: judged tighter
    return bool(new > old) if when == "larger" else bool(new < old)


def _variant_key(variant: Any, index: int) -> str:
    if isinstance(variant, dict):
        if isinstance(variant.get("$ref"), str):
            return str(variant["$ref"]).rsplit("/", 1)[-1]
        if isinstance(variant.get("title"), str):
            return str(variant["title"])
    return f"#{index}"


def _types_text(found: frozenset[str]) -> str:
    return "any" if found == ANY_TYPE else "|".join(sorted(found))
