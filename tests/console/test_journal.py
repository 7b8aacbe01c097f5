"""The journal with bodies: what each entry keeps, what it hides, the filters, the order, the pages,
the count (WireMock's `verify`) and the retention."""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask

from mockserver import journal as journal_module
from mockserver.control import CountCapped, MockControl
from mockserver.journal import BODY_LIMIT, RETENTION, JournalEntry, redact_body
from mockserver.runtime import EXTENSION, Runtime
from mockserver.seed import DEFAULT_APP_ID, DEFAULT_APP_SECRET, OTHER_APP_ID, OTHER_APP_SECRET
from mockserver.storage.schema import DROPPED_INDEXES, JOURNAL_INDEXES
from mockserver.storage.sqlite import JOURNAL_SCHEMA, SQLiteStore
from tests.console.journal_plans import PLAN_CASES, count_statement, page_statement
from tests.mockserver.helpers import BATCH_UPDATE, DOC_BATCH_UPDATE, SITE_USERS, TOKEN_PATH, bearer

SECRET_TOKEN_PREFIX = 6


def _requests(client: httpx.Client, **params: object) -> list[dict[str, object]]:
    r = client.get("/mock-api/requests", params=params)  # type: ignore[arg-type]
    assert r.status_code == 200, r.text
    entries: list[dict[str, object]] = r.json()["requests"]
    return entries


ENTRY = JournalEntry(
    tenant_key="sandbox",
    app_id=DEFAULT_APP_ID,
    operation="create_website_site_user",
    method="POST",
    path="/x",
    query="",
    status=200,
    code=0,
    log_id="L",
    time=1_790_000_000.0,
    duration_ms=0.1,
    request_headers={},
    request_body=None,
    response_headers={},
    response_body=None,
)


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
        '{"app_secret":"***","x":[{"refresh_token":"***"}]}'
    )
    deep = b'{"app_secret": "s3cret", "x": ' + b"[" * 600 + b"]" * 600 + b"}"  # past Python's recursion
    for raw in (
        b'{"app_secret": "s3cret", ',
        b"app_id=cli_x&app_secret=s3cret",
        b"{'app_secret': 's3cret'}",
        deep,
    ):
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
    assert count.json() == {"count": 6, "capped": False}
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
    entry = replace(ENTRY, operation=None, method="GET", status=404, code=None, time=1.0)
    for _ in range(10):
        runtime.journal.record(entry)
    runtime.journal.prune()
    assert len(_requests(local)) == 3


def test_writes_prune_the_oldest_entries_beyond_retention_a_bounded_step_at_a_time(
    app: Flask, local: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime: Runtime = app.extensions[EXTENSION]
    runtime.journal.retention = 3
    monkeypatch.setattr(journal_module, "PRUNE_EVERY", 10)
    monkeypatch.setattr(journal_module, "PRUNE_STEP", 4)
    paths = [f"/entry/{n}" for n in range(1, 11)]
    for path in paths[:9]:
        runtime.journal.record(replace(ENTRY, path=path))
    assert len(_requests(local, limit=100)) == 9  # no step before the 10th write
    runtime.journal.record(replace(ENTRY, path=paths[9]))
    # The 10th write's step: 7 entries beyond the 3 kept, the 4 oldest of them deleted.
    assert sorted(str(e["path"]) for e in _requests(local, limit=100)) == sorted(paths[4:])
    runtime.journal.prune()  # all at once
    assert sorted(str(e["path"]) for e in _requests(local, limit=100)) == sorted(paths[7:])


def test_a_lone_surrogate_escape_is_journaled_and_shown(local: httpx.Client) -> None:
    """`"\\ud800"` parses to a str UTF-8 cannot hold: the call is refused as usual, the journal keeps the
    escape as text, and the console shows it."""
    raw = b'{"app_id": "\\ud800", "app_secret": "s3cret"}'
    r = local.post(TOKEN_PATH, content=raw)
    assert r.json()["code"] == 10003
    [entry] = _requests(local)
    assert entry["request_body"] == '{"app_id":"\\ud800","app_secret":"***"}'
    page = local.get(f"/mock-ui/journal/{entry['id']}")
    assert page.status_code == 200
    assert "\\ud800" in page.text
    assert "s3cret" not in page.text


def test_newest_first_is_by_time_and_pages_keep_every_entry(app: Flask, local: httpx.Client) -> None:
    """A call that began first is older whatever order the entries were written in; entries of one
    instant come newest id first, and paging from an entry of that instant loses and repeats none."""
    runtime: Runtime = app.extensions[EXTENSION]
    times = [5.0, 3.0, 4.0, 4.0, 4.0, 4.0, 1.0, 2.0]  # written in this order
    for t in times:
        runtime.journal.record(replace(ENTRY, time=1_790_000_000.0 + t))
    everything = _requests(local)
    assert [float(str(e["time"])) - 1_790_000_000.0 for e in everything] == sorted(times, reverse=True)
    same_instant = [int(str(e["id"])) for e in everything if e["time"] == 1_790_000_004.0]
    assert same_instant == sorted(same_instant, reverse=True)
    paged: list[dict[str, object]] = []
    page = _requests(local, limit=3)
    while page:
        paged += page
        page = _requests(local, limit=3, before=page[-1]["id"])
    assert [e["id"] for e in paged] == [e["id"] for e in everything]
    until = _requests(local, until=1_790_000_004.0, limit=2)
    assert [e["time"] for e in until] == [1_790_000_004.0, 1_790_000_004.0]


def test_a_tenant_cannot_page_from_another_tenants_entry(app: Flask, local: httpx.Client) -> None:
    runtime: Runtime = app.extensions[EXTENSION]
    runtime.journal.record(replace(ENTRY, tenant_key="sandbox", time=1_790_000_001.0))
    runtime.journal.record(
        replace(ENTRY, tenant_key="sandbox-other", app_id=OTHER_APP_ID, time=1_790_000_009.0)
    )
    mine, theirs = _requests(local, tenant_key="sandbox"), _requests(local, tenant_key="sandbox-other")
    assert _requests(local, tenant_key="sandbox", before=theirs[0]["id"]) == []
    assert _requests(local, before=theirs[0]["id"]) == mine  # the admin pages over every tenant


def test_a_count_stops_at_the_cap_and_says_so(
    app: Flask, local: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(journal_module, "COUNT_CAP", 3)
    runtime: Runtime = app.extensions[EXTENSION]
    for n in range(4):
        runtime.journal.record(replace(ENTRY, code=n % 2))
    assert local.get("/mock-api/requests/count", params={"code": 1}).json() == {"count": 2, "capped": False}
    assert local.get("/mock-api/requests/count").json() == {"count": 3, "capped": True}
    control = MockControl(local)
    assert control.count_requests(code=0) == 2
    with pytest.raises(CountCapped) as capped:
        control.count_requests()
    assert capped.value.count == 3


def _plan(conn: sqlite3.Connection, statement: tuple[str, dict[str, Any]]) -> str:
    sql, params = statement
    return "; ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall())


@pytest.mark.parametrize(("wanted", "index"), PLAN_CASES, ids=[str(sorted(w)) for w, _ in PLAN_CASES])
def test_every_filter_reads_its_index_on_sqlite(tmp_path: Path, wanted: dict[str, Any], index: str) -> None:
    """A page and a count seek the filter's index and read it in order, a count from the index alone
    (no sort of the matches, no walk of the table); a count stops at the cap."""
    store = SQLiteStore(tmp_path / "mock.db")
    try:
        conn = store.connection()
        for statement, way in (
            (page_statement(wanted), "INDEX"),
            (count_statement(wanted), "COVERING INDEX"),
        ):
            plan = _plan(conn, statement)
            assert re.search(rf"journal USING {way} {index}\b", plan), plan
            assert "TEMP B-TREE" not in plan, plan
    finally:
        store.close()


def test_the_journal_lives_in_a_file_of_its_own_and_an_earlier_versions_in_the_database_goes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:  # the journal as earlier versions kept it, with their indexes
        conn.execute("CREATE TABLE journal (id INTEGER PRIMARY KEY, tenant_key TEXT)")
        for name in DROPPED_INDEXES:
            conn.execute(f"CREATE INDEX {name} ON journal (id)")
    SQLiteStore(path).close()
    with sqlite3.connect(path) as conn:
        in_database = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert "journal" not in in_database
    assert not in_database & (set(DROPPED_INDEXES) | set(JOURNAL_INDEXES))
    with sqlite3.connect(f"{path}.{JOURNAL_SCHEMA}") as conn:
        in_file = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert {"journal", *JOURNAL_INDEXES} <= in_file


def test_a_journal_file_sqlite_cannot_read_is_replaced_by_an_empty_one(tmp_path: Path) -> None:
    path = tmp_path / "mock.db"
    SQLiteStore(path).close()
    Path(f"{path}.{JOURNAL_SCHEMA}").write_bytes(b"not a database, as a power cut can leave it" * 100)
    store = SQLiteStore(path)
    try:
        journal = journal_module.Journal(store)
        journal.record(ENTRY)
        assert [e["path"] for e in journal.entries(journal_module.JournalFilter(), limit=10)] == [ENTRY.path]
    finally:
        store.close()
