"""Pairs the operations of two specs and compares each pair: identity, security, parameters, request
body (request direction) and responses (response direction)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from feishu_hire_kit.specdiff import extensions
from feishu_hire_kit.specdiff.context import Context, display
from feishu_hire_kit.specdiff.loading import Document, pointer
from feishu_hire_kit.specdiff.schemas import SchemaWalk

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
COMPARED = frozenset(
    {"operationId", "summary", "description", "parameters", "requestBody", "responses", "security"}
    | set(extensions.OPERATION_CHECKS)
)


@dataclass(frozen=True)
class Operation:
    id: str
    method: str
    path: str
    node: dict[str, Any]
    at: str
    item: dict[str, Any]  # the path item, for its shared parameters
    item_at: str

    @property
    def call(self) -> str:
        return f"{self.method.upper()} {self.path}"


def operations(doc: Document) -> dict[str, Operation]:
    found: dict[str, Operation] = {}
    for path, item in (doc.raw.get("paths") or {}).items():
        item_at = pointer("", "paths", path)
        item, item_at = doc.deref(item, item_at)  # noqa: PLW2901 (the path item behind its $ref)
        for method in HTTP_METHODS:
            if isinstance(item.get(method), dict):
                node = item[method]
                op_id = node.get("operationId") or f"{method.upper()} {path}"
                found[op_id] = Operation(op_id, method, path, node, pointer(item_at, method), item, item_at)
    return found


def _shape(op: Operation) -> tuple[str, str]:
    return op.method, re.sub(r"\{[^}]*\}", "{}", op.path)


def compare_all(ctx: Context) -> None:
    old, new = operations(ctx.old), operations(ctx.new)
    pairs = [(old[k], new[k]) for k in old if k in new]
    gone = [op for k, op in old.items() if k not in new]
    came = {_shape(op): op for k, op in new.items() if k not in old}
    for op in gone:
        if _shape(op) in came:
            pairs.append((op, came.pop(_shape(op))))
            continue
        ctx.operation = op.id
        ctx.emit("operation-removed", f"{op.call} ({op.id}) removed", op.at, None)
    for op in came.values():
        ctx.operation = op.id
        ctx.emit("operation-added", f"{op.call} ({op.id}) added", None, op.at)
    for o, n in pairs:
        ctx.operation = n.id
        compare(ctx, o, n)
    ctx.operation = None


def compare(ctx: Context, o: Operation, n: Operation) -> None:
    if o.id != n.id:
        ctx.emit(
            "operation-id-renamed",
            f"operationId {o.id} -> {n.id}",
            f"{o.at}/operationId",
            f"{n.at}/operationId",
        )
    if o.path != n.path:
        ctx.emit("operation-path-changed", f"path {o.path} -> {n.path}", o.item_at, n.item_at)
    if o.method != n.method:
        ctx.emit("operation-method-changed", f"method {o.method.upper()} -> {n.method.upper()}", o.at, n.at)
    _security(ctx, o, n)
    ctx.notes(o.node, o.at, n.node, n.at, "operation")
    _parameters(ctx, o, n)
    _request_body(ctx, o, n)
    _responses(ctx, o, n)
    extensions.compare_operation(ctx, o.node, o.at, n.node, n.at)
    for key in sorted(o.node.keys() | n.node.keys()):
        if key not in COMPARED and key not in ("example", "examples") and o.node.get(key) != n.node.get(key):
            text = f"{key}: {display(o.node.get(key))} -> {display(n.node.get(key))}"
            ctx.emit("operation-changed", text, _at(o.node, o.at, key), _at(n.node, n.at, key))


def _at(node: dict[str, Any], at: str, key: str) -> str | None:
    return pointer(at, key) if key in node else None


def _needs_token(doc: Document, node: dict[str, Any]) -> bool:
    security = node.get("security", doc.raw.get("security", []))
    return bool(security) and {} not in security


def _security(ctx: Context, o: Operation, n: Operation) -> None:
    old, new = _needs_token(ctx.old, o.node), _needs_token(ctx.new, n.node)
    at_o, at_n = _at(o.node, o.at, "security") or "/security", _at(n.node, n.at, "security") or "/security"
    if old != new:
        rule = "operation-security-added" if new else "operation-security-removed"
        ctx.emit(
            rule, f"security: {'a token is now required' if new else 'no token needed any more'}", at_o, at_n
        )
    elif o.node.get("security", ctx.old.raw.get("security")) != n.node.get(
        "security", ctx.new.raw.get("security")
    ):
        ctx.emit("operation-changed", "security schemes changed", at_o, at_n)


def _parameters(ctx: Context, o: Operation, n: Operation) -> None:
    old, new = _params(ctx.old, o), _params(ctx.new, n)
    walk = SchemaWalk(ctx, "request")
    for key in [*old, *(k for k in new if k not in old)]:
        where = f"{key[0]} parameter {key[1]}"
        if key not in new:
            ctx.emit("parameter-removed", f"{where}: removed", old[key][1], None)
            continue
        (np, n_at) = new[key]
        if key not in old:
            rule = "parameter-added-required" if np.get("required") else "parameter-added-optional"
            ctx.emit(rule, f"{where}: added{', required' if np.get('required') else ''}", None, n_at)
            continue
        (op_, o_at) = old[key]
        if bool(op_.get("required")) != bool(np.get("required")):
            rule = "parameter-became-required" if np.get("required") else "parameter-became-optional"
            ctx.emit(rule, f"{where}: now {'required' if np.get('required') else 'optional'}", o_at, n_at)
        ctx.notes(op_, o_at, np, n_at, where)
        if "schema" in op_ and "schema" in np:
            walk.compare(op_["schema"], f"{o_at}/schema", np["schema"], f"{n_at}/schema", where)
        for k in sorted(
            (op_.keys() | np.keys())
            - {"name", "in", "required", "schema", "description", "example", "examples"}
        ):
            if op_.get(k) != np.get(k):
                text = f"{where}: {k} {display(op_.get(k))} -> {display(np.get(k))}"
                ctx.emit("operation-changed", text, _at(op_, o_at, k), _at(np, n_at, k))


def _params(doc: Document, op: Operation) -> dict[tuple[str, str], tuple[dict[str, Any], str]]:
    found: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
    for node, at in ((op.item, op.item_at), (op.node, op.at)):
        for i, param in enumerate(node.get("parameters") or []):
            resolved, param_at = doc.deref(param, pointer(at, "parameters", i))
            found[(resolved.get("in", "?"), resolved.get("name", "?"))] = (resolved, param_at)
    return found


def _request_body(ctx: Context, o: Operation, n: Operation) -> None:
    old_node, new_node = o.node.get("requestBody"), n.node.get("requestBody")
    if old_node is None and new_node is None:
        return
    if new_node is None:
        ctx.emit("request-body-removed", "request body removed", f"{o.at}/requestBody", None)
        return
    new, n_at = ctx.new.deref(new_node, f"{n.at}/requestBody")
    if old_node is None:
        rule = "request-body-added-required" if new.get("required") else "request-body-added-optional"
        ctx.emit(rule, "request body added", None, n_at)
        return
    old, o_at = ctx.old.deref(old_node, f"{o.at}/requestBody")
    if bool(old.get("required")) != bool(new.get("required")):
        rule = "request-body-became-required" if new.get("required") else "request-body-became-optional"
        ctx.emit(rule, f"request body now {'required' if new.get('required') else 'optional'}", o_at, n_at)
    ctx.notes(old, o_at, new, n_at, "request body")
    _content(
        ctx, old=old, o_at=o_at, new=new, n_at=n_at, where="request body", walk=SchemaWalk(ctx, "request")
    )


def _content(
    ctx: Context,
    *,
    old: dict[str, Any],
    o_at: str,
    new: dict[str, Any],
    n_at: str,
    where: str,
    walk: SchemaWalk,
) -> None:
    old_content, new_content = old.get("content") or {}, new.get("content") or {}
    direction = walk.direction
    for media in [*old_content, *(m for m in new_content if m not in old_content)]:
        if media not in new_content:
            ctx.emit(
                f"{direction}-content-type-removed",
                f"{where}: {media} removed",
                pointer(o_at, "content", media),
                None,
            )
        elif media not in old_content:
            ctx.emit(
                f"{direction}-content-type-added",
                f"{where}: {media} added",
                None,
                pointer(n_at, "content", media),
            )
        else:
            om, om_at = old_content[media], pointer(o_at, "content", media)
            nm, nm_at = new_content[media], pointer(n_at, "content", media)
            _examples(ctx, old=om, o_at=om_at, new=nm, n_at=nm_at, where=f"{where} ({media})")
            if "schema" in om and "schema" in nm:
                walk.compare(om["schema"], f"{om_at}/schema", nm["schema"], f"{nm_at}/schema", where)
            elif om.get("schema") != nm.get("schema"):
                rule = "request-constraint-tightened" if direction == "request" else "response-type-changed"
                ctx.emit(rule, f"{where}: schema {'added' if 'schema' in nm else 'removed'}", om_at, nm_at)


def _examples(
    ctx: Context, *, old: dict[str, Any], o_at: str, new: dict[str, Any], n_at: str, where: str
) -> None:
    if old.get("example") != new.get("example"):
        ctx.emit(
            "example-changed",
            f"{where}: example changed",
            _at(old, o_at, "example"),
            _at(new, n_at, "example"),
        )
    old_examples, new_examples = old.get("examples") or {}, new.get("examples") or {}
    for name in sorted(old_examples.keys() | new_examples.keys()):
        if name not in new_examples or name not in old_examples:
            text = f"{where}: example {name} {'removed' if name not in new_examples else 'added'}"
            at_o = pointer(o_at, "examples", name) if name in old_examples else None
            at_n = pointer(n_at, "examples", name) if name in new_examples else None
            ctx.emit("example-changed", text, at_o, at_n)
            continue
        ov, ov_at = ctx.old.deref(old_examples[name], pointer(o_at, "examples", name))
        nv, nv_at = ctx.new.deref(new_examples[name], pointer(n_at, "examples", name))
        if ov != nv:
            ctx.emit("example-changed", f"{where}: example {name} changed", ov_at, nv_at)


def _responses(ctx: Context, o: Operation, n: Operation) -> None:
    old, new = o.node.get("responses") or {}, n.node.get("responses") or {}
    walk = SchemaWalk(ctx, "response")
    for status in [*old, *(s for s in new if s not in old)]:
        where = f"response {status}"
        if status not in new:
            rule = (
                "response-status-removed" if str(status).startswith("2") else "response-error-status-removed"
            )
            ctx.emit(rule, f"{where}: removed", pointer(o.at, "responses", status), None)
            continue
        if status not in old:
            ctx.emit("response-status-added", f"{where}: added", None, pointer(n.at, "responses", status))
            continue
        ov, o_at = ctx.old.deref(old[status], pointer(o.at, "responses", status))
        nv, n_at = ctx.new.deref(new[status], pointer(n.at, "responses", status))
        ctx.notes(ov, o_at, nv, n_at, where)
        _headers(ctx, old=ov, o_at=o_at, new=nv, n_at=n_at, where=where, walk=walk)
        _content(ctx, old=ov, o_at=o_at, new=nv, n_at=n_at, where=where, walk=walk)


def _headers(
    ctx: Context,
    *,
    old: dict[str, Any],
    o_at: str,
    new: dict[str, Any],
    n_at: str,
    where: str,
    walk: SchemaWalk,
) -> None:
    old_headers, new_headers = old.get("headers") or {}, new.get("headers") or {}
    for name in [*old_headers, *(h for h in new_headers if h not in old_headers)]:
        text = f"{where}: header {name}"
        if name not in new_headers:
            ctx.emit("response-header-removed", f"{text} removed", pointer(o_at, "headers", name), None)
            continue
        if name not in old_headers:
            ctx.emit("response-header-added", f"{text} added", None, pointer(n_at, "headers", name))
            continue
        oh, oh_at = ctx.old.deref(old_headers[name], pointer(o_at, "headers", name))
        nh, nh_at = ctx.new.deref(new_headers[name], pointer(n_at, "headers", name))
        if oh.get("required") and not nh.get("required"):
            ctx.emit("response-header-became-optional", f"{text} no longer always sent", oh_at, nh_at)
        ctx.notes(oh, oh_at, nh, nh_at, text)
        if "schema" in oh and "schema" in nh:
            walk.compare(oh["schema"], f"{oh_at}/schema", nh["schema"], f"{nh_at}/schema", text)
