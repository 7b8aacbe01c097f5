"""The generated `feishu_hire_client`, made safe to use against Feishu: `connect()`.

    client = connect(app_id, app_secret)
    user = create_website_site_user.sync("1618209327096", client=client, body=...)

The returned object is the generated `feishu_hire_client.Client`; its httpx clients (sync and async) are
httpx's own, minus two costs per call Feishu's API never needs (http.py), and carry three things:
- `TenantTokenAuth`: fetches, caches and refreshes the tenant access token (auth.py);
- a retry transport (retry.py): 99991400 waits `x-ogw-ratelimit-reset`; 1002619, 1002001, 5xx and
  connection errors back off exponentially with jitter; bounded; `retries=None` turns it off;
- a response hook raising the typed `FeishuError` (errors.py) for any non-zero `code`, whatever the
  HTTP status, and `httpx.HTTPStatusError` for a failed answer that is no Feishu envelope (a plain-text
  404, a gateway's 502), so the API functions return the model on success and raise on failure. The
  error keeps `.response`; `*_detailed` calls raise the same way.

Why resending is safe for the three Hire calls: site_users is idempotent on `external_id` (a repeat
answers the existing user, unchanged); managers/batch_update *sets* the chosen roles to the given
ids (a repeat sets the same ids, it does not add to them); external_info sets the talent's external
creation time to the given value. A call whose first attempt did reach Feishu therefore ends in the
same state when it is sent again.
"""

from __future__ import annotations

import httpx
from feishu_hire_client import Client

from feishu_hire_kit.client import http
from feishu_hire_kit.client.auth import DEFERRED_CODES_EXTENSION, TenantTokenAuth
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
    "FeishuError",
    "HireClient",
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
# httpx writes JSON bodies as UTF-8; Feishu's docs ask business calls to say so.
_JSON = "application/json"
_JSON_UTF8 = "application/json; charset=utf-8"


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
) -> Client:
    """A generated `Client` for the app, safe to use from sync and async code.

    `transport`/`async_transport` replace the network (e.g. the mock's `httpx.WSGITransport`, or
    `httpx.MockTransport`); retries wrap whichever is used. Pass `auth` to share one token cache
    between clients or to give it another clock.
    """
    auth = auth if auth is not None else TenantTokenAuth(app_id, app_secret)
    timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
    sync_transport: httpx.BaseTransport = transport if transport is not None else httpx.HTTPTransport()
    a_transport: httpx.AsyncBaseTransport = (
        async_transport if async_transport is not None else httpx.AsyncHTTPTransport()
    )
    if retries is not None:
        sync_transport = RetryTransport(sync_transport, retries)
        a_transport = AsyncRetryTransport(a_transport, retries)
    # An undocumented status then raises rather than making `sync()` answer None.
    client = Client(base_url=base_url, timeout=timeout, raise_on_unexpected_status=True)
    client.set_httpx_client(
        http.Client(
            base_url=base_url,
            timeout=timeout,
            auth=auth,
            transport=sync_transport,
            event_hooks={"request": [_json_utf8], "response": [_raise_typed_error]},
        )
    )
    client.set_async_httpx_client(
        http.AsyncClient(
            base_url=base_url,
            timeout=timeout,
            auth=auth,
            transport=a_transport,
            event_hooks={"request": [_async_json_utf8], "response": [_async_raise_typed_error]},
        )
    )
    return client


HireClient = connect
"""The same factory, for those who prefer `HireClient(app_id, app_secret)`."""


def _raise_typed_error(response: httpx.Response) -> None:
    response.read()
    _raise_unless_deferred(response)


async def _async_raise_typed_error(response: httpx.Response) -> None:
    await response.aread()
    _raise_unless_deferred(response)


def _raise_unless_deferred(response: httpx.Response) -> None:
    """Raise the answer's typed error (httpx.HTTPStatusError for a non-Feishu failure), unless the
    auth flow is about to handle that code itself.

    Response hooks see every answer inside the auth flow, the first 99991663 included; that one is
    the flow's to handle (refresh and resend), and only the resent call's answer may raise.
    """
    error = error_from_response(response)
    if error is None:
        # Not an envelope: e.g. Feishu's plain-text 404, or a gateway's 502 once retries are spent.
        response.raise_for_status()
    elif error.code not in response.request.extensions.get(DEFERRED_CODES_EXTENSION, ()):
        raise error


def _json_utf8(request: httpx.Request) -> None:
    if request.headers.get("Content-Type") == _JSON:
        request.headers["Content-Type"] = _JSON_UTF8


async def _async_json_utf8(request: httpx.Request) -> None:
    _json_utf8(request)
