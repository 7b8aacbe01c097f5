"""The journal with bodies: what each entry keeps, what it hides, the filters, the order, the pages,
the count (WireMock's `verify`) and the retention."""

from __future__ import annotations

import json

import httpx
from flask import Flask

from mockserver.journal import BODY_LIMIT, RETENTION, JournalEntry, redact_body
from mockserver.runtime import EXTENSION, Runtime
from mockserver.seed import DEFAULT_APP_ID, DEFAULT_APP_SECRET, OTHER_APP_ID, OTHER_APP_SECRET
from tests.mockserver.helpers import BATCH_UPDATE, DOC_BATCH_UPDATE, SITE_USERS, TOKEN_PATH, bearer

SECRET_TOKEN_PREFIX = 6


def _requests(client: httpx.Client, **params: object) -> list[dict[str, object]]:
    r = client.get("/mock-api/requests", params=params)  # type: ignore[arg-type]
    assert r.status_code == 200, r.text
    entries: list[dict[str, object]] = r.json()["requests"]
    return entries


def test_an_entry_keeps_request_and_answer_with_secrets_redacted(local: httpx.Client) -> None:
    token_answer = local.post(TOKEN_PATH, json={"app_id": DEFAULT_APP_ID, "app_secret": DEFAULT_APP_SECRET})
    token = token_answer.json()["tenant_access_token"]
    headers = {"Authorization": f"Bearer {token}", "User-Agent": "partner-tests/1.0"}
    answer = local.post(
        BATCH_UPDATE, params={"user_id_type": "open_id"}, json=DOC_BATCH_UPDATE, headers=headers
    )
    update, issued = _requests(local)  # newest first
    assert update["operation"] == "batch_update_job_manager"
    assert update["method"] == "POST"
    assert update["path"] == BATCH_UPDATE
    assert update["query"] == "user_id_type=open_id"
    assert update["tenant_key"] == "sandbox"
    assert update["app_id"] == DEFAULT_APP_ID
    assert (update["status"], update["code"]) == (200, 0)
    assert update["log_id"] == answer.headers["X-Tt-Logid"]
    assert isinstance(update["duration_ms"], float)
    assert update["duration_ms"] >= 0
    assert json.loads(str(update["request_body"])) == DOC_BATCH_UPDATE
    assert json.loads(str(update["response_body"])) == answer.json()
    request_headers = update["request_headers"]
    assert isinstance(request_headers, dict)
    assert request_headers["User-Agent"] == "partner-tests/1.0"
    assert request_headers["Authorization"] == f"Bearer {token[:SECRET_TOKEN_PREFIX]}***"
    response_headers = update["response_headers"]
    assert isinstance(response_headers, dict)
    assert response_headers["X-Tt-Logid"] == answer.headers["X-Tt-Logid"]
    # The token call: its secret and the token it answered never reach the journal.
    assert issued["tenant_key"] == "sandbox"
    assert issued["app_id"] == DEFAULT_APP_ID
    assert json.loads(str(issued["request_body"])) == {"app_id": DEFAULT_APP_ID, "app_secret": "***"}
    assert json.loads(str(issued["response_body"]))["tenant_access_token"] == "***"
    everything = local.get("/mock-api/requests").text
    assert DEFAULT_APP_SECRET not in everything
    assert token not in everything


def test_secrets_are_redacted_in_bodies_that_are_not_json_too() -> None:
    assert redact_body(b'{"app_secret": "s3cret", "x": [{"refresh_token": "r"}]}') == (
        '{"app_secret": "***", "x": [{"refresh_token": "***"}]}'
    )
    for raw in (b'{"app_secret": "s3cret", ', b"app_id=cli_x&app_secret=s3cret", b"{'app_secret': 's3cret'}"):
        text = redact_body(raw)
        assert text is not None
        assert "s3cret" not in text, text
    long = b'{"name": "' + "张".encode() * BODY_LIMIT + b'"}'
    cut = redact_body(long)
    assert cut is not None
    assert cut.endswith(f"truncated ({len(long)} bytes in all)")
    assert len(cut.encode()) < BODY_LIMIT + 100


def test_filters_order_pages_and_count(app: Flask, local: httpx.Client) -> None:
    sandbox = bearer(local)
    other = bearer(local, OTHER_APP_ID, OTHER_APP_SECRET)
    for i in range(5):
        local.post(SITE_USERS, json={"external_id": f"e{i}"}, headers=sandbox)
    local.post(SITE_USERS, json={}, headers=sandbox)  # 1002002
    local.post(
        "/open-apis/hire/v1/websites/2618209327096/site_users", json={"external_id": "o"}, headers=other
    )
    everything = _requests(local)
    assert len(everything) == 9  # two tokens, seven calls
    ids = [int(str(e["id"])) for e in everything]
    assert ids == sorted(ids, reverse=True)  # newest first
    assert [e["code"] for e in _requests(local, code=1002002)] == [1002002]
    assert {e["status"] for e in _requests(local, status=400)} == {400}
    assert {e["app_id"] for e in _requests(local, app_id=OTHER_APP_ID)} == {OTHER_APP_ID}
    assert len(_requests(local, operation="create_website_site_user")) == 7
    assert len(_requests(local, operation="create_website_site_user", tenant_key="sandbox")) == 6
    # Pages: `limit` entries, then the ones before the last seen.
    first = _requests(local, limit=4)
    second = _requests(local, limit=4, before=first[-1]["id"])
    assert [e["id"] for e in first + second] == ids[:8]
    # Time: entries at or after `since`, at or before `until`.
    times = sorted(float(str(e["time"])) for e in everything)
    assert len(_requests(local, since=times[3])) == 6
    assert len(_requests(local, until=times[3])) == 4
    # The count, for tests that verify what their code sent.
    count = local.get("/mock-api/requests/count", params={"operation": "create_website_site_user", "code": 0})
    assert count.json() == {"count": 6}
    # One entry by id, with its bodies.
    one = local.get(f"/mock-api/requests/{ids[0]}").json()
    assert one["id"] == ids[0]
    assert local.get("/mock-api/requests/999999").status_code == 404
    # Bad filters are refused, never a 500.
    for bad in ({"status": "x"}, {"limit": "0"}, {"limit": "x"}, {"since": "soon"}, {"before": "1.5"}):
        r = local.get("/mock-api/requests", params=bad)
        assert r.status_code == 400, (bad, r.text)


def test_the_journal_keeps_the_newest_entries(app: Flask, local: httpx.Client) -> None:
    runtime: Runtime = app.extensions[EXTENSION]
    assert runtime.journal.retention == RETENTION
    runtime.journal.retention = 3
    entry = JournalEntry(
        tenant_key="sandbox",
        app_id=DEFAULT_APP_ID,
        operation=None,
        method="GET",
        path="/x",
        query="",
        status=404,
        code=None,
        log_id="L",
        time=1.0,
        duration_ms=0.1,
        request_headers={},
        request_body=None,
        response_headers={},
        response_body=None,
    )
    for _ in range(10):
        runtime.journal.record(entry)
    runtime.journal.prune()
    assert len(_requests(local)) == 3


def test_a_lone_surrogate_escape_is_journaled_and_shown(local: httpx.Client) -> None:
    """`"\\ud800"` parses to a str UTF-8 cannot hold: the call is refused as usual, the journal keeps the
    escape as text, and the console shows it."""
    raw = b'{"app_id": "\\ud800", "app_secret": "s3cret"}'
    r = local.post(TOKEN_PATH, content=raw)
    assert r.json()["code"] == 10003
    [entry] = _requests(local)
    assert entry["request_body"] == '{"app_id": "\\ud800", "app_secret": "***"}'
    page = local.get(f"/mock-ui/journal/{entry['id']}")
    assert page.status_code == 200
    assert "\\ud800" in page.text
    assert "s3cret" not in page.text
