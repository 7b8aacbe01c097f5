"""What the suite may do to a URL target's control plane (contract_tests/access.py), against stand-in
servers: the tenant scope probe, the opt-in flag and the admin token."""

from __future__ import annotations

import httpx

from contract_tests.access import url_access

BASE = "http://sandbox.invalid"
TOKEN = "t-partner"
TENANT_SCOPE = {"code": 0, "msg": "success", "data": {"scope": "tenant", "tenant_key": "tenant-p"}}


def stand_in(scope: dict[str, object] | None, seen: list[httpx.Request]) -> httpx.MockTransport:
    """A server with the token endpoint, a control plane, and `GET /mock-api/scope` answering `scope`
    (404 when None, as a server predating the probe does)."""

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/tenant_access_token/internal"):
            return httpx.Response(
                200, json={"code": 0, "msg": "ok", "tenant_access_token": TOKEN, "expire": 7200}
            )
        if request.url.path == "/mock-api/scope":
            return (
                httpx.Response(200, json=scope)
                if scope is not None
                else httpx.Response(404, text="404 page not found")
            )
        if request.url.path == "/mock-api/clock":
            return httpx.Response(200, json={"now": 1.0})
        if request.url.path == "/mock-api/clock/advance":
            return httpx.Response(200, json={"now": 2.0})
        return httpx.Response(404, text="404 page not found")

    return httpx.MockTransport(handle)


def test_a_tenant_scoped_target_gets_control_calls_with_the_tenant_token() -> None:
    seen: list[httpx.Request] = []
    access = url_access(
        BASE, "cli_p", "secret", TOKEN, allow=False, admin_token=None, transport=stand_in(TENANT_SCOPE, seen)
    )
    assert access.scope == "tenant"
    assert access.control is not None
    access.control.advance_clock(1.0)
    access.close()
    probe, *_, advance = seen
    assert probe.url.path == "/mock-api/scope"
    assert probe.headers["Authorization"] == f"Bearer {TOKEN}"
    assert advance.url.path == "/mock-api/clock/advance"
    assert advance.headers["Authorization"] == f"Bearer {TOKEN}"


def test_without_tenant_scope_or_the_flag_there_is_no_control_and_the_skip_says_how() -> None:
    for scope in (None, {"code": 0, "msg": "success", "data": {"scope": "admin"}}):
        seen: list[httpx.Request] = []
        access = url_access(
            BASE, "cli_p", "secret", TOKEN, allow=False, admin_token=None, transport=stand_in(scope, seen)
        )
        assert access.control is None
        assert "--allow-control-plane" in access.why_not
        assert [r.url.path for r in seen] == ["/mock-api/scope"]  # nothing but the probe


def test_the_flag_gives_control_with_the_admin_token() -> None:
    seen: list[httpx.Request] = []
    access = url_access(
        BASE, "cli_p", "secret", TOKEN, allow=True, admin_token="adm", transport=stand_in(None, seen)
    )
    assert access.scope == "allowed"
    assert access.control is not None
    access.control.advance_clock(1.0)
    access.close()
    assert seen[-1].url.path == "/mock-api/clock/advance"
    assert seen[-1].headers["Authorization"] == "Bearer adm"
