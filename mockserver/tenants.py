"""Partner tenants of one shared sandbox, and everything the control plane and the console do, scoped.

A tenant is what one tenant of a seed file describes (apps, users, websites, talents, jobs). The host
(the admin) creates one with `create_tenant` (app credentials generated when not given), lists and
deletes them. Each function below acts for a `Scope`: the admin's acts on the whole server, a tenant's
on its own slice only (its data, tokens, calls, faults and clock offset), so a partner can never see or
change another tenant. The control plane (`mockserver.control`) and the console (`mockserver.console`)
are two faces of these functions.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Mapping
from typing import Any

from feishu_hire_kit.spec import operations
from mockserver.access import Scope
from mockserver.faults import FaultSpecError
from mockserver.journal import JournalCount, JournalFilter
from mockserver.runtime import Runtime
from mockserver.seed import SeedError, load_seed
from mockserver.storage import apply_seed, dump

ORIGIN_SEED = "seed"
ORIGIN_API = "api"
# A generated app: Feishu's shape, "cli_" and 16 hex digits; the secret 32 letters and digits.
APP_ID_PREFIX = "cli_"
SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


class TenantError(ValueError):
    """A tenant request the server refuses: `status` 400 (bad body), 404 (no such tenant), 409 (taken)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _generated_secret() -> str:
    return "".join(secrets.choice(SECRET_ALPHABET) for _ in range(32))


def _with_credentials(body: Mapping[str, Any]) -> dict[str, Any]:
    """The tenant's seed with every missing app credential generated (one app when none is given)."""
    tenant = copy.deepcopy(dict(body))
    apps = tenant.get("apps")
    if apps is None:
        apps = [{}]
    if not isinstance(apps, list) or not apps or not all(isinstance(a, dict) for a in apps):
        raise TenantError("apps must be a non-empty list of objects ({app_id?, app_secret?})")
    tenant["apps"] = [
        {
            **app,
            "app_id": app.get("app_id") or APP_ID_PREFIX + secrets.token_hex(8),
            "app_secret": app.get("app_secret") or _generated_secret(),
        }
        for app in apps
    ]
    if not tenant.get("tenant_key"):
        tenant["tenant_key"] = "tenant-" + secrets.token_hex(6)
    return tenant


def create_tenant(rt: Runtime, body: Mapping[str, Any]) -> dict[str, Any]:
    """Creates a tenant from one tenant of a seed file; answers its key and its apps' credentials."""
    try:
        seed = load_seed({"tenants": [_with_credentials(body)]})
    except SeedError as exc:
        raise TenantError(str(exc).replace("seed: tenants/0/", "tenant: ")) from exc
    tenant = seed["tenants"][0]
    key = tenant["tenant_key"]
    app_ids = [app["app_id"] for app in tenant["apps"]]
    if len(set(app_ids)) != len(app_ids):
        raise TenantError("two apps of the tenant have one app_id")
    with rt.store.transaction() as q:
        if q.tenant_exists(key):
            raise TenantError(f"tenant {key!r} exists", 409)
        taken = [app_id for app_id in app_ids if q.app(app_id) is not None]
        if taken:
            raise TenantError(f"app_id taken by another tenant: {taken}", 409)
        q.insert_tenant(key, tenant, rt.clock.now())
        apply_seed(q, seed, replace=True)
    return {
        "tenant_key": key,
        "apps": [{"app_id": a["app_id"], "app_secret": a["app_secret"]} for a in tenant["apps"]],
    }


def list_tenants(rt: Runtime) -> list[dict[str, Any]]:
    """Every tenant with an app: its key, its apps' ids (no secrets), and whether the seed or the API
    made it."""
    with rt.store.transaction(write=False) as q:
        made = {row["tenant_key"]: row for row in q.tenant_records()}
        apps = q.apps_by_tenant()
    return [
        {
            "tenant_key": key,
            "apps": app_ids,
            "origin": ORIGIN_API if key in made else ORIGIN_SEED,
            "created_at": made[key]["created_at"] if key in made else None,
        }
        for key, app_ids in sorted(apps.items())
    ]


def delete_tenant(rt: Runtime, tenant_key: str) -> None:
    """Removes the tenant and all it has: data, tokens, calls, faults, clock offset, rate windows."""
    with rt.store.transaction() as q:
        apps = q.apps_by_tenant().get(tenant_key)
        if apps is None and not q.tenant_exists(tenant_key):
            raise TenantError(f"no tenant {tenant_key!r}", 404)
        q.wipe_tenant(tenant_key)
        q.delete_tenant_record(tenant_key)
        q.clear_journal(tenant_key)
    _forget_server_state(rt, tenant_key, apps or [])


def _forget_server_state(rt: Runtime, tenant_key: str, app_ids: list[str]) -> None:
    rt.faults.clear(tenant_key)
    rt.clock.forget(tenant_key)
    rt.limiter.windows.clear(app_ids)


def creation_seed(rt: Runtime, tenant_key: str) -> dict[str, Any] | None:
    """What the tenant was created with: its record (the API), else its part of the server's seed."""
    with rt.store.transaction(write=False) as q:
        record = q.tenant_record(tenant_key)
    if record is not None:
        found: dict[str, Any] = record["seed"]
        return found
    return next((t for t in rt.seed["tenants"] if t["tenant_key"] == tenant_key), None)


def reset(rt: Runtime, scope: Scope) -> None:
    """The admin's: every seeded tenant back to the seed and every created one to how it was created,
    the server's journal, faults and rate windows gone. A tenant's: its slice back to its creation."""
    if scope.admin:
        rt.reset()
        with rt.store.transaction() as q:
            created = q.tenant_records()
            if created:
                apply_seed(q, {"tenants": [row["seed"] for row in created]}, replace=True)
        return
    key = scope.tenant_key
    assert key is not None
    seed = creation_seed(rt, key)
    with rt.store.transaction() as q:
        apps = q.apps_by_tenant().get(key, [])
        kept = [
            {"app_id": app_id, "app_secret": (q.app(app_id) or {}).get("app_secret", "")} for app_id in apps
        ]
        q.wipe_tenant(key)
        q.clear_journal(key)
        if seed is None:  # a tenant added by /mock-api/seed: its apps stay, its data goes
            seed = {"tenant_key": key, "apps": kept}
        apply_seed(q, {"tenants": [seed]}, replace=True)
    _forget_server_state(rt, key, [*apps, *(a["app_id"] for a in seed["apps"])])


def tenant_state(rt: Runtime, tenant_key: str) -> dict[str, Any] | None:
    """One tenant's stored data (people of jobs by tenant user_id), or None when it has none."""
    with rt.store.transaction(write=False) as q:
        found: dict[str, Any] | None = dump(q, tenant_key)["tenants"].get(tenant_key)
    return found


def state(rt: Runtime, scope: Scope) -> dict[str, Any]:
    """`GET /mock-api/state`: what the scope may see of the stored data and the server's state."""
    with rt.store.transaction(write=False) as q:
        stored = dump(q, scope.tenant_key)
    return {
        "now": now(rt, scope),
        "rate_limits": {"enabled": rt.limiter.enabled, "scale": rt.limiter.scale},
        "faults": faults(rt, scope),
        **stored,
    }


def now(rt: Runtime, scope: Scope) -> float:
    """The scope's time: the server's clock plus the tenant's own offset."""
    return rt.clock.now(scope.tenant_key)


def advance_clock(rt: Runtime, scope: Scope, seconds: float) -> float:
    """Moves the scope's clock forward (the admin's: every tenant's); answers the scope's new now."""
    rt.clock.advance(seconds, scope.tenant_key)
    return now(rt, scope)


def add_fault(rt: Runtime, scope: Scope, spec: Mapping[str, Any]) -> dict[str, Any]:
    """A fault from the control plane's JSON; a tenant's acts on its own calls only."""
    operation = operations().get(str(spec.get("operation")))
    if not scope.admin and operation is not None and not operation.requires_token:
        raise FaultSpecError(f"a tenant's faults act on its business calls, not on {operation.operation_id}")
    return vars(rt.faults.add(spec, scope.tenant_key))


def faults(rt: Runtime, scope: Scope) -> list[dict[str, Any]]:
    """The admin sees every fault; a tenant its own."""
    return [f for f in rt.faults.list() if scope.admin or f["tenant_key"] == scope.tenant_key]


def clear_faults(rt: Runtime, scope: Scope) -> None:
    rt.faults.clear(scope.tenant_key)


def journal(rt: Runtime, scope: Scope, wanted: JournalFilter, limit: int) -> list[dict[str, Any]]:
    """The newest calls matching `wanted`, within the scope (a tenant's filter is pinned to it)."""
    return rt.journal.entries(wanted.within(scope.tenant_key), limit)


def journal_entry(rt: Runtime, scope: Scope, entry_id: int) -> dict[str, Any] | None:
    """One call with its bodies, when the scope may see it."""
    return rt.journal.entry(entry_id, scope.tenant_key)


def journal_count(rt: Runtime, scope: Scope, wanted: JournalFilter) -> JournalCount:
    """How many calls match `wanted` within the scope (WireMock's `verify`)."""
    return rt.journal.count(wanted.within(scope.tenant_key))
