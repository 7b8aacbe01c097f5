"""Tenant access token of a self-built app: issued for the app's credentials, reusing a token with more
than 30 minutes left. Wrong credentials are refused with 10003 (HTTP 200, as the platform answers)."""

from __future__ import annotations

import secrets
from typing import Any

from mockserver.errors import INVALID_CREDENTIALS, FeishuAPIError
from mockserver.operations.invocation import Invocation
from mockserver.storage import Store

TOKEN_LIFETIME = 7200
# Asked again with more than this left, the platform answers the same token.
REUSE_WHILE_LEFT = 1800
# Expired tokens are kept a day, so they answer 99991677 (expired) rather than 99991663 (unknown).
KEEP_EXPIRED = 86400


def tenant_access_token_internal(store: Store, invocation: Invocation) -> dict[str, Any]:
    app_id: str = invocation.body["app_id"]
    app_secret: str = invocation.body["app_secret"]
    invocation.app_id = app_id
    invocation.work()
    server_now = invocation.now
    with store.transaction() as queries:
        app = queries.app(app_id)
        # Compared as bytes: compare_digest refuses str with non-ASCII characters.
        if app is None or not secrets.compare_digest(app["app_secret"].encode(), app_secret.encode()):
            raise FeishuAPIError(INVALID_CREDENTIALS)
        invocation.journal_tenant = tenant_key = app["tenant_key"]
        # Lifetimes run on the app's tenant's clock (a tenant may have moved its own ahead).
        now = server_now if invocation.tenant_now is None else invocation.tenant_now(tenant_key)
        current = queries.freshest_token(app_id)
        if current is not None and current["expires_at"] - now > REUSE_WHILE_LEFT:
            return {"tenant_access_token": current["token"], "expire": int(current["expires_at"] - now)}
        # On the server's clock, which no tenant's is behind: no tenant loses a token it may still use.
        queries.prune_tokens(expired_before=server_now - KEEP_EXPIRED)
        token = "t-" + secrets.token_hex(20)
        queries.insert_token(token, app, issued_at=now, expires_at=now + TOKEN_LIFETIME)
    return {"tenant_access_token": token, "expire": TOKEN_LIFETIME}
