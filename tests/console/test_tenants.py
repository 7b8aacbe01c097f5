"""The tenants API (`/mock-api/tenants`, the admin's) and the scope probe (`/mock-api/scope`)."""

from __future__ import annotations

from typing import Any

import httpx

from mockserver.seed import DEFAULT_APP_ID
from tests.console.conftest import ADMIN_TOKEN
from tests.mockserver.helpers import TOKEN_PATH, bearer, body

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
ACME: dict[str, Any] = {
    "tenant_key": "acme",
    "users": [{"open_id": "ou_a1", "union_id": "on_a1", "user_id": "u1", "name": "张敏"}],
    "websites": [{"website_id": "101", "name": "Acme careers"}],
    "talents": [{"talent_id": "201"}],
    "jobs": [{"job_id": "301", "title": "Engineer", "recruiter_id": "u1"}],
}


def create(
    client: httpx.Client, tenant: dict[str, Any], headers: dict[str, str] | None = None
) -> httpx.Response:
    return client.post("/mock-api/tenants", json=tenant, headers=headers or {})


def test_create_generates_credentials_that_work(local: httpx.Client) -> None:
    r = create(local, ACME)
    assert r.status_code == 200, r.text
    answer = body(r)
    assert answer["code"] == 0
    tenant = answer["data"]
    assert tenant["tenant_key"] == "acme"
    [app] = tenant["apps"]
    assert app["app_id"].startswith("cli_")
    assert len(app["app_id"]) == 20
    assert len(app["app_secret"]) == 32
    headers = bearer(local, app["app_id"], app["app_secret"])
    site_user = local.post(
        "/open-apis/hire/v1/websites/101/site_users",
        json={"external_id": "e1", "name": "李雷"},
        headers=headers,
    )
    assert body(site_user)["code"] == 0, site_user.text
    # The tenant sees its own website, not the seed's.
    other = local.post(
        "/open-apis/hire/v1/websites/1618209327096/site_users", json={"external_id": "e"}, headers=headers
    )
    assert body(other)["code"] == 1002010


def test_create_keeps_given_credentials_and_generates_a_key(local: httpx.Client) -> None:
    tenant = body(create(local, {"apps": [{"app_id": "cli_given", "app_secret": "given-secret"}]}))["data"]
    assert tenant["apps"] == [{"app_id": "cli_given", "app_secret": "given-secret"}]
    assert tenant["tenant_key"].startswith("tenant-")
    assert (
        local.post(TOKEN_PATH, json={"app_id": "cli_given", "app_secret": "given-secret"}).json()["code"] == 0
    )


def test_create_refuses_what_it_cannot_use(local: httpx.Client) -> None:
    assert create(local, ACME).status_code == 200
    assert create(local, ACME).status_code == 409  # the key is taken
    taken_app = create(local, {"apps": [{"app_id": DEFAULT_APP_ID, "app_secret": "x"}]})
    assert taken_app.status_code == 409
    assert DEFAULT_APP_ID in taken_app.text
    bad: dict[str, Any]
    for bad in (
        {"users": "not a list"},
        {"jobs": [{"job_id": "1", "recruiter_id": "nobody"}]},
        {"apps": []},
        {"apps": ["cli_x"]},
        {"tenant_key": 7},
        {"unknown": 1},
    ):
        r = create(local, bad)
        assert r.status_code == 400, (bad, r.text)
        assert "Traceback" not in r.text
    not_json = local.post(
        "/mock-api/tenants", content=b"not json", headers={"Content-Type": "application/json"}
    )
    assert not_json.status_code == 400
    assert local.post("/mock-api/tenants", json=[1]).status_code == 400


def test_list_names_every_tenant_without_secrets(local: httpx.Client) -> None:
    created = body(create(local, ACME))["data"]
    answer = body(local.get("/mock-api/tenants"))
    tenants = {t["tenant_key"]: t for t in answer["data"]["tenants"]}
    assert set(tenants) == {"sandbox", "sandbox-other", "acme"}
    assert tenants["acme"]["apps"] == [created["apps"][0]["app_id"]]
    assert tenants["acme"]["origin"] == "api"
    assert tenants["sandbox"]["origin"] == "seed"
    assert created["apps"][0]["app_secret"] not in str(answer)


def test_delete_removes_the_tenant_and_all_it_has(local: httpx.Client) -> None:
    app = body(create(local, ACME))["data"]["apps"][0]
    headers = bearer(local, app["app_id"], app["app_secret"])
    local.post("/open-apis/hire/v1/websites/101/site_users", json={"external_id": "e1"}, headers=headers)
    local.post(
        "/mock-api/faults", json={"operation": "create_website_site_user", "code": 1002001}, headers=headers
    )
    assert local.delete("/mock-api/tenants/acme").status_code == 200
    assert "acme" not in local.get("/mock-api/state").json()["tenants"]
    assert [t["tenant_key"] for t in body(local.get("/mock-api/tenants"))["data"]["tenants"]] == [
        "sandbox",
        "sandbox-other",
    ]
    assert all(e["tenant_key"] != "acme" for e in local.get("/mock-api/requests").json()["requests"])
    assert local.get("/mock-api/faults").json()["faults"] == []
    # Its token and its credentials are gone.
    r = local.post("/open-apis/hire/v1/websites/101/site_users", json={"external_id": "e2"}, headers=headers)
    assert body(r)["code"] == 99991663
    assert local.post(TOKEN_PATH, json=app).json()["code"] == 10003
    assert local.delete("/mock-api/tenants/acme").status_code == 404
    # The key can be used again.
    assert create(local, ACME).status_code == 200


def test_tenants_are_the_admins(local: httpx.Client, remote: httpx.Client) -> None:
    partner = bearer(local)  # the seed's tenant "sandbox", with its own token
    assert create(local, ACME, partner).status_code == 403
    assert local.get("/mock-api/tenants", headers=partner).status_code == 403
    assert local.delete("/mock-api/tenants/sandbox-other", headers=partner).status_code == 403
    assert remote.get("/mock-api/tenants").status_code == 401
    assert create(remote, ACME).status_code == 401
    assert remote.delete("/mock-api/tenants/sandbox-other").status_code == 401
    assert "sandbox-other" in local.get("/mock-api/state").json()["tenants"]
    # The admin token opens them from anywhere.
    assert create(remote, ACME, ADMIN).status_code == 200
    assert remote.delete("/mock-api/tenants/acme", headers=ADMIN).status_code == 200


def test_scope_probe(local: httpx.Client, remote: httpx.Client) -> None:
    admin = {"code": 0, "msg": "success", "data": {"scope": "admin"}}
    assert local.get("/mock-api/scope").json() == admin
    assert remote.get("/mock-api/scope", headers=ADMIN).json() == admin
    tenant = {"code": 0, "msg": "success", "data": {"scope": "tenant", "tenant_key": "sandbox"}}
    assert local.get("/mock-api/scope", headers=bearer(local)).json() == tenant
    assert remote.get("/mock-api/scope", headers=bearer(remote)).json() == tenant
    assert remote.get("/mock-api/scope").status_code == 401
    assert local.get("/mock-api/scope", headers={"Authorization": "Bearer t-unknown"}).status_code == 401
