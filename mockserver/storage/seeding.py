"""A seed into the tables, and the tables back out in a seed's shape (the control plane's state).

Seeds list resources per kind of the spec (`feishu_hire_kit.resources`); stored, each is one row of
`resources` with its fields as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from feishu_hire_kit.resources import record_kinds, resource_kinds
from mockserver.storage.queries import Queries, fields_text
from mockserver.storage.schema import UNIQUE_KEYS


def apply_seed(queries: Queries, seed: Mapping[str, Any], replace: bool) -> None:
    """Inserts a (validated) seed; `replace` overwrites rows that exist, otherwise they are kept."""
    for tenant in seed["tenants"]:
        key = tenant["tenant_key"]
        for app in tenant["apps"]:
            # Credentials always follow the seed, so `serve --app-secret` works on an existing db.
            row = {"app_id": app["app_id"], "app_secret": app["app_secret"], "tenant_key": key}
            _put(queries, "apps", row, replace=True)
        for u in tenant.get("users", []):
            row = {k: u.get(k) for k in ("user_id", "open_id", "union_id", "name")}
            _put(queries, "users", {"tenant_key": key, **row}, replace)
        for kind in resource_kinds().values():
            for item in tenant.get(kind.plural, []):
                fields = {name: value for name, value in item.items() if name != kind.id_field}
                row = {
                    "tenant_key": key,
                    "kind": kind.kind,
                    "resource_id": item[kind.id_field],
                    "fields": fields_text(fields),
                }
                _put(queries, "resources", row, replace)


def _put(queries: Queries, table: str, row: Mapping[str, Any], replace: bool) -> None:
    """Inserts `row`; a row it clashes with on any unique key is replaced (`replace`) or kept."""
    columns = ", ".join(row)
    values = ", ".join(f":{name}" for name in row)
    if replace:
        clashes = " OR ".join(
            "(" + " AND ".join(f"{c} = :{c}" for c in key) + ")" for key in UNIQUE_KEYS[table]
        )
        queries.conn.execute(f"DELETE FROM {table} WHERE {clashes}", row)
    queries.conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({values}) ON CONFLICT DO NOTHING", row)


def dump(queries: Queries, tenant_key: str | None = None) -> dict[str, Any]:
    """Everything stored, per tenant, in a seed's shape (people of resources by tenant user_id), with
    the records of idempotent creates beside it (`site_users`); only `tenant_key`'s when one is named."""
    resources, records = resource_kinds(), record_kinds()
    tenants: dict[str, dict[str, Any]] = {}
    where = "" if tenant_key is None else " WHERE tenant_key = :tenant_key"
    only = {"tenant_key": tenant_key}

    def tenant(key: str) -> dict[str, Any]:
        lists = [
            "apps",
            "users",
            *(k.plural for k in resources.values()),
            *(k.plural for k in records.values()),
        ]
        return tenants.setdefault(key, {name: [] for name in lists})

    for row in queries.conn.execute(
        f"SELECT app_id, tenant_key FROM apps{where} ORDER BY app_id", only
    ).fetchall():
        app = dict(row)
        tenant(app["tenant_key"])["apps"].append(app["app_id"])
    for row in queries.conn.execute(f"SELECT * FROM users{where} ORDER BY user_id", only).fetchall():
        user = dict(row)
        tenant(user.pop("tenant_key"))["users"].append(user)
    rows = queries.conn.execute(f"SELECT * FROM resources{where} ORDER BY kind, resource_id", only).fetchall()
    for row in map(dict, rows):
        kind = resources.get(row["kind"])
        if kind is not None:  # a kind the spec no longer has is kept, not shown
            item = {
                kind.id_field: row["resource_id"],
                **json.loads(row["fields"]),
                "in_flight": row["in_flight"],
                "in_flight_until": row["in_flight_until"],
            }
            tenant(row["tenant_key"])[kind.plural].append(item)
    rows = queries.conn.execute(
        f"SELECT * FROM records{where} ORDER BY kind, created_at, record_id", only
    ).fetchall()
    for row in map(dict, rows):
        record, parent = records.get(row["kind"]), resources.get(row["parent_kind"])
        if record is not None and parent is not None:
            item = {
                parent.id_field: row["parent_id"],
                **json.loads(row["fields"]),
                "created_at": row["created_at"],
            }
            tenant(row["tenant_key"])[record.plural].append(item)
    for plural in [*(k.plural for k in resources.values()), *(k.plural for k in records.values())]:
        _same_fields([item for t in tenants.values() for item in t[plural]])
    tokens = dict(queries.conn.execute(f"SELECT COUNT(*) AS n FROM tokens{where}", only).fetchone())["n"]
    return {"tenants": tenants, "tokens": tokens}


def _same_fields(items: list[dict[str, Any]]) -> None:
    """Gives every item the fields any of them has (None where it has no value), as table rows have."""
    names = dict.fromkeys(name for item in items for name in item)
    for item in items:
        for name in names:
            item.setdefault(name, None)
