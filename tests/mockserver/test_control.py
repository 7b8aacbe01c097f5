"""The /mock-api/ control plane and its MockControl handle: reset, seed, state, journal, faults, clock."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from mockserver import MockConfig, create_app
from mockserver.control import MockControl, MockControlError
from mockserver.pytest_plugin import InProcessMock
from mockserver.runtime import EXTENSION
from tests.mockserver.helpers import (
    BATCH_UPDATE,
    DOC_BATCH_UPDATE,
    EXTERNAL_INFO,
    SITE_USERS,
    TOKEN_PATH,
    bearer,
    body,
)


def test_reset_goes_back_to_the_seed(feishu_mock: InProcessMock, client: httpx.Client) -> None:
    headers = bearer(client)
    client.post(SITE_USERS, json={"external_id": "e"}, headers=headers)
    client.post(BATCH_UPDATE, json=DOC_BATCH_UPDATE, headers=headers)
    feishu_mock.control.inject_fault("create_website_site_user", code=1002001)
    feishu_mock.control.reset()
    state = feishu_mock.control.state()
    assert state["tenants"]["sandbox"]["site_users"] == []
    assert state["tenants"]["sandbox"]["jobs"][0]["recruiter_id"] == "1612209227099"
    assert state["tokens"] == 0
    assert state["faults"] == []
    assert feishu_mock.control.requests() == []
    # Tokens are gone with the reset.
    assert body(client.post(SITE_USERS, json={"external_id": "e"}, headers=headers))["code"] == 99991663


def test_seed_adds_apps_and_data(feishu_mock: InProcessMock, client: httpx.Client) -> None:
    apps = feishu_mock.control.seed(
        {
            "tenants": [
                {
                    "apps": [{"app_id": "cli_new", "app_secret": "s"}],
                    "websites": [{"website_id": "77"}],
                }
            ]
        }
    )
    assert apps == ["cli_new"]
    r = client.post(
        "/open-apis/hire/v1/websites/77/site_users",
        json={"external_id": "e"},
        headers=bearer(client, "cli_new", "s"),
    )
    assert body(r)["code"] == 0
    assert "cli_new" in feishu_mock.control.state()["tenants"]


def test_bad_seed_is_refused_with_the_reason(feishu_mock: InProcessMock) -> None:
    with pytest.raises(MockControlError, match="app_secret"):
        feishu_mock.control.seed({"tenants": [{"apps": [{"app_id": "x"}]}]})
    with pytest.raises(MockControlError, match="names users not in its tenant"):
        feishu_mock.control.seed(
            {
                "tenants": [
                    {
                        "apps": [{"app_id": "x", "app_secret": "y"}],
                        "jobs": [{"job_id": "1", "recruiter_id": "nobody"}],
                    }
                ]
            }
        )


def test_journal_lists_feishu_calls_not_control_calls(
    feishu_mock: InProcessMock, client: httpx.Client
) -> None:
    headers = bearer(client)
    ok = client.post(SITE_USERS, json={"external_id": "e"}, headers=headers)
    bad = client.post(SITE_USERS, json={}, headers=headers)
    client.get("/nowhere")
    feishu_mock.control.state()
    entries = feishu_mock.control.requests()
    assert [(e["method"], e["path"], e["status"], e["code"]) for e in entries] == [
        ("POST", TOKEN_PATH, 200, 0),
        ("POST", SITE_USERS, 200, 0),
        ("POST", SITE_USERS, 400, 1002002),
        ("GET", "/nowhere", 404, None),
    ]
    assert entries[1]["log_id"] == ok.headers["X-Tt-Logid"]
    assert entries[2]["log_id"] == bad.headers["X-Tt-Logid"]
    assert entries[1]["operation"] == "create_website_site_user"
    assert entries[1]["app_id"] == "cli_sandbox"
    assert isinstance(entries[1]["time"], float)


def test_fault_answers_code_for_the_next_n_calls(feishu_mock: InProcessMock, client: httpx.Client) -> None:
    headers = bearer(client)
    fault = feishu_mock.control.inject_fault("batch_update_job_manager", code=1002619, count=2)
    assert fault["remaining"] == 2
    answers = [client.post(BATCH_UPDATE, json=DOC_BATCH_UPDATE, headers=headers) for _ in range(3)]
    assert [(r.status_code, body(r)["code"]) for r in answers] == [(400, 1002619), (400, 1002619), (200, 0)]
    assert feishu_mock.control.faults() == []


def test_fault_status_comes_from_the_error_table(feishu_mock: InProcessMock, client: httpx.Client) -> None:
    headers = bearer(client)
    feishu_mock.control.inject_fault("create_talent_external_info", code=1002001)
    feishu_mock.control.inject_fault("create_website_site_user", code=99991400)
    r = client.post(EXTERNAL_INFO, json={"external_create_time": "1"}, headers=headers)
    assert (r.status_code, body(r)["code"], body(r)["msg"]) == (500, 1002001, "system error")
    r = client.post(SITE_USERS, json={"external_id": "e"}, headers=headers)
    assert (r.status_code, body(r)["code"]) == (429, 99991400)
    assert (r.headers["x-ogw-ratelimit-limit"], r.headers["x-ogw-ratelimit-reset"]) == ("10", "1")


def test_fault_per_resource_hits_only_that_resource(feishu_mock: InProcessMock, client: httpx.Client) -> None:
    headers = bearer(client)
    feishu_mock.control.inject_fault(resource="7043758982146345222", code=1002001, count=5)
    r = client.post(EXTERNAL_INFO, json={"external_create_time": "1"}, headers=headers)
    assert body(r)["code"] == 0
    r = client.post(
        "/open-apis/hire/v1/talents/7043758982146345222/external_info",
        json={"external_create_time": "1"},
        headers=headers,
    )
    assert body(r)["code"] == 1002001
    assert feishu_mock.control.faults()[0]["remaining"] == 4
    feishu_mock.control.clear_faults()
    assert feishu_mock.control.faults() == []


def test_faults_come_after_auth(feishu_mock: InProcessMock, client: httpx.Client) -> None:
    feishu_mock.control.inject_fault("create_website_site_user", code=1002001)
    assert body(client.post(SITE_USERS, json={"external_id": "e"}))["code"] == 99991661
    assert feishu_mock.control.faults()[0]["remaining"] == 1


@pytest.mark.parametrize(
    "spec",
    [
        {"operation": "no_such_operation", "code": 1002001},
        {"operation": "create_website_site_user", "code": 12345},
        {"operation": "create_website_site_user", "code": 1002001, "count": 0},
        {"operation": "create_website_site_user"},
        {"code": 1002001},
        {"operation": "create_website_site_user", "code": 1002001, "colour": "red"},
    ],
)
def test_bad_faults_are_refused(client: httpx.Client, spec: dict[str, object]) -> None:
    r = client.post("/mock-api/faults", json=spec)
    assert r.status_code == 400
    assert r.json()["error"]


def test_clock_advances(feishu_mock: InProcessMock, client: httpx.Client) -> None:
    before = feishu_mock.control.now()
    after = feishu_mock.control.advance_clock(3600)
    assert after - before >= 3600
    assert client.post("/mock-api/clock/advance", json={"seconds": -1}).status_code == 400


def test_control_plane_off_loopback_needs_the_admin_token(tmp_path: Path) -> None:
    app = create_app(MockConfig(db_path=tmp_path / "mock.db", admin_token="s3cret"))
    remote = httpx.WSGITransport(app=app, remote_addr="10.1.2.3")
    with httpx.Client(transport=remote, base_url="http://feishu.mock") as c:
        assert c.get("/mock-api/state").status_code == 401
        assert c.get("/mock-api/state", headers={"Authorization": "Bearer wrong"}).status_code == 401
        with MockControl(c, admin_token="s3cret") as control:
            assert "sandbox" in control.state()["tenants"]
        # The Feishu surface itself needs no admin token.
        assert (
            c.post(TOKEN_PATH, json={"app_id": "cli_sandbox", "app_secret": "sandbox-secret"}).json()["code"]
            == 0
        )


def test_control_plane_off_loopback_is_closed_without_an_admin_token(tmp_path: Path) -> None:
    app = create_app(MockConfig(db_path=tmp_path / "mock.db"))
    with httpx.Client(
        transport=httpx.WSGITransport(app=app, remote_addr="192.168.0.9"), base_url="http://x"
    ) as c:
        assert c.post("/mock-api/reset").status_code == 403
    with httpx.Client(transport=httpx.WSGITransport(app=app, remote_addr="::1"), base_url="http://x") as c:
        assert c.post("/mock-api/reset").status_code == 200


def test_a_call_stands_at_one_instant_of_its_tenants_clock(
    feishu_mock: InProcessMock, client: httpx.Client
) -> None:
    """The journal's time of a call and the time its behaviour stores (a site user's created_at) are one
    clock reading, on the server's clock plus the tenant's own offset."""
    headers = bearer(client)
    runtime = feishu_mock.app.extensions[EXTENSION]
    runtime.clock.advance(90, "sandbox")  # the tenant's own clock runs 90 s ahead of the server's
    client.post(SITE_USERS, json={"external_id": "instant"}, headers=headers)
    entry = feishu_mock.control.requests(operation="create_website_site_user")[-1]
    created_at = (
        runtime.store.read()
        .conn.execute("SELECT created_at FROM records WHERE record_key = 'instant'")
        .fetchone()[0]
    )
    assert created_at == entry["time"] + 90
