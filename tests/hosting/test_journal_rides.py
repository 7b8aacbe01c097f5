"""On PostgreSQL a create's journal entry rides on its insert (`Store.journal_rides_writes`): one
statement stores the user and the entry made for the answer that insert implies, and only if the user
went in. The entry is the one the call would get otherwise, field for field, as on SQLite; a create
that inserts nothing (a replay of its external_id, a website that does not exist) is journaled with
the answer it does get. The update of a talent's external info carries its entry the same way, on its
compare-and-set: only the entry of the attempt that is made is stored."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from benchmarks.engines import fresh_database
from mockserver.app import create_app
from mockserver.config import MockConfig
from mockserver.control import MockControl
from mockserver.journal import Journal, JournalEntry
from mockserver.operations.invocation import Invocation
from mockserver.runtime import EXTENSION, Runtime
from mockserver.seed import TALENT_ID, WEBSITE_ID
from mockserver.storage.postgres import PostgresStore
from tests.mockserver.helpers import EXTERNAL_INFO, SITE_USERS, bearer

# What differs between two calls however they are journaled: their instants, ids and the new user's id.
VARYING = ("id", "log_id", "time", "duration_ms", "request_headers", "response_headers", "response_body")


@contextmanager
def _sandbox(db: str) -> Iterator[tuple[httpx.Client, MockControl, Runtime]]:
    app = create_app(MockConfig(db_path=db))
    client = httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://127.0.0.1")
    try:
        yield client, MockControl(client), app.extensions[EXTENSION]
    finally:
        client.close()
        app.extensions[EXTENSION].close()


@pytest.fixture
def postgresql(postgres_url: str) -> Iterator[tuple[httpx.Client, MockControl, Runtime]]:
    with fresh_database(postgres_url) as url, _sandbox(url) as sandbox:
        yield sandbox


def _recorded(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> list[JournalEntry]:
    """The entries the journal is handed to write itself (not those a write carried)."""
    handed: list[JournalEntry] = []
    record = runtime.journal.record

    def kept(entry: JournalEntry) -> None:
        handed.append(entry)
        record(entry)

    monkeypatch.setattr(runtime.journal, "record", kept)
    return handed


def _creates(control: MockControl) -> list[dict[str, Any]]:
    return control.requests(operation="create_website_site_user")


def _external_infos(control: MockControl) -> list[dict[str, Any]]:
    return control.requests(operation="create_talent_external_info")


def test_a_new_users_entry_is_stored_by_its_insert_and_is_the_entry_sqlite_keeps(
    postgresql: tuple[httpx.Client, MockControl, Runtime], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, control, runtime = postgresql
    assert runtime.store.journal_rides_writes
    handed = _recorded(runtime, monkeypatch)
    sent = {"external_id": "rides-1", "name": "张敏", "email": "zhang@example.com"}
    answer = client.post(SITE_USERS, json=sent, headers=bearer(client))
    assert answer.json()["code"] == 0
    assert [entry.operation for entry in handed] == ["tenant_access_token_internal"]  # not the create's

    (entry,) = _creates(control)
    assert (entry["status"], entry["code"]) == (200, 0)
    assert entry["response_body"] == answer.text
    assert entry["response_headers"]["X-Tt-Logid"] == answer.headers["X-Tt-Logid"] == entry["log_id"]
    assert entry["response_headers"]["Content-Type"] == answer.headers["Content-Type"]
    assert entry["request_headers"]["Authorization"].endswith("***")
    assert entry["duration_ms"] > 0

    with _sandbox(str(tmp_path / "mock.db")) as (sq_client, sq_control, sq_runtime):
        assert not sq_runtime.store.journal_rides_writes
        sq_answer = sq_client.post(SITE_USERS, json=sent, headers=bearer(sq_client))
        (sq_entry,) = _creates(sq_control)
    assert {k: v for k, v in entry.items() if k not in VARYING} == {
        k: v for k, v in sq_entry.items() if k not in VARYING
    }
    assert entry["response_headers"].keys() == sq_entry["response_headers"].keys()
    assert entry["request_headers"].keys() == sq_entry["request_headers"].keys()
    assert len(entry["response_body"]) == len(sq_answer.text)


def test_a_create_that_inserts_nothing_is_journaled_with_the_answer_it_gets(
    postgresql: tuple[httpx.Client, MockControl, Runtime], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, control, runtime = postgresql
    headers = bearer(client)
    first = client.post(SITE_USERS, json={"external_id": "twice"}, headers=headers)
    handed = _recorded(runtime, monkeypatch)
    replay = client.post(SITE_USERS, json={"external_id": "twice"}, headers=headers)
    missing = client.post(
        SITE_USERS.replace(WEBSITE_ID, "9" * 13), json={"external_id": "x"}, headers=headers
    )
    assert replay.json() == first.json()
    assert missing.json()["code"] != 0
    assert len(handed) == 2  # neither rode on an insert

    entries = _creates(control)
    assert [(e["status"], e["code"], e["response_body"]) for e in entries] == [
        (200, 0, first.text),
        (200, 0, replay.text),
        (missing.status_code, missing.json()["code"], missing.text),
    ]
    assert len(control.requests()) == 4  # the token's call, and each create once


def test_entries_a_write_carried_count_towards_pruning(
    postgresql: tuple[httpx.Client, MockControl, Runtime], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, control, runtime = postgresql
    journal: Journal = runtime.journal
    monkeypatch.setattr(journal, "retention", 3)
    monkeypatch.setattr("mockserver.journal.PRUNE_EVERY", 4)
    headers = bearer(client)  # one entry, written by the journal
    for n in range(3):  # three more, carried by their inserts: the fourth entry prunes
        assert client.post(SITE_USERS, json={"external_id": f"p{n}"}, headers=headers).json()["code"] == 0
    assert [e["operation"] for e in control.requests()] == ["create_website_site_user"] * 3


def test_a_body_nested_too_deep_to_redact_as_json_is_redacted_by_pattern_and_created(
    postgresql: tuple[httpx.Client, MockControl, Runtime],
) -> None:
    client, control, _ = postgresql
    deep = '{"external_id": "deep", "app_secret": "s3cret", "extra": ' + "[" * 600 + "]" * 600 + "}"
    answer = client.post(
        SITE_USERS, content=deep, headers={**bearer(client), "Content-Type": "application/json"}
    )
    assert answer.json()["code"] == 0
    (entry,) = _creates(control)
    assert entry["response_body"] == answer.text
    assert "s3cret" not in entry["request_body"]
    assert '"app_secret": "***"' in entry["request_body"]


def test_an_entry_that_cannot_be_made_leaves_the_create_to_go_on(
    postgresql: tuple[httpx.Client, MockControl, Runtime], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, control, runtime = postgresql
    headers = bearer(client)

    def broken(entry: JournalEntry) -> dict[str, Any]:
        raise RuntimeError("a defect in making the entry")

    monkeypatch.setattr(runtime.journal, "row", broken)
    first = client.post(SITE_USERS, json={"external_id": "unjournaled"}, headers=headers)
    assert first.json()["code"] == 0
    monkeypatch.undo()
    again = client.post(SITE_USERS, json={"external_id": "unjournaled"}, headers=headers)
    assert again.json() == first.json()  # the first made the user
    assert [e["response_body"] for e in _creates(control)] == [again.text]


def test_an_external_info_update_carries_its_entry_which_is_the_entry_sqlite_keeps(
    postgresql: tuple[httpx.Client, MockControl, Runtime], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, control, runtime = postgresql
    headers = bearer(client)
    handed = _recorded(runtime, monkeypatch)
    sent = {"external_create_time": "1639992265035"}
    answer = client.post(EXTERNAL_INFO, json=sent, headers=headers)
    missing = client.post(EXTERNAL_INFO.replace(TALENT_ID, "9" * 19), json=sent, headers=headers)
    assert answer.json()["code"] == 0
    assert answer.json()["data"]["external_info"]["external_create_time"] == "1639992265035"
    assert missing.json()["code"] != 0
    assert len(handed) == 1  # the missing talent's: it updated nothing to carry its entry

    entry, missing_entry = sorted(_external_infos(control), key=lambda e: e["id"])
    assert (entry["status"], entry["code"], entry["response_body"]) == (200, 0, answer.text)
    assert entry["response_headers"]["X-Tt-Logid"] == answer.headers["X-Tt-Logid"] == entry["log_id"]
    assert (missing_entry["code"], missing_entry["response_body"]) == (missing.json()["code"], missing.text)

    with _sandbox(str(tmp_path / "mock.db")) as (sq_client, sq_control, _):
        sq_answer = sq_client.post(EXTERNAL_INFO, json=sent, headers=bearer(sq_client))
        (sq_entry,) = _external_infos(sq_control)
    assert sq_answer.text == answer.text
    assert {k: v for k, v in entry.items() if k not in VARYING} == {
        k: v for k, v in sq_entry.items() if k not in VARYING
    }
    assert entry["response_body"] == sq_entry["response_body"]


def test_an_update_that_raced_another_stores_only_the_entry_of_the_attempt_made(
    postgresql: tuple[httpx.Client, MockControl, Runtime],
    postgres_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another host writes the talent between this call's read and its compare-and-set: the first
    attempt updates nothing and stores no entry; the second, on the other's result, stores its own."""
    client, control, runtime = postgresql
    store = runtime.store
    assert isinstance(store, PostgresStore)
    other = PostgresStore(store.url)  # another host's connection to the same database
    journal_row = Invocation.journal_row
    attempts: list[str] = []
    tenants: list[str] = []

    def racing(invocation: Invocation, data: Any) -> Any:
        tenants.append(invocation.tenant_key)
        if not attempts:  # the first attempt: the other host writes the talent before its update
            with other.statement() as queries:
                assert queries.update_resource("talent", invocation.tenant_key, TALENT_ID, {"name": "raced"})
        attempts.append(data["external_info"]["external_create_time"])
        return journal_row(invocation, data)

    monkeypatch.setattr(Invocation, "journal_row", racing)
    handed = _recorded(runtime, monkeypatch)
    try:
        answer = client.post(EXTERNAL_INFO, json={"external_create_time": "1"}, headers=bearer(client))
    finally:
        other.close()
    assert answer.json()["code"] == 0
    assert attempts == ["1", "1"]
    talent = store.read().resource("talent", tenants[0], TALENT_ID)
    assert talent is not None
    assert (talent["name"], talent["external_create_time"]) == ("raced", "1")  # made on the other's result
    (entry,) = _external_infos(control)  # the first attempt's entry was never stored
    assert entry["response_body"] == answer.text
    assert [e.operation for e in handed] == ["tenant_access_token_internal"]  # the update stored its own
