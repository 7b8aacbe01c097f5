"""Tenant access tokens as an httpx auth flow, for sync and async clients alike.

The flow fetches `POST /open-apis/auth/v3/tenant_access_token/internal` on the request's own base URL,
with the request's own timeout, through the client's own transport (so its retry policy too); it
caches the token until `refresh_margin` seconds before its `expire`, and when a call answers 99991663
(invalid token) or 99991677 (expired token) it fetches a new token once and resends the call, as
httpx's DigestAuth answers a challenge. The flow raises nothing for the call's answer: the client
raises its typed error once the flow is done (http.py).

One `TenantTokenAuth` may serve any number of threads and event loops, one after another or at the
same time: callers that need a token while one is being fetched wait for that fetch (threads on an
event, coroutines on a future of their own loop), so concurrent callers cause one fetch per refresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import threading
import time
from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass

import httpx
from feishu_hire_client.models.tenant_access_token_request import TenantAccessTokenRequest
from feishu_hire_client.models.tenant_access_token_response import TenantAccessTokenResponse

from feishu_hire_kit.client.errors import error_from_response, raise_for_feishu, token_path
from feishu_hire_kit.client.http import JSON_UTF8

logger = logging.getLogger(__package__)

REFRESH_CODES = frozenset({99991663, 99991677})
"""Answers after which the token is fetched anew and the call resent, once."""


@dataclass(frozen=True)
class _Token:
    value: str
    expires_at: float  # on the auth's clock


class _Fetch:
    """One token fetch in progress. Threads and coroutines of any event loop wait for its outcome."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None) -> None:
        self.loop = loop  # the event loop of the coroutine fetching, None for a thread
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._futures: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self.token: _Token | None = None
        self.error: BaseException | None = None

    def finish(self, token: _Token | None, error: BaseException | None) -> None:
        with self._lock:
            self.token, self.error = token, error
            self._done.set()
            futures, self._futures = self._futures, []
        for loop, future in futures:
            with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits there any more
                loop.call_soon_threadsafe(_resolve, future)

    def wait(self) -> None:
        if self.loop is not None and self.loop is _running_loop():
            # This thread runs the loop whose coroutine fetches: blocking here, it never would.
            raise RuntimeError(
                "a sync call inside a running event loop waits for a token that a coroutine of the "
                "same loop is fetching: use the async functions (`asyncio`, `asyncio_detailed`) there"
            )
        self._done.wait()

    async def async_wait(self) -> None:
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._done.is_set():
                return
            future: asyncio.Future[None] = loop.create_future()
            self._futures.append((loop, future))
        await future


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


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
        self._lock = threading.Lock()  # held for a few lines only, never while a fetch is awaited
        self._fetch: _Fetch | None = None

    def __repr__(self) -> str:  # never shows the secret
        return f"TenantTokenAuth(app_id={self.app_id!r})"

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.read()  # the call may be sent twice
        stale: _Token | None = None
        for first in (True, False):  # the call, then once more after a refresh
            token = self._cached(stale)
            while token is None:
                token, fetch, mine = self._join(stale)
                if fetch is None:
                    break
                if not mine:
                    fetch.wait()
                    token = self._outcome(fetch, stale)
                    continue
                try:
                    answer = yield self._token_request(request)
                    answer.read()
                    token = self._store(answer)
                finally:
                    self._finish(fetch, token)
            assert token is not None  # the loop ends with one
            response = yield _authorized(request, token)
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
            while token is None:
                token, fetch, mine = self._join(stale, asyncio.get_running_loop())
                if fetch is None:
                    break
                if not mine:
                    await fetch.async_wait()
                    token = self._outcome(fetch, stale)
                    continue
                try:
                    answer = yield self._token_request(request)
                    await answer.aread()
                    token = self._store(answer)
                finally:
                    self._finish(fetch, token)
            assert token is not None  # the loop ends with one
            response = yield _authorized(request, token)
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

    def _join(
        self, stale: _Token | None, loop: asyncio.AbstractEventLoop | None = None
    ) -> tuple[_Token | None, _Fetch | None, bool]:
        """(a usable token, None, False), or the fetch to wait for and whether this caller makes it
        (from a coroutine of `loop`, or from a thread when None)."""
        with self._lock:
            token = self._cached(stale)
            if token is not None:
                return token, None, False
            if self._fetch is not None:
                return None, self._fetch, False
            self._fetch = _Fetch(loop)
            return None, self._fetch, True

    def _finish(self, fetch: _Fetch, token: _Token | None) -> None:
        """End this caller's fetch; a failed one hands its error (if known) to those who waited."""
        error = None if token is not None else _failure()
        with self._lock:
            if self._fetch is fetch:
                self._fetch = None
        fetch.finish(token, error)

    def _outcome(self, fetch: _Fetch, stale: _Token | None) -> _Token | None:
        """After waiting: the fetched token, the fetch's error raised, or None to try again (the
        fetcher was cancelled or closed without an error of its own)."""
        if fetch.token is not None:
            return self._cached(stale) or fetch.token
        if isinstance(fetch.error, Exception):
            raise fetch.error
        return None

    def _token_request(self, request: httpx.Request) -> httpx.Request:
        # Same origin (and path prefix, if Feishu sits behind one) and same timeout as the call.
        path = request.url.path
        prefix = path[: path.find("/open-apis/")] if "/open-apis/" in path else ""
        body = TenantAccessTokenRequest(app_id=self.app_id, app_secret=self._app_secret)
        extensions = {"timeout": request.extensions["timeout"]} if "timeout" in request.extensions else {}
        logger.info("fetching a tenant access token for app %s", self.app_id)
        return httpx.Request(
            "POST",
            request.url.copy_with(path=prefix + token_path(), query=None),
            json=body.to_dict(),
            headers={"Content-Type": JSON_UTF8},
            extensions=extensions,
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
        token = _Token(answer.tenant_access_token, self._clock() + answer.expire - margin)
        self._token = token
        logger.info(
            "got a tenant access token valid for %d s (refreshing %.0f s early)", answer.expire, margin
        )
        return token


def _failure() -> BaseException | None:
    """The exception that is ending a fetch: the token endpoint's typed error, or, when httpx closes
    the flow because sending failed (e.g. a timeout), the failure it was handling then."""
    error = sys.exc_info()[1]
    if isinstance(error, GeneratorExit) and isinstance(error.__context__, Exception):
        return error.__context__
    return error


def _authorized(request: httpx.Request, token: _Token) -> httpx.Request:
    request.headers["Authorization"] = f"Bearer {token.value}"
    return request


def _needs_refresh(response: httpx.Response) -> bool:
    error = error_from_response(response)
    if error is not None and error.code in REFRESH_CODES:
        logger.warning("%s; fetching a new token and resending once", error)
        return True
    return False
