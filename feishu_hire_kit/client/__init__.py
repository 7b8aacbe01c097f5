"""The generated `feishu_hire_client`, made safe to use against Feishu: `connect()`.

    client = connect(app_id, app_secret)
    user = create_website_site_user.sync("1618209327096", client=client, body=...)

The returned `FeishuClient` is a generated `feishu_hire_client.RaisingClient`; its httpx clients
(sync and async, http.py) carry three things on every request they send, the token fetch included:
- `TenantTokenAuth`: fetches, caches and refreshes the tenant access token (auth.py), for any number
  of threads and event loops;
- a retry transport (retry.py): 99991400 waits `x-ogw-ratelimit-reset`; 1002619, 1002001, 5xx,
  connection errors and timeouts back off exponentially with jitter; bounded; `retries=None` turns
  it off. An operation whose spec does not declare it `x-feishu-resend-safe` is resent only after a
  failure before sending (a connect error or timeout, a pool timeout);
- the client's `timeout` (connect, read, write, pool), so no call waits without end;
and, once the auth flow is done, the answer's typed `FeishuError` (errors.py) is raised for any
non-zero `code`, `httpx.HTTPStatusError` for a failed answer that is no Feishu envelope. The API
functions therefore return the success model or raise, and are typed so (their overloads for a
`RaisingClient`); `*_detailed` calls raise the same way.

`with_headers`, `with_cookies`, `with_timeout` (and `attrs.evolve`) derive a `FeishuClient` with the
same token cache, retry policy and transports given to `connect()`, and httpx clients of its own.
"""

from __future__ import annotations

from typing import Any

import httpx
from attrs import define, evolve, field
from feishu_hire_client.client import RaisingClient

from feishu_hire_kit.client import http
from feishu_hire_kit.client.auth import TenantTokenAuth
from feishu_hire_kit.client.errors import (
    AuthError,
    ConcurrencyConflictError,
    CredentialsError,
    FeishuError,
    InvalidParameterError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    error_from_response,
    raise_for_feishu,
)
from feishu_hire_kit.client.retry import (
    DEFAULT_RETRY_POLICY,
    AsyncRetryTransport,
    RetryPolicy,
    RetryTransport,
)

__all__ = [
    "DEFAULT_RETRY_POLICY",
    "AuthError",
    "ConcurrencyConflictError",
    "CredentialsError",
    "FeishuClient",
    "FeishuError",
    "InvalidParameterError",
    "NotFoundError",
    "RateLimitedError",
    "RetryPolicy",
    "ServerError",
    "TenantTokenAuth",
    "connect",
    "error_from_response",
    "raise_for_feishu",
]

FEISHU_BASE_URL = "https://open.feishu.cn"
DEFAULT_TIMEOUT = httpx.Timeout(10.0)
# httpx arguments a FeishuClient sets itself: passing them in `httpx_args` would drop its safety.
_OWN_HTTPX_ARGS = frozenset({"auth", "transport", "base_url"})


@define
class FeishuClient(RaisingClient):
    """The generated client, its httpx clients built by `connect()`'s rules; see the module docstring.

    Construct it with `connect()`. Derived clients (`with_headers`, `with_cookies`, `with_timeout`,
    `attrs.evolve`) are FeishuClients too; `set_httpx_client` and `set_async_httpx_client` raise, since
    a client set from outside would carry neither tokens, retries nor typed errors.
    """

    _auth: TenantTokenAuth = field(kw_only=True, alias="auth")
    _retries: RetryPolicy | None = field(kw_only=True, alias="retries")
    _transport: httpx.BaseTransport | None = field(default=None, kw_only=True, alias="transport")
    _async_transport: httpx.AsyncBaseTransport | None = field(
        default=None, kw_only=True, alias="async_transport"
    )

    def __attrs_post_init__(self) -> None:
        if not self.raise_on_unexpected_status:
            raise ValueError(
                "raise_on_unexpected_status must stay True: the API functions of a FeishuClient rely on it"
            )
        timeout = (self._timeout or httpx.Timeout(None)).as_dict()
        unbounded = "/".join(phase for phase, seconds in timeout.items() if seconds is None)
        if unbounded:
            raise ValueError(f"a FeishuClient bounds every wait: give the timeout a {unbounded} value")
        overridden = _OWN_HTTPX_ARGS & self._httpx_args.keys()
        if overridden:
            raise ValueError(
                f"httpx_args may not set {sorted(overridden)}: pass transport=/async_transport=/auth= "
                "to connect() instead"
            )
        sync_transport = self._transport or httpx.HTTPTransport(verify=self._verify_ssl)
        async_transport = self._async_transport or httpx.AsyncHTTPTransport(verify=self._verify_ssl)
        if self._retries is not None:
            sync_transport = RetryTransport(sync_transport, self._retries)
            async_transport = AsyncRetryTransport(async_transport, self._retries)
        common: dict[str, Any] = {
            "base_url": self._base_url,
            "cookies": self._cookies,
            "headers": self._headers,
            "timeout": self._timeout,
            "follow_redirects": self._follow_redirects,
            "auth": self._auth,
            **self._httpx_args,
        }
        self._client = http.Client(transport=sync_transport, **common)
        self._async_client = http.AsyncClient(transport=async_transport, **common)

    # The generated with_* also change the httpx clients of the client they derive from; these leave
    # it as it was.
    def with_headers(self, headers: dict[str, str]) -> FeishuClient:
        """A new client like this one (same tokens, retries, typed errors) with these headers added."""
        return evolve(self, headers={**self._headers, **headers})

    def with_cookies(self, cookies: dict[str, str]) -> FeishuClient:
        """A new client like this one (same tokens, retries, typed errors) with these cookies added."""
        return evolve(self, cookies={**self._cookies, **cookies})

    def with_timeout(self, timeout: httpx.Timeout) -> FeishuClient:
        """A new client like this one (same tokens, retries, typed errors) with this timeout."""
        return evolve(self, timeout=timeout)

    def set_httpx_client(self, client: httpx.Client) -> FeishuClient:
        raise TypeError(
            "a FeishuClient builds its own httpx clients (tokens, retries, typed errors): give "
            "connect() a transport=, or derive one with with_headers/with_cookies/with_timeout"
        )

    def set_async_httpx_client(self, async_client: httpx.AsyncClient) -> FeishuClient:
        raise TypeError(
            "a FeishuClient builds its own httpx clients (tokens, retries, typed errors): give "
            "connect() an async_transport=, or derive one with with_headers/with_cookies/with_timeout"
        )


def connect(
    app_id: str,
    app_secret: str,
    base_url: str = FEISHU_BASE_URL,
    *,
    retries: RetryPolicy | None = DEFAULT_RETRY_POLICY,
    transport: httpx.BaseTransport | None = None,
    async_transport: httpx.AsyncBaseTransport | None = None,
    timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
    auth: TenantTokenAuth | None = None,
) -> FeishuClient:
    """A `FeishuClient` for the app, safe to use from sync and async code.

    `transport`/`async_transport` replace the network (e.g. the mock's `httpx.WSGITransport`, or
    `httpx.MockTransport`); retries wrap whichever is used, and derived clients share it. Pass `auth`
    to share one token cache between clients or to give it another clock.
    """
    return FeishuClient(
        base_url=base_url,
        timeout=timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout),
        raise_on_unexpected_status=True,
        auth=auth if auth is not None else TenantTokenAuth(app_id, app_secret),
        retries=retries,
        transport=transport,
        async_transport=async_transport,
    )
