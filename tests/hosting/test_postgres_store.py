"""The PostgreSQL engine (`mockserver.storage.postgres`) on a real PostgreSQL: the same queries answer as
on SQLite, races are decided by the database across stores (as across hosts), what one store changes
every other sees at once, and an unreachable PostgreSQL is 1002001, never a half-written change."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st
from psycopg.conninfo import conninfo_to_dict

import mockserver.storage.postgres as postgres_module
from benchmarks.engines import Engines, fresh_database
from mockserver.cli import _database
from mockserver.errors import SYSTEM_ERROR
from mockserver.ratelimit import Refusal, Window
from mockserver.ratelimit.postgres import PostgresWindows
from mockserver.seed import DEFAULT_APP_ID, JOB_ID, WEBSITE_ID, load_seed
from mockserver.storage import open_store
from mockserver.storage.postgres import (
    CONNECT_TIMEOUT_SECONDS,
    CONNECTION_LIVENESS,
    MARK,
    PAUSE_AFTER_FAILURE_SECONDS,
    REFUSALS_TOLD,
    SESSION_SETTINGS,
    PostgresStore,
    PostgresUnavailable,
    Translated,
    _refused,
    from_text,
    to_text,
    translate,
)
from mockserver.storage.queries import NewRecord
from mockserver.storage.seeding import apply_seed, dump
from mockserver.storage.shared_state import StoredState
from mockserver.storage.sqlite import SQLiteStore

TENANT = "sandbox"


def site_user(external_id: str, user_id: str, name: str | None = None) -> NewRecord:
    """A site user of the default website, as the create stores it."""
    fields = {"external_id": external_id, "user_id": user_id, "name": name}
    return NewRecord(TENANT, "site_user", "website", WEBSITE_ID, external_id, user_id, fields, time.time())


def stored_site_user(store: PostgresStore, external_id: str) -> dict[str, object] | None:
    return store.read().record("site_user", TENANT, WEBSITE_ID, external_id)


def store_log(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What the PostgreSQL store told the log (its refusals' logger included)."""
    return [r.getMessage() for r in caplog.records if r.name.startswith("mockserver.storage.postgres")]


def with_options(url: str, options: str) -> str:
    """`url` with libpq's `options` (session settings, `-c name=value ...`) added."""
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}{urlencode({'options': options}, quote_via=quote)}"


@pytest.fixture(autouse=True)
def refusals_told_afresh() -> None:
    """Each test's refused statements are told as a fresh process tells them (the filter that lets
    each SQLSTATE through once a minute is the process's)."""
    REFUSALS_TOLD.forget()


@pytest.fixture
def store(postgres_url: str) -> Iterator[PostgresStore]:
    opened = open_store(postgres_url)
    assert isinstance(opened, PostgresStore)
    with opened.transaction() as queries:
        apply_seed(queries, load_seed(None), replace=False)
    yield opened
    opened.close()


def test_a_url_opens_postgresql_and_a_path_stays_sqlite(tmp_path: Path, postgres_url: str) -> None:
    assert _database(postgres_url) == postgres_url  # the CLI keeps the URL whole (a Path folds "//")
    assert _database("var/mock.db") == Path("var/mock.db")
    sqlite = open_store(tmp_path / "mock.db")
    try:
        assert isinstance(sqlite, SQLiteStore)
    finally:
        sqlite.close()


def test_connections_probe_a_silent_network_unless_the_url_says_otherwise(postgres_url: str) -> None:
    """TCP keepalives and a bound on unacknowledged data (`CONNECTION_LIVENESS`), as the connection
    reports them; a value the URL gives is kept."""
    separator = "&" if "?" in postgres_url else "?"
    for url, idle in ((postgres_url, "10"), (f"{postgres_url}{separator}keepalives_idle=30", "30")):
        opened = PostgresStore(url)
        try:
            parameters = opened._own().conn.info.get_parameters()
            assert parameters["keepalives"] == "1"
            assert parameters["keepalives_idle"] == idle
            assert parameters["tcp_user_timeout"] == str(CONNECTION_LIVENESS["tcp_user_timeout"])
        finally:
            opened.close()


def test_sessions_commit_without_waiting_for_the_disk_unless_the_url_says_otherwise(
    postgres_url: str,
) -> None:
    """`SESSION_SETTINGS` over the database's own default (here `synchronous_commit = on`); a URL's own
    `options` keep theirs, and get the setting added where they do not name it."""
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        name = conn.execute("SELECT current_database()").fetchone()
        assert name is not None
        conn.execute(f'ALTER DATABASE "{name[0]}" SET synchronous_commit = on')
    for options, expected in (
        ("", "off"),
        ("-c synchronous_commit=on", "on"),
        ("-c statement_timeout=5000", "off"),
        ("-c deadlock_timeout=2s", "off"),  # a name inside another's is not it
        ("--lock-timeout=1s", "off"),  # PostgreSQL's other spelling of lock_timeout
    ):
        opened = PostgresStore(with_options(postgres_url, options) if options else postgres_url)
        try:
            assert opened.read().conn.execute("SHOW synchronous_commit").fetchone() == {
                "synchronous_commit": expected
            }, options
            if "statement_timeout" in options:
                assert opened.read().conn.execute("SHOW statement_timeout").fetchone() == {
                    "statement_timeout": "5s"
                }
            if "deadlock_timeout" in options:
                shown = opened.read().conn.execute("SHOW deadlock_timeout").fetchone()
                assert shown == {"deadlock_timeout": "2s"}
            if "lock-timeout" in options:
                assert opened.read().conn.execute("SHOW lock_timeout").fetchone() == {"lock_timeout": "1s"}
            own = {"synchronous_commit"} | ({"lock_timeout"} if "lock-timeout" in options else set())
            for setting, value in SESSION_SETTINGS.items():  # the others, whatever else the options set
                if setting not in own:
                    assert opened.read().conn.execute(f"SHOW {setting}").fetchone() == {setting: value}
        finally:
            opened.close()


def test_parameters_become_postgresqls_numbered_ones_and_nothing_else_changes() -> None:
    assert translate("SELECT :a, :b_2 WHERE x = :a") == Translated("SELECT $1, $2 WHERE x = $1", ("a", "b_2"))
    assert translate("SELECT x::text, '%' FROM t") == Translated("SELECT x::text, '%' FROM t", ())
    assert translate("INSERT INTO t (a, b) VALUES (?, ?), (?, ?)") == Translated(
        "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)", None
    )


def test_a_named_parameter_used_twice_is_sent_once_and_a_percent_sign_stays_literal(
    store: PostgresStore,
) -> None:
    row = (
        store.read()
        .conn.execute(
            "SELECT :a || '%' || :b || :a AS joined, 5 % 3 AS rest", {"b": "-", "a": "x", "unused": "y"}
        )
        .fetchone()
    )
    assert row == {"joined": "x%-x", "rest": 2}


@given(st.text(alphabet=st.sampled_from(["a", "\x00", MARK, "\ue001", "\ue002", "é"])) | st.text())
def test_any_text_is_stored_without_nul_and_reads_back_as_it_was(value: str) -> None:
    stored = to_text(value)
    assert "\x00" not in stored
    assert from_text(stored) == value
    assert (stored == value) == ("\x00" not in value and MARK not in value)  # others are stored as they are


def test_text_with_nul_round_trips_and_matches_as_on_sqlite(store: PostgresStore) -> None:
    with store.statement() as queries:
        assert queries.insert_record_if_absent(site_user("e\x00\ue000", "u-nul", "\x8d\x00"))
        assert not queries.insert_record_if_absent(site_user("e\x00\ue000", "u-other"))
    row = stored_site_user(store, "e\x00\ue000")
    assert row is not None
    assert (row["external_id"], row["user_id"], row["name"]) == ("e\x00\ue000", "u-nul", "\x8d\x00")
    assert stored_site_user(store, "e") is None
    assert store.read().app("cli_sandbox\x00") is None  # a lookup with NUL finds nothing, as on SQLite


def test_the_seed_reads_back_the_same_as_on_sqlite(store: PostgresStore, tmp_path: Path) -> None:
    sqlite = SQLiteStore(tmp_path / "mock.db")
    try:
        with sqlite.transaction() as queries:
            apply_seed(queries, load_seed(None), replace=False)
        assert dump(store.read()) == dump(sqlite.read())
        store.reset(load_seed(None))
        sqlite.reset(load_seed(None))
        assert dump(store.read()) == dump(sqlite.read())
    finally:
        sqlite.close()


@pytest.fixture
def stores(postgres_url: str, store: PostgresStore) -> Iterator[list[PostgresStore]]:
    """4 more stores on the seeded database: as 4 processes, on one host or several."""
    opened = [PostgresStore(postgres_url) for _ in range(4)]
    yield opened
    for s in opened:
        s.close()


R = TypeVar("R")


def at_once(threads: int, call: Callable[[int], R]) -> list[R]:
    """`call(i)` from `threads` threads let go together."""
    barrier = threading.Barrier(threads)

    def one(i: int) -> R:
        barrier.wait(timeout=30)
        return call(i)

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, range(threads)))


def test_one_site_user_per_external_id_whichever_store_races(
    stores: list[PostgresStore], store: PostgresStore
) -> None:
    def create(i: int) -> bool:
        with stores[i % 4].statement() as queries:
            return queries.insert_record_if_absent(site_user("race", f"u{i}", f"n{i}"))

    inserted = at_once(32, create)
    assert inserted.count(True) == 1
    row = stored_site_user(store, "race")
    assert row is not None
    assert row["user_id"] == f"u{inserted.index(True)}"


def test_one_claim_of_a_job_wins_across_stores(stores: list[PostgresStore], store: PostgresStore) -> None:
    def claim(i: int) -> bool:
        with stores[i % 4].transaction() as queries:
            return queries.claim("job", TENANT, JOB_ID, f"m{i}", now=time.time(), lease_seconds=30)

    claimed = at_once(16, claim)
    assert claimed.count(True) == 1
    held = store.read().conn.execute(
        "SELECT in_flight FROM resources WHERE kind = 'job' AND resource_id = :id", {"id": JOB_ID}
    )
    assert held.fetchall() == [{"in_flight": f"m{claimed.index(True)}"}]


def test_windows_in_postgresql_are_exact_across_stores(stores: list[PostgresStore]) -> None:
    windows = [PostgresWindows(s) for s in stores]
    now = 1_700_000_000.0
    limits = [Window(30, 1), Window(45, 60)]

    def admitted(i: int) -> int:
        return sum(windows[i % 4].hit("app/op", limits, now) is None for _ in range(5))

    assert sum(at_once(16, admitted)) == 30  # 16 threads, 5 calls each: 80 calls in one window of 30
    # The second's window rolled, the minute's did not: 15 more reach its 45.
    later = [windows[n % 4].hit("app/op", limits, now + 1) for n in range(20)]
    assert later.count(None) == 15
    assert later[-1] == Refusal(45, 59)


def test_what_one_store_changes_another_sees_at_once(postgres_url: str, store: PostgresStore) -> None:
    other = PostgresStore(postgres_url)
    try:
        mine, theirs = StoredState(store), StoredState(other)
        assert theirs.clock_offset() == 0  # read, and cached behind the generation
        mine.advance_clock(90)
        fault = mine.insert_fault(
            {"operation": None, "resource": "x", "code": 1002001, "remaining": 1, "latency_ms": 0}
        )
        assert theirs.clock_offset() == 90
        assert [f["id"] for f in theirs.faults()] == [fault]
        assert theirs.use_fault(fault)
        assert mine.faults() == []
        # A token one store has cached is gone for it once another deletes it (a reset).
        app = store.read().app(DEFAULT_APP_ID)
        assert app is not None
        with store.statement() as queries:
            queries.insert_token("t-1", app, time.time(), time.time() + 7200)
        assert other.token("t-1") is not None
        store.reset(load_seed(None))
        assert other.token("t-1") is None
    finally:
        other.close()


def test_a_failed_transaction_leaves_nothing_behind(store: PostgresStore) -> None:
    talent = "7043758982146345223"

    def fails_after_two_writes() -> None:
        with store.transaction() as queries:
            assert queries.insert_record_if_absent(site_user("half", "u-half"))
            assert queries.update_resource("talent", TENANT, talent, {"external_create_time": "1"})
            raise RuntimeError("the call failed after its first writes")

    with pytest.raises(RuntimeError):
        fails_after_two_writes()
    assert stored_site_user(store, "half") is None
    assert (store.read().resource("talent", TENANT, talent) or {}).get("external_create_time") is None


def test_steps_of_pruning_in_two_processes_at_once_take_different_entries_without_waiting(
    store: PostgresStore,
) -> None:
    """One step holds the oldest entries it deletes (its transaction still open) while another prunes:
    the other deletes the next oldest at once instead of waiting for the first (or deadlocking with it,
    as two steps taking overlapping entries in different orders can)."""
    store.read().conn.execute(
        "INSERT INTO journal (method, path, query, status, log_id, time, duration_ms, request_headers,"
        " response_headers) SELECT 'POST', '/p', '', 200, 'L' || n, n, 1, '{}', '{}'"
        " FROM generate_series(1, 10) AS n"
    )
    holding, done = threading.Event(), threading.Event()

    def first_step() -> None:
        with store.transaction() as queries:
            queries.prune_journal(4, at_most=3)
            holding.set()
            done.wait(timeout=3)

    holder = threading.Thread(target=first_step)
    holder.start()
    try:
        assert holding.wait(timeout=5)
        started = time.monotonic()
        with store.statement() as queries:
            queries.prune_journal(4, at_most=3)
        waited = time.monotonic() - started
    finally:
        done.set()
        holder.join()
    assert waited < 1
    left = store.read().conn.execute("SELECT log_id FROM journal ORDER BY id").fetchall()
    assert [row["log_id"] for row in left] == ["L7", "L8", "L9", "L10"]


def test_postgresql_down_is_1002001_at_once_and_the_store_recovers_by_itself(
    own_engines: Engines, caplog: pytest.LogCaptureFixture
) -> None:
    with fresh_database(own_engines.postgres_url) as url:
        store = PostgresStore(url)
        try:
            assert store.read().app(DEFAULT_APP_ID) is None  # answers (no seed here)
            own_engines.stop("postgres")
            for attempt in range(3):
                began = time.monotonic()
                with pytest.raises(PostgresUnavailable) as caught:
                    store.read().app(DEFAULT_APP_ID)
                waited = time.monotonic() - began
                assert caught.value.code == SYSTEM_ERROR
                # The first call waits for a connection up to the whole connect timeout; once one has
                # failed, the next ask again without waiting it out (PostgreSQL refuses at once), so a
                # host answers its first call soon after PostgreSQL is back.
                assert waited < (2 if attempt == 0 else CONNECT_TIMEOUT_SECONDS)
                time.sleep(PAUSE_AFTER_FAILURE_SECONDS)  # past the pause, the next call asks again
            with pytest.raises(PostgresUnavailable), store.transaction() as queries:
                queries.advance_clock(1)
            own_engines.start("postgres")
            deadline = time.monotonic() + 10
            while True:  # the first calls may still find the pause after a failure
                try:
                    assert store.read().clock_offset() == 0  # the failed transaction wrote nothing
                    break
                except PostgresUnavailable:
                    assert time.monotonic() < deadline, "the store never answered again"
                    time.sleep(0.05)
            # The outage in the log: a line when it began and one when it ended, not one per attempt;
            # of the pool's warnings at each failed attempt, each kind once a minute at most (the first
            # says why).
            told = store_log(caplog)
            assert len(told) == 2, told
            kinds = [str(r.msg) for r in caplog.records if r.name == "psycopg.pool"]
            assert len(kinds) == len(set(kinds)), kinds
            assert told[0].startswith("PostgreSQL cannot be asked (")
            assert told[0].endswith("): calls answer 1002001 until it can")
            assert told[1].startswith("PostgreSQL answers again, ")
        finally:
            store.close()


def test_a_statement_postgresql_refuses_fails_that_call_alone_and_is_no_outage(
    store: PostgresStore, postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A statement PostgreSQL cancels (as it does one in a deadlock, or past a lock's timeout) on a sound
    connection: that call is 1002001, the next asks at once on the same connection, and the log tells
    of the refused statement, not of an outage."""
    answers: list[object] = []
    caller_pid: list[int] = []

    def create() -> bool:
        with store.statement() as queries:
            return queries.insert_record_if_absent(site_user("canceled", "u-c"))

    def create_then_read() -> None:
        pid = store.read().conn.execute("SELECT pg_backend_pid() AS pid").fetchone()
        assert pid is not None
        caller_pid.append(pid["pid"])  # the thread's own connection, which the create then uses
        for call in (create, lambda: store.read().app(DEFAULT_APP_ID)):  # the read at once: within
            # any pause after a failure
            try:
                answers.append(call())
            except PostgresUnavailable as exc:
                answers.append(exc)

    with psycopg.connect(postgres_url) as holder:  # its transaction holds the lock until it ends
        holder.execute("LOCK TABLE records IN ACCESS EXCLUSIVE MODE")
        backend = store.read().conn.execute("SELECT pg_backend_pid() AS pid").fetchone()
        caller = threading.Thread(target=create_then_read)
        caller.start()
        deadline = time.monotonic() + 10
        while (
            not caller_pid
            or not holder.execute(
                "SELECT 1 FROM pg_stat_activity WHERE pid = %s AND wait_event_type = 'Lock'", caller_pid
            ).fetchall()
        ):
            assert time.monotonic() < deadline, "the create never waited for the lock"
            time.sleep(0.01)
        holder.execute("SELECT pg_cancel_backend(%s)", caller_pid)
        caller.join(10)
        holder.rollback()
    assert not caller.is_alive()
    refused, read = answers
    assert isinstance(refused, PostgresUnavailable)
    assert refused.code == SYSTEM_ERROR
    assert isinstance(read, dict)
    assert read["app_id"] == DEFAULT_APP_ID
    assert stored_site_user(store, "canceled") is None  # nothing half-written
    assert backend is not None  # the main thread's connection, still its own and sound
    assert store.read().conn.execute("SELECT pg_backend_pid() AS pid").fetchone() == backend
    told = store_log(caplog)
    assert len(told) == 1, told
    assert told[0].startswith("PostgreSQL refused a statement (57014 QueryCanceled: ")
    assert "cannot be asked" not in told[0]


def test_writes_to_a_database_that_takes_none_fail_alone_and_are_told_once_a_minute(
    store: PostgresStore, caplog: pytest.LogCaptureFixture
) -> None:
    """A standby, or a database whose sessions default to read-only (here the thread's session): each
    write is 1002001, with no traceback; reads go on answering, with no pause; the log tells it once
    (each SQLSTATE once a minute), not once a call."""
    store.read().conn.execute("SET default_transaction_read_only = on")
    try:
        for i in range(5):
            with pytest.raises(PostgresUnavailable) as caught, store.statement() as queries:
                queries.insert_record_if_absent(site_user(f"read-only-{i}", f"u{i}"))
            assert caught.value.code == SYSTEM_ERROR
            assert caught.value.msg == "system error: database refused the statement (ReadOnlySqlTransaction)"
            assert (store.read().app(DEFAULT_APP_ID) or {}).get("app_id") == DEFAULT_APP_ID
        store.read().conn.execute("SET statement_timeout = '10ms'")  # another refusal: told apart
        with pytest.raises(PostgresUnavailable):
            store.read().conn.execute("SELECT pg_sleep(1)")
    finally:
        store.read().conn.execute("SET default_transaction_read_only = off")
        store.read().conn.execute("SET statement_timeout = 0")
    assert stored_site_user(store, "read-only-0") is None
    told = store_log(caplog)
    assert len(told) == 2, told
    assert told[0].startswith("PostgreSQL refused a statement (25006 ReadOnlySqlTransaction: ")
    assert told[1].startswith("PostgreSQL refused a statement (57014 QueryCanceled: ")


def test_a_statement_refused_is_one_only_on_a_connection_out_of_any_transaction(postgres_url: str) -> None:
    """`_refused`: a connection still in a (failed) transaction after the error would fail every next
    statement of its thread, so the error is not a refusal that lets the thread keep it."""
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("BEGIN")
        conn.execute("SET LOCAL statement_timeout = '10ms'")
        with pytest.raises(psycopg.errors.QueryCanceled) as in_transaction:
            conn.execute("SELECT pg_sleep(1)")
        assert not _refused(in_transaction.value, conn)
        conn.execute("ROLLBACK")
        conn.execute("SET statement_timeout = '10ms'")
        with pytest.raises(psycopg.errors.QueryCanceled) as idle:
            conn.execute("SELECT pg_sleep(1)")
        assert _refused(idle.value, conn)


def test_a_host_frozen_mid_transaction_holds_its_rows_only_until_postgresql_ends_its_session(
    postgres_url: str, store: PostgresStore, caplog: pytest.LogCaptureFixture
) -> None:
    """Host B opens a transaction, inserts a site user, and freezes (a paused machine) before it commits.
    Host A's create of the same external_id waits on B's row only up to the lock timeout (1002001, no
    hang); once B has sat idle in its transaction past its timeout PostgreSQL ends B's session, rolling
    its insert back, and A's create goes through. B's commit then fails: nothing of it is stored. (Short
    timeouts through the URL's options; the defaults are `SESSION_SETTINGS`.)"""
    url = with_options(postgres_url, "-c lock_timeout=300 -c idle_in_transaction_session_timeout=1000")
    host_a, host_b = PostgresStore(url), PostgresStore(url)
    holding, thawed = threading.Event(), threading.Event()
    outcome: list[BaseException | None] = []

    def freeze_mid_transaction() -> None:
        try:
            with host_b.transaction() as queries:
                assert queries.insert_record_if_absent(site_user("frozen", "u-b"))
                holding.set()
                thawed.wait(30)
            outcome.append(None)
        except BaseException as exc:  # kept for the assertion below
            outcome.append(exc)

    def create_on_a() -> bool:
        with host_a.statement() as queries:
            return queries.insert_record_if_absent(site_user("frozen", "u-a"))

    frozen = threading.Thread(target=freeze_mid_transaction)
    try:
        frozen.start()
        assert holding.wait(10)
        began = time.monotonic()
        with pytest.raises(PostgresUnavailable) as caught:
            create_on_a()
        assert caught.value.code == SYSTEM_ERROR
        # Failed: it waited on B's row until the lock timeout (had B's session ended first, it would have
        # gone through), well within the 30 s B stays frozen.
        assert time.monotonic() - began < 5.0
        deadline = time.monotonic() + 10
        while True:
            try:
                assert create_on_a()
                break
            except PostgresUnavailable:  # B's session not ended yet: the lock timeout again
                assert time.monotonic() < deadline, "B's session was never ended"
        assert time.monotonic() - began < 5.0
        thawed.set()
        frozen.join(10)
        assert isinstance(outcome[0], PostgresUnavailable)  # B's commit found its session ended
        # PostgreSQL ended one session of B's, and serves on: B answers at once, no outage told.
        assert (host_b.read().app(DEFAULT_APP_ID) or {}).get("app_id") == DEFAULT_APP_ID
        told = store_log(caplog)
        assert not [line for line in told if "cannot be asked" in line], told
        assert [line for line in told if line.startswith("PostgreSQL ended a session of this process (25P03")]
        row = stored_site_user(store, "frozen")
        assert row is not None
        assert row["user_id"] == "u-a"
    finally:
        thawed.set()
        frozen.join(10)
        host_a.close()
        host_b.close()


def _end_every_connection_of(store: PostgresStore, postgres_url: str) -> None:
    """PostgreSQL ends every connection to the store's database, as a restart does, while the store is
    not asking anything; back once every ended backend has exited (its last words sent)."""
    others = "datname = current_database() AND pid <> pg_backend_pid()"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        ended = admin.execute(
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE {others}"
        ).fetchall()
        assert ended
        assert all(row[0] for row in ended)
        deadline = time.monotonic() + 10
        while admin.execute(f"SELECT pid FROM pg_stat_activity WHERE {others}").fetchall():
            assert time.monotonic() < deadline, "the ended backends did not exit"
            time.sleep(0.01)


def _kept_then_given_back(store: PostgresStore) -> None:
    """The calling thread takes a connection, then gives it back to the pool, idle (as after a failed
    statement)."""
    assert store.read().app(DEFAULT_APP_ID) is not None
    store._drop(store._own().conn)


@pytest.mark.parametrize("idle_in_pool", [0, 1, 2], ids=["the-threads-own", "one-in-the-pool", "two"])
def test_connections_postgresql_ended_while_idle_are_replaced_before_a_statement(
    store: PostgresStore, postgres_url: str, idle_in_pool: int
) -> None:
    """A restart ends every connection a host keeps while it is idle: the next statements go on new ones
    instead of each thread's first failing with 1002001. Whether the ended one is the connection the
    thread keeps, or those waiting in the pool for the next thread that needs one (psycopg_pool's own
    check as it hands one out gives up once two in a row fail)."""
    assert store.read().app(DEFAULT_APP_ID) is not None  # this thread keeps a connection now
    if idle_in_pool == 2:  # another thread's, given back while this one holds its own: two in the pool
        other = threading.Thread(target=_kept_then_given_back, args=(store,))
        other.start()
        other.join()
    if idle_in_pool:
        store._drop(store._own().conn)
    _end_every_connection_of(store, postgres_url)
    assert store.read().app(DEFAULT_APP_ID) is not None
    with store.statement() as queries:
        assert queries.insert_record_if_absent(site_user("after-the-end", "u-after"))
    assert stored_site_user(store, "after-the-end") is not None


def test_a_connection_given_back_twice_goes_back_once_and_the_threads_new_one_stays(
    store: PostgresStore,
) -> None:
    """A statement block whose connection a statement in it replaced (PostgreSQL had ended it) and
    which then fails gives back the connection it began with: that one is back already."""
    assert store.read().app(DEFAULT_APP_ID) is not None
    first = store._own().conn
    first.close()  # as `_closed_while_idle` closes one PostgreSQL ended
    store._drop(first)
    second = store._own().conn  # the thread's new connection
    assert second is not first
    store._drop(first)  # the block's failure, on the connection it began with
    assert store._own().conn is second
    assert store.read().app(DEFAULT_APP_ID) is not None


@pytest.fixture
def reader_writer(postgres_url: str, store: PostgresStore) -> Iterator[str]:
    """The URL of a role that may read and write the tables `store` made, and own nothing: as platform
    teams run an application beside the role that owns its schema."""
    PostgresWindows(store)  # the window function too, as its owner
    role = f"feishu_host_{secrets.token_hex(4)}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN")
        admin.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
        admin.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}")
        admin.execute(f"REVOKE CREATE ON SCHEMA public FROM {role}")
    url = urlsplit(postgres_url)
    as_role = urlunsplit(url._replace(netloc=f"{role}@{url.hostname}:{url.port}"))
    assert conninfo_to_dict(as_role)["user"] == role != conninfo_to_dict(postgres_url).get("user")
    try:
        yield as_role
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(f"DROP OWNED BY {role}")
            admin.execute(f"DROP ROLE {role}")


def test_a_host_that_does_not_own_the_schema_starts_once_it_is_made_and_serves(reader_writer: str) -> None:
    host = open_store(reader_writer)  # no DDL: every table, index and the function are there already
    try:
        assert isinstance(host, PostgresStore)
        windows = PostgresWindows(host)
        assert windows.hit("app/op", [Window(1, 1)], 1_700_000_000.0) is None
        assert windows.hit("app/op", [Window(1, 1)], 1_700_000_000.0) == Refusal(1, 1)
        with host.transaction() as queries:
            assert queries.insert_record_if_absent(site_user("by-another-role", "u-1"))
        assert stored_site_user(host, "by-another-role") == {
            "external_id": "by-another-role",
            "user_id": "u-1",
            "name": None,
        }
    finally:
        host.close()


def test_a_host_puts_back_a_missing_generation_row_though_it_runs_no_ddl(
    postgres_url: str, store: PostgresStore
) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("DELETE FROM generation")
    host = open_store(postgres_url)
    try:
        assert isinstance(host, PostgresStore)
        assert host.read().conn.execute("SELECT value FROM generation WHERE id = 1").fetchone() == {
            "value": 0
        }
        host.generation.bump()  # moves on from the row put back
        assert host.read().conn.execute("SELECT value FROM generation").fetchone() == {"value": 1}
    finally:
        host.close()


def test_parameters_of_the_other_style_are_refused_before_postgresql_sees_them(store: PostgresStore) -> None:
    with pytest.raises(TypeError, match="dict parameters"):
        store.read().conn.execute("SELECT ? AS one", {"one": 1})
    with pytest.raises(TypeError, match="list parameters"):
        store.read().conn.execute("SELECT :one AS one", [1])


def _prepared_here(store: PostgresStore) -> dict[str, str]:
    """The statements the thread's connection holds prepared, by name (PostgreSQL's own view of them)."""
    rows = store.read().conn.execute("SELECT name, statement FROM pg_prepared_statements").fetchall()
    return {row["name"]: row["statement"] for row in rows}


def _times_prepared(store: PostgresStore, sql: str) -> int:
    return list(_prepared_here(store).values()).count(translate(sql).sql)


def _insert_twice(store: PostgresStore, prefix: str) -> None:
    """Two creates of site users, out of a transaction: the insert is prepared from then on."""
    for n in range(2):
        with store.statement() as queries:
            assert queries.insert_record_if_absent(site_user(f"{prefix}-{n}", f"u-{prefix}-{n}"))


def test_a_statement_is_prepared_on_its_second_run_per_types_and_answers_as_a_cursor(
    store: PostgresStore,
) -> None:
    conn = store.read().conn
    sql = "SELECT :n + 1 AS next, :label AS label, :nothing::text AS nothing"
    first = conn.execute(sql, {"n": 0, "label": "l0", "nothing": None}).fetchall()
    assert first == [{"next": 1, "label": "l0", "nothing": None}]
    assert _times_prepared(store, sql) == 0  # a statement seen once is not kept on the server
    answers = [conn.execute(sql, {"n": n, "label": f"l{n}", "nothing": None}).fetchall() for n in (1, 2)]
    assert answers == [[{"next": n + 1, "label": f"l{n}", "nothing": None}] for n in (1, 2)]
    assert _times_prepared(store, sql) == 1
    # Other types are another preparation (a statement's parameter types are fixed when it is prepared).
    for _ in range(2):
        row = conn.execute(sql, {"n": 2.5, "label": "f", "nothing": None}).fetchone()
        assert row == {"next": 3.5, "label": "f", "nothing": None}
    assert _times_prepared(store, sql) == 2
    # Row counts are a cursor's: the rows a SELECT or RETURNING gave, the rows a command changed.
    for _ in range(2):
        assert conn.execute("SELECT g FROM generate_series(1, :n) AS g", {"n": 3}).rowcount == 3
        with store.statement() as queries:
            update = "UPDATE resources SET fields = fields WHERE resource_id = :id"
            assert queries.conn.execute(update, {"id": JOB_ID}).rowcount == 1
            assert queries.conn.execute(update, {"id": "none"}).rowcount == 0
            returning = f"{update} RETURNING resource_id"
            assert queries.conn.execute(returning, {"id": JOB_ID}).fetchall() == [{"resource_id": JOB_ID}]


def test_statements_stay_prepared_through_a_rolled_back_transaction(store: PostgresStore) -> None:
    """psycopg's own preparing (off on the store's connections) drops every prepared statement of the
    session after a ROLLBACK, the store's included: their next run in a transaction failed."""
    conn = store.read().conn
    for _ in range(6):  # often enough for psycopg to prepare a statement of its own
        conn.execute("SELECT count(*) AS n FROM tenants")
    _insert_twice(store, "before")

    def fails() -> None:
        with store.transaction() as queries:
            queries.insert_record_if_absent(site_user("rolled-back", "u-rb"))
            raise RuntimeError("the call failed")

    with pytest.raises(RuntimeError):
        fails()
    with store.transaction() as queries:  # where a lost statement could not be prepared again
        assert queries.insert_record_if_absent(site_user("after", "u-after"))
    assert stored_site_user(store, "rolled-back") is None
    assert stored_site_user(store, "after") is not None


def test_statements_postgresql_lost_are_prepared_again_under_new_names(store: PostgresStore) -> None:
    for _ in range(2):
        assert stored_site_user(store, "x") is None  # the read, prepared on its second run
    _insert_twice(store, "first")
    held = sorted(_prepared_here(store), key=lambda name: int(name.rsplit("_", 1)[1]))
    cursor = store._own().cursor
    for name in held[1:]:  # PostgreSQL loses all but the first (whose name stays taken)
        cursor.execute(f"DEALLOCATE {name}")
    for _ in range(2):  # out of a transaction: answered at once, and prepared again on the next run
        assert stored_site_user(store, "first-0") is not None
    _insert_twice(store, "second")
    assert len(_prepared_here(store)) >= 3

    def in_a_transaction(external_id: str) -> None:
        with store.transaction() as queries:
            assert queries.insert_record_if_absent(site_user(external_id, f"u-{external_id}"))

    cursor.execute("DEALLOCATE ALL")
    with pytest.raises(psycopg.errors.InvalidSqlStatementName):
        in_a_transaction("lost")  # in a transaction the statement fails, and the transaction with it
    in_a_transaction("next")  # the next one runs it again
    assert stored_site_user(store, "lost") is None
    assert stored_site_user(store, "next") is not None


def test_a_connection_keeps_its_prepared_statements_for_the_next_thread_that_takes_it(
    store: PostgresStore,
) -> None:
    _insert_twice(store, "kept")
    first = store._own().conn
    store._drop(first)  # back to the pool, which holds one connection: the next take is this one
    assert store._own().conn is first
    _insert_twice(store, "again")  # prepared by the connection's earlier taker: not made twice
    assert stored_site_user(store, "again-1") is not None


def test_closing_the_store_cancels_a_running_statement_before_it_frees_the_connection(
    store: PostgresStore,
) -> None:
    conn = store.read().conn
    started = threading.Event()
    outcome: list[BaseException | None] = []

    def sleeps() -> None:
        started.set()
        try:
            conn.execute("SELECT pg_sleep(:seconds) AS slept", {"seconds": 20})
            outcome.append(None)
        except BaseException as exc:  # what the statement raised is the test's answer
            outcome.append(exc)

    sleeper = threading.Thread(target=sleeps)
    sleeper.start()
    started.wait(5)
    time.sleep(0.5)  # the statement is in libpq, the GIL released
    began = time.monotonic()
    store.close()
    sleeper.join(10)
    assert time.monotonic() - began < 3  # cancelled, not waited out
    assert len(outcome) == 1
    assert isinstance(outcome[0], PostgresUnavailable), outcome


def test_past_its_bound_a_connection_runs_statements_unprepared(
    store: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = len(_prepared_here(store))  # the seed's statements, prepared as the store was filled
    monkeypatch.setattr(postgres_module, "PREPARED_PER_CONNECTION", held + 2)
    conn = store.read().conn
    texts = [f"SELECT :n * {k} AS product" for k in range(2, 6)]
    for _ in range(2):
        for k, text in enumerate(texts, start=2):
            assert conn.execute(text, {"n": 3}).fetchone() == {"product": 3 * k}
    prepared = set(_prepared_here(store).values())
    assert [translate(text).sql in prepared for text in texts] == [True, True, False, False]


def test_a_statement_whose_plan_a_new_column_made_stale_is_prepared_again(store: PostgresStore) -> None:
    """A rolling upgrade's first host may add a column to a table older hosts read with `*`."""
    conn = store.read().conn
    conn.execute("CREATE TABLE widened (id INTEGER PRIMARY KEY)")
    conn.execute("INSERT INTO widened VALUES (1)")
    for _ in range(2):
        assert conn.execute("SELECT * FROM widened WHERE id = :id", {"id": 1}).fetchall() == [{"id": 1}]
    with psycopg.connect(store.url, autocommit=True) as other:
        other.execute("ALTER TABLE widened ADD COLUMN note TEXT")
    for _ in range(2):
        rows = conn.execute("SELECT * FROM widened WHERE id = :id", {"id": 1}).fetchall()
        assert rows == [{"id": 1, "note": None}]
