"""The retry policy, applied as an httpx transport so every request (the token fetch too) gets it.

Retried, bounded by `attempts` and `max_total_wait`:
- 99991400 (rate limited): wait `x-ogw-ratelimit-reset` seconds, capped at `rate_limit_wait_max`
  (exponential backoff when the header is missing);
- 1002619 (concurrency conflict), 1002001 (system error), any HTTP 5xx and connection errors:
  exponential backoff with jitter.
Never retried: 1002002 and every other code (auth errors get their one refresh in `auth.py`).

Only an operation the spec declares `x-feishu-resend-safe` (a repeat ends in the same state) is resent
once its request may have reached Feishu; any other request (another operation, a path the spec lacks)
is resent only after a failure before sending (`UNSENT_EXCEPTIONS`), and otherwise answered or raised
as it came.

The loop is tenacity's (stamina's engine), used directly because its `sleep` is per instance (tests
inject a recorder, nothing really sleeps) and its hooks are per instance (no process-wide setup).
Each retry and each give-up is logged on the "feishu_hire_kit.client" logger.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import tenacity

from feishu_hire_kit.client.errors import (
    ConcurrencyConflictError,
    FeishuError,
    RateLimitedError,
    ServerError,
    error_from_response,
)
from feishu_hire_kit.spec import operations

logger = logging.getLogger(__package__)

RETRIED_ERRORS: tuple[type[FeishuError], ...] = (RateLimitedError, ConcurrencyConflictError, ServerError)
RETRIED_EXCEPTIONS: tuple[type[Exception], ...] = (
    httpx.NetworkError,
    httpx.TimeoutException,
    httpx.RemoteProtocolError,
)
"""Failures to reach Feishu or to get its whole answer: resent when the operation is resend-safe."""
UNSENT_EXCEPTIONS: tuple[type[Exception], ...] = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
"""Failures before the request was sent: resent for any request."""


class _RetryableAnswer(Exception):
    """Raised inside an attempt to make tenacity retry an answer; never leaves this module."""

    def __init__(self, response: httpx.Response, error: FeishuError | None) -> None:
        self.response = response
        self.error = error
        super().__init__(_describe_answer(response, error))


_EXHAUSTIBLE: tuple[type[Exception], ...] = (_RetryableAnswer, *RETRIED_EXCEPTIONS)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry. Pass `retries=None` to `connect()` to opt out."""

    attempts: int = 5
    """Total attempts, the first included."""
    max_total_wait: float | None = 60.0
    """Give up rather than wait more than this many seconds in all (None: attempts alone bound it)."""
    wait_initial: float = 0.5
    wait_max: float = 10.0
    wait_jitter: float = 0.5
    """Backoff before retry n: min(wait_initial * 2**(n-1), wait_max) + uniform(0, wait_jitter)."""
    rate_limit_wait_max: float = 60.0
    """Cap on waiting for `x-ogw-ratelimit-reset`."""
    sleep: Callable[[float], None] = time.sleep
    async_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts counts the first one too: it must be >= 1")

    def wait_seconds(self, retry_state: tenacity.RetryCallState) -> float:
        """The wait before the next attempt: the reset header when rate limited, else backoff."""
        failure = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(failure, _RetryableAnswer) and isinstance(failure.error, RateLimitedError):
            reset = failure.error.reset_seconds
            if reset is not None:
                return min(max(reset, 0.0), self.rate_limit_wait_max)
        return float(self._backoff(retry_state))

    @property
    def _backoff(self) -> tenacity.wait.wait_base:
        return tenacity.wait_exponential(
            multiplier=self.wait_initial, max=self.wait_max
        ) + tenacity.wait_random(0, self.wait_jitter)

    def _retrying_kwargs(self, request: httpx.Request, safe: bool) -> dict[str, Any]:
        return {
            "stop": tenacity.stop_after_attempt(self.attempts) | _WaitBudget(self.max_total_wait),
            "wait": self.wait_seconds,
            "retry": tenacity.retry_if_exception_type(_EXHAUSTIBLE if safe else UNSENT_EXCEPTIONS),
            "before_sleep": lambda state: _log_retry(request, state, self.attempts),
            "reraise": True,
        }

    def retrying(self, request: httpx.Request, safe: bool = True) -> tenacity.Retrying:
        """The loop for `request`; `safe`: it may be resent after it may have reached Feishu."""
        return tenacity.Retrying(sleep=self.sleep, **self._retrying_kwargs(request, safe))

    def async_retrying(self, request: httpx.Request, safe: bool = True) -> tenacity.AsyncRetrying:
        return tenacity.AsyncRetrying(sleep=self.async_sleep, **self._retrying_kwargs(request, safe))


DEFAULT_RETRY_POLICY = RetryPolicy()


class _WaitBudget(tenacity.stop.stop_base):
    """Stop before the waits would add up to more than `budget` seconds.

    It counts the waits themselves, not the clock, so the bound holds with an injected sleep too.
    """

    def __init__(self, budget: float | None) -> None:
        self.budget = budget

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        return self.budget is not None and retry_state.idle_for + retry_state.upcoming_sleep > self.budget


class RetryTransport(httpx.BaseTransport):
    """Wraps a transport; resends per `policy`, answers the last response once attempts run out."""

    def __init__(self, inner: httpx.BaseTransport, policy: RetryPolicy = DEFAULT_RETRY_POLICY) -> None:
        self.inner = inner
        self.policy = policy

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()  # buffered, so every attempt sends the same body
        try:
            # Most calls succeed at once: only a failed first attempt pays for tenacity's machinery
            # and for looking up whether the operation is resend-safe.
            return self._attempt(request)
        except _EXHAUSTIBLE as failure:
            first: Exception | None = failure
        safe = resend_safe(request)
        if not safe and not isinstance(first, UNSENT_EXCEPTIONS):
            return _not_resent(request, first)
        retrying = self.policy.retrying(request, safe)
        try:
            for attempt in retrying:
                with attempt:
                    first, replay = None, first
                    if replay is not None:
                        raise replay  # tenacity counts, logs and waits for the first attempt too
                    response = self._attempt(request)
        except _EXHAUSTIBLE as exhausted:
            return _give_up(request, retrying, exhausted)
        return response

    def _attempt(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        response.read()
        _raise_if_retryable(response)
        return response

    def close(self) -> None:
        self.inner.close()


class AsyncRetryTransport(httpx.AsyncBaseTransport):
    """The async twin of `RetryTransport`, same policy."""

    def __init__(self, inner: httpx.AsyncBaseTransport, policy: RetryPolicy = DEFAULT_RETRY_POLICY) -> None:
        self.inner = inner
        self.policy = policy

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        try:
            return await self._attempt(request)
        except _EXHAUSTIBLE as failure:
            first: Exception | None = failure
        safe = resend_safe(request)
        if not safe and not isinstance(first, UNSENT_EXCEPTIONS):
            return _not_resent(request, first)
        retrying = self.policy.async_retrying(request, safe)
        try:
            async for attempt in retrying:
                with attempt:
                    first, replay = None, first
                    if replay is not None:
                        raise replay
                    response = await self._attempt(request)
        except _EXHAUSTIBLE as exhausted:
            return _give_up(request, retrying, exhausted)
        return response

    async def _attempt(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        await response.aread()
        _raise_if_retryable(response)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def _not_resent(request: httpx.Request, failure: Exception | None) -> httpx.Response:
    """The answer (or the failure, raised) of a request that may have reached Feishu and whose
    operation is not resend-safe."""
    logger.warning(
        "%s %s failed with %s; not resending it: its operation is not declared resend-safe",
        request.method,
        request.url.path,
        failure if isinstance(failure, _RetryableAnswer) else repr(failure),
    )
    if isinstance(failure, _RetryableAnswer):
        return failure.response
    assert failure is not None
    raise failure


def resend_safe(request: httpx.Request) -> bool:
    """Whether the spec declares the request's operation `x-feishu-resend-safe` (a path prefix before
    `/open-apis/`, e.g. a reverse proxy's, is allowed)."""
    path = request.url.path
    return any(method == request.method and route.search(path) for method, route in _resend_safe_routes())


@functools.cache
def _resend_safe_routes() -> tuple[tuple[str, re.Pattern[str]], ...]:
    routes = []
    for operation in operations().values():
        if operation.resend_safe:
            parts = re.split(r"\{[^}]+\}", operation.path)
            routes.append((operation.method, re.compile("[^/]+".join(map(re.escape, parts)) + "/?$")))
    return tuple(routes)


def _raise_if_retryable(response: httpx.Response) -> None:
    """Make tenacity retry an answer (body read) worth another attempt."""
    error = error_from_response(response)
    if isinstance(error, RETRIED_ERRORS) or response.status_code >= 500:
        raise _RetryableAnswer(response, error)


def _describe_answer(response: httpx.Response, error: FeishuError | None) -> str:
    if error is None:
        return f"HTTP {response.status_code}"
    return f"code {error.code} {error.msg!r} (HTTP {response.status_code}, log_id {error.log_id})"


def _log_retry(request: httpx.Request, state: tenacity.RetryCallState, attempts: int) -> None:
    failure = state.outcome.exception() if state.outcome else None
    reason = str(failure) if isinstance(failure, _RetryableAnswer) else repr(failure)
    logger.warning(
        "%s %s: attempt %d/%d failed with %s; retrying in %.2f s",
        request.method,
        request.url.path,
        state.attempt_number,
        attempts,
        reason,
        state.upcoming_sleep,
    )


def _give_up(request: httpx.Request, retrying: tenacity.BaseRetrying, exhausted: Exception) -> httpx.Response:
    """Log the give-up; answer the last response (the caller's hook raises its typed error)."""
    logger.error(
        "%s %s: giving up after %s attempt(s), last failure %s",
        request.method,
        request.url.path,
        retrying.statistics.get("attempt_number", "?"),
        exhausted if isinstance(exhausted, _RetryableAnswer) else repr(exhausted),
    )
    if isinstance(exhausted, _RetryableAnswer):
        return exhausted.response
    raise exhausted
