"""The kit's own rules: the operation's `x-feishu-*` extensions and the root code table.

Each operation extension has one check in OPERATION_CHECKS; an undeclared extension is treated as
absent (`x-feishu-resend-safe` absent means not safe, as the client reads it).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from limits import parse_many

from feishu_hire_kit.specdiff.context import Context, display
from feishu_hire_kit.specdiff.loading import Document, pointer

Check = Callable[[Context, Any, Any, str | None, str | None], None]


def _rate_limits(ctx: Context, old: Any, new: Any, at_o: str | None, at_n: str | None) -> None:
    """Lower is breaking: some window of the new limits allows fewer calls than the old ones did."""
    old_items, new_items = (
        parse_many(",".join(old or [])) if old else [],
        parse_many(",".join(new or [])) if new else [],
    )

    def cap(items: list[Any], seconds: int) -> float:
        """The most calls `items` allow within any `seconds`-long window."""
        return min((i.amount * math.ceil(seconds / i.get_expiry()) for i in items), default=math.inf)

    lowered = [str(i) for i in new_items if i.amount < cap(old_items, i.get_expiry())]
    text = f"rate limits {display(old or [])} -> {display(new or [])}"
    if lowered:
        ctx.emit("rate-limit-lowered", f"{text}: lower in {', '.join(lowered)}", at_o, at_n)
    else:
        ctx.emit("rate-limit-raised", text, at_o, at_n)


def _required_together(ctx: Context, old: Any, new: Any, at_o: str | None, at_n: str | None) -> None:
    """A new group that is not inside an old group refuses a request the old rule let through."""
    old_groups = [set(g) for g in old or []]
    tighter = [g for g in new or [] if not any(set(g) <= o for o in old_groups)]
    text = f"required together {display(old or [])} -> {display(new or [])}"
    if tighter:
        ctx.emit("required-together-tightened", f"{text}: {tighter} newly tied", at_o, at_n)
    else:
        ctx.emit("required-together-loosened", text, at_o, at_n)


def _required_by_option(ctx: Context, old: Any, new: Any, at_o: str | None, at_n: str | None) -> None:
    old = old or {}
    new = new or {}
    old_fields = {str(k): v for k, v in (old.get("fields") or {}).items()}
    new_fields = {str(k): v for k, v in (new.get("fields") or {}).items()}
    same_option = old.get("option_field") == new.get("option_field")
    tighter = {k: v for k, v in new_fields.items() if not same_option or old_fields.get(k) != v}
    text = f"required by option {display(old)} -> {display(new)}"
    if tighter:
        ctx.emit("required-by-option-tightened", f"{text}: newly required {tighter}", at_o, at_n)
    else:
        ctx.emit("required-by-option-loosened", text, at_o, at_n)


def _idempotency_key(ctx: Context, old: Any, new: Any, at_o: str | None, at_n: str | None) -> None:
    rule = (
        "idempotency-key-added"
        if old is None
        else "idempotency-key-removed"
        if new is None
        else "idempotency-key-changed"
    )
    ctx.emit(rule, f"idempotency key {display(old)} -> {display(new)}", at_o, at_n)


def _resend_safe(ctx: Context, old: Any, new: Any, at_o: str | None, at_n: str | None) -> None:
    if (old is True) == (new is True):
        ctx.emit("operation-changed", f"x-feishu-resend-safe {display(old)} -> {display(new)}", at_o, at_n)
        return
    rule = "operation-resend-safe-granted" if new is True else "operation-resend-safe-revoked"
    ctx.emit(rule, f"resend-safe {old is True} -> {new is True}", at_o, at_n)


def _permissions(ctx: Context, old: Any, new: Any, at_o: str | None, at_n: str | None) -> None:
    added, removed = sorted(set(new or []) - set(old or [])), sorted(set(old or []) - set(new or []))
    if added:
        ctx.emit("operation-permission-added", f"scopes needed now: {', '.join(added)}", at_o, at_n)
    if removed:
        ctx.emit("operation-permission-removed", f"scopes no longer needed: {', '.join(removed)}", at_o, at_n)
    if not added and not removed:
        ctx.emit("operation-changed", "scopes reordered", at_o, at_n)


def _content_type(ctx: Context, old: Any, new: Any, at_o: str | None, at_n: str | None) -> None:
    ctx.emit("operation-content-type-changed", f"Content-Type {display(old)} -> {display(new)}", at_o, at_n)


def _user_id_fields(ctx: Context, old: Any, new: Any, at_o: str | None, at_n: str | None) -> None:
    ctx.emit("user-id-fields-changed", f"user id fields {display(old)} -> {display(new)}", at_o, at_n)


def _errors(ctx: Context, old: Any, new: Any, at_o: str | None, at_n: str | None) -> None:
    old_codes, new_codes = [int(c) for c in old or []], [int(c) for c in new or []]
    for code in new_codes:
        if code not in old_codes:
            text = f"error {code} documented ({exception_class(ctx.new, code)})"
            ctx.emit("operation-error-added", text, at_o, at_n)
    for code in old_codes:
        if code not in new_codes:
            ctx.emit("operation-error-removed", f"error {code} no longer documented", at_o, at_n)


def _resource(ctx: Context, old: Any, new: Any, at_o: str | None, at_n: str | None) -> None:
    old, new = old or {}, new or {}
    old_code, new_code = old.get("not_found_code"), new.get("not_found_code")
    if old_code != new_code:
        old_class, new_class = exception_class(ctx.old, old_code), exception_class(ctx.new, new_code)
        text = f"not-found code {old_code} ({old_class}) -> {new_code} ({new_class})"
        ctx.emit(
            "resource-not-found-code-changed" if old_class != new_class else "operation-changed",
            text,
            at_o,
            at_n,
        )
    rest_old = {k: v for k, v in old.items() if k != "not_found_code"}
    rest_new = {k: v for k, v in new.items() if k != "not_found_code"}
    if rest_old != rest_new:
        ctx.emit("operation-changed", f"resource {display(rest_old)} -> {display(rest_new)}", at_o, at_n)


OPERATION_CHECKS: dict[str, Check] = {
    "x-feishu-rate-limits": _rate_limits,
    "x-feishu-required-together": _required_together,
    "x-feishu-required-by-option": _required_by_option,
    "x-feishu-idempotency-key": _idempotency_key,
    "x-feishu-resend-safe": _resend_safe,
    "x-feishu-permissions": _permissions,
    "x-feishu-field-permissions": _permissions,
    "x-feishu-content-type": _content_type,
    "x-feishu-user-id-fields": _user_id_fields,
    "x-feishu-errors": _errors,
    "x-feishu-resource": _resource,
}


def compare_operation(
    ctx: Context, old: dict[str, Any], old_at: str, new: dict[str, Any], new_at: str
) -> None:
    for key, check in OPERATION_CHECKS.items():
        if old.get(key) != new.get(key):
            at_o = pointer(old_at, key) if key in old else None
            at_n = pointer(new_at, key) if key in new else None
            check(ctx, old.get(key), new.get(key), at_o, at_n or new_at)


# -- the root code table ---------------------------------------------------------------------------------
CODE_TABLE = "x-feishu-error-codes"


def exception_class(doc: Document, code: Any) -> str:
    entry = (doc.raw.get(CODE_TABLE) or {}).get(str(code))
    if not isinstance(entry, dict):
        return "FeishuError"
    # Imported here: the client (and httpx) loads only when a code is named, not with every command.
    from feishu_hire_kit.client.errors import FAMILY_CLASSES

    family = entry.get("family")
    known = next((cls for name, cls in FAMILY_CLASSES.items() if name == family), None)
    return "FeishuError" if known is None else known.__name__


def compare_codes(ctx: Context) -> None:
    old, new = ctx.old.raw.get(CODE_TABLE) or {}, ctx.new.raw.get(CODE_TABLE) or {}
    for code in [*old, *(c for c in new if c not in old)]:
        at_o = pointer("", CODE_TABLE, code) if code in old else None
        at_n = pointer("", CODE_TABLE, code) if code in new else None
        if code not in new:
            ctx.emit(
                "error-code-removed", f"code {code} ({exception_class(ctx.old, code)}) removed", at_o, None
            )
            continue
        if code not in old:
            ctx.emit("error-code-added", f"code {code} added ({exception_class(ctx.new, code)})", None, at_n)
            continue
        o, n = old[code], new[code]
        if o.get("family") != n.get("family"):
            classes = f"{exception_class(ctx.old, code)} -> {exception_class(ctx.new, code)}"
            text = f"code {code}: family {o.get('family')} -> {n.get('family')} ({classes})"
            ctx.emit("error-code-family-changed", text, f"{at_o}/family", f"{at_n}/family")
        if o.get("status") != n.get("status"):
            text = f"code {code}: HTTP status {o.get('status')} -> {n.get('status')}"
            ctx.emit("error-code-status-changed", text, f"{at_o}/status", f"{at_n}/status")
        if o.get("msg") != n.get("msg"):
            ctx.emit(
                "error-code-msg-changed",
                f"code {code}: msg {display(o.get('msg'))} -> {display(n.get('msg'))}",
                f"{at_o}/msg",
                f"{at_n}/msg",
            )
        for key in sorted((o.keys() | n.keys()) - {"family", "status", "msg"}):
            if o.get(key) != n.get(key):
                ctx.emit(
                    "description-changed", f"code {code}: {key} changed", f"{at_o}/{key}", f"{at_n}/{key}"
                )
