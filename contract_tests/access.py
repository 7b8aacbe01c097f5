"""What the suite may do to a target beyond its app's own API calls: drive the mock's /mock-api/ control
plane (move the clock, inject faults, read the state). Those act on data that may not be the caller's, so:

- a mock the suite started itself (`--target mock|inprocess|http`): always;
- a URL target whose `GET /mock-api/scope` answers `scope: tenant` for the app's token: inside that
  tenant, every control call carrying the app's tenant token;
- any other URL target: only with `--allow-control-plane` (and `--admin-token` off loopback), else the
  control-plane tests are skipped with `why_not` as the reason.

The suite never resets or re-seeds a target: its state machine starts from whatever state it finds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from feishu_hire_kit.client import TenantTokenAuth
from mockserver.control import PREFIX, MockControl

PROBE_TIMEOUT = 5.0


@dataclass
class Access:
    """A control handle on the target (None: no control-plane tests) and, if None, why."""

    control: MockControl | None
    why_not: str = ""
    scope: str = "none"  # "owned", "tenant", "allowed" or "none"
    http: httpx.Client | None = None  # the control handle's own client, when it has one

    def close(self) -> None:
        if self.control is not None:
            self.control.close()
        if self.http is not None:
            self.http.close()


def probe_scope(
    base_url: str, token: str, transport: httpx.BaseTransport | None = None
) -> dict[str, Any] | None:
    """The `data` of `GET /mock-api/scope` asked with the app's tenant token, None where the target
    does not answer it (a server predating the probe, Feishu itself)."""
    try:
        with httpx.Client(base_url=base_url, timeout=PROBE_TIMEOUT, transport=transport) as http:
            answer = http.get(PREFIX + "scope", headers={"Authorization": f"Bearer {token}"})
        body = answer.json()
    except (httpx.HTTPError, ValueError):
        return None
    if answer.status_code != 200 or not isinstance(body, dict) or body.get("code") != 0:
        return None
    data = body.get("data")
    return data if isinstance(data, dict) else None


def _answers_control_plane(control: MockControl) -> bool:
    try:
        control.now()
    except (httpx.HTTPError, ValueError, RuntimeError):
        return False
    return True


def url_access(
    base_url: str,
    app_id: str,
    app_secret: str,
    token: str,
    *,
    allow: bool,
    admin_token: str | None,
    transport: httpx.BaseTransport | None = None,
) -> Access:
    """What the suite may do to the server at `base_url`, decided once per run (see the module doc)."""
    scope = probe_scope(base_url, token, transport)
    if scope is not None and scope.get("scope") == "tenant":
        http = httpx.Client(
            base_url=base_url, timeout=10.0, transport=transport, auth=TenantTokenAuth(app_id, app_secret)
        )
        return Access(MockControl(http), scope="tenant", http=http)
    if not allow:
        return Access(
            None,
            f"control-plane tests skipped: {base_url} is not a mock this run started, and its "
            "/mock-api/scope does not scope control calls to your tenant; they move the server's clock "
            "and inject faults for everyone on it. Pass --allow-control-plane to run them anyway.",
        )
    http = httpx.Client(base_url=base_url, timeout=10.0, transport=transport)
    control = MockControl(http, admin_token)
    if not _answers_control_plane(control):
        http.close()
        return Access(None, f"control-plane tests skipped: {base_url} answers no /mock-api/ control plane")
    return Access(control, scope="allowed", http=http)
