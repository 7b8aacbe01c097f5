"""Who is using the console: the `Scope` of the browser's session.

A login keeps, in a cookie signed with `MockConfig.console_secret` (HttpOnly, SameSite=Strict, Secure
when the request came over HTTPS), either the tenant of the app whose credentials were given or a
fingerprint of the admin token (a new admin token ends old admin sessions). A tenant whose apps are
gone (deleted) ends its sessions. Without a login, a loopback caller of a server that is not hosted is
the admin, as on the control plane.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Flask, Request, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from mockserver.access import ADMIN, Scope, is_admin_token, same_secret, trusts_address
from mockserver.config import MockConfig
from mockserver.console.blueprint import PREFIX
from mockserver.runtime import Runtime

COOKIE_NAME = "feishu_mock_console"
# The cookie's path: browsers send it to the console's pages only.
COOKIE_PATH = PREFIX.rstrip("/")


class ConsoleSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, Secure whenever the request itself is (behind a TLS proxy too),
    opened for the console's own paths only: the cookie's path is the console's, so no other request
    carries one, and the Feishu calls do not pay for verifying a signature that cannot be there."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not (request.path == COOKIE_PATH or request.path.startswith(PREFIX)):
            return None  # Flask then uses a null session, which is never saved
        return super().open_session(app, request)

    def get_cookie_secure(self, app: Flask) -> bool:
        current: Request = request
        return bool(current.is_secure)


def configure(app: Flask, config: MockConfig) -> None:
    app.secret_key = config.console_secret
    app.session_interface = ConsoleSessions()
    app.config.update(
        SESSION_COOKIE_NAME=COOKIE_NAME,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_PATH=COOKIE_PATH,
    )


def _fingerprint(secret: str) -> str:
    return hashlib.sha256(b"feishu-mock-console:" + secret.encode()).hexdigest()


def tenant_of_app(rt: Runtime, app_id: str, app_secret: str) -> str | None:
    """The tenant of the app, when `app_secret` is its secret."""
    with rt.store.transaction(write=False) as tx:
        app: dict[str, Any] | None = tx.app(app_id)
    if app is None or not same_secret(app_secret, app["app_secret"]):
        return None
    tenant_key: str = app["tenant_key"]
    return tenant_key


def tenant_exists(rt: Runtime, tenant_key: str) -> bool:
    with rt.store.transaction(write=False) as queries:
        return queries.tenant_exists(tenant_key)


def log_in_admin(rt: Runtime, token: str) -> bool:
    if not is_admin_token(rt, token):
        return False
    session.clear()
    session["admin"] = _fingerprint(token)
    return True


def log_in_app(rt: Runtime, app_id: str, app_secret: str) -> bool:
    tenant_key = tenant_of_app(rt, app_id, app_secret)
    if tenant_key is None:
        return False
    session.clear()
    session["tenant_key"] = tenant_key
    session["app_id"] = app_id
    return True


def log_out() -> None:
    session.clear()


def logged_in_scope(rt: Runtime) -> Scope | None:
    """The scope the session's login gives, or None (no login, or one that no longer holds)."""
    tenant_key = session.get("tenant_key")
    if isinstance(tenant_key, str):
        return Scope(tenant_key) if tenant_exists(rt, tenant_key) else None
    admin = session.get("admin")
    token = rt.config.admin_token
    if isinstance(admin, str) and token is not None and same_secret(admin, _fingerprint(token)):
        return ADMIN
    return None


def current_scope(rt: Runtime) -> Scope | None:
    """Who the browser is: its login, else the admin from a trusted loopback, else nobody (log in)."""
    found = logged_in_scope(rt)
    if found is not None:
        return found
    return ADMIN if trusts_address(rt, request.remote_addr) else None
