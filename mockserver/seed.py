"""What a fresh mock holds: apps (each its own tenant by default), their users, websites, talents and jobs.

The built-in seed carries the docs' example ids, so every doc example succeeds out of the box, and a
second tenant with its own data for isolation tests. A seed file (JSON or YAML) has the same shape as
`DEFAULT_SEED`, a list per resource kind of the spec (`feishu_hire_kit.resources`); `seed_schema()`
checks it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from feishu_hire_kit.resources import ResourceKind, resource_kinds

DEFAULT_APP_ID = "cli_sandbox"
DEFAULT_APP_SECRET = "sandbox-secret"
OTHER_APP_ID = "cli_sandbox_other"
OTHER_APP_SECRET = "other-secret"

# The docs' example ids.
WEBSITE_ID = "1618209327096"
TALENT_ID = "7043758982146345223"
JOB_ID = "7096318853365369132"

DEFAULT_SEED: dict[str, Any] = {
    "tenants": [
        {
            "tenant_key": "sandbox",
            "apps": [{"app_id": DEFAULT_APP_ID, "app_secret": DEFAULT_APP_SECRET}],
            "users": [
                # recruiter_id of the batch_update doc example (answered as user_id 1612209227096 there)
                {
                    "name": "张敏",
                    "open_id": "ou_e6139117c300506837def50545420c6a",
                    "union_id": "on_e6139117c300506837def50545420c6a",
                    "user_id": "1612209227096",
                },
                # assistant / hiring manager of the doc example (answered as union_id on_94a1… there)
                {
                    "name": "王芳",
                    "open_id": "ou_808dad5b8fb21416b4ff242a5c616016",
                    "union_id": "on_94a1ee5551019f18cd73d9f111898cf2",
                    "user_id": "1612209227097",
                },
                # creator_id of the doc example
                {
                    "name": "李雷",
                    "open_id": "ou_efk39117c300506837def50545420c6a",
                    "union_id": "on_efk39117c300506837def50545420c6a",
                    "user_id": "1612209227098",
                },
                {
                    "name": "韩梅梅",
                    "open_id": "ou_3c9a7b1d2e4f5a6b7c8d9e0f1a2b3c4d",
                    "union_id": "on_3c9a7b1d2e4f5a6b7c8d9e0f1a2b3c4d",
                    "user_id": "1612209227099",
                },
            ],
            "websites": [{"website_id": WEBSITE_ID, "name": "Sandbox careers site"}],
            "talents": [
                {"talent_id": TALENT_ID, "name": "Sandbox talent"},
                {"talent_id": "7043758982146345222", "name": "Talent of the docs' response example"},
            ],
            "jobs": [
                {
                    "job_id": JOB_ID,
                    "title": "Backend engineer",
                    # Different people from the doc example, so an update is visible in the answer.
                    "recruiter_id": "1612209227099",
                    "assistant_id_list": ["1612209227099"],
                    "hiring_manager_id_list": ["1612209227098"],
                }
            ],
        },
        {
            "tenant_key": "sandbox-other",
            "apps": [{"app_id": OTHER_APP_ID, "app_secret": OTHER_APP_SECRET}],
            "users": [
                {
                    "name": "Other tenant user",
                    "open_id": "ou_0ther0000000000000000000000000001",
                    "union_id": "on_0ther0000000000000000000000000001",
                    "user_id": "2612209227001",
                }
            ],
            "websites": [{"website_id": "2618209327096", "name": "Other tenant's careers site"}],
            "talents": [{"talent_id": "8043758982146345223", "name": "Other tenant's talent"}],
            "jobs": [
                {
                    "job_id": "8096318853365369132",
                    "title": "Other tenant's job",
                    "recruiter_id": "2612209227001",
                }
            ],
        },
    ]
}

_ID = {"type": "string", "minLength": 1}
_NAME = {"type": "string"}
# Any other field of a resource: a plain value (its operations may store more fields on it later).
_PLAIN = {"type": ["string", "number", "boolean", "null"]}


def _objects(required: list[str], properties: dict[str, Any], others: Any = False) -> dict[str, Any]:
    return {
        "type": "array",
        "items": {
            "type": "object",
            "required": required,
            "additionalProperties": others,
            "properties": properties,
        },
    }


def _resources(kind: ResourceKind) -> dict[str, Any]:
    people = {name: {"type": "array", "items": _ID} if many else _ID for name, many in kind.people.items()}
    return _objects([kind.id_field], {kind.id_field: _ID, **people}, others=_PLAIN)


def seed_schema() -> dict[str, Any]:
    """The JSON Schema of a seed: apps and users, and a list of each resource kind of the spec."""
    return {
        "type": "object",
        "required": ["tenants"],
        "additionalProperties": False,
        "properties": {
            "tenants": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["apps"],
                    "additionalProperties": False,
                    "properties": {
                        "tenant_key": _ID,
                        "apps": {
                            "minItems": 1,
                            **_objects(["app_id", "app_secret"], {"app_id": _ID, "app_secret": _ID}),
                        },
                        "users": _objects(
                            ["open_id", "union_id", "user_id"],
                            {"open_id": _ID, "union_id": _ID, "user_id": _ID, "name": _NAME},
                        ),
                        **{kind.plural: _resources(kind) for kind in resource_kinds().values()},
                    },
                },
            }
        },
    }


class SeedError(ValueError):
    """A seed that does not have the documented shape, or whose jobs name unknown users."""


def default_seed() -> dict[str, Any]:
    """`DEFAULT_SEED`, and in its first tenant the docs' example id of any resource kind it lacks."""
    seed = copy.deepcopy(DEFAULT_SEED)
    first = seed["tenants"][0]
    for kind in resource_kinds().values():
        if kind.plural not in first and kind.example_id is not None:
            first[kind.plural] = [{kind.id_field: kind.example_id}]
    return seed


def _check_people(tenant: Mapping[str, Any]) -> None:
    """Resources name their people by user_id, of users of their own tenant; absent lists are empty."""
    known = {u["user_id"] for u in tenant.get("users", [])}
    for kind in resource_kinds().values():
        for item in tenant.get(kind.plural, []):
            for name, many in kind.people.items():
                if many:
                    item.setdefault(name, [])
            named = [i for name in kind.people for i in _listed(item.get(name))]
            unknown = sorted(set(named) - known)
            if unknown:
                raise SeedError(
                    f"seed: {kind.kind} {item[kind.id_field]} names users not in its tenant (by user_id):"
                    f" {unknown}"
                )


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def load_seed(source: str | Path | Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The seed from a file (.json, .yaml/.yml), a mapping, or the built-in one; checked and normalised."""
    if source is None:
        raw: Any = default_seed()
    elif isinstance(source, Mapping):
        raw = copy.deepcopy(dict(source))
    else:
        text = Path(source).read_text(encoding="utf-8")
        raw = json.loads(text) if str(source).endswith(".json") else yaml.safe_load(text)
    try:
        jsonschema.validate(raw, seed_schema())
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(top)"
        raise SeedError(f"seed: {where}: {exc.message}") from exc
    for tenant in raw["tenants"]:
        # A tenant without a key is its first app's tenant.
        tenant.setdefault("tenant_key", tenant["apps"][0]["app_id"])
        _check_people(tenant)
    seed: dict[str, Any] = raw
    return seed


def with_credentials(seed: Mapping[str, Any], app_id: str, app_secret: str) -> dict[str, Any]:
    """The seed with its first app's credentials replaced (what `serve --app-id/--app-secret` does)."""
    changed = copy.deepcopy(dict(seed))
    changed["tenants"][0]["apps"][0] = {"app_id": app_id, "app_secret": app_secret}
    return changed


def credentials(seed: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(tenant_key, app_id, app_secret) of every app of the seed."""
    return [(t["tenant_key"], a["app_id"], a["app_secret"]) for t in seed["tenants"] for a in t["apps"]]
