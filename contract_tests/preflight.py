"""Before any test runs against a URL target: is it there, and does it take the app's credentials?
One token request, no retries, a short timeout, so a wrong URL or secret fails the run in seconds with
one line naming the URL and the cause, instead of as one error per test after minutes of retries."""

from __future__ import annotations

import httpx

from feishu_hire_kit.client.errors import token_path

PREFLIGHT_TIMEOUT = 5.0
"""Seconds the target gets to answer the token request (connect and read)."""


class PreflightError(Exception):
    """Why the target cannot be tested, as one line."""


def _cause(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"no answer within {PREFLIGHT_TIMEOUT:g} s ({type(exc).__name__})"
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0]


def tenant_token(
    base_url: str,
    app_id: str | None,
    app_secret: str | None,
    *,
    transport: httpx.BaseTransport | None = None,
) -> str:
    """The app's tenant access token on `base_url`; raises PreflightError saying why there is none."""
    if not app_id or not app_secret:
        raise PreflightError(f"--target {base_url} needs --app-id and --app-secret (your app on that server)")
    url = base_url.rstrip("/") + token_path()
    try:
        with httpx.Client(timeout=PREFLIGHT_TIMEOUT, transport=transport) as http:
            answer = http.post(url, json={"app_id": app_id, "app_secret": app_secret})
    except httpx.HTTPError as exc:
        raise PreflightError(f"cannot reach {url}: {_cause(exc)}") from None
    try:
        body = answer.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or "code" not in body:
        raise PreflightError(
            f"{url} is not a Feishu token endpoint: HTTP {answer.status_code}, {answer.text[:80]!r}"
        )
    if body["code"] != 0 or not isinstance(body.get("tenant_access_token"), str):
        raise PreflightError(
            f"{url} refuses app {app_id}: code {body['code']} {body.get('msg', '')!r} "
            "(check --app-id and --app-secret)"
        )
    token: str = body["tenant_access_token"]
    return token
