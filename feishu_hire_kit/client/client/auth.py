"""Tenant access tokens as an httpx auth flow, for sync and async clients alike.

The flow fetches `POST /open-apis/auth/v3/tenant_access_token/internal` on the request's own base URL,
caches the token until `refresh_margin` seconds before its `expire`, and when a call answers 99991663
(invalid token) or 99991677 (expired token) it fetches a new token once and resends the call.
Concurrent calls wait for one fetch (a thread lock for sync clients, an asyncio lock for async ones).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass

import httpx
from feishu_hire_client.models.tenant_access_token_request import TenantAccessTokenRequest
from feishu_hire_client.models.tenant_access_token_response import TenantAccessTokenResponse

from feishu_hire_kit.client.errors import error_from_response, raise_for_feishu, token_path

logger = logging.getLogger(__package__)

REFRESH_CODES = frozenset({99991663, 99991677})
"""Answers after which the token is fetched anew and the call resent, once."""

DEFERRED_CODES_EXTENSION = "feishu_hire_kit.deferred_codes"
"""Request extension: codes this flow still handles itself, so a response hook must not raise them."""


@dataclass(frozen=True)
class _Token:
    value: str
    expires_at: float  # on the auth's clock


class TenantTokenAuth(httpx.Auth):
    """`Authorization: Bearer t-…` for a self-built app, fetched, cached and refreshed."""

    def __init__(
        self,
        app_id: str,
        app_secret: str,
        *,
        refresh_margin: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app_id = app_id
        self._app_secret = app_secret
        self.refresh_margin = refresh_margin
        self._clock = clock
        self._token: _Token | None = None
        self._thread_lock = threading.Lock()
        self._async_lock = asyncio.Lock()

    def __repr__(self) -> str:  # never shows the secret
        return f"TenantTokenAuth(app_id={self.app_id!r})"

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.read()  # the call may be sent twice
        stale: _Token | None = None
        for first in (True, False):  # the call, then once more after a refresh
            token = self._cached(stale)
            if token is None:
                with self._thread_lock:
                    token = self._cached(stale)  # another thread may have fetched it while we waited
                    if token is None:
                        answer = yield self._token_request(request)
                        answer.read()
                        token = self._store(answer)
            response = yield _authorized(request, token, first=first)
            if not first:
                return
            response.read()
            if not _needs_refresh(response):
                return
            stale = token

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        # The twin of sync_auth_flow; an async generator cannot delegate with `yield from`.
        await request.aread()
        stale: _Token | None = None
        for first in (True, False):
            token = self._cached(stale)
            if token is None:
                async with self._async_lock:
                    token = self._cached(stale)
                    if token is None:
                        answer = yield self._token_request(request)
                        await answer.aread()
                        token = self._store(answer)
            response = yield _authorized(request, token, first=first)
            if not first:
                return
            await response.aread()
            if not _needs_refresh(response):
                return
            stale = token

    def _cached(self, stale: _Token | None) -> _Token | None:
        """The cached token unless it is missing, `stale` (answered 99991663/99991677) or due."""
        token = self._token
        if token is None or token == stale or self._clock() >= token.expires_at:
            return None
        return token

    def _token_request(self, request: httpx.Request) -> httpx.Request:
        # Same origin (and path prefix, if Feishu sits behind one) as the call being authorized.
        path = request.url.path
        prefix = path[: path.find("/open-apis/")] if "/open-apis/" in path else ""
        body = TenantAccessTokenRequest(app_id=self.app_id, app_secret=self._app_secret)
        logger.info("fetching a tenant access token for app %s", self.app_id)
        return httpx.Request(
            "POST", request.url.copy_with(path=prefix + token_path(), query=None), json=body.to_dict()
        )

    def _store(self, response: httpx.Response) -> _Token:
        """Cache the token of a token endpoint answer (body read), or raise its typed error."""
        raise_for_feishu(response)
        response.raise_for_status()
        answer = TenantAccessTokenResponse.from_dict(response.json())
        if not isinstance(answer.tenant_access_token, str) or not isinstance(answer.expire, int):
            raise RuntimeError(f"the token endpoint answered code 0 without a token: {response.text[:200]}")
        # Short-lived tokens (a mock's) would otherwise be stale at once.
        margin = min(self.refresh_margin, answer.expire / 2)
        self._token = _Token(answer.tenant_access_token, self._clock() + answer.expire - margin)
        logger.info(
            "got a tenant access token valid for %d s (refreshing %.0f s early)", answer.expire, margin
        )
        return self._token


def _authorized(request: httpx.Request, token: _Token, *, first: bool) -> httpx.Request:
    request.headers["Authorization"] = f"Bearer {token.value}"
    request.extensions = {
        **request.extensions,
        DEFERRED_CODES_EXTENSION: REFRESH_CODES if first else frozenset(),
    }
    return request


def _needs_refresh(response: httpx.Response) -> bool:
    error = error_from_response(response)
    if error is not None and error.code in REFRESH_CODES:
        logger.warning("%s; fetching a new token and resending once", error)
        return True
    return False
