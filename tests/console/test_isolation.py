"""Two partner tenants on one server: neither can read, reset, fault or clock the other, through the
control plane with its own tenant token, and through the console logged in with its app."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask

from mockserver import MockConfig
from mockserver.clock import Clock
from tests.console.conftest import ADMIN_TOKEN, client_at
from tests.mockserver.helpers import TOKEN_PATH, body

# Both tenants use the very same ids: only the tenant tells them apart.
TENANT: dict[str, Any] = {
    "users": [{"open_id": "ou_1", "union_id": "on_1", "user_id": "u1", "name": "王芳"}],
    "websites": [{"website_id": "101"}],
    "talents": [{"talent_id": "201"}],
    "jobs": [{"job_id": "301", "title": "Engineer", "recruiter_id": "u1"}],
}
SITE_USERS = "/open-apis/hire/v1/websites/101/site_users"
OPERATION = "create_website_site_user"


@dataclass
class Partner:
    key: str
    app_id: str
    app_secret: str
    client: httpx.Client
    token: str = ""

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def fetch_token(self) -> str:
        answer = self.client.post(
            TOKEN_PATH, json={"app_id": self.app_id, "app_secret": self.app_secret}
        ).json()
        assert answer["code"] == 0, answer
        self.token = answer["tenant_access_token"]
        return self.token

    def create_user(self, external_id: str) -> dict[str, Any]:
        return body(self.client.post(SITE_USERS, json={"external_id": external_id}, headers=self.auth))

    def control(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.request(method, f"/mock-api/{path}", headers=self.auth, **kwargs)


@pytest.fixture(params=[False, True], ids=["local-state", "shared-state"])
def config(tmp_path: Path, request: pytest.FixtureRequest) -> MockConfig:
    """A frozen clock (rate windows and token lifetimes move only when a tenant moves its clock), the
    server's state in memory and, as `serve --workers N` keeps it, in the database."""
    return MockConfig(
        db_path=tmp_path / "mock.db",
        admin_token=ADMIN_TOKEN,
        clock=Clock(start=1_700_000_000.0),
        shared_state=request.param,
    )


@pytest.fixture
def partners(app: Flask, local: httpx.Client) -> Iterator[tuple[Partner, Partner]]:
    """Tenants "a" and "b", created by the admin, each calling from an address of its own."""
    made = []
    for key, address in (("a", "203.0.113.1"), ("b", "198.51.100.2")):
        tenant = body(local.post("/mock-api/tenants", json={**TENANT, "tenant_key": key}))["data"]
        app_ = tenant["apps"][0]
        partner = Partner(key, app_["app_id"], app_["app_secret"], client_at(app, address))
        partner.fetch_token()
        made.append(partner)
    yield made[0], made[1]
    for partner in made:
        partner.client.close()


def test_each_sees_only_its_own_state_and_calls(partners: tuple[Partner, Partner]) -> None:
    a, b = partners
    assert a.create_user("from-a")["code"] == 0
    assert b.create_user("from-b")["code"] == 0
    state = a.control("GET", "state").json()
    assert list(state["tenants"]) == ["a"]
    assert [s["external_id"] for s in state["tenants"]["a"]["site_users"]] == ["from-a"]
    journal = a.control("GET", "requests").json()["requests"]
    assert {e["tenant_key"] for e in journal} == {"a"}
    assert {e["app_id"] for e in journal} == {a.app_id}
    # Asking for the other tenant's calls by filter gives nothing of it.
    for query in ({"tenant_key": "b"}, {"app_id": b.app_id}):
        assert all(
            e["tenant_key"] == "a" for e in a.control("GET", "requests", params=query).json()["requests"]
        )
    assert a.control("GET", "requests/count", params={"app_id": b.app_id}).json()["count"] == 0
    b_entry = b.control("GET", "requests").json()["requests"][0]["id"]
    assert a.control("GET", f"requests/{b_entry}").status_code == 404


def test_reset_is_the_tenants_own_and_goes_back_to_its_creation(partners: tuple[Partner, Partner]) -> None:
    a, b = partners
    a.create_user("from-a")
    b.create_user("from-b")
    a.control("POST", "faults", json={"operation": OPERATION, "code": 1002001, "count": 3})
    b.control("POST", "faults", json={"operation": OPERATION, "code": 1002619, "count": 3})
    assert a.control("POST", "reset").status_code == 200
    # a: back to how it was created (its seeded user and job stay), its calls and faults gone, its token too.
    assert a.create_user("again")["code"] == 99991663
    a.fetch_token()
    state = a.control("GET", "state").json()
    assert state["tenants"]["a"]["site_users"] == []
    assert [u["name"] for u in state["tenants"]["a"]["users"]] == ["王芳"]
    assert state["faults"] == []
    assert [e["operation"] for e in a.control("GET", "requests").json()["requests"]] == [
        "tenant_access_token_internal"
    ]
    # b: untouched.
    b_state = b.control("GET", "state").json()
    assert [s["external_id"] for s in b_state["tenants"]["b"]["site_users"]] == ["from-b"]
    assert [f["code"] for f in b_state["faults"]] == [1002619]
    assert b.create_user("still-b")["code"] == 1002619


def test_faults_act_only_on_the_tenants_calls(partners: tuple[Partner, Partner]) -> None:
    a, b = partners
    r = a.control("POST", "faults", json={"operation": OPERATION, "code": 1002001, "count": 2})
    assert r.status_code == 200, r.text
    assert b.control("GET", "faults").json()["faults"] == []
    assert b.create_user("b1")["code"] == 0
    assert a.create_user("a1")["code"] == 1002001
    b.control("DELETE", "faults")  # clears b's faults only
    assert a.create_user("a2")["code"] == 1002001
    assert a.create_user("a3")["code"] == 0
    # A fault naming a resource the other tenant also has (the same ids) still acts on its own calls only.
    a.control("POST", "faults", json={"resource": "101", "code": 1002619})
    assert b.create_user("b2")["code"] == 0
    assert a.create_user("a4")["code"] == 1002619


def test_the_clock_is_the_tenants_own(partners: tuple[Partner, Partner]) -> None:
    a, b = partners
    before_b = b.control("GET", "clock").json()["now"]
    now_a = a.control("POST", "clock/advance", json={"seconds": 7201}).json()["now"]
    assert now_a - before_b >= 7200
    assert b.control("GET", "clock").json()["now"] == before_b
    # a's token expired on a's clock; b's lives on.
    assert a.create_user("late")["code"] == 99991677
    assert b.create_user("on-time")["code"] == 0
    # a's control token expired too: it needs a fresh one.
    assert a.control("GET", "state").status_code == 401
    a.fetch_token()
    assert a.create_user("fresh")["code"] == 0


def test_rate_windows_move_with_the_tenants_clock(partners: tuple[Partner, Partner]) -> None:
    a, b = partners
    for partner in partners:
        answers = [partner.create_user(f"{partner.key}{i}")["code"] for i in range(11)]
        assert answers.count(99991400) >= 1, answers  # 10/second
    a.control("POST", "clock/advance", json={"seconds": 2})
    assert a.create_user("a-next-window")["code"] == 0
    # b's window did not move.
    assert b.create_user("b-same-window")["code"] == 99991400


def test_a_tenant_cannot_reach_the_admins_routes(partners: tuple[Partner, Partner]) -> None:
    a, _ = partners
    for method, path, payload in (
        ("GET", "tenants", None),
        ("POST", "tenants", {"tenant_key": "c"}),
        ("DELETE", "tenants/b", None),
        ("POST", "seed", {"tenants": [{"apps": [{"app_id": "cli_x", "app_secret": "x"}]}]}),
    ):
        r = a.control(method, path, json=payload)
        assert r.status_code == 403, (path, r.text)
    assert (
        a.control(
            "POST", "faults", json={"operation": "tenant_access_token_internal", "code": 10003}
        ).status_code
        == 400
    )
