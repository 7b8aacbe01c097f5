"""新建招聘官网用户: validation from the spec, idempotency on external_id enforced by the database."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from mockserver.pytest_plugin import InProcessMock, RunningMock
from tests.mockserver.helpers import DOC_SITE_USER, SITE_USERS, bearer, body


def test_docs_example_creates_a_user_with_a_19_digit_id(client: httpx.Client) -> None:
    answer = body(client.post(SITE_USERS, json=DOC_SITE_USER, headers=bearer(client)))
    assert answer["code"] == 0
    user = answer["data"]["site_user"]
    assert {k: v for k, v in user.items() if k != "user_id"} == DOC_SITE_USER
    assert isinstance(user["user_id"], str)
    assert len(user["user_id"]) == 19
    assert user["user_id"].isdigit()


def test_repeated_external_id_answers_the_existing_user_unchanged(
    feishu_mock: InProcessMock, client: httpx.Client
) -> None:
    headers = bearer(client)
    first = body(client.post(SITE_USERS, json=DOC_SITE_USER, headers=headers))["data"]["site_user"]
    changed = {**DOC_SITE_USER, "name": "Someone else", "email": "else@example.com"}
    again = body(client.post(SITE_USERS, json=changed, headers=headers))["data"]["site_user"]
    assert again == first
    assert len(feishu_mock.control.state()["tenants"]["sandbox"]["site_users"]) == 1


def test_only_the_given_fields_are_answered(client: httpx.Client) -> None:
    user = body(client.post(SITE_USERS, json={"external_id": "e1"}, headers=bearer(client)))["data"][
        "site_user"
    ]
    assert set(user) == {"user_id", "external_id"}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "x"}, "external_id"),
        ({"external_id": "e", "mobile": "182900291190"}, "mobile_country_code"),
        ({"external_id": "e", "mobile_country_code": "CN_1"}, "mobile"),
        ({"external_id": "e", "email": 5}, "email"),
    ],
)
def test_invalid_requests_name_the_field(
    client: httpx.Client, payload: dict[str, object], field: str
) -> None:
    r = client.post(SITE_USERS, json=payload, headers=bearer(client))
    assert (r.status_code, body(r)["code"]) == (400, 1002002)
    assert [v["field"] for v in body(r)["error"]["field_violations"]] == [field]


def test_unknown_website_is_1002010(client: httpx.Client) -> None:
    r = client.post(
        "/open-apis/hire/v1/websites/999/site_users", json={"external_id": "e"}, headers=bearer(client)
    )
    assert (r.status_code, body(r)["code"]) == (400, 1002010)
    assert "website_id=999" in body(r)["msg"]


def test_concurrent_identical_requests_make_one_user(feishu_mock_server: RunningMock) -> None:
    with httpx.Client(base_url=feishu_mock_server.base_url, timeout=30) as c:
        headers = bearer(c)

        def create(_: int) -> str:
            answer = body(c.post(SITE_USERS, json={"external_id": "race", "name": "n"}, headers=headers))
            assert answer["code"] == 0, answer
            user_id: str = answer["data"]["site_user"]["user_id"]
            return user_id

        with ThreadPoolExecutor(max_workers=8) as pool:
            user_ids = set(pool.map(create, range(10)))  # under the 10/s limit
    assert len(user_ids) == 1
    stored = feishu_mock_server.control.state()["tenants"]["sandbox"]["site_users"]
    assert [u["user_id"] for u in stored] == list(user_ids)
