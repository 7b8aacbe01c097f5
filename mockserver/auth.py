"""Who calls: the tenant access token of every business call, checked before anything else.

Each token belongs to one app and so to one tenant; a business call sees only its tenant's data. Tokens
are issued by the token endpoint's behaviour (`operations/tenant_access_token.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

from mockserver.clock import Clock
from mockserver.errors import (
    INVALID_TOKEN,
    MALFORMED_TOKEN,
    MISSING_TOKEN,
    TOKEN_EXPIRED,
    FeishuAPIError,
)
from mockserver.storage import Store


@dataclass(frozen=True)
class Caller:
    app_id: str
    tenant_key: str


def authenticate(store: Store, clock: Clock, authorization: str | None, now: float) -> Caller:
    """The app behind `Authorization: Bearer t-…`, or the platform's token errors (expiry on the
    clock of the token's tenant, at the instant the server's clock read `now`)."""
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
    if found["expires_at"] <= clock.tenant_now(found["tenant_key"], now):
        raise FeishuAPIError(TOKEN_EXPIRED)
    return Caller(app_id=found["app_id"], tenant_key=found["tenant_key"])
