"""The rules of the spec diff: one row per kind of change, with its severity and what client code must do.

Severity is judged from a client built on the OLD spec calling a server of the NEW one. A request is
what the client sends: the new spec may accept more (non-breaking) but not less (breaking). A response is
what the client parses with the generated models: the new spec may send less, but not more or other
things (an unknown enum value makes the generated enum parse raise). A Python name users import or
call (operation module, model class, enum member, attribute, keyword argument) that disappears or is
renamed is breaking as well.

`bump` is the semantic-versioning part a change moves in the generated package: breaking changes are
major, additions of surface minor, the rest (descriptions, examples) patch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["breaking", "non-breaking"]
Bump = Literal["major", "minor", "patch"]


@dataclass(frozen=True)
class Rule:
    severity: Severity
    bump: Bump
    action: str  # what code using the generated client must do


def _b(action: str) -> Rule:
    return Rule("breaking", "major", action)


def _add(action: str) -> Rule:
    return Rule("non-breaking", "minor", action)


def _doc(action: str) -> Rule:
    return Rule("non-breaking", "patch", action)


RULES: dict[str, Rule] = {
    # operations
    "operation-removed": _b("stop calling it: its module under feishu_hire_client.api is gone"),
    "operation-added": _add("nothing; a new function is available"),
    "operation-id-renamed": _b("import and call the operation under its new name"),
    "operation-path-changed": _b(
        "nothing in code if you call the generated function; hand-built URLs must change"
    ),
    "operation-method-changed": _b(
        "nothing in code if you call the generated function; hand-built calls must change"
    ),
    "operation-security-added": _b("authenticate the call (a tenant_access_token is now required)"),
    "operation-security-removed": _add("nothing; the call no longer needs a token"),
    "operation-permission-added": _b("grant the app the new scope in the developer console"),
    "operation-permission-removed": _doc("nothing; the scope is no longer needed"),
    "operation-content-type-changed": _b("send the new Content-Type"),
    "operation-resend-safe-revoked": _b(
        "stop resending the call after a lost answer (the client no longer retries it); handle duplicates"
    ),
    "operation-resend-safe-granted": _add("nothing; the client may now resend it safely"),
    "operation-changed": _doc("nothing; review the note"),
    # parameters
    "parameter-removed": _b("stop passing the parameter"),
    "parameter-added-required": _b("pass the new required parameter"),
    "parameter-added-optional": _add("nothing; the parameter is optional"),
    "parameter-became-required": _b("always pass the parameter"),
    "parameter-became-optional": _add("nothing; the parameter may now be left out"),
    # request bodies and responses as wholes
    "request-body-removed": _b("stop sending a body"),
    "request-body-added-required": _b("send the new required body"),
    "request-body-added-optional": _add("nothing; the body is optional"),
    "request-body-became-required": _b("always send a body"),
    "request-body-became-optional": _add("nothing; the body may now be left out"),
    "request-content-type-removed": _b("send the body in a content type the operation still accepts"),
    "request-content-type-added": _add("nothing; one more content type is accepted"),
    "response-status-removed": _b(
        "stop relying on that success status; read the one the operation now answers"
    ),
    "response-error-status-removed": _doc("nothing; handling of that error status is dead code"),
    "response-status-added": _add("handle the new status where you inspect statuses"),
    "response-content-type-removed": _b("parse the answer in its new content type"),
    "response-content-type-added": _add("nothing; one more content type may be answered"),
    "response-header-removed": _b("stop reading the header"),
    "response-header-became-optional": _b("handle the header's absence"),
    "response-header-added": _add("nothing; a new header is available"),
    # schemas, request direction
    "request-property-removed": _b("stop sending the field (the keyword argument is gone from the model)"),
    "request-property-added-required": _b("send the new required field"),
    "request-property-added-optional": _add("nothing; the field is optional"),
    "request-property-became-required": _b("always send the field"),
    "request-property-became-optional": _add("nothing; the field may now be left out"),
    "request-type-narrowed": _b("send values of the new type only"),
    "request-type-widened": _add("nothing; more types are accepted"),
    "request-constraint-tightened": _b("send only values within the new constraint"),
    "request-constraint-loosened": _doc("nothing; more values are accepted"),
    "request-enum-value-removed": _b("stop sending the removed value"),
    "request-enum-value-added": _add("nothing; one more value may be sent"),
    "request-enum-introduced": _b("send only the listed values"),
    "request-enum-dropped": _doc("nothing; any value of the type is accepted"),
    "request-additional-properties-restricted": _b("stop sending fields the schema does not declare"),
    "request-additional-properties-allowed": _doc("nothing; undeclared fields are accepted"),
    "request-variant-removed": _b("stop sending the removed alternative"),
    "request-variant-added": _add("nothing; one more alternative is accepted"),
    "request-default-changed": _b("pass the value explicitly where you relied on the old default"),
    # schemas, response direction
    "response-property-removed": _b("stop reading the field (the attribute is gone from the model)"),
    "response-property-added": _add("nothing; a new attribute is available"),
    "response-property-became-optional": _b("handle the field's absence (the attribute may now be UNSET)"),
    "response-property-became-required": _doc("nothing; the field is now always present"),
    "response-type-changed": _b("handle values of the new type"),
    "response-type-narrowed": _doc("nothing; fewer types are answered"),
    "response-constraint-changed": _doc("nothing; the generated models do not check it"),
    "response-format-changed": _b("handle the attribute's new Python type"),
    "response-enum-value-added": _b("handle the new value (the old enum's parse raises on it)"),
    "response-enum-value-removed": _b("drop uses of the removed member (the generated enum loses it)"),
    "response-enum-introduced": _doc("nothing; values are now parsed into an enum"),
    "response-enum-dropped": _b("treat the attribute as a plain value (the enum class no longer parses it)"),
    "response-additional-properties-changed": _doc("nothing; additional_properties carries any extra fields"),
    "response-variant-added": _b("handle the new alternative"),
    "response-variant-removed": _doc("nothing; handling of that alternative is dead code"),
    # Python names
    "model-renamed": _b("import the model under its new name"),
    "model-removed": _b("stop importing the model"),
    "model-added": _add("nothing; a new model is available"),
    "enum-name-renamed": _b("use the enum member under its new name"),
    # the kit's x-feishu-* rules
    "required-together-tightened": _b("send the grouped fields all together or none of them"),
    "required-together-loosened": _doc("nothing; fewer fields are tied together"),
    "required-by-option-tightened": _b("send the field the chosen option now requires (non-empty)"),
    "required-by-option-loosened": _doc("nothing; the option requires less"),
    "idempotency-key-removed": _b("stop resending creates on the key: a resend now creates a duplicate"),
    "idempotency-key-changed": _b("make the new key field unique per intended create"),
    "idempotency-key-added": _add("nothing; resending with the same key is now safe"),
    "rate-limit-lowered": _b("call less often (the server answers 99991400 sooner)"),
    "rate-limit-raised": _doc("nothing; more calls are allowed"),
    "user-id-fields-changed": _doc("send user ids of `user_id_type` in the listed fields"),
    "resource-not-found-code-changed": _b("catch the new exception for a missing resource"),
    "operation-error-added": _add("nothing required; the operation may now raise this code"),
    "operation-error-removed": _doc("nothing; the operation no longer answers this code"),
    "error-code-removed": _b("catch FeishuError for it: the code no longer maps to a typed exception"),
    "error-code-added": _add("nothing; a new code has a typed exception"),
    "error-code-family-changed": _b("catch the code's new exception class"),
    "error-code-status-changed": _b("expect the new HTTP status (http_status and retries follow it)"),
    "error-code-msg-changed": _doc("nothing; compare codes, not messages"),
    # documentation and the rest
    "description-changed": _doc("nothing; documentation only"),
    "example-changed": _doc("nothing; an example only"),
    "document-changed": _doc("nothing; review the note"),
}


def rule(rule_id: str) -> Rule:
    return RULES[rule_id]
