"""Typed Feishu errors: a non-zero `code` becomes an exception, whatever the HTTP status.

Feishu answers failures with 400, 429, 500 and sometimes 200, always as an envelope
`{"code", "msg", "data"?, "error"?}`. Which class a code gets is decided by its `family` in the
spec's one code table (`x-feishu-error-codes`); the only table here maps family -> class.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

from feishu_hire_kit.spec import ErrorFamily, error_codes, operations

LOG_ID_HEADER = "X-Tt-Logid"
N = TypeVar("N", int, float)
RATELIMIT_LIMIT_HEADER = "x-ogw-ratelimit-limit"
_ENVELOPE_EXTENSION = "feishu_hire_kit.envelope"
RATELIMIT_RESET_HEADER = "x-ogw-ratelimit-reset"


class FeishuError(Exception):
    """A Feishu answer with a non-zero `code`. `response` is the raw answer, body already read."""

    def __init__(
        self,
        *,
        code: int,
        msg: str,
        http_status: int,
        log_id: str | None,
        field_violations: list[dict[str, Any]],
        troubleshooter: str | None,
        response: httpx.Response,
    ) -> None:
        self.code = code
        self.msg = msg
        self.http_status = http_status
        self.log_id = log_id
        self.field_violations = field_violations
        self.troubleshooter = troubleshooter
        self.response = response
        super().__init__(code, msg)

    def __str__(self) -> str:
        text = f"Feishu error {self.code}: {self.msg} (HTTP {self.http_status}, log_id {self.log_id})"
        for violation in self.field_violations:
            text += f"\n  {violation.get('field')}: {violation.get('description')}"
        return text


class InvalidParameterError(FeishuError):
    """1002002: the request is wrong; retrying it unchanged cannot help."""


class ConcurrencyConflictError(FeishuError):
    """1002619: another update of the same job is in progress; retry later."""


class RateLimitedError(FeishuError):
    """99991400: over the operation's rate limit; wait `reset_seconds`, then retry."""

    @property
    def reset_seconds(self) -> float | None:
        return _number_header(self.response, RATELIMIT_RESET_HEADER, float)

    @property
    def limit(self) -> int | None:
        # Parsed as an int, not through float: a float loses digits past 2**53.
        return _number_header(self.response, RATELIMIT_LIMIT_HEADER, int)


class AuthError(FeishuError):
    """9999166x/99991677: the tenant access token is missing, invalid or expired."""


class ServerError(FeishuError):
    """1002001: Feishu's system error."""


class NotFoundError(FeishuError):
    """A resource named in the request (website, talent, job, user) does not exist."""


class CredentialsError(FeishuError):
    """The token endpoint refused the app_id/app_secret."""


# The one place a family becomes a class; the codes' families come from the spec.
FAMILY_CLASSES: dict[ErrorFamily, type[FeishuError]] = {
    "invalid_parameter": InvalidParameterError,
    "conflict": ConcurrencyConflictError,
    "rate_limited": RateLimitedError,
    "auth": AuthError,
    "server": ServerError,
    "not_found": NotFoundError,
    "credentials": CredentialsError,
}


def error_class(code: int) -> type[FeishuError]:
    """The class for a code: by its family in the spec, the base class for codes the spec lacks."""
    known = error_codes().get(code)
    return FeishuError if known is None else FAMILY_CLASSES[known.family]


def error_from_response(response: httpx.Response) -> FeishuError | None:
    """The typed error a Feishu answer carries; None on success (`code` 0) or a non-envelope body.

    The body must have been read (`response.read()` / `await response.aread()`).
    """
    body = _envelope(response)
    if body is None or body["code"] == 0:
        return None
    code: int = body["code"]
    raw_error = body.get("error")
    error: dict[str, Any] = raw_error if isinstance(raw_error, dict) else {}
    violations = error.get("field_violations")
    log_id = response.headers.get(LOG_ID_HEADER) or error.get("log_id")
    cls = error_class(code)
    if cls is FeishuError and _is_token_request(response):
        # The token endpoint's refusal codes beyond 10003 (10014, 10015, 20002) are not in the
        # spec: which one a wrong secret gets is unconfirmed. All of them mean bad credentials.
        cls = CredentialsError
    return cls(
        code=code,
        msg=str(body.get("msg", "")),
        http_status=response.status_code,
        log_id=log_id if isinstance(log_id, str) else None,
        field_violations=[v for v in violations if isinstance(v, dict)]
        if isinstance(violations, list)
        else [],
        troubleshooter=error.get("troubleshooter") if isinstance(error.get("troubleshooter"), str) else None,
        response=response,
    )


def raise_for_feishu(response: httpx.Response) -> None:
    """Raise the typed error of a failed Feishu answer (body read); do nothing on success."""
    error = error_from_response(response)
    if error is not None:
        raise error


def _envelope(response: httpx.Response) -> dict[str, Any] | None:
    """The answer's JSON envelope, parsed once per response (the retry transport, the auth flow and
    the client's `send` all ask for it)."""
    cached: tuple[dict[str, Any] | None] | None = response.extensions.get(_ENVELOPE_EXTENSION)
    if cached is None:
        cached = (_parse_envelope(response.content),)
        response.extensions[_ENVELOPE_EXTENSION] = cached
    return cached[0]


def _parse_envelope(content: bytes) -> dict[str, Any] | None:
    try:
        body = json.loads(content)
    except ValueError:  # e.g. Feishu's plain-text "404 page not found"
        return None
    code = body.get("code") if isinstance(body, dict) else None
    # bool is an int subclass; `"code": true` is not an envelope.
    if not isinstance(code, int) or isinstance(code, bool):
        return None
    return body  # type: ignore[no-any-return]


def _is_token_request(response: httpx.Response) -> bool:
    try:
        path = response.request.url.path
    except RuntimeError:  # a Response built by hand has no request
        return False
    return path.rstrip("/").endswith(token_path())


def token_path() -> str:
    """The tenant token endpoint's path, from the spec."""
    return operations()["tenant_access_token_internal"].path


def _number_header(response: httpx.Response, name: str, kind: Callable[[str], N]) -> N | None:
    try:
        value = kind(response.headers[name])
    except (KeyError, ValueError):
        return None
    # "nan" and "inf" parse as floats but are no number of seconds to wait.
    return value if math.isfinite(value) else None
