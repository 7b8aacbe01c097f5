"""How `mockserver.calls` routes a request: the spec's operations by their paths in the spec (a segment
per path parameter, read as UTF-8; a trailing slash only where the spec allows one), everything else to
Flask, and both kinds journaled alike."""

from __future__ import annotations

import httpx
import pytest

from mockserver import journal
from mockserver.calls import endpoints
from mockserver.errors import SYSTEM_ERROR, FeishuAPIError
from mockserver.journal import LOSS_REPORT_SECONDS, Journal
from mockserver.seed import DEFAULT_APP_ID, DEFAULT_APP_SECRET
from tests.mockserver.helpers import DOC_SITE_USER, SITE_USERS, TOKEN_PATH, bearer, body


def test_every_operation_of_the_spec_is_routed_by_its_own_path() -> None:
    found = endpoints()
    for endpoint in found.values():
        example = endpoint.operation.path.replace("{", "").replace("}", "")
        assert endpoint.pattern.fullmatch(example), endpoint.operation.path
        assert not endpoint.pattern.fullmatch(example + "/x")
    site_users = found["create_website_site_user"].pattern.fullmatch(SITE_USERS)
    assert site_users is not None
    assert site_users.groupdict() == {"website_id": SITE_USERS.split("/")[5]}


def test_a_path_parameter_is_read_as_utf8(client: httpx.Client) -> None:
    # In-process, httpx hands PATH_INFO already read as UTF-8 (not PEP 3333's latin-1): it is taken too.
    r = client.post(
        "/open-apis/hire/v1/websites/%E7%BD%91%E7%AB%99/site_users",
        json=DOC_SITE_USER,
        headers=bearer(client),
    )
    answer = body(r)
    assert answer["code"] != 0
    assert answer["msg"].endswith("website_id=网站")


@pytest.mark.parametrize(
    "path",
    [
        SITE_USERS + "/",  # the spec allows no trailing slash here
        "/open-apis/hire/v1/websites//site_users",  # an empty id is no id
        "/open-apis/hire/v1/%E7%BD%91%E7%AB%99",  # nothing the spec declares, in UTF-8
        SITE_USERS + "/more",
    ],
)
def test_a_path_the_spec_does_not_declare_is_feishus_404(client: httpx.Client, path: str) -> None:
    r = client.post(path, json=DOC_SITE_USER, headers=bearer(client))
    assert r.status_code == 404
    assert r.text == "404 page not found"


def test_a_trailing_slash_is_taken_where_the_spec_allows_it(client: httpx.Client) -> None:
    r = client.post(TOKEN_PATH + "/", json={"app_id": DEFAULT_APP_ID, "app_secret": DEFAULT_APP_SECRET})
    assert body(r)["code"] == 0


def test_operations_and_404s_are_journaled_with_their_log_ids(client: httpx.Client) -> None:
    created = client.post(SITE_USERS, json=DOC_SITE_USER, headers=bearer(client))
    missing = client.post("/open-apis/hire/v1/nothing", json={})
    entries = client.get("/mock-api/requests", params={"limit": 10}).json()["requests"]
    by_log_id = {e["log_id"]: e for e in entries}
    assert by_log_id[created.headers["X-Tt-Logid"]]["operation"] == "create_website_site_user"
    assert by_log_id[created.headers["X-Tt-Logid"]]["status"] == 200
    assert by_log_id[missing.headers["X-Tt-Logid"]]["operation"] is None
    assert by_log_id[missing.headers["X-Tt-Logid"]]["status"] == 404


def test_leading_slashes_and_a_lower_case_method_route_as_werkzeug_reads_them(client: httpx.Client) -> None:
    credentials = {"app_id": DEFAULT_APP_ID, "app_secret": DEFAULT_APP_SECRET}
    doubled = client.base_url.copy_with(raw_path=("/" + TOKEN_PATH).encode())  # not a host: a path
    assert body(client.post(doubled, json=credentials))["code"] == 0
    assert body(client.request("post", TOKEN_PATH, json=credentials))["code"] == 0


def test_a_journal_that_cannot_be_written_fails_no_call(
    client: httpx.Client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    headers = bearer(client)

    def store_down(self: Journal, rows: list[dict[str, object]]) -> None:
        raise FeishuAPIError(SYSTEM_ERROR)  # what a store that cannot be reached raises

    monkeypatch.setattr(Journal, "_write", store_down)
    created = client.post(SITE_USERS, json=DOC_SITE_USER, headers=headers)
    missing = client.post("/open-apis/hire/v1/nothing", json={})
    assert created.status_code == 200
    assert body(created)["code"] == 0  # stored: its answer stands, only its entry is lost
    assert "X-Tt-Logid" in created.headers
    assert missing.status_code == 404
    told = [r for r in caplog.records if "journal" in r.getMessage()]
    # One line for the outage, not one per entry lost, and no traceback.
    assert [r.getMessage() for r in told] == [
        "journal entries are not being written: system error (counted until the store is back)"
    ]
    assert told[0].exc_info is None
    caplog.clear()
    monkeypatch.undo()  # the store takes entries again
    assert client.post(SITE_USERS, json=DOC_SITE_USER, headers=headers).status_code == 200
    back = [r.getMessage() for r in caplog.records if "journal" in r.getMessage()]
    assert len(back) == 1
    assert back[0].startswith("2 journal entries were not written, over ")
    assert back[0].endswith("; the store takes them again")


def test_a_long_outage_of_the_journal_is_told_every_report_interval_not_every_write(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = [1000.0]
    losses = journal._Losses(clock=lambda: clock[0])
    for _ in range(50):  # a write every second, three entries each, for 50 s: one line
        losses.add(3, "system error")
        clock[0] += 1
    assert [r.getMessage() for r in caplog.records] == [
        "journal entries are not being written: system error (counted until the store is back)"
    ]
    clock[0] += LOSS_REPORT_SECONDS - 50
    losses.add(3, "system error")
    losses.add(3, "system error")
    assert caplog.records[-1].getMessage() == (
        "153 journal entries were not written in 60 s so far: system error"
    )
    losses.end()
    losses.end()  # nothing more lost: nothing more told
    assert [r.getMessage() for r in caplog.records][2:] == [
        "156 journal entries were not written, over 60.0 s; the store takes them again"
    ]
    assert losses.count == 0
