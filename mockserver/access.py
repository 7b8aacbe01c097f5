"""Who may drive the sandbox: the control plane (`/mock-api/`) and the console (`/mock-ui/`) act for a
`Scope`, either the admin (everything) or one tenant (its data, calls, faults and clock only).

A control-plane call is scoped by its `Authorization` header, from anywhere, loopback included:
`Bearer <admin token>` is the admin, `Bearer <tenant access token>` (what the tenant's own app gets from
the token endpoint) is that tenant; any other header is refused. A call without one is the admin when it
comes from loopback, unless the server is hosted (`MockConfig.hosted`), which trusts no address: behind
a reverse proxy on the same host every caller would be loopback. The proxy's forwarded headers are
believed only from proxies the server was told about (`mockserver.proxies`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from mockserver.proxies import is_loopback
from mockserver.runtime import Runtime


@dataclass(frozen=True)
class Scope:
    """What a caller may see and change: everything (`tenant_key` None) or one tenant's slice."""

    tenant_key: str | None = None

    @property
    def admin(self) -> bool:
        return self.tenant_key is None

    def to_json(self) -> dict[str, Any]:
        """The answer of `GET /mock-api/scope` (the contract suite reads it)."""
        if self.tenant_key is None:
            return {"scope": "admin"}
        return {"scope": "tenant", "tenant_key": self.tenant_key}


ADMIN = Scope()


class AccessDenied(Exception):
    """The caller may not do this: `status` 401 (who are you?) or 403 (not you, not here)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def same_secret(given: str, expected: str) -> bool:
    # Compared as bytes: compare_digest refuses str with non-ASCII characters.
    return secrets.compare_digest(given.encode(), expected.encode())


def trusts_address(rt: Runtime, remote_addr: str | None) -> bool:
    """True when the caller's address alone makes it the admin: loopback, on a server that is not hosted."""
    return not rt.config.hosted and is_loopback(remote_addr)


def is_admin_token(rt: Runtime, token: str) -> bool:
    expected = rt.config.admin_token
    return expected is not None and same_secret(token, expected)


def tenant_of_token(rt: Runtime, token: str) -> str | None:
    """The tenant of a live tenant access token, or None (unknown, expired, or not a token)."""
    if not token.startswith("t-"):
        return None
    row = rt.store.token(token)
    if row is None or row["expires_at"] <= rt.clock.now(row["tenant_key"]):
        return None
    tenant_key: str = row["tenant_key"]
    return tenant_key


def control_scope(rt: Runtime, authorization: str | None, remote_addr: str | None) -> Scope:
    """The scope of a control-plane call, or `AccessDenied`."""
    if authorization:
        if not authorization.startswith("Bearer "):
            raise AccessDenied(401, "Authorization must be Bearer <admin token> or <tenant access token>")
        token = authorization.removeprefix("Bearer ").strip()
        if is_admin_token(rt, token):
            return ADMIN
        tenant_key = tenant_of_token(rt, token)
        if tenant_key is not None:
            return Scope(tenant_key)
        raise AccessDenied(401, "the bearer token is neither the admin token nor a live tenant access token")
    if trusts_address(rt, remote_addr):
        return ADMIN
    if rt.config.admin_token is None and not rt.config.hosted:
        raise AccessDenied(
            403, "the control plane answers loopback only (start the server with an admin token)"
        )
    raise AccessDenied(
        401, "the control plane needs Authorization: Bearer <admin token> or <tenant access token>"
    )
