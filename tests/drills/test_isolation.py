"""Isolation: a token of one app never reads or changes another app's data, on every endpoint, even where
two tenants use the very same ids; an expired token is refused everywhere; off loopback, every control
plane route refuses a caller without the admin token and changes nothing.

In-process (httpx.WSGITransport): the remote address is set in the WSGI environ, no traffic leaves."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask

from mockserver import MockConfig, create_app
from mockserver.control import PREFIX, MockControl
from mockserver.pytest_plugin import InProcessMock
from mockserver.seed import (
    DEFAULT_APP_ID,
    DEFAULT_APP_SECRET,
    JOB_ID,
    OTHER_APP_ID,
    OTHER_APP_SECRET,
    TALENT_ID,
    WEBSITE_ID,
)
from tests.mockserver.helpers import BATCH_UPDATE, EXTERNAL_INFO, SITE_USERS, WANG, ZHANG, body, token

OTHER_WEBSITE, OTHER_TALENT, OTHER_JOB = "2618209327096", "8043758982146345223", "8096318853365369132"
OTHER_USER = "ou_0ther0000000000000000000000000001"
MIRROR_APP, MIRROR_SECRET = "cli_mirror", "mirror-secret"
# A third tenant with the sandbox's website, talent and job ids and its users' open_ids, but user_ids of
# its own: any query that forgot the tenant would mix the two up.
MIRROR_SEED = {
    "tenants": [
        {
            "tenant_key": "mirror",
            "apps": [{"app_id": MIRROR_APP, "app_secret": MIRROR_SECRET}],
            "users": [
                {"open_id": ZHANG["open_id"], "union_id": "on_m1", "user_id": "m-1", "name": "M1"},
                {"open_id": WANG["open_id"], "union_id": "on_m2", "user_id": "m-2", "name": "M2"},
            ],
            "websites": [{"website_id": WEBSITE_ID}],
            "talents": [{"talent_id": TALENT_ID}],
            "jobs": [
                {
                    "job_id": JOB_ID,
                    "recruiter_id": "m-2",
                    "assistant_id_list": [],
                    "hiring_manager_id_list": [],
                }
            ],
        }
    ]
}


def _auth(client: httpx.Client, app_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(client, app_id, secret)}"}


def _data(control: MockControl) -> dict[str, Any]:
    """What the control plane shows stored, per tenant."""
    tenants: dict[str, Any] = control.state()["tenants"]
    return copy.deepcopy(tenants)


@pytest.fixture
def client(feishu_mock: InProcessMock) -> httpx.Client:
    return feishu_mock.client()


def test_tenants_with_the_same_ids_never_see_each_other(
    feishu_mock: InProcessMock, client: httpx.Client
) -> None:
    control = feishu_mock.control
    control.seed(MIRROR_SEED)
    mine = _auth(client, DEFAULT_APP_ID, DEFAULT_APP_SECRET)
    mirror = _auth(client, MIRROR_APP, MIRROR_SECRET)

    # site_users: one external_id on one website id makes a user per tenant, each answered its own.
    a = body(client.post(SITE_USERS, json={"external_id": "e1", "name": "A"}, headers=mine))
    m = body(client.post(SITE_USERS, json={"external_id": "e1", "name": "M"}, headers=mirror))
    assert (a["code"], m["code"]) == (0, 0)
    assert a["data"]["site_user"]["name"] == "A"
    assert m["data"]["site_user"]["name"] == "M"
    assert a["data"]["site_user"]["user_id"] != m["data"]["site_user"]["user_id"]
    again = body(client.post(SITE_USERS, json={"external_id": "e1", "name": "A2"}, headers=mine))
    assert again["data"]["site_user"] == a["data"]["site_user"]

    # external_info: each tenant's talent of the same id gets its own time.
    for headers, value in ((mine, "1000"), (mirror, "2000")):
        r = client.post(EXTERNAL_INFO, json={"external_create_time": value}, headers=headers)
        assert body(r)["code"] == 0

    # batch_update: open_ids convert through the caller's own users (m-1, not the sandbox's 1612209227096).
    update = {
        "update_option_list": [1, 3],
        "recruiter_id": ZHANG["open_id"],
        "hiring_manager_id_list": [WANG["open_id"]],
    }
    answer = body(client.post(BATCH_UPDATE, json=update, headers=mirror))
    assert answer["code"] == 0, answer
    assert answer["data"]["job_manager"]["recruiter_id"] == ZHANG["open_id"]

    tenants = _data(control)
    sandbox, mirrored = tenants["sandbox"], tenants["mirror"]
    assert [(u["external_id"], u["name"]) for u in sandbox["site_users"]] == [("e1", "A")]
    assert [(u["external_id"], u["name"]) for u in mirrored["site_users"]] == [("e1", "M")]
    assert {t["talent_id"]: t["external_create_time"] for t in sandbox["talents"]}[TALENT_ID] == "1000"
    assert {t["talent_id"]: t["external_create_time"] for t in mirrored["talents"]}[TALENT_ID] == "2000"
    assert mirrored["jobs"][0]["recruiter_id"] == "m-1"
    assert mirrored["jobs"][0]["hiring_manager_id_list"] == ["m-2"]
    # The sandbox's job is as seeded: recruiter 韩梅梅, hiring manager 李雷.
    assert sandbox["jobs"][0]["recruiter_id"] == "1612209227099"
    assert sandbox["jobs"][0]["hiring_manager_id_list"] == ["1612209227098"]
    assert sandbox["jobs"][0]["updated_by"] is None
    # The journal names the caller's app on every business call.
    apps = [
        (e["operation"], e["app_id"])
        for e in control.requests()
        if e["operation"] != "tenant_access_token_internal"
    ]
    assert apps == [
        ("create_website_site_user", DEFAULT_APP_ID),
        ("create_website_site_user", MIRROR_APP),
        ("create_website_site_user", DEFAULT_APP_ID),
        ("create_talent_external_info", DEFAULT_APP_ID),
        ("create_talent_external_info", MIRROR_APP),
        ("batch_update_job_manager", MIRROR_APP),
    ]


# (path, body, expected code) of one app's calls that name the other tenant's data.
CROSS_CALLS = [
    # the other tenant's website, talent and job do not exist for the caller
    (SITE_USERS, {"external_id": "x"}, 1002010),
    (EXTERNAL_INFO, {"external_create_time": "1"}, 1002102),
    (BATCH_UPDATE, {"update_option_list": [1], "recruiter_id": ZHANG["open_id"]}, 1002207),
    # the caller's own job, naming the other tenant's users
    (
        f"/open-apis/hire/v1/jobs/{OTHER_JOB}/managers/batch_update",
        {
            "update_option_list": [1, 2],
            "recruiter_id": ZHANG["open_id"],
            "assistant_id_list": [WANG["open_id"]],
        },
        1002011,
    ),
    (
        f"/open-apis/hire/v1/jobs/{OTHER_JOB}/managers/batch_update",
        {"update_option_list": [1], "recruiter_id": OTHER_USER, "creator_id": ZHANG["open_id"]},
        1002011,
    ),
]
# The same, from the sandbox app towards the other tenant.
REVERSE_CALLS = [
    (f"/open-apis/hire/v1/websites/{OTHER_WEBSITE}/site_users", {"external_id": "x"}, 1002010),
    (f"/open-apis/hire/v1/talents/{OTHER_TALENT}/external_info", {"external_create_time": "1"}, 1002102),
    (f"/open-apis/hire/v1/jobs/{OTHER_JOB}/managers/batch_update", {"update_option_list": [1]}, 1002002),
    (
        f"/open-apis/hire/v1/jobs/{OTHER_JOB}/managers/batch_update",
        {"update_option_list": [1], "recruiter_id": ZHANG["open_id"]},
        1002207,
    ),
    (BATCH_UPDATE, {"update_option_list": [1], "recruiter_id": OTHER_USER}, 1002011),
]


@pytest.mark.parametrize(
    ("app", "call"),
    [(OTHER_APP_ID, call) for call in CROSS_CALLS] + [(DEFAULT_APP_ID, call) for call in REVERSE_CALLS],
)
def test_a_token_never_reads_or_changes_another_tenants_data(
    feishu_mock: InProcessMock, client: httpx.Client, app: str, call: tuple[str, dict[str, Any], int]
) -> None:
    path, payload, code = call
    headers = _auth(client, app, OTHER_APP_SECRET if app == OTHER_APP_ID else DEFAULT_APP_SECRET)
    # Data of both tenants to leak or spoil: a site user on each website.
    owner = _auth(client, DEFAULT_APP_ID, DEFAULT_APP_SECRET)
    other = _auth(client, OTHER_APP_ID, OTHER_APP_SECRET)
    assert (
        body(client.post(SITE_USERS, json={"external_id": "x", "name": "mine"}, headers=owner))["code"] == 0
    )
    r = client.post(
        f"/open-apis/hire/v1/websites/{OTHER_WEBSITE}/site_users", json={"external_id": "x"}, headers=other
    )
    assert body(r)["code"] == 0
    before = _data(feishu_mock.control)
    r = client.post(path, json=payload, headers=headers)
    answer = body(r)
    assert (r.status_code, answer["code"]) == (400, code), answer
    assert "data" not in answer or not answer["data"], answer  # nothing of anyone's is answered
    assert _data(feishu_mock.control) == before


BUSINESS_CALLS = [
    (SITE_USERS, {"external_id": "late"}),
    (EXTERNAL_INFO, {"external_create_time": "1"}),
    (BATCH_UPDATE, {"update_option_list": [1], "recruiter_id": ZHANG["open_id"]}),
]


def test_expired_token_is_refused_on_every_endpoint_and_changes_nothing(
    feishu_mock: InProcessMock, client: httpx.Client
) -> None:
    control = feishu_mock.control
    old = token(client)
    control.advance_clock(7200 - 60)  # a minute left: still good
    path, payload = BUSINESS_CALLS[1]
    assert body(client.post(path, json=payload, headers={"Authorization": f"Bearer {old}"}))["code"] == 0
    control.advance_clock(60)  # its expiry instant: expired
    before = _data(control)
    for path, payload in BUSINESS_CALLS:
        r = client.post(path, json=payload, headers={"Authorization": f"Bearer {old}"})
        assert (r.status_code, body(r)["code"]) == (400, 99991677), body(r)
    assert _data(control) == before
    # A fresh token works; the expired one stays refused.
    new = token(client)
    assert new != old
    path, payload = BUSINESS_CALLS[0]
    assert body(client.post(path, json=payload, headers={"Authorization": f"Bearer {new}"}))["code"] == 0
    r = client.post(SITE_USERS, json={"external_id": "later"}, headers={"Authorization": f"Bearer {old}"})
    assert body(r)["code"] == 99991677


# -- the control plane off loopback

ADMIN = "admin-s3cret"
# A body for each control call that would change something if it were let through.
CONTROL_BODIES: dict[str, Any] = {
    "seed": {"tenants": [{"apps": [{"app_id": "cli_intruder", "app_secret": "x"}]}]},
    "faults": {"operation": "create_website_site_user", "code": 1002001, "count": 5},
    "clock/advance": {"seconds": 86400},
    "tenants": {"tenant_key": "intruder"},
}


# A value for each path parameter of a control route (entry 1 is the first call to the Feishu surface).
PATH_VALUES = {"<int:entry_id>": "1", "<tenant_key>": "sandbox-other"}


def _control_routes(app: Flask) -> list[tuple[str, str]]:
    """Every (method, path) of the control plane, read from the app's URL map."""
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(PREFIX.rstrip("/")):
            path = rule.rule
            for parameter, value in PATH_VALUES.items():
                path = path.replace(parameter, value)
            routes += [
                (method, path) for method in sorted(rule.methods or ()) if method not in {"HEAD", "OPTIONS"}
            ]
    return routes


def _admitted(response: httpx.Response) -> bool:
    """The route answered, past the guard: 200, or the journal's own 404 for an entry an earlier call
    (a reset) removed."""
    return response.status_code == 200 or (
        response.status_code == 404 and response.json().get("error", "").startswith("no call")
    )


def _call(client: httpx.Client, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
    payload = CONTROL_BODIES.get(path.removeprefix(PREFIX))
    return client.request(method, path, json=payload if method == "POST" else None, headers=headers)


def _loopback_view(app: Flask) -> dict[str, Any]:
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://feishu.mock") as c:
        control = MockControl(c)
        state = control.state()
        return {
            "data": state["tenants"],
            "faults": state["faults"],
            "journal": control.requests(),
            "now": control.now(),
        }


@pytest.mark.parametrize("admin_token", [None, ADMIN])
@pytest.mark.parametrize(
    "remote", ["10.1.2.3", "192.168.0.9", "0.0.0.0", "::ffff:10.0.0.1", "2001:db8::1", "::"]
)
def test_every_control_route_refuses_off_loopback_without_the_admin_token(
    tmp_path: Path, admin_token: str | None, remote: str
) -> None:
    app = create_app(MockConfig(db_path=tmp_path / "mock.db", admin_token=admin_token))
    routes = _control_routes(app)
    assert len(routes) >= 9, routes  # reset, seed, state, requests, faults x3, clock, clock/advance
    with httpx.Client(transport=httpx.WSGITransport(app=app, remote_addr=remote), base_url="http://x") as c:
        tenant_token = token(c)
        before = _loopback_view(app)
        # A tenant's token is scoped to its tenant (tests/console/test_isolation.py), never the admin.
        assert c.get("/mock-api/scope", headers={"Authorization": f"Bearer {tenant_token}"}).json()[
            "data"
        ] == {"scope": "tenant", "tenant_key": "sandbox"}
        no_credentials = {
            "X-Forwarded-For": "127.0.0.1",
            "X-Real-IP": "127.0.0.1",
            "Forwarded": "for=127.0.0.1",
        }
        wrong_credentials = [
            {"Authorization": "Bearer wrong"},
            {"Authorization": ADMIN},  # without "Bearer "
            {"Authorization": f"Basic {ADMIN}"},
        ]
        for method, path in routes:
            for headers in [{}, no_credentials]:
                r = _call(c, method, path, headers)
                assert r.status_code == (403 if admin_token is None else 401), (method, path, headers, r.text)
            for headers in wrong_credentials:
                r = _call(c, method, path, headers)
                assert r.status_code == 401, (method, path, headers, r.text)
                assert "Traceback" not in r.text
        # Nothing changed: not the data, the faults, the clock (beyond real time) nor the journal's calls.
        after = _loopback_view(app)
        assert after["data"] == before["data"]
        assert after["faults"] == before["faults"] == []
        assert after["now"] - before["now"] < 3600
        assert after["journal"] == before["journal"]
        if admin_token is not None:
            # The right admin token opens every route from the same address.
            for method, path in routes:
                assert _admitted(_call(c, method, path, {"Authorization": f"Bearer {ADMIN}"})), path


@pytest.mark.parametrize("remote", ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"])
def test_loopback_callers_need_no_admin_token(tmp_path: Path, remote: str) -> None:
    app = create_app(MockConfig(db_path=tmp_path / "mock.db", admin_token=ADMIN))
    with httpx.Client(transport=httpx.WSGITransport(app=app, remote_addr=remote), base_url="http://x") as c:
        for method, path in _control_routes(app):
            assert _admitted(_call(c, method, path, {})), (method, path)
