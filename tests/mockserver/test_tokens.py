"""Tenant tokens: issue, reuse, refusal, and the auth errors of business calls (checked before params)."""

from __future__ import annotations

import httpx
import pytest

from mockserver.pytest_plugin import InProcessMock
from mockserver.seed import OTHER_APP_ID, OTHER_APP_SECRET
from tests.mockserver.helpers import EXTERNAL_INFO, SITE_USERS, TOKEN_PATH, body, token

CREDENTIALS = b'{"app_id": "cli_sandbox", "app_secret": "sandbox-secret"}'


@pytest.mark.parametrize("path", [TOKEN_PATH, TOKEN_PATH + "/"])
def test_token_without_content_type_and_with_trailing_slash(client: httpx.Client, path: str) -> None:
    request = client.build_request("POST", path, content=CREDENTIALS)
    assert "content-type" not in request.headers  # as lark-oapi sends it
    r = client.send(request)
    answer = body(r)
    assert r.status_code == 200
    assert answer["code"] == 0
    assert answer["tenant_access_token"].startswith("t-")
    assert 0 < answer["expire"] <= 7200
    assert "data" not in answer  # token and expire sit at the top level


def test_same_token_while_more_than_30_minutes_left(feishu_mock: InProcessMock, client: httpx.Client) -> None:
    first = token(client)
    feishu_mock.control.advance_clock(5000)  # 2200 s left: reused
    again = body(client.post(TOKEN_PATH, content=CREDENTIALS))
    assert again["tenant_access_token"] == first
    assert 2190 <= again["expire"] <= 2200
    feishu_mock.control.advance_clock(500)  # 1700 s left: a new one
    fresh = token(client)
    assert fresh != first
    # Both stay valid until they expire.
    for value in (first, fresh):
        r = client.post(
            EXTERNAL_INFO, json={"external_create_time": "1"}, headers={"Authorization": f"Bearer {value}"}
        )
        assert body(r)["code"] == 0


@pytest.mark.parametrize(
    "payload",
    [
        {"app_id": "cli_sandbox", "app_secret": "wrong"},
        {"app_id": "cli_nobody", "app_secret": "sandbox-secret"},
        {"app_id": "cli_sandbox"},
        {"app_id": 1, "app_secret": "sandbox-secret"},
    ],
)
def test_wrong_credentials_are_refused_without_a_token(
    client: httpx.Client, payload: dict[str, object]
) -> None:
    r = client.post(TOKEN_PATH, json=payload)
    assert r.status_code == 200
    answer = body(r)
    assert answer["code"] == 10003
    assert answer["msg"] == "invalid param"
    assert answer["data"] == {}
    assert "tenant_access_token" not in answer


def test_malformed_token_request_is_refused_too(client: httpx.Client) -> None:
    r = client.post(TOKEN_PATH, content=b"{broken")
    assert (r.status_code, body(r)["code"]) == (200, 10003)


@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        (None, 99991661),
        ("t-abc", 99991661),  # no "Bearer "
        ("Basic dXNlcjpwYXNz", 99991661),
        ("Bearer ", 99991661),
        ("Bearer t-0000000000000000000000000000000000000000", 99991663),
        ("Bearer u-0000000000000000000000000000000000000000", 99991663),
        ("Bearer eyJhbGciOiJIUzI1NiJ9.e30.x", 99991671),
    ],
)
def test_business_call_auth_errors(client: httpx.Client, authorization: str | None, code: int) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    r = client.post(SITE_USERS, json={"external_id": "x"}, headers=headers)
    assert r.status_code == 400
    assert body(r)["code"] == code
    assert body(r)["error"]["log_id"] == r.headers["X-Tt-Logid"]


def test_missing_token_message_is_feishus(client: httpx.Client) -> None:
    r = client.post(SITE_USERS, json={})
    assert (
        body(r)["msg"] == "Missing access token for authorization. Please make a request with token attached."
    )


def test_expired_token_is_99991677(feishu_mock: InProcessMock, client: httpx.Client) -> None:
    value = token(client)
    feishu_mock.control.advance_clock(7201)
    r = client.post(SITE_USERS, json={"external_id": "x"}, headers={"Authorization": f"Bearer {value}"})
    assert (r.status_code, body(r)["code"], body(r)["msg"]) == (400, 99991677, "token expire")


def test_auth_is_checked_before_parameters(client: httpx.Client) -> None:
    r = client.post(SITE_USERS, content=b"{not json")
    assert body(r)["code"] == 99991661
    r = client.post(SITE_USERS, content=b"{not json", headers={"Authorization": "Bearer t-unknown"})
    assert body(r)["code"] == 99991663


def test_each_tenant_sees_only_its_own_data(feishu_mock: InProcessMock, client: httpx.Client) -> None:
    other = {"Authorization": f"Bearer {token(client, OTHER_APP_ID, OTHER_APP_SECRET)}"}
    # The default tenant's website, talent and job do not exist for the other tenant.
    r = client.post(SITE_USERS, json={"external_id": "x"}, headers=other)
    assert (r.status_code, body(r)["code"]) == (400, 1002010)
    r = client.post(EXTERNAL_INFO, json={"external_create_time": "1"}, headers=other)
    assert body(r)["code"] == 1002102
    # Its own website works, and what it creates stays in its own tenant.
    r = client.post(
        "/open-apis/hire/v1/websites/2618209327096/site_users", json={"external_id": "x"}, headers=other
    )
    assert body(r)["code"] == 0
    tenants = feishu_mock.control.state()["tenants"]
    assert [u["external_id"] for u in tenants["sandbox-other"]["site_users"]] == ["x"]
    assert tenants["sandbox"]["site_users"] == []


def test_the_journal_names_the_app_of_each_token_call(
    feishu_mock: InProcessMock, client: httpx.Client
) -> None:
    for _ in range(3):
        token(client)
    for _ in range(2):
        token(client, OTHER_APP_ID, OTHER_APP_SECRET)
    wrong = body(client.post(TOKEN_PATH, json={"app_id": OTHER_APP_ID, "app_secret": "not-it"}))
    assert wrong["code"] == 10003
    unreadable = body(client.post(TOKEN_PATH, content=b"{"))
    assert unreadable["code"] == 10003
    fetches = [e for e in feishu_mock.control.requests() if e["operation"] == "tenant_access_token_internal"]
    assert [(e["app_id"], e["code"]) for e in fetches] == [
        *[("cli_sandbox", 0)] * 3,
        *[(OTHER_APP_ID, 0)] * 2,
        (OTHER_APP_ID, 10003),  # the app it claimed to be
        (None, 10003),  # no app named
    ]
