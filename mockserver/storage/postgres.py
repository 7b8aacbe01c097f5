"""The shared engine: the mock's tables in PostgreSQL, so several hosts pointed at one database act as one
Feishu (`feishu-hire serve --db postgresql://USER@HOST:PORT/DBNAME`).

psycopg 3 with one `psycopg_pool` pool per process, made when the store is (a uWSGI worker builds its
app after the fork, so no connection crosses it); each thread keeps the connection it took from it until
that connection fails. The queries are `queries.Queries`, the same as
SQLite's: their `:name` parameters are translated to PostgreSQL's `$n` once per statement text, and each
connection prepares a statement the second time it runs it (`_Session`). Connections
run in autocommit, so a one-statement read or write is one round trip; `transaction()` wraps its block
in BEGIN ... COMMIT. Races are decided as on SQLite, by the database: the primary key for idempotency
(INSERT ... ON CONFLICT DO NOTHING waits for a concurrent insert of the same key, then does nothing), a
conditional UPDATE for the job marker (READ COMMITTED re-checks its WHERE on the row another
transaction just wrote).

What each process caches (token rows, the clock offset and the faults) is stamped by a generation kept in
the database (`PostgresGeneration`): a change answered on any host is seen by every request that starts
after it. A request reads the generation once, or has it checked by its rate-limit hit in the same step as
the count (in Redis, or in PostgreSQL's window function), with no round trip of its own for it.

When PostgreSQL cannot be reached (down, restarting, too slow to hand a connection) a call fails with
1002001 within `CONNECT_TIMEOUT_SECONDS`, at once for a short pause after another call found it so;
nothing is half-written (a transaction rolls back). Broken connections are dropped when returned, and a
failed connection attempt is not retried with growing pauses but by the next call, so service resumes
with the first call after PostgreSQL is back. Connections a restart ended while no call used them are
found before a call does: a thread's kept one by its socket (`_closed_while_idle`), the pool's idle ones
by a check before a thread takes one.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
import re
import select
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import flask
import psycopg
import psycopg_pool
from psycopg.adapt import PyFormat, Transformer
from psycopg.conninfo import conninfo_to_dict
from psycopg.pq import TransactionStatus
from psycopg.rows import dict_row

from mockserver.errors import SYSTEM_ERROR, FeishuAPIError
from mockserver.outages import Outage, reason
from mockserver.storage.engine import Engine
from mockserver.storage.queries import Queries
from mockserver.storage.schema import DROPPED_INDEXES, ddl, made_by_ddl
from mockserver.storage.shared_state import StaleGeneration, TokenCache

# A call waits this long for a connection (PostgreSQL down, or every connection busy) before 1002001.
CONNECT_TIMEOUT_SECONDS = 0.5
# A store waits this long for its first connection: a host does not start without its database.
STARTUP_WAIT_SECONDS = 10.0
# After a call found PostgreSQL unavailable, the process's calls fail at once for this long; the first
# call after it tries again.
PAUSE_AFTER_FAILURE_SECONDS = 0.2
# Once a call found PostgreSQL unavailable, the next ones wait only this long for a connection, until one
# is made: an attempt PostgreSQL refuses fails within it, and a process that waited the whole
# `CONNECT_TIMEOUT_SECONDS` each time would answer its first call up to that long after PostgreSQL was
# back. (An attempt that takes longer goes on, and its connection serves the next call.)
RECONNECT_WAIT_SECONDS = 0.05
# Connections per process: one per thread that uses the store (a uWSGI worker has one, waitress 8).
POOL_MAX_SIZE = 16
# How a connection notices a network that stopped answering (a partition, a host gone without closing
# its sockets): TCP keepalive probes on an idle connection, and a bound on how long sent data may stay
# unacknowledged; either way the connection fails (1002001), is dropped and replaced. A URL's own values
# win over these.
CONNECTION_LIVENESS = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 10_000,  # milliseconds
}
# What the store's sessions set, unless the URL's `options` (or PGOPTIONS) set it.
# - synchronous_commit: each commit returns once its WAL is written, not flushed to disk (PostgreSQL
#   flushes it within a fraction of a second). A crash of PostgreSQL or its machine may lose the changes
#   of that last fraction, never half of one; a host killed loses nothing it acknowledged, nor does a
#   clean restart of PostgreSQL. A commit that waited for the disk would make every call that changes
#   something wait for a flush.
# - lock_timeout: a statement waits this long at most for a row (or any lock) another session holds,
#   then fails (1002001, that call alone: `_refused`). The app's own transactions hold theirs for
#   milliseconds (a window function's advisory lock included), so a call waits this long only on a
#   stuck holder, or on a schema change a new version's first host makes while the others serve (an
#   index made on a big journal): hosts of a new version are best started before the old ones take
#   calls again. A host's own schema step waits as long as it takes (`create`).
# - idle_in_transaction_session_timeout: PostgreSQL ends a session of this store that sits in an open
#   transaction this long, rolling it back. A host frozen or cut off mid-transaction (a paused machine, a
#   lost network) would otherwise hold its locks until the server noticed its connection gone, and every
#   call of any host that needs those rows would fail; the app's transactions never idle that long.
SESSION_SETTINGS = {
    "synchronous_commit": "off",
    "lock_timeout": "5s",
    "idle_in_transaction_session_timeout": "10s",
}
# Taken while creating the tables, so hosts starting at once do not race on the catalog.
SCHEMA_LOCK = 0x66656973  # "feis"
# The generation every process stamps its caches with; the PostgreSQL counterpart of SQLite's
# memory-mapped file (`files.Generation`), which only reaches the processes of one host.
GENERATION_TABLE = "generation"
GENERATION_DDL = (
    f"CREATE TABLE IF NOT EXISTS {GENERATION_TABLE} (id INTEGER PRIMARY KEY CHECK (id = 1),"
    " value BIGINT NOT NULL)",
)
# Run by every process, DDL or not: a database missing the row gets it back.
GENERATION_ROW = f"INSERT INTO {GENERATION_TABLE} (id, value) VALUES (1, 0) ON CONFLICT (id) DO NOTHING"
BUMP = f"UPDATE {GENERATION_TABLE} SET value = value + 1 WHERE id = 1 RETURNING value"
# Whether the database holds every table and index this version makes (`schema.made_by_ddl`, and the
# generation's table) and none it drops. A process that finds it so runs no DDL: a host may then log in
# as a role that may read and write the tables but does not own them.
SCHEMA_CURRENT = (
    "SELECT 1 AS current WHERE (SELECT count(*) FROM pg_class WHERE relname = ANY(:made::text[])"
    " AND relnamespace = current_schema()::regnamespace) = cardinality(:made::text[]) AND NOT EXISTS"
    " (SELECT 1 FROM pg_class WHERE relname = ANY(:dropped::text[])"
    " AND relnamespace = current_schema()::regnamespace)"
)
SCHEMA_NAMES = {"made": [*made_by_ddl(), GENERATION_TABLE], "dropped": list(DROPPED_INDEXES)}
# A process that goes on the generation it knows (`PostgresGeneration.trust_known`) still reads it from the
# database at least this often: the bound on how long a lagging copy in Redis can hide a change.
REREAD_SECONDS = 1.0
# Errors that mean "PostgreSQL could not be asked", as opposed to a query's own failure; or that it
# refused one statement on a sound connection (`_refused`).
UNAVAILABLE = (psycopg.OperationalError, psycopg.InterfaceError, psycopg_pool.PoolTimeout)
# SQLSTATE classes of an engine that cannot serve: the connection lost (08), out of resources (53: too
# many connections, disk full), an operator's shutdown or restart (57P), a failing system or disk (58).
# Any other class of an OperationalError on a sound connection is a refusal of that one statement:
# canceled (57014), a deadlock or serialization failure (40), a lock not available in time (55P03).
OUTAGE_SQLSTATES = ("08", "53", "57P", "58")
# PostgreSQL ended one session for its own idleness (in a transaction, or at all): the engine serves on.
SESSION_ENDED_SQLSTATES = ("25P03", "57P05")
# `-c name=value` or `--name=value` in libpq's `options` (PostgreSQL reads a `-` in a name as `_`).
_OPTION_NAME = re.compile(r"(?:-c\s*|--)([A-Za-z0-9_.-]+)=")

logger = logging.getLogger(__name__)
_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


def _liveness(url: str) -> dict[str, int]:
    """`CONNECTION_LIVENESS`, less what `url` sets itself."""
    given = conninfo_to_dict(url)
    return {name: value for name, value in CONNECTION_LIVENESS.items() if name not in given}


def _session_options(url: str) -> dict[str, str]:
    """libpq's `options` with `SESSION_SETTINGS` added, less those the URL's own options (or, without
    them, PGOPTIONS) set."""
    given = str(conninfo_to_dict(url).get("options") or os.environ.get("PGOPTIONS", ""))
    named = {name.lower().replace("-", "_") for name in _OPTION_NAME.findall(given)}
    added = [f"-c {name}={value}" for name, value in SESSION_SETTINGS.items() if name not in named]
    return {"options": " ".join([given, *added]).strip()} if added else {}


@dataclass(frozen=True)
class Translated:
    """A statement in PostgreSQL's own placeholders (`$1`, `$2`, ...), as libpq and a `psycopg.RawCursor`
    take it, parsing nothing of it; `names`: the `:name` parameter each number stands for, in order (None
    where the statement has `?` ones, numbered as they come; empty where it has none)."""

    sql: str
    names: tuple[str, ...] | None


@lru_cache(maxsize=1024)
def translate(sql: str) -> Translated:
    """`sql`'s `:name` (each name one number, however often it appears) or `?` parameters as `$n`
    (`::type` casts left alone). The queries keep to what this reads right: no `?` operator, no `:name`
    or `?` inside a literal or a comment, and no statement with both styles."""
    numbers: dict[str, int] = {}

    def number(match: re.Match[str]) -> str:
        return f"${numbers.setdefault(match.group(1), len(numbers) + 1)}"

    named = _NAMED.sub(number, sql)
    if numbers or "?" not in sql:
        return Translated(named, tuple(numbers))
    marks = iter(range(1, sql.count("?") + 1))
    return Translated(re.sub(r"\?", lambda _: f"${next(marks)}", sql), None)


class PostgresUnavailable(FeishuAPIError):
    """1002001: PostgreSQL could not be asked (down, restarting, or out of connections)."""

    what = "database unavailable"

    def __init__(self, cause: Exception) -> None:
        super().__init__(SYSTEM_ERROR, f"system error: {self.what} ({type(cause).__name__})")


class PostgresRefused(PostgresUnavailable):
    """1002001: PostgreSQL refused the call's statement (`_refused`), and answers others."""

    what = "database refused the statement"


def _unanswered(exc: Exception, conn: psycopg.Connection[Any]) -> bool:
    """Whether `exc`, raised by a statement on `conn`, means PostgreSQL did not answer it: an
    `UNAVAILABLE` error, a write to a database that takes none (a standby, a read-only default: 25006),
    or any error that left `conn` broken (PostgreSQL ended the session: a terminated backend, an
    idle-in-transaction timeout). Any other error is the statement's own."""
    return isinstance(exc, (*UNAVAILABLE, psycopg.errors.ReadOnlySqlTransaction)) or (
        isinstance(exc, psycopg.Error) and conn.pgconn.status != psycopg.pq.ConnStatus.OK
    )


def _refused(exc: Exception, conn: psycopg.Connection[Any] | None) -> bool:
    """Whether `exc` is PostgreSQL refusing one statement on `conn`, which stays sound and out of any
    transaction (its block rolled back; see `OUTAGE_SQLSTATES`): that call fails, and nothing says the
    engine is down."""
    sqlstate = getattr(exc, "sqlstate", None)
    return (
        conn is not None
        and sqlstate is not None
        and conn.pgconn.status == psycopg.pq.ConnStatus.OK
        and conn.pgconn.transaction_status == TransactionStatus.IDLE
        and not sqlstate.startswith(OUTAGE_SQLSTATES)
    )


@dataclass
class _Rows:
    """A statement's result, read in full before its connection goes back to the pool."""

    rowcount: int
    rows: list[dict[str, Any]]

    def fetchone(self) -> dict[str, Any] | None:
        return self.rows[0] if self.rows else None

    def fetchall(self) -> list[dict[str, Any]]:
        return self.rows


# PostgreSQL's text cannot hold NUL, which SQLite's can and a request may carry (an external_id, a name):
# a text holding NUL or MARK is stored as MARK + itself with each MARK and NUL escaped, and read back as
# it was. Every other text is stored as it is. The encoding is one-to-one, so equality in SQL still holds.
NUL, MARK = "\x00", "\ue000"  # MARK: a private-use character
_ESCAPES = {MARK: MARK + "\ue001", NUL: MARK + "\ue002"}
_ESCAPED = re.compile(f"{MARK}([\ue001\ue002])")


def to_text(value: str) -> str:
    """`value` as PostgreSQL can store it."""
    if NUL not in value and MARK not in value:
        return value
    return MARK + value.replace(MARK, _ESCAPES[MARK]).replace(NUL, _ESCAPES[NUL])


def from_text(stored: str) -> str:
    """The value `to_text` stored as `stored`."""
    if not stored.startswith(MARK):
        return stored
    return _ESCAPED.sub(lambda m: MARK if m.group(1) == "\ue001" else NUL, stored[1:])


# A connection prepares a statement (with its parameters' types) the second time it runs it, and at most
# this many; any other runs unprepared. The store's statements are a few dozen texts, but some vary with
# a list's length (an `IN` of ids, a batch of journal rows) and a parameter's type with its value (an
# int's size, a NULL), so they are not a fixed set: one seen once is not kept on the server.
PREPARED_PER_CONNECTION = 256
# How many statements seen once a connection remembers (forgotten all at once when full).
SEEN_ONCE_PER_CONNECTION = 1024
_ANSWERED = (psycopg.pq.ExecStatus.TUPLES_OK, psycopg.pq.ExecStatus.COMMAND_OK)
# Executing a prepared statement the session does not hold (invalid_sql_statement_name): PostgreSQL lost
# them all (a `DEALLOCATE ALL` the store never sends).
UNKNOWN_STATEMENT = b"26000"
# A prepared statement whose plan cannot follow its tables' change (a column added to a table it reads
# with `*`: "cached plan must not change result type"), the SQLSTATE's usual meaning aside.
STALE_PLAN = b"0A000"
# How long `close` waits for a statement in flight on a connection it closes, after cancelling it.
CLOSE_WAIT_SECONDS = 1.0


class _Connection(psycopg.Connection[dict[str, Any]]):
    """A connection of the store's pool, with its session."""

    kept_session: _Session | None = None

    def session(self) -> _Session:
        """This connection's session: made the first time a thread takes it from the pool, the same one
        for every thread after (its prepared statements are the connection's)."""
        if self.kept_session is None:
            self.kept_session = _Session(self)
        return self.kept_session


class _Session:
    """One connection as the store runs statements on it, used by one thread at a time (the one that
    took the connection from the pool).

    A statement with parameters is prepared on the connection the second time it runs with its
    parameters' types, and from then on executed by name straight on libpq (`psycopg.pq`): its
    parameters dumped and its rows loaded by psycopg's own adapters (a `Transformer`, as a cursor uses),
    without the cursor's per-statement layers, which cost about as much client time as the round trip.
    The outcome is the cursor's: the same rows, the same rowcount, and a statement PostgreSQL refuses
    raises the same `psycopg.Error` (its SQLSTATE's class). A statement without parameters (DDL, a
    function's body) goes out on the connection's cursor as written.

    libpq runs a statement without holding the GIL, and nothing may free the connection meanwhile:
    `busy` is held while a statement runs, and `PostgresStore.close` closes a connection only once it
    has it."""

    def __init__(self, conn: _Connection) -> None:
        self.conn = conn
        self.cursor = psycopg.RawCursor(conn, row_factory=dict_row)
        self.busy = threading.Lock()
        self._adapters = Transformer(conn)
        self._encoding = conn.info.encoding
        self._prepared: dict[tuple[str, tuple[int, ...]], bytes] = {}
        self._seen_once: set[tuple[str, tuple[int, ...]]] = set()
        self._names = itertools.count()  # never one name twice: a lost statement's may still be held

    def run(self, sql: str, parameters: Mapping[str, Any] | Sequence[Any]) -> _Rows:
        """`sql` run with `parameters` (`:name` ones from a mapping, `?` ones from a sequence), its rows
        read in full; a text holding NUL goes through `to_text` and comes back through `from_text`."""
        with self.busy:
            return self._run(sql, parameters)

    def _run(self, sql: str, parameters: Mapping[str, Any] | Sequence[Any]) -> _Rows:
        if not parameters:
            self.cursor.execute(sql)
            read = self.cursor.fetchall() if self.cursor.description is not None else []
            return _Rows(self.cursor.rowcount, _read_back(read))
        statement = translate(sql)
        if isinstance(parameters, Mapping) == (statement.names is None) and statement.names != ():
            raise TypeError(f"{type(parameters).__name__} parameters for the other style's statement: {sql}")
        if isinstance(parameters, Mapping):
            parameters = [parameters[name] for name in statement.names or ()]
        adapters = self._adapters
        values = adapters.dump_sequence(
            [to_text(v) if isinstance(v, str) else v for v in parameters], [PyFormat.AUTO] * len(parameters)
        )
        types = tuple(adapters.types or ())
        result = self._execute(statement.sql, types, values, adapters.formats)
        self._check(result)
        rows: list[dict[str, Any]] = []
        if result.ntuples:
            adapters.set_pgresult(result)
            columns = [(result.fname(i) or b"").decode(self._encoding) for i in range(result.nfields)]
            rows = _read_back(
                [dict(zip(columns, row, strict=True)) for row in adapters.load_rows(0, result.ntuples, tuple)]
            )
        counted = result.command_tuples
        return _Rows(-1 if counted is None else counted, rows)

    def _execute(
        self,
        sql: str,
        types: tuple[int, ...],
        values: Sequence[Any],
        formats: Sequence[Any] | None,
        again: bool = True,
    ) -> psycopg.pq.abc.PGresult:
        """PostgreSQL's result of `sql` with `values` dumped as `types`: prepared first if it ran so once
        before on this connection (see `PREPARED_PER_CONNECTION`), unprepared before that. Should
        PostgreSQL have lost the session's prepared statements (`UNKNOWN_STATEMENT`), they are all
        prepared again from the next statement on; a plan its tables' change made stale (`STALE_PLAN`) is
        prepared again under a new name. Either way a statement out of a transaction is sent once more
        at once (`again`); in one, it fails, and the transaction with it."""
        pgconn = self.conn.pgconn
        key = (sql, types)
        name = self._prepared.get(key)
        if name is None and key in self._seen_once and len(self._prepared) < PREPARED_PER_CONNECTION:
            name = f"_feishu_{next(self._names)}".encode()
            self._check(pgconn.prepare(name, sql.encode(self._encoding), types))
            self._prepared[key] = name
            self._seen_once.discard(key)
        elif name is None:
            if len(self._seen_once) >= SEEN_ONCE_PER_CONNECTION:
                self._seen_once.clear()
            self._seen_once.add(key)
        if name is None:  # `values`: each parameter dumped, or None for NULL (as a cursor sends them)
            result = pgconn.exec_params(sql.encode(self._encoding), values, types, formats)
        else:
            result = pgconn.exec_prepared(name, values, formats)
        sqlstate = result.error_field(psycopg.pq.DiagnosticField.SQLSTATE)
        if sqlstate == UNKNOWN_STATEMENT:
            self._prepared.clear()
        elif sqlstate == STALE_PLAN and name is not None:
            del self._prepared[key]
            self._seen_once.add(key)
        if (
            again
            and sqlstate in (UNKNOWN_STATEMENT, STALE_PLAN)
            and pgconn.transaction_status == TransactionStatus.IDLE
        ):
            return self._execute(sql, types, values, formats, again=False)  # prepared afresh
        return result

    def _check(self, result: psycopg.pq.abc.PGresult) -> None:
        """Raises the error PostgreSQL answered instead of a result, as a cursor would: the SQLSTATE's
        class, or an OperationalError when the connection was lost on the way (no SQLSTATE)."""
        if result.status in _ANSWERED:
            return
        error = psycopg.errors.error_from_result(result, encoding=self._encoding)
        if error.sqlstate is None and self.conn.pgconn.status != psycopg.pq.ConnStatus.OK:
            raise psycopg.OperationalError(str(error))
        raise error


def _read_back(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`rows` with each text `to_text` stored as it was given."""
    for row in rows:
        for column, value in row.items():
            if isinstance(value, str) and value.startswith(MARK):
                row[column] = from_text(value)
    return rows


class _Sparse(logging.Filter):
    """Lets one warning of each kind (its message's template, and its first argument where
    `by_first_argument`) through every `seconds`; those between are dropped, errors all pass. The pool
    warns at every connection attempt that fails, several a second per process through an outage: the
    first says why (refused, too many clients, a password refused), and the store tells when the outage
    began and ended. A database that refuses every write (a standby) would refuse each call's."""

    def __init__(self, seconds: float, by_first_argument: bool = False) -> None:
        super().__init__()
        self.seconds = seconds
        self.by_first_argument = by_first_argument
        self._passed_at: dict[str, float] = {}
        self._lock = threading.Lock()

    def watch(self, logger: logging.Logger) -> None:
        """This filter on `logger`, once however often asked."""
        if self not in logger.filters:
            logger.addFilter(self)

    def forget(self) -> None:
        """The next warning of every kind passes (what a fresh process does)."""
        with self._lock:
            self._passed_at.clear()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR:
            return True
        now, kind = time.monotonic(), str(record.msg)
        if self.by_first_argument and isinstance(record.args, tuple) and record.args:
            kind = f"{kind} {record.args[0]}"
        with self._lock:
            if now - self._passed_at.get(kind, -math.inf) < self.seconds:
                return False
            self._passed_at[kind] = now
            return True


# Each kind of the pool's warnings reaches the log once a minute at most (`_Sparse`).
_POOL_WARNINGS = _Sparse(60.0)
# Statements PostgreSQL refused (`_refused`): each SQLSTATE's once a minute at most.
refusals = logging.getLogger(f"{__name__}.refusals")
REFUSALS_TOLD = _Sparse(60.0, by_first_argument=True)
REFUSALS_TOLD.watch(refusals)


def _closed_while_idle(conn: _Connection) -> bool:
    """Whether PostgreSQL closed `conn` while it sat idle between statements (a shutdown or restart, a
    terminated backend): its socket is readable then, with the FATAL it sends last and the connection's
    end, and `conn` is closed here. A connection of the mock's listens for nothing, so an idle one is
    otherwise silent (a rare unasked message, a setting reloaded, only costs it a new connection). Without
    this, the first call on each thread after a restart would learn of it by failing."""
    if conn.closed:
        return True
    pgconn = conn.pgconn
    if pgconn.transaction_status != TransactionStatus.IDLE or not _readable(pgconn.socket):
        return False
    conn.close()
    return True


def _readable(fd: int) -> bool:
    """Whether `fd` has something to read (or its end) now, without waiting. poll: select() refuses a
    descriptor of 1024 or more, which a busy worker's connections may get."""
    if not hasattr(select, "poll"):  # Windows, whose select() has no such bound
        return bool(select.select([fd], [], [], 0)[0])
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


class _Bound:
    """`queries.Connection` over one session (a transaction's, or a statement block's)."""

    def __init__(self, session: _Session) -> None:
        self.session = session

    def execute(self, sql: str, parameters: Mapping[str, Any] | Sequence[Any] | None = None, /) -> _Rows:
        return self.session.run(sql, parameters or {})


class _Pooled:
    """`queries.Connection` for reads outside a transaction: each statement on the thread's connection."""

    def __init__(self, store: PostgresStore) -> None:
        self.store = store

    def execute(self, sql: str, parameters: Mapping[str, Any] | Sequence[Any] | None = None, /) -> _Rows:
        with self.store._pooled() as session:
            return session.run(sql, parameters or {})


def _queries(connection: _Bound | _Pooled) -> Queries:
    """The queries over `connection`, as PostgreSQL runs them: it locks rows, not the database."""
    return Queries(connection, locks_rows=True)


def _call_state() -> Any | None:
    """The running call's state: the object behind Flask's `g` (looked up once: each use of the proxy
    costs a lookup of its own), or None outside an app context."""
    return flask.g._get_current_object() if flask.has_app_context() else None


class PostgresGeneration:
    """The store's `ChangeCounter`: a row every host reads. Within a request it is read once (the first
    time the request asks) and kept on Flask's `g`, so a request sees one consistent generation and
    costs one round trip for it; outside a request every read asks the database.

    A call that can be answered again from the start (`trust_known`) goes instead on the last value
    this process knew, without a round trip, and the value is checked before the call changes anything
    (`settle`): by its rate-limit hit, in the same atomic step as the count (`unsettled`, `settled_by`),
    in Redis against a copy of the generation kept there (`announce_to`) or in PostgreSQL's window
    function against the row itself; else (a call with no limit, a refused token) by reading the row. A call
    that went on a moved value raises `StaleGeneration` and is answered again. Every bump is announced to
    the copy before the change it stamps is answered, so a change answered on one host is seen by every
    call that starts after it on any host. A copy that lags (Redis lost its data, or a host died between a
    change and its announcement) is caught up by the next process that reads the row: each reads it at
    least every `REREAD_SECONDS` it answers calls."""

    KEY = "_feishu_postgres_generation"
    TRUSTING = "_feishu_postgres_generation_trusting"
    UNSETTLED = "_feishu_postgres_generation_unsettled"

    def __init__(self, store: PostgresStore) -> None:
        self._store = store
        self._known: int | None = None  # the highest value this process read, made or was told
        self._read_at = -math.inf  # when this process last read the row (time.monotonic)
        self._announce: Callable[[int], None] | None = None

    def value(self) -> int:
        state = _call_state()
        if state is None:
            return self._read()
        cached: int | None = state.get(self.KEY)
        if cached is not None:
            return cached
        known = self._known
        if (
            state.get(self.TRUSTING)
            and known is not None
            and time.monotonic() - self._read_at < REREAD_SECONDS
        ):
            setattr(state, self.UNSETTLED, True)
            value = known
        else:
            value = self._read()
        setattr(state, self.KEY, value)
        return value

    def _read(self) -> int:
        row = self._store.read().conn.execute(f"SELECT value FROM {GENERATION_TABLE} WHERE id = 1").fetchone()
        value = int(row["value"])
        self._read_at = time.monotonic()
        if self._learn(value):
            # Moved without this process hearing of it: the copy in Redis may lag; it takes the higher.
            self._publish(value)
        return value

    def _learn(self, value: int) -> bool:
        """Keeps `value` if it is above what this process knew; True if it was."""
        if self._known is not None and value <= self._known:
            return False
        self._known = value
        return True

    def _publish(self, value: int) -> None:
        if self._announce is None:
            return
        try:
            self._announce(value)
        except FeishuAPIError as exc:  # Redis down: calls that need it fail; the next read catches it up
            logger.warning("generation %d was not announced: %s", value, exc.msg)

    def bump(self) -> None:
        row = self._store.read().conn.execute(BUMP).fetchone()
        self.forget()
        self.bumped(int(row["value"]))

    def bumped(self, value: int) -> None:
        """The generation was moved to `value` (committed): announced before the change is answered."""
        self._learn(value)
        self._publish(value)

    def forget(self) -> None:
        """This request has changed what the generation stamps: its next read asks the database."""
        state = _call_state()
        if state is not None:
            state.pop(self.KEY, None)

    def trust_known(self) -> None:
        state = _call_state()
        if state is not None:
            setattr(state, self.TRUSTING, True)

    def settle(self) -> None:
        state = _call_state()
        if state is None:
            return
        state.pop(self.TRUSTING, None)
        if state.get(self.UNSETTLED):
            self.settled_by(self._read())

    def unsettled(self) -> int | None:
        """The value the current call went on without checking it, or None (checked, or read)."""
        state = _call_state()
        if state is not None and state.get(self.UNSETTLED):
            value: int = state.get(self.KEY)
            return value
        return None

    def settled_by(self, current: int) -> None:
        """The generation is `current` now (read from the row, or from Redis's copy): the call's value is
        settled, or `StaleGeneration` is raised."""
        self._learn(current)
        state = _call_state()
        if state is None:
            return
        state.pop(self.TRUSTING, None)
        if state.pop(self.UNSETTLED, None) and state.get(self.KEY) != current:
            state.pop(self.KEY, None)
            raise StaleGeneration

    def announce_to(self, announce: Callable[[int], None]) -> None:
        """Every value this process moves the generation to, or reads above what it knew, is passed to
        `announce` (which keeps the copy that `settled_by` is told of)."""
        self._announce = announce


class PostgresStore(Engine):
    """The mock's tables in one PostgreSQL database (a `Store`)."""

    def __init__(self, url: str, max_size: int = POOL_MAX_SIZE) -> None:
        self.url = url
        self._local = threading.local()
        self._lock = threading.Lock()
        self._kept: set[_Connection] = set()  # every thread's own connection
        self._unavailable_until = 0.0
        self._unavailable_because: Exception = ConnectionError("not asked yet")
        self._outage = Outage("PostgreSQL", logger)
        _POOL_WARNINGS.watch(logging.getLogger("psycopg.pool"))
        self._pool: psycopg_pool.ConnectionPool[_Connection] = psycopg_pool.ConnectionPool(
            url,
            min_size=1,
            max_size=max_size,
            kwargs={
                "autocommit": True,
                "row_factory": dict_row,
                # The store prepares its statements itself (`_Session`). psycopg's own preparing,
                # off, would also drop every prepared statement of the session after a ROLLBACK.
                "prepare_threshold": None,
                **_liveness(url),
                **_session_options(url),
            },
            connection_class=_Connection,
            timeout=CONNECT_TIMEOUT_SECONDS,
            # A failed connection attempt is not retried in the background with growing pauses (the
            # pool's default, which left hosts idle for seconds after PostgreSQL was back): the
            # next call that needs a connection tries again, so service resumes with the first.
            reconnect_timeout=0,
            name="feishu-mock",
            open=False,
        )
        try:
            self._pool.open(wait=True, timeout=STARTUP_WAIT_SECONDS)
        except psycopg_pool.PoolTimeout as exc:
            self._pool.close()
            raise ConnectionError(f"PostgreSQL at {url} did not answer: {exc}") from exc
        self.generation = PostgresGeneration(self)
        self._tokens = TokenCache(self.generation)
        with self.transaction() as queries:
            self.create(
                queries, (*ddl("postgresql"), *GENERATION_DDL), unless_found=(SCHEMA_CURRENT, SCHEMA_NAMES)
            )
            queries.conn.execute(GENERATION_ROW)

    @property
    def path(self) -> Path | None:
        return None

    @property
    def private(self) -> bool:
        return False

    @property
    def journal_rides_writes(self) -> bool:
        return True

    def _own(self) -> _Session:
        """The session of the connection this thread keeps, taken from the pool the first time (one pool
        checkout per statement cost more than the statement). Once PostgreSQL could not be asked,
        calls of the next `PAUSE_AFTER_FAILURE_SECONDS` fail at once instead of each waiting for a
        connection."""
        own: _Session | None = getattr(self._local, "own", None)
        if own is not None:
            if not _closed_while_idle(own.conn):
                return own
            self._drop(own.conn)  # PostgreSQL restarted (or ended it) since its last statement
        if time.monotonic() < self._unavailable_until:
            raise PostgresUnavailable(self._unavailable_because)
        try:
            # The pool's idle connections are checked first (an empty statement each; a thread takes a
            # connection only at its first statement and after a failure or a restart): a restart ends
            # them all, and a call must not be the one that finds out. (The pool's own check as it
            # hands one out waits out the rest of its timeout once two in a row fail.)
            self._pool.check()
            conn = self._pool.getconn(RECONNECT_WAIT_SECONDS if self._outage.ongoing else None)
        except UNAVAILABLE as exc:
            raise self._failed(exc, None) from exc
        self._outage.ended()
        own = self._local.own = conn.session()
        with self._lock:
            self._kept.add(conn)
        return own

    def _failed(self, exc: Exception, conn: _Connection | None) -> PostgresUnavailable:
        """Notes that PostgreSQL could not be asked; the thread's connection goes back to the pool (which
        drops it if it is broken) and the thread takes another next time. Answers the error to raise.
        A statement PostgreSQL refused (`_refused`) is logged and fails alone: the thread keeps its
        connection, and the calls after it ask as before (no pause, no outage); so do they after
        PostgreSQL ended one session for its idleness (`SESSION_ENDED_SQLSTATES`), which the thread
        replaces."""
        sqlstate = getattr(exc, "sqlstate", None)
        if _refused(exc, conn):
            refusals.warning("PostgreSQL refused a statement (%s %s)", sqlstate, reason(exc))
            return PostgresRefused(exc)
        if conn is not None and sqlstate in SESSION_ENDED_SQLSTATES:
            logger.warning("PostgreSQL ended a session of this process (%s %s)", sqlstate, reason(exc))
            self._drop(conn)
            return PostgresUnavailable(exc)
        self._unavailable_because = exc
        self._unavailable_until = time.monotonic() + PAUSE_AFTER_FAILURE_SECONDS
        self._outage.began(exc)
        if conn is not None:
            self._drop(conn)
        return PostgresUnavailable(exc)

    def _drop(self, conn: _Connection) -> None:
        """The thread no longer keeps `conn`: it goes back to the pool, which drops it if it is broken.
        Once only: a connection given back already (a block's failure after a statement in it replaced
        the thread's connection) is left alone, and so is the thread's new one."""
        own = getattr(self._local, "own", None)
        if own is not None and own.conn is conn:
            self._local.own = None
        with self._lock:
            if conn not in self._kept:
                return
            self._kept.discard(conn)
        self._pool.putconn(conn)

    @contextmanager
    def _pooled(self) -> Iterator[_Session]:
        """The thread's session for the block."""
        own = self._own()
        conn = own.conn
        try:
            yield own
        except Exception as exc:
            if not _unanswered(exc, conn):
                raise
            raise self._failed(exc, conn) from exc

    @contextmanager
    def transaction(self, write: bool = True, then: Callable[[], None] | None = None) -> Iterator[Queries]:
        """One transaction (BEGIN ... COMMIT on the thread's connection); `then` runs after the commit.
        Inside a transaction of the same thread it joins that one."""
        open_queries: Queries | None = getattr(self._local, "queries", None)
        if open_queries is not None:
            if then is not None:
                raise RuntimeError("`then` needs a transaction of its own")
            yield open_queries
            return
        # The shared state's "move the generation after the commit" is done inside the transaction
        # instead: a host killed between the two cannot leave the change unannounced.
        bump_inside = then is not None and then == self.generation.bump
        bumped: int | None = None
        with self._pooled() as session, session.conn.transaction():
            queries = self._local.queries = _queries(_Bound(session))
            try:
                yield queries
                if queries.forgot_tokens or bump_inside:
                    bumped = int(session.run(BUMP, {}).rows[0]["value"])
            finally:
                del self._local.queries
        if bumped is not None:
            self.generation.forget()
            self.generation.bumped(bumped)
        if then is not None and not bump_inside:
            then()

    @contextmanager
    def statement(self) -> Iterator[Queries]:
        """Statements committed one by one (autocommit) on the thread's connection, or in its open
        transaction."""
        open_queries: Queries | None = getattr(self._local, "queries", None)
        if open_queries is not None:
            yield open_queries
            return
        with self._pooled() as session:
            queries = _queries(_Bound(session))
            try:
                yield queries
            finally:
                if queries.forgot_tokens:
                    self.generation.bump()

    def read(self) -> Queries:
        """Reads outside a transaction: each statement on the thread's connection, a snapshot of its own."""
        open_queries: Queries | None = getattr(self._local, "queries", None)
        return open_queries if open_queries is not None else _queries(_Pooled(self))

    def create(
        self,
        queries: Queries,
        statements: Iterable[str],
        unless_found: tuple[str, Mapping[str, Any]] | None = None,
    ) -> None:
        """Runs `statements` (CREATE ... IF NOT EXISTS) in the transaction of `queries`, one host at a
        time: hosts starting at once would otherwise race on PostgreSQL's catalog. None of them when
        `unless_found` (a query and its parameters) answers a row once it is this host's turn."""
        # A host waits for another's DDL however long it takes (creating an index on a big journal).
        queries.conn.execute("SET LOCAL lock_timeout = 0")
        queries.conn.execute("SELECT pg_advisory_xact_lock(:key)", {"key": SCHEMA_LOCK})
        if unless_found is not None and queries.conn.execute(*unless_found).fetchone() is not None:
            return
        for statement in statements:
            queries.conn.execute(statement)

    def close(self) -> None:
        """Closes the connections. One whose statement is still running (a host stopping) is cancelled
        first and closed once the statement is over, waited for up to `CLOSE_WAIT_SECONDS`; one still
        running then is left to the process's end, as libpq may not free a connection in use."""
        with self._lock:
            kept, self._kept = self._kept, set()
        for conn in kept:
            session = conn.kept_session
            if session is None:
                conn.close()
                continue
            if not session.busy.acquire(blocking=False):
                with suppress(psycopg.Error):
                    conn.cancel_safe(timeout=CLOSE_WAIT_SECONDS)
                if not session.busy.acquire(timeout=CLOSE_WAIT_SECONDS):
                    continue
            try:
                conn.close()
            finally:
                session.busy.release()
        self._pool.close()
