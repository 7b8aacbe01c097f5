"""Tenant access tokens: issue (reusing a token with more than 30 minutes left) and check on every call.

Each token belongs to one app and so to one tenant; a business call sees only its tenant's data.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from mockserver.errors import (
    INVALID_CREDENTIALS,
    INVALID_TOKEN,
    MALFORMED_TOKEN,
    MISSING_TOKEN,
    TOKEN_EXPIRED,
    FeishuAPIError,
)
from mockserver.storage import Store

TOKEN_LIFETIME = 7200
# Asked again with more than this left, the platform answers the same token.
REUSE_WHILE_LEFT = 1800
# Expired tokens are kept a day, so they answer 99991677 (expired) rather than 99991663 (unknown).
KEEP_EXPIRED = 86400


@dataclass(frozen=True)
class Caller:
    app_id: str
    tenant_key: str


def refused() -> FeishuAPIError:
    # Seen live: HTTP 200, a non-zero code, an empty `data` and no token.
    return FeishuAPIError(INVALID_CREDENTIALS, data={})


def issue_token(store: Store, now: float, body: Any) -> dict[str, Any]:
    """`{"tenant_access_token", "expire"}` for `{"app_id", "app_secret"}`, or 10003."""
    app_id, app_secret = body.get("app_id"), body.get("app_secret")
    if not isinstance(app_id, str) or not isinstance(app_secret, str):
        raise refused()
    with store.transaction() as queries:
        app = queries.app(app_id)
        # Compared as bytes: compare_digest refuses str with non-ASCII characters.
        if app is None or not secrets.compare_digest(app["app_secret"].encode(), app_secret.encode()):
            raise refused()
        current = queries.freshest_token(app_id)
        if current is not None and current["expires_at"] - now > REUSE_WHILE_LEFT:
            return {"tenant_access_token": current["token"], "expire": int(current["expires_at"] - now)}
        queries.prune_tokens(expired_before=now - KEEP_EXPIRED)
        token = "t-" + secrets.token_hex(20)
        queries.insert_token(token, app, issued_at=now, expires_at=now + TOKEN_LIFETIME)
    return {"tenant_access_token": token, "expire": TOKEN_LIFETIME}


def authenticate(store: Store, now: float, authorization: str | None) -> Caller:
    """The app behind `Authorization: Bearer t-…`, or the platform's token errors."""
    if not authorization or not authorization.startswith("Bearer "):
        raise FeishuAPIError(MISSING_TOKEN)
    token = authorization.removeprefix("Bearer ").strip()
    if not token:
        raise FeishuAPIError(MISSING_TOKEN)
    if not token.startswith(("t-", "u-")):
        raise FeishuAPIError(MALFORMED_TOKEN)
    found = store.token(token)
    if found is None:
        raise FeishuAPIError(INVALID_TOKEN)
    if found["expires_at"] <= now:
        raise FeishuAPIError(TOKEN_EXPIRED)
    return Caller(app_id=found["app_id"], tenant_key=found["tenant_key"])
