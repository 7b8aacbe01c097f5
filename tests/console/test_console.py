"""The console at /mock-ui/ without a browser: who gets in, what every page is sent with, that hostile
data is escaped, that forms need their CSRF token, and that a partner sees only its own tenant."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from flask import Flask

from mockserver import MockConfig, create_app
from mockserver.console.security import CONTENT_SECURITY_POLICY
from mockserver.runtime import EXTENSION, Runtime
from mockserver.seed import DEFAULT_APP_ID, DEFAULT_APP_SECRET, OTHER_APP_ID, OTHER_APP_SECRET, WEBSITE_ID
from tests.console.conftest import ADMIN_TOKEN, client_at
from tests.mockserver.helpers import SITE_USERS, bearer, body

HOSTILE = "<img src=x onerror=alert(1)>"
STATIC = Path(__file__).parents[2] / "mockserver" / "console" / "static"


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def log_in(client: httpx.Client, **form: str) -> httpx.Response:
    page = client.get("/mock-ui/login").text
    return client.post("/mock-ui/login", data={"csrf_token": csrf(page), **form})


def test_loopback_opens_as_the_admin_and_every_page_is_locked_down(local: httpx.Client) -> None:
    page = local.get("/mock-ui/")
    assert page.status_code == 200
    assert "admin: every tenant" in page.text
    assert page.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "unsafe" not in CONTENT_SECURITY_POLICY
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "DENY"
    # Every script is a file of this server: no inline script, no handler attribute, no other origin.
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.S)
    assert scripts
    for attributes, inline in scripts:
        assert inline.strip() == ""
        assert 'src="/mock-ui/static/' in attributes
    assert not re.search(r"\son[a-z]+=", page.text)
    assert not re.search(r'(src|href)="(https?:)?//', page.text)
    htmx = local.get("/mock-ui/static/htmx.min.js")
    assert htmx.status_code == 200
    assert htmx.content == (STATIC / "htmx.min.js").read_bytes()
    assert "Zero-Clause BSD" in (STATIC / "htmx.LICENSE").read_text()


def test_off_loopback_it_asks_for_credentials(remote: httpx.Client) -> None:
    r = remote.get("/mock-ui/")
    assert r.status_code == 302
    assert r.headers["Location"].endswith("/mock-ui/login")
    for path in ("/mock-ui/journal", "/mock-ui/state"):
        assert remote.get(path).status_code == 401
    wrong = log_in(remote, **{"as": "app", "app_id": DEFAULT_APP_ID, "app_secret": "wrong"})
    assert wrong.status_code == 401
    assert "No app has that app_id and app_secret" in wrong.text
    assert log_in(remote, **{"as": "admin", "admin_token": "wrong"}).status_code == 401


def test_partner_login_sets_a_locked_cookie_and_shows_its_tenant(remote: httpx.Client) -> None:
    r = log_in(remote, **{"as": "app", "app_id": DEFAULT_APP_ID, "app_secret": DEFAULT_APP_SECRET})
    assert r.status_code == 303
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "Path=/mock-ui" in cookie
    assert DEFAULT_APP_SECRET not in cookie
    page = remote.get("/mock-ui/")
    assert page.status_code == 200
    assert "tenant <b>sandbox</b>" in page.text
    assert "Create a tenant" not in page.text  # the admin's form


def test_the_admin_token_logs_in_by_post_and_never_shows_in_a_url(remote: httpx.Client) -> None:
    page = remote.get("/mock-ui/login").text
    assert re.search(r'<form method="post"[^>]*>\s*<h2>Host', page)
    r = log_in(remote, **{"as": "admin", "admin_token": ADMIN_TOKEN})
    assert r.status_code == 303
    assert ADMIN_TOKEN not in r.headers["Location"]
    assert ADMIN_TOKEN not in r.headers["Set-Cookie"]
    index = remote.get("/mock-ui/")
    assert "admin: every tenant" in index.text
    assert ADMIN_TOKEN not in index.text


def test_forms_need_the_csrf_token_and_this_origin(local: httpx.Client) -> None:
    fault = {"operation": "create_website_site_user", "code": "1002001", "count": "1"}
    assert local.post("/mock-ui/faults", data=fault).status_code == 400
    assert local.post("/mock-ui/faults", data={**fault, "csrf_token": "forged"}).status_code == 400
    token = csrf(local.get("/mock-ui/").text)
    for evil in (
        {"Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "cross-site"},  # a browser that names no origin on this post still says this
        {"Sec-Fetch-Site": "same-site", "Origin": "http://sandbox.example:3000"},  # another port
    ):
        refused = local.post("/mock-ui/faults", data={**fault, "csrf_token": token}, headers=evil)
        assert refused.status_code == 403, evil
        assert "cross-origin request refused" in refused.text
        assert local.post("/mock-ui/reset", headers={"X-CSRFToken": token, **evil}).status_code == 403
    assert local.get("/mock-api/faults").json()["faults"] == []
    ok = local.post(
        "/mock-ui/faults", data=fault, headers={"X-CSRFToken": token, "Sec-Fetch-Site": "same-origin"}
    )
    assert ok.status_code == 200, ok.text
    assert [f["code"] for f in local.get("/mock-api/faults").json()["faults"]] == [1002001]
    # The login form too (no logging a victim into the attacker's tenant).
    creds = {"as": "app", "app_id": DEFAULT_APP_ID, "app_secret": DEFAULT_APP_SECRET}
    assert local.post("/mock-ui/login", data=creds).status_code == 400


def test_hostile_data_is_escaped_and_chinese_renders(local: httpx.Client) -> None:
    headers = bearer(local)
    r = local.post(SITE_USERS, json={"external_id": HOSTILE, "name": HOSTILE}, headers=headers)
    assert body(r)["code"] == 0
    local.post(SITE_USERS, json={"external_id": "zh", "name": "韩梅梅"}, headers=headers)
    state = local.get("/mock-ui/state", params={"tenant_key": "sandbox"}).text
    assert HOSTILE not in state
    assert "&lt;img src=x onerror=alert(1)&gt;" in state
    assert "韩梅梅" in state
    assert "韩梅梅 (1612209227099)" in state  # the job's recruiter, by name
    rows = local.get("/mock-ui/journal").text
    entry_id = re.findall(r'id="call-(\d+)"', rows)[1]
    detail = local.get(f"/mock-ui/journal/{entry_id}").text
    assert HOSTILE not in detail
    assert "&lt;img src=x onerror=alert(1)&gt;" in detail
    # A hostile tenant key or app id in the admin's views is escaped too.
    local.post("/mock-api/tenants", json={"tenant_key": HOSTILE, "apps": [{"app_id": HOSTILE}]})
    index = local.get("/mock-ui/").text
    assert HOSTILE not in index
    assert "&lt;img src=x onerror=alert(1)&gt;" in index


def test_a_partner_sees_only_its_own_tenant(app: Flask, local: httpx.Client) -> None:
    other = bearer(local, OTHER_APP_ID, OTHER_APP_SECRET)
    local.post(
        "/open-apis/hire/v1/websites/2618209327096/site_users", json={"external_id": "o1"}, headers=other
    )
    local.post(SITE_USERS, json={"external_id": "s1"}, headers=bearer(local))
    other_ids = {
        e["id"]
        for e in local.get("/mock-api/requests", params={"tenant_key": "sandbox-other"}).json()["requests"]
    }
    with client_at(app, "203.0.113.50") as partner:
        log_in(partner, **{"as": "app", "app_id": DEFAULT_APP_ID, "app_secret": DEFAULT_APP_SECRET})
        for query in ({}, {"tenant_key": "sandbox-other"}, {"app_id": OTHER_APP_ID}):
            rows = partner.get("/mock-ui/journal", params=query).text
            shown = {int(i) for i in re.findall(r'id="call-(\d+)"', rows)}
            assert not shown & other_ids
            assert OTHER_APP_ID not in rows
        for entry_id in other_ids:
            assert partner.get(f"/mock-ui/journal/{entry_id}").status_code == 404
        state = partner.get("/mock-ui/state", params={"tenant_key": "sandbox-other"}).text
        assert "2618209327096" not in state  # the other tenant's website
        assert WEBSITE_ID in state
        token = csrf(partner.get("/mock-ui/").text)
        for path in ("/mock-ui/tenants", "/mock-ui/tenants/sandbox-other/delete"):
            assert partner.post(path, headers={"X-CSRFToken": token}).status_code == 403
        # Its forms act on its own tenant only.
        partner.post(
            "/mock-ui/faults",
            data={"operation": "create_website_site_user", "code": "1002001"},
            headers={"X-CSRFToken": token},
        )
        partner.post("/mock-ui/clock", data={"seconds": "100"}, headers={"X-CSRFToken": token})
        partner.post("/mock-ui/reset", headers={"X-CSRFToken": token})
    assert [f["tenant_key"] for f in local.get("/mock-api/faults").json()["faults"]] == []  # reset cleared it
    state = local.get("/mock-api/state").json()
    assert [s["external_id"] for s in state["tenants"]["sandbox-other"]["site_users"]] == ["o1"]
    assert state["tenants"]["sandbox"]["site_users"] == []
    assert (
        body(
            local.post(
                "/open-apis/hire/v1/websites/2618209327096/site_users",
                json={"external_id": "o2"},
                headers=other,
            )
        )["code"]
        == 0
    )


def test_a_deleted_tenant_ends_its_sessions(app: Flask, local: httpx.Client) -> None:
    created = body(local.post("/mock-api/tenants", json={"tenant_key": "gone"}))["data"]["apps"][0]
    with client_at(app, "203.0.113.51") as partner:
        log_in(partner, **{"as": "app", **created})
        assert partner.get("/mock-ui/").status_code == 200
        local.delete("/mock-api/tenants/gone")
        assert partner.get("/mock-ui/").status_code == 302


def test_admin_creates_a_tenant_from_the_console(local: httpx.Client) -> None:
    token = csrf(local.get("/mock-ui/").text)
    seed = '{"users": [{"open_id": "ou_z", "union_id": "on_z", "user_id": "uz", "name": "李雷"}]}'
    r = local.post(
        "/mock-ui/tenants", data={"tenant_key": "zh", "tenant": seed}, headers={"X-CSRFToken": token}
    )
    assert r.status_code == 200, r.text
    assert "Created tenant <b>zh</b>" in r.text
    app_id = re.search(r"app_id=(cli_[0-9a-f]{16})", r.text)
    assert app_id
    assert "zh" in local.get("/mock-api/state").json()["tenants"]
    bad = local.post("/mock-ui/tenants", data={"tenant": "{"}, headers={"X-CSRFToken": token})
    assert bad.status_code == 400
    assert "not JSON" in bad.text


def test_sessions_are_signed_with_the_servers_secret(tmp_path: Path) -> None:
    """Two processes of one server share the secret (in its config), so a login holds on either."""
    config = MockConfig(db_path=tmp_path / "m.db", admin_token=ADMIN_TOKEN)
    first, second = create_app(config), create_app(config)
    with client_at(first, "203.0.113.60") as c:
        log_in(c, **{"as": "admin", "admin_token": ADMIN_TOKEN})
        cookies = c.cookies
    with client_at(second, "203.0.113.60", cookies=cookies) as c:
        assert "admin: every tenant" in c.get("/mock-ui/").text
    for app in (first, second):
        runtime: Runtime = app.extensions[EXTENSION]
        runtime.close()
